//! Unit tests of the HTTP/2 reader, matchers and client.

use super::*;

use crate::case::h2::{H2ResponseExpect, NameOrNumber, StreamEnd};
use crate::case::OneOrMany;
use crate::wire::h2::hpack::{self, Decoder};
use crate::wire::h2::{self as wire, flag, kind, settings, Frame, Payload};

use super::super::encode::*;
use super::super::errors::{ConnectionErrorMatcher, StreamErrorMatcher};
use super::super::reader::*;
use super::super::DEFAULT_PING;
use crate::run::check::{Check, Verdict};

fn frame(k: u8, flags: u8, stream: u32, payload: Payload) -> Vec<u8> {
    Frame::new(k, flags, stream, payload).encode()
}

fn headers(stream: u32, flags: u8, fields: &[(&str, &str)]) -> Vec<u8> {
    let list: Vec<(String, String)> = fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    let fragment = hpack::encode(&hpack::reps_for(&list, true));
    frame(kind::HEADERS, flags, stream, Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment }))
}

fn data(stream: u32, flags: u8, d: &[u8]) -> Vec<u8> {
    frame(kind::DATA, flags, stream, Payload::Data(wire::data::Data { data: d.to_vec(), padding: None }))
}

fn response(stream: u32) -> ResponseMatcher {
    ResponseMatcher::new(&H2ResponseExpect { stream: Some(stream), status: Some(OneOrMany::One(200)), ..Default::default() }, stream)
        .unwrap()
}

#[test]
fn a_graceful_goaway_that_keeps_the_stream_does_not_fail_its_response() {
    let goaway =
        |last, code| frame(kind::GOAWAY, 0, 0, Payload::Goaway(wire::goaway::Goaway { last_stream_id: last, code, debug: vec![] }));
    let mut input = goaway(1, 0);
    input.extend(headers(1, flag::END_HEADERS, &[(":status", "200")]));
    input.extend(data(1, flag::END_STREAM, b"ok"));
    assert!(matches!(H2Check::new(Reader::default(), Box::new(response(1))).poll(&input, false), Verdict::Pass { .. }));
    // One that leaves the stream out, or carries an error, still fails the wait.
    for (last, code) in [(0, 0), (1, 1)] {
        let mut input = goaway(last, code);
        input.extend(headers(1, flag::END_HEADERS, &[(":status", "200")]));
        assert!(matches!(H2Check::new(Reader::default(), Box::new(response(1))).poll(&input, false), Verdict::Fail(_)));
    }
}

#[test]
fn interleaved_streams_are_read_one_after_the_other() {
    let mut input = vec![];
    input.extend(frame(kind::SETTINGS, 0, 0, Payload::Settings(Default::default())));
    input.extend(headers(3, flag::END_HEADERS, &[(":status", "200")]));
    input.extend(headers(1, flag::END_HEADERS, &[(":status", "200")]));
    input.extend(data(3, 0, b"ab"));
    input.extend(data(1, flag::END_STREAM, b"one"));
    input.extend(data(3, flag::END_STREAM, b"cd"));
    // Stream 1 first: stream 3's frames are set aside.
    let mut c1 = H2Check::new(Reader::default(), Box::new(response(1)));
    for cut in 0..input.len() {
        assert!(!matches!(c1.poll(&input[..cut], false), Verdict::Pass { .. }) || cut >= input.len() - 13);
    }
    let Verdict::Pass { consumed, .. } = c1.poll(&input, false) else { panic!() };
    let reader = c1.passed.take().unwrap();
    assert_eq!(reader.backlog.len(), 2);
    assert_eq!(reader.replies.len(), 1, "SETTINGS are acknowledged");
    let rest = &input[consumed..];
    let mut c3 = H2Check::new(reader, Box::new(response(3)));
    assert!(matches!(c3.poll(rest, false), Verdict::Pass { .. }));
}

#[test]
fn polling_byte_by_byte_gives_the_same_verdict_and_units_as_polling_once() {
    let mut input = frame(kind::SETTINGS, 0, 0, Payload::Settings(Default::default()));
    input.extend(headers(3, flag::END_HEADERS, &[(":status", "200")]));
    input.extend(headers(1, flag::END_HEADERS, &[(":status", "200"), ("x-a", "b")]));
    input.extend(data(3, flag::END_STREAM, b"three"));
    input.extend(data(1, 0, b"o"));
    input.extend(data(1, flag::END_STREAM, b"ne"));
    let mut whole = H2Check::new(Reader::default(), Box::new(response(1)));
    let once = whole.poll(&input, false);
    let mut step = H2Check::new(Reader::default(), Box::new(response(1)));
    let mut last = Verdict::Pending;
    for end in 0..=input.len() {
        last = step.poll(&input[..end], false);
        if end < input.len() {
            assert_eq!(last, Verdict::Pending, "at {end}");
        }
    }
    assert_eq!(last, once);
    assert!(matches!(once, Verdict::Pass { consumed, .. } if consumed == input.len()));
    assert_eq!(step.passed.unwrap().backlog.len(), 2);
}

#[test]
fn releasing_read_frames_while_pending_gives_the_same_verdict_and_counts_the_body() {
    let mut input = headers(1, flag::END_HEADERS, &[(":status", "200")]);
    for _ in 0..200 {
        input.extend(data(1, 0, &[b'x'; 100]));
    }
    input.extend(data(1, flag::END_STREAM, b"end"));
    let expect = H2ResponseExpect { stream: Some(1), body_length: Some(20_003), ..Default::default() };
    let matcher = ResponseMatcher { max_body_kept: 1000, ..ResponseMatcher::new(&expect, 1).unwrap() };
    let mut check = H2Check::new(Reader::default(), Box::new(matcher));
    let (mut buf, mut released, mut fed) = (Vec::new(), 0, 0);
    let verdict = loop {
        let next = (fed + 333).min(input.len());
        buf.extend_from_slice(&input[fed..next]);
        fed = next;
        match check.poll(&buf, false) {
            Verdict::Pending => {}
            v => break v,
        }
        if let Some(r) = check.release() {
            assert!(r.units.iter().all(|u| u.offset + u.len <= r.len), "units lie in the released bytes");
            released += r.len;
            buf.drain(..r.len);
        }
    };
    assert!(matches!(verdict, Verdict::Pass { consumed, .. } if consumed + released == input.len()), "{verdict:?}");
    assert!(released > input.len() / 2, "{released}");
    // The same body with `body` expected: only 1000 bytes were kept, and the failure says so.
    let expect = H2ResponseExpect { stream: Some(1), body: Some(crate::case::BytesSpec::Text("y".into())), ..Default::default() };
    let matcher = ResponseMatcher { max_body_kept: 1000, ..ResponseMatcher::new(&expect, 1).unwrap() };
    let mut check = H2Check::new(Reader::default(), Box::new(matcher));
    let Verdict::Fail(why) = check.poll(&input, false) else { panic!("the body differs") };
    assert!(why.contains("(20003 B, 1000 of them kept for checks (--max-body-kept)"), "{why}");
}

#[test]
fn a_stream_ended_by_rst_stream_is_checked_for_its_code() {
    let mut input = headers(1, flag::END_HEADERS, &[(":status", "200")]);
    input.extend(frame(kind::RST_STREAM, 0, 1, Payload::RstStream(wire::rst_stream::RstStream { code: 8 })));
    let expect = |codes: &str| H2ResponseExpect {
        ends_with: Some(OneOrMany::One(StreamEnd::RstStream)),
        rst_error: Some(OneOrMany::One(NameOrNumber::Name(codes.into()))),
        ..Default::default()
    };
    let mut c = H2Check::new(Reader::default(), Box::new(ResponseMatcher::new(&expect("CANCEL"), 1).unwrap()));
    assert!(matches!(c.poll(&input, false), Verdict::Pass { .. }));
    let mut c = H2Check::new(Reader::default(), Box::new(ResponseMatcher::new(&expect("PROTOCOL_ERROR"), 1).unwrap()));
    assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("RST_STREAM error: expected PROTOCOL_ERROR, saw CANCEL")));
    // Without `ends_with`, a reset stream fails.
    let mut c = H2Check::new(Reader::default(), Box::new(response(1)));
    assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("RST_STREAM CANCEL")));
}

#[test]
fn data_beyond_the_flow_control_window_fails() {
    let mut input = headers(1, flag::END_HEADERS, &[(":status", "200")]);
    input.extend(data(1, 0, &[b'x'; 16_000]));
    input.extend(data(1, flag::END_STREAM, &[b'x'; 16_000]));
    let mut reader = Reader::default();
    reader.flow.initial_max = 20_000;
    let mut c = H2Check::new(reader.clone(), Box::new(response(1)));
    assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("32000 bytes of DATA on stream 1, more than the 20000")));
    reader.flow.stream_increments.insert(1, 12_000);
    let mut c = H2Check::new(reader.clone(), Box::new(response(1)));
    assert!(matches!(c.poll(&input, false), Verdict::Pass { .. }));
    reader.flow.connection_allowed = 30_000;
    let mut c = H2Check::new(reader, Box::new(response(1)));
    assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("on the connection")));
}

#[test]
fn ping_barrier_fails_on_frames_of_a_quiet_stream() {
    let mut input = data(1, 0, b"late");
    input.extend(frame(kind::PING, flag::ACK, 0, Payload::Ping(wire::ping::Ping { data: DEFAULT_PING.to_vec() })));
    let m = PingAckMatcher { data: DEFAULT_PING.to_vec(), quiet: vec![1] };
    let mut c = H2Check::new(Reader::default(), Box::new(m.clone()));
    assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("quiet")));
    let ack = frame(kind::PING, flag::ACK, 0, Payload::Ping(wire::ping::Ping { data: DEFAULT_PING.to_vec() }));
    let mut c = H2Check::new(Reader::default(), Box::new(m));
    assert!(matches!(c.poll(&ack, false), Verdict::Pass { .. }));
}

fn conn_error(yaml: &str, barrier: Option<Vec<u8>>) -> H2Check {
    let e: crate::case::h2::ConnectionErrorExpect = serde_norway::from_str(yaml).unwrap();
    H2Check::new(Reader::default(), Box::new(ConnectionErrorMatcher::new(&e, barrier).unwrap()))
}

#[test]
fn connection_error_passes_on_an_allowed_goaway_and_says_which() {
    let goaway = |code| frame(kind::GOAWAY, 0, 0, Payload::Goaway(wire::goaway::Goaway { last_stream_id: 0, code, debug: vec![] }));
    // The GOAWAY decides; the close is §5.4.1's own case (`close: true`).
    let mut c = conn_error("FRAME_SIZE_ERROR", None);
    match c.poll(&goaway(1), false) {
        Verdict::Pass { units, .. } => assert!(units.last().unwrap().unit.contains("a generic code in place of FRAME_SIZE_ERROR")),
        v => panic!("{v:?}"),
    }
    assert!(matches!(conn_error("FRAME_SIZE_ERROR", None).poll(&goaway(6), false), Verdict::Pass { .. }));
    assert!(matches!(conn_error("FRAME_SIZE_ERROR", None).poll(&goaway(2), false), Verdict::Pass { .. }));
    assert!(matches!(conn_error("FRAME_SIZE_ERROR", None).poll(&goaway(5), false), Verdict::Fail(_)));
    // exact: only the named code.
    assert!(matches!(conn_error("{ error: FRAME_SIZE_ERROR, exact: true }", None).poll(&goaway(1), false), Verdict::Fail(_)));
    // close: the GOAWAY, then the TCP close; the timeout says what arrived and what is awaited.
    let mut c = conn_error("{ error: PROTOCOL_ERROR, close: true }", None);
    assert_eq!(c.poll(&goaway(1), false), Verdict::Pending);
    match c.on_deadline(&goaway(1)) {
        Verdict::Fail(why) => assert!(why.contains("GOAWAY") && why.contains("still waiting for the TCP close"), "{why}"),
        v => panic!("{v:?}"),
    }
    let mut c = conn_error("{ error: PROTOCOL_ERROR, close: true }", None);
    assert!(matches!(c.poll(&goaway(1), true), Verdict::Pass { .. }));
    // The close without GOAWAY meets the MUST.
    assert!(matches!(conn_error("PROTOCOL_ERROR", None).poll(b"", true), Verdict::Pass { .. }));
    // A PING ACK for the barrier before any GOAWAY: the error was let pass.
    let ack = frame(kind::PING, flag::ACK, 0, Payload::Ping(wire::ping::Ping { data: DEFAULT_PING.to_vec() }));
    let mut c = conn_error("PROTOCOL_ERROR", Some(DEFAULT_PING.to_vec()));
    assert_eq!(c.poll(&ack, false), Verdict::Pending);
    assert_eq!(c.settles_after(), Some(BARRIER_GRACE));
    assert!(matches!(c.on_deadline(&ack), Verdict::Fail(w) if w.contains("let the error pass")));
    // A GOAWAY right behind the ACK (RFC 9113 §6.7 lets PING go first) is the error.
    let mut input = ack.clone();
    input.extend(goaway(1));
    assert!(matches!(c.poll(&input, false), Verdict::Pass { .. }));
    // Nothing yet: the timeout names the error awaited.
    match conn_error("PROTOCOL_ERROR", None).on_deadline(b"") {
        Verdict::Fail(why) => assert!(why.contains("timed out waiting for a connection error PROTOCOL_ERROR"), "{why}"),
        v => panic!("{v:?}"),
    }
}

#[test]
fn stream_error_accepts_generic_codes_and_connection_errors() {
    let rst = |code| frame(kind::RST_STREAM, 0, 1, Payload::RstStream(wire::rst_stream::RstStream { code }));
    let goaway = |code| frame(kind::GOAWAY, 0, 0, Payload::Goaway(wire::goaway::Goaway { last_stream_id: 0, code, debug: vec![] }));
    let check = |yaml: &str| {
        let e: crate::case::h2::StreamErrorExpect = serde_norway::from_str(yaml).unwrap();
        H2Check::new(Reader::default(), Box::new(StreamErrorMatcher::new(&e, 1, None, &[]).unwrap()))
    };
    let note = |v: Verdict| match v {
        Verdict::Pass { units, .. } => units.last().unwrap().unit.clone(),
        v => panic!("{v:?}"),
    };
    assert!(note(check("{ error: STREAM_CLOSED }").poll(&rst(5), false)).contains("a stream error (RST_STREAM) with STREAM_CLOSED"));
    assert!(note(check("{ error: STREAM_CLOSED }").poll(&rst(1), false)).contains("generic code in place of STREAM_CLOSED"));
    assert!(note(check("{ error: STREAM_CLOSED }").poll(&goaway(5), false)).contains("a connection error (GOAWAY)"));
    assert!(matches!(check("{ error: STREAM_CLOSED }").poll(&rst(8), false), Verdict::Fail(_)));
    assert!(matches!(check("{ error: STREAM_CLOSED, exact: true }").poll(&rst(1), false), Verdict::Fail(_)));
    assert!(matches!(check("{ error: STREAM_CLOSED }").poll(b"", true), Verdict::Pass { .. }));
}

#[test]
fn an_oversize_frame_is_one_octet_over_the_peers_limit_and_otherwise_valid() {
    let spec = |k: &str| crate::case::h2::OversizeSpec { kind: NameOrNumber::Name(k.into()), stream: 1 };
    for max in [16_384u32, 20_000, 1 << 20] {
        for k in ["DATA", "HEADERS"] {
            let bytes = oversize_frame(&spec(k), max).unwrap().bytes;
            assert_eq!(bytes.len(), 9 + max as usize + 1, "{k} {max}");
            // Over the limit for the peer, and a well-formed frame one octet larger.
            assert!(wire::decode_frame(&bytes, max, 0).is_err());
            let (f, _) = wire::decode_frame(&bytes, max + 1, 0).unwrap().unwrap();
            if let Payload::Headers(h) = &f.payload {
                let fields = Decoder::default().decode(&h.fragment).unwrap();
                assert_eq!(fields[0], (b":status".to_vec(), b"200".to_vec()));
                assert!(f.header.has(flag::END_HEADERS));
            }
        }
    }
    assert!(oversize_frame(&spec("PING"), 16_384).is_err());
    assert!(oversize_frame(&spec("DATA"), (1 << 24) - 1).is_err());
}

#[test]
fn the_peers_max_frame_size_is_read_from_its_settings() {
    let mut r = Reader::default();
    let settings = Payload::Settings(wire::settings::Settings { params: vec![(settings::MAX_FRAME_SIZE, 32_768)], trailing: vec![] });
    let input = frame(kind::SETTINGS, 0, 0, settings);
    let (mut pos, mut units) = (0, vec![]);
    r.next(&input, &mut pos, &mut units).unwrap().unwrap();
    assert_eq!(r.peer_max_frame_size, Some(32_768));
}

#[test]
fn continuation_blocks_are_joined_and_decoded_once() {
    let list = vec![(":status".to_string(), "200".to_string()), ("x-a".to_string(), "b".to_string())];
    let block = hpack::encode(&hpack::reps_for(&list, false));
    let (a, b) = block.split_at(2);
    let mut input =
        frame(kind::HEADERS, 0, 1, Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment: a.to_vec() }));
    input.extend(frame(
        kind::CONTINUATION,
        flag::END_HEADERS,
        1,
        Payload::Continuation(wire::continuation::Continuation { fragment: b.to_vec() }),
    ));
    input.extend(data(1, flag::END_STREAM, b""));
    let e = H2ResponseExpect { headers: [("x-a".to_string(), "b".to_string())].into_iter().collect(), ..Default::default() };
    let mut c = H2Check::new(Reader::default(), Box::new(ResponseMatcher::new(&e, 1).unwrap()));
    assert!(matches!(c.poll(&input, false), Verdict::Pass { .. }), "{:?}", c.poll(&input, false));
}
