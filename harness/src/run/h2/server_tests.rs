//! Unit tests of the HTTP/2 server role.

use super::*;

use crate::case::h2::{H2RequestExpect, H2Response};
use crate::case::{ExpectKind, ExpectStep};
use crate::wire::h2::hpack::{self};
use crate::wire::h2::{self as wire, flag, kind, Frame, Payload};

use super::super::reader::*;
use super::super::validate::*;
use crate::run::check::{Check, Verdict};
use crate::run::driver::{Driver, Substitutions, Units};

fn subs() -> Substitutions {
    Substitutions { path: "/p".into(), host: "127.0.0.1:1".into(), ws_path: "/ws".into() }
}

fn response(yaml: &str) -> H2Response {
    serde_norway::from_str(yaml).unwrap()
}

fn frames(units: &Units) -> Vec<Frame> {
    units.iter().map(|(_, b)| wire::decode_frame(b, 1 << 24, 0).unwrap().unwrap().0).collect()
}

/// (type, flags, stream, payload length) of each frame.
fn shape(units: &Units) -> Vec<(u8, u8, u32, u32)> {
    frames(units).iter().map(|f| (f.header.kind, f.header.flags, f.header.stream_id, f.header.length)).collect()
}

#[test]
fn a_body_less_response_ends_the_stream_on_its_headers() {
    let units = encode_response(&response("status: 204"), 1, &subs()).unwrap();
    // :status 204 is static-table entry 9: one byte 0x89.
    assert_eq!(units[0].1, [0, 0, 1, kind::HEADERS, flag::END_HEADERS | flag::END_STREAM, 0, 0, 0, 1, 0x89]);
    assert_eq!(units.len(), 1);
}

#[test]
fn end_stream_goes_on_the_last_data_frame_or_nowhere() {
    let units = encode_response(&response("{body: あい, data_sizes: [2]}"), 3, &subs()).unwrap();
    assert_eq!(
        shape(&units),
        vec![(kind::HEADERS, flag::END_HEADERS, 3, 1), (kind::DATA, 0, 3, 2), (kind::DATA, 0, 3, 2), (kind::DATA, flag::END_STREAM, 3, 2)]
    );
    // The pieces split inside each 3-byte character: e3 81 | 82 e3 | 81 84.
    let data: Vec<Vec<u8>> = frames(&units)
        .into_iter()
        .skip(1)
        .map(|f| match f.payload {
            Payload::Data(d) => d.data,
            _ => panic!(),
        })
        .collect();
    assert_eq!(data, vec![vec![0xe3, 0x81], vec![0x82, 0xe3], vec![0x81, 0x84]]);
    let units = encode_response(&response("{body: abc, end_stream: false}"), 1, &subs()).unwrap();
    assert_eq!(shape(&units), vec![(kind::HEADERS, flag::END_HEADERS, 1, 1), (kind::DATA, 0, 1, 3)]);
    // An empty body is an empty DATA frame carrying END_STREAM.
    let units = encode_response(&response("{body: ''}"), 1, &subs()).unwrap();
    assert_eq!(shape(&units), vec![(kind::HEADERS, flag::END_HEADERS, 1, 1), (kind::DATA, flag::END_STREAM, 1, 0)]);
}

#[test]
fn header_blocks_split_over_continuation_frames_byte_exact() {
    let r = response("{headers: {x-a: bcdef}, continuation: [2, 3], body: z}");
    let units = encode_response(&r, 1, &subs()).unwrap();
    let fields = vec![(":status".to_string(), "200".to_string()), ("x-a".to_string(), "bcdef".to_string())];
    let block = hpack::encode(&hpack::reps_for(&fields, false));
    assert_eq!(block.len(), 12);
    // HEADERS 2 bytes (no END_HEADERS, no END_STREAM), CONTINUATION 3, 3, 3, then the last
    // byte with END_HEADERS; DATA z with END_STREAM.
    let mut want = vec![0, 0, 2, kind::HEADERS, 0, 0, 0, 0, 1];
    want.extend(&block[..2]);
    assert_eq!(units[0].1, want);
    let mut want = vec![0, 0, 3, kind::CONTINUATION, 0, 0, 0, 0, 1];
    want.extend(&block[2..5]);
    assert_eq!(units[1].1, want);
    let mut want = vec![0, 0, 1, kind::CONTINUATION, flag::END_HEADERS, 0, 0, 0, 1];
    want.extend(&block[11..]);
    assert_eq!(units[4].1, want);
    assert_eq!(units[5].1, [0, 0, 1, kind::DATA, flag::END_STREAM, 0, 0, 0, 1, b'z']);
    assert_eq!(units.len(), 6);
    // END_STREAM on a split block with no body stays on the HEADERS frame (RFC 9113 §6.2).
    let units = encode_response(&response("{headers: {x-a: bcdef}, continuation: [5]}"), 1, &subs()).unwrap();
    assert_eq!(
        shape(&units),
        vec![(kind::HEADERS, flag::END_STREAM, 1, 5), (kind::CONTINUATION, 0, 1, 5), (kind::CONTINUATION, flag::END_HEADERS, 1, 2)]
    );
}

#[test]
fn trailers_carry_end_stream() {
    let units = encode_response(&response("{data: [a, b], trailers: {x-sum: '2'}}"), 1, &subs()).unwrap();
    assert_eq!(
        shape(&units),
        vec![
            (kind::HEADERS, flag::END_HEADERS, 1, 1),
            (kind::DATA, 0, 1, 1),
            (kind::DATA, 0, 1, 1),
            (kind::HEADERS, flag::END_HEADERS | flag::END_STREAM, 1, 9)
        ]
    );
}

#[test]
fn inconsistent_responses_are_load_errors() {
    assert!(validate_response(&response("{body: a, data: [b]}")).is_err());
    assert!(validate_response(&response("{data_sizes: [1]}")).is_err());
    assert!(validate_response(&response("{body: a, data_sizes: [0]}")).is_err());
    // Found in review: an empty list reached the splitter before its check and panicked.
    assert!(validate_response(&response("{body: abc, data_sizes: []}")).is_err());
    assert!(validate_response(&response("{continuation: [0]}")).is_err());
}

#[test]
fn or_response_is_refused_in_the_server_role() {
    let expect = |yaml: &str| -> ExpectKind { serde_norway::from_str::<ExpectStep>(yaml).unwrap().kind };
    let mut server = H2Server::new(subs());
    let why = server.check(&expect("{ stream_error: { error: PROTOCOL_ERROR, or_response: 4xx } }")).err().unwrap();
    assert!(why.contains("or_response"), "{why}");
    assert!(server.check(&expect("{ stream_error: { error: PROTOCOL_ERROR } }")).is_ok());
}

fn request_frames(fields: &[(&str, &str)], body: Option<&[u8]>, stream: u32) -> Vec<u8> {
    let list: Vec<(String, String)> = fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    let fragment = hpack::encode(&hpack::reps_for(&list, false));
    let flags = flag::END_HEADERS | if body.is_none() { flag::END_STREAM } else { 0 };
    let mut out =
        Frame::new(kind::HEADERS, flags, stream, Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment }))
            .encode();
    if let Some(b) = body {
        out.extend(
            Frame::new(kind::DATA, flag::END_STREAM, stream, Payload::Data(wire::data::Data { data: b.to_vec(), padding: None })).encode(),
        );
    }
    out
}

fn expect(yaml: &str) -> H2RequestExpect {
    serde_norway::from_str(yaml).unwrap()
}

fn poll(e: &H2RequestExpect, after: u32, input: &[u8]) -> (Verdict, Option<u32>) {
    let mut c = H2Check::new(Reader::default(), Box::new(RequestMatcher::new(e, after, &subs(), false).unwrap()));
    let v = c.poll(input, false);
    (v, c.matched_stream)
}

const GET: [(&str, &str); 4] = [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1:1"), (":path", "/p")];

#[test]
fn a_get_ends_on_its_headers_and_its_stream_is_found() {
    let input = request_frames(&GET, None, 1);
    let e = expect("{method: GET, path: '{path}', authority: '{host}', ends_with: end-stream-on-headers, well_formed: true}");
    let (v, stream) = poll(&e, 0, &input);
    assert!(matches!(v, Verdict::Pass { .. }), "{v:?}");
    assert_eq!(stream, Some(1));
    // A step after it waits for a newer stream: stream 1 again does not count.
    let (v, _) = poll(&e, 1, &input);
    assert_eq!(v, Verdict::Pending);
    let (v, stream) = poll(&e, 1, &request_frames(&GET, None, 3));
    assert!(matches!(v, Verdict::Pass { .. }));
    assert_eq!(stream, Some(3));
}

#[test]
fn a_post_ends_on_its_last_data_and_its_body_is_compared() {
    let post = [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1:1"), (":path", "/p"), ("content-length", "5")];
    let input = request_frames(&post, Some(b"hello"), 1);
    let (v, _) = poll(&expect("{body: hello, ends_with: end-stream-on-data, well_formed: true}"), 0, &input);
    assert!(matches!(v, Verdict::Pass { .. }), "{v:?}");
    let (v, _) = poll(&expect("{ends_with: end-stream-on-headers}"), 0, &input);
    assert!(matches!(&v, Verdict::Fail(w) if w.contains("request end: expected end-stream-on-headers, saw end-stream-on-data")), "{v:?}");
    let (v, _) = poll(&expect("{body: hellO}"), 0, &input);
    assert!(matches!(v, Verdict::Fail(_)));
}

#[test]
fn a_content_length_the_data_disagrees_with_fails_any_request_read() {
    // RFC 9113 §8.1.1: malformed whether or not the case asks for `well_formed`.
    let post = [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1:1"), (":path", "/p"), ("content-length", "7")];
    let input = request_frames(&post, Some(b"hello"), 1);
    for e in ["{}", "{body: hello}", "{well_formed: true}"] {
        let (v, _) = poll(&expect(e), 0, &input);
        assert!(matches!(&v, Verdict::Fail(w) if w.contains("content-length \"7\" with a body of 5 bytes")), "{e}: {v:?}");
    }
    let equal = [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1:1"), (":path", "/p"), ("content-length", "5, 5")];
    let (v, _) = poll(&expect("{}"), 0, &request_frames(&equal, Some(b"hello"), 1));
    assert!(matches!(v, Verdict::Pass { .. }), "{v:?}");
}

#[test]
fn request_body_past_the_cap_is_counted_not_kept() {
    let post = [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1:1"), (":path", "/p"), ("content-length", "5")];
    let input = request_frames(&post, Some(b"hello"), 1);
    let e = expect("{body: hello, well_formed: true}");
    let matcher = RequestMatcher { max_body_kept: 3, ..RequestMatcher::new(&e, 0, &subs(), false).unwrap() };
    let mut c = H2Check::new(Reader::default(), Box::new(matcher));
    // content-length is checked against every byte received; the body check sees 3 kept.
    match c.poll(&input, false) {
        Verdict::Fail(w) => {
            assert!(w.contains("\"hel\" (5 B, 3 of them kept for checks"), "{w}");
            assert!(!w.contains("content-length"), "{w}");
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn malformed_requests_are_named() {
    let bad =
        [(":method", "GET"), ("host", "other:1"), (":path", "/p"), (":authority", "127.0.0.1:1"), ("connection", "close"), ("te", "gzip")];
    let (v, _) = poll(&expect("{well_formed: true}"), 0, &request_frames(&bad, None, 1));
    let Verdict::Fail(why) = v else { panic!("{v:?}") };
    for part in ["after a regular field", "0 :scheme", "connection-specific field connection", "te: \"gzip\"", "differs from :authority"] {
        assert!(why.contains(part), "{part}: {why}");
    }
    // Without `well_formed`, only what the case names is checked.
    let (v, _) = poll(&expect("{method: GET}"), 0, &request_frames(&bad, None, 1));
    assert!(matches!(v, Verdict::Pass { .. }));
}

#[test]
fn the_client_preface_is_checked_before_its_settings() {
    let mut input = wire::PREFACE.to_vec();
    input.extend(Frame::new(kind::SETTINGS, 0, 0, Payload::Settings(Default::default())).encode());
    let mut c = ClientPrefaceCheck::new(Reader::default());
    assert_eq!(c.poll(&input[..10], false), Verdict::Pending);
    let Verdict::Pass { consumed, .. } = c.poll(&input, false) else { panic!() };
    assert_eq!(consumed, input.len());
    let reader = c.frames.passed.take().unwrap();
    assert_eq!(reader.replies.len(), 1, "the SETTINGS are acknowledged");
    let mut c = ClientPrefaceCheck::new(Reader::default());
    assert!(matches!(c.poll(b"GET / HTTP/1.1\r\n", false), Verdict::Fail(w) if w.contains("HTTP/1.x request")));
    let mut wrong = wire::PREFACE.to_vec();
    wrong.extend(Frame::new(kind::PING, 0, 0, Payload::Ping(wire::ping::Ping { data: vec![0; 8] })).encode());
    let mut c = ClientPrefaceCheck::new(Reader::default());
    assert!(matches!(c.poll(&wrong, false), Verdict::Fail(w) if w.contains("must be SETTINGS")));
}
