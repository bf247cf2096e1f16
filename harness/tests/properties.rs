//! Property tests for the sans-I/O codecs: decode(encode(x)) == x where an encoder exists, and
//! the same result whatever byte boundary the input is split at. Case counts are bounded so
//! `cargo test` stays fast; the fuzz targets in `harness/fuzz` explore arbitrary bytes.

use peerspec::wire::h2::hpack::{self, Decoder, Indexing, Name, Rep, STATIC_TABLE};
use peerspec::wire::h2::{self, decode_frame, flag, kind, Frame, Padding, Payload, PriorityFields};
use peerspec::wire::http1::chunked::{encode_chunk, last_chunk, ChunkEvent, ChunkedDecoder};
use peerspec::wire::http1::request::{OutgoingBody, Request};
use peerspec::wire::http1::response::{Limits, Progress, ResponseReader};
use peerspec::wire::http1::server::{RequestReader, Response};
use peerspec::wire::sse::SseParser;
use peerspec::wire::ws::frame::{FrameOut, LengthForm};
use peerspec::wire::ws::message::FrameReader;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------- strategies

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=max)
}

fn field_name() -> impl Strategy<Value = String> {
    "x-[a-z0-9-]{1,12}"
}

/// A field value with no leading or trailing whitespace (which HTTP/1 parsers strip).
fn field_value() -> impl Strategy<Value = String> {
    "([!-~]([ !-~]{0,20}[!-~])?)?"
}

fn fields(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((field_name(), field_value()), 0..=max)
}

fn chunks() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..=40), 0..=5)
}

/// A body and the framing header it needs.
fn body() -> impl Strategy<Value = (OutgoingBody, Vec<(String, String)>, Vec<u8>)> {
    prop_oneof![
        bytes(100).prop_map(|b| {
            let header = vec![("Content-Length".to_string(), b.len().to_string())];
            (OutgoingBody::Full(b.clone()), header, b)
        }),
        (chunks(), fields(3)).prop_map(|(chunks, trailers)| {
            let header = vec![("Transfer-Encoding".to_string(), "chunked".to_string())];
            let all = chunks.concat();
            (OutgoingBody::Chunked { chunks, trailers, last_chunk: true }, header, all)
        }),
    ]
}

/// Cut points: every byte boundary of a short input, a sample of a longer one.
fn cuts(len: usize) -> Vec<usize> {
    if len <= 400 {
        (0..=len).collect()
    } else {
        (0..=len).step_by(len / 200).chain([len]).collect()
    }
}

// ---------------------------------------------------------------- chunked coding

/// Body bytes, non-data events, bytes consumed and whether the body ended, feeding `input`
/// in pieces split at `cut` (as reads from a socket would deliver it).
fn decode_chunked(input: &[u8], cut: usize) -> (Vec<u8>, Vec<ChunkEvent>, usize, bool) {
    let mut dec = ChunkedDecoder::new();
    let (mut body, mut events, mut consumed) = (vec![], vec![], 0);
    let mut buf = vec![];
    for piece in [&input[..cut], &input[cut..]] {
        buf.extend_from_slice(piece);
        let snapshot = buf.clone();
        let used = dec
            .decode(&snapshot, |ev| match ev {
                ChunkEvent::Data { offset, len } => body.extend_from_slice(&snapshot[offset..offset + len]),
                other => events.push(other),
            })
            .expect("an encoded chunked body decodes");
        consumed += used;
        buf.drain(..used);
    }
    (body, events, consumed, dec.is_done())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn chunked_round_trip_split_anywhere(chunks in chunks(), trailers in fields(3), extra in bytes(8)) {
        let mut wire = vec![];
        for c in &chunks {
            encode_chunk(c, &mut wire);
        }
        last_chunk(trailers.iter().map(|(n, v)| (n.as_str(), v.as_str())), &mut wire);
        let end = wire.len();
        wire.extend_from_slice(&extra);
        let whole = decode_chunked(&wire, wire.len());
        prop_assert_eq!(&whole.0, &chunks.concat());
        prop_assert_eq!(whole.2, end, "bytes after the body are left unread");
        prop_assert!(whole.3);
        let sizes: Vec<u64> = whole.1.iter().filter_map(|e| match e { ChunkEvent::Size { size, .. } => Some(*size), _ => None }).collect();
        let mut expected: Vec<u64> = chunks.iter().map(|c| c.len() as u64).collect();
        expected.push(0);
        prop_assert_eq!(sizes, expected);
        let got: Vec<(String, Vec<u8>)> = whole.1.iter().filter_map(|e| match e { ChunkEvent::Trailer { name, value } => Some((name.clone(), value.clone())), _ => None }).collect();
        let want: Vec<(String, Vec<u8>)> = trailers.iter().map(|(n, v)| (n.clone(), v.clone().into_bytes())).collect();
        prop_assert_eq!(got, want);
        for cut in cuts(wire.len()) {
            prop_assert_eq!(&decode_chunked(&wire, cut), &whole, "cut at {}", cut);
        }
    }

    /// Arbitrary bytes: the split never changes the outcome (error or not).
    #[test]
    fn chunked_arbitrary_bytes_split_anywhere(input in bytes(64), cut in any::<prop::sample::Index>()) {
        let run = |cut: usize| {
            let mut dec = ChunkedDecoder::new();
            let (mut body, mut events, mut buf) = (vec![], vec![], vec![]);
            for piece in [&input[..cut], &input[cut..]] {
                buf.extend_from_slice(piece);
                let snapshot = buf.clone();
                match dec.decode(&snapshot, |ev| match ev {
                    ChunkEvent::Data { offset, len } => body.extend_from_slice(&snapshot[offset..offset + len]),
                    other => events.push(other),
                }) {
                    Ok(used) => { buf.drain(..used); }
                    Err(e) => return (body, events, Some((e.offset, e.unit))),
                }
            }
            (body, events, None)
        };
        prop_assert_eq!(run(input.len()), run(cut.index(input.len() + 1)));
    }
}

// ---------------------------------------------------------------- HTTP/1 messages

/// The record, `bytes_after` left out: it counts what had arrived past the end, which depends on
/// how the input was split.
fn record_without_bytes_after(r: &ResponseReader) -> String {
    let mut record = r.record().clone();
    record.bytes_after = 0;
    format!("{record:?}")
}

fn read_response(wire: &[u8], cut: usize, method: &str) -> (Progress, String) {
    let mut r = ResponseReader::new(method, Limits::default());
    let first = r.advance(&wire[..cut], false);
    if first != Progress::NeedMore {
        return (first, format!("{:?}", r.record()));
    }
    let p = r.advance(wire, false);
    (p, format!("{:?}", r.record()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn response_round_trip_split_anywhere(
        status in 200u16..600,
        reason in "[A-Za-z]{1,10}( [A-Za-z]{1,10})?",
        headers in fields(4),
        (body, framing, content) in body(),
    ) {
        prop_assume!(status != 204 && status != 304);
        let trailers = match &body { OutgoingBody::Chunked { trailers, .. } => trailers.clone(), _ => vec![] };
        let all_headers: Vec<(String, String)> = headers.iter().cloned().chain(framing).collect();
        let response = Response { version: "HTTP/1.1".into(), status, reason: reason.clone(), headers: all_headers.clone(), body };
        let wire = response.encode();
        let mut r = ResponseReader::new("GET", Limits::default());
        prop_assert_eq!(r.advance(&wire, false), Progress::Done { consumed: wire.len() });
        let rec = r.record();
        prop_assert_eq!(rec.status, status);
        prop_assert_eq!(&rec.reason, &reason);
        prop_assert_eq!(&rec.version, "HTTP/1.1");
        let got: Vec<(String, String)> = rec.headers.iter().map(|(n, v)| (n.clone(), String::from_utf8(v.clone()).unwrap())).collect();
        prop_assert_eq!(got, all_headers);
        prop_assert_eq!(&rec.body.bytes, &content);
        let got: Vec<(String, String)> = rec.body.trailers.iter().map(|(n, v)| (n.clone(), String::from_utf8(v.clone()).unwrap())).collect();
        prop_assert_eq!(got, trailers);
        let whole = (Progress::Done { consumed: wire.len() }, format!("{:?}", r.record()));
        for cut in cuts(wire.len()) {
            prop_assert_eq!(&read_response(&wire, cut, "GET"), &whole, "cut at {}", cut);
        }
    }

    /// Arbitrary bytes after a valid head prefix: feeding in two pieces (then EOF) never changes
    /// the outcome.
    #[test]
    fn response_arbitrary_body_split_anywhere(tail in bytes(80), cut in any::<prop::sample::Index>(), head in any::<bool>()) {
        let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        wire.extend_from_slice(&tail);
        let method = if head { "HEAD" } else { "GET" };
        let run = |cut: Option<usize>| {
            let mut r = ResponseReader::new(method, Limits::default());
            if let Some(cut) = cut {
                let p = r.advance(&wire[..cut], false);
                if p != Progress::NeedMore {
                    return (p, record_without_bytes_after(&r));
                }
            }
            let p = r.advance(&wire, true);
            (p, record_without_bytes_after(&r))
        };
        let whole = run(None);
        let split = run(Some(cut.index(wire.len() + 1)));
        match (&whole.0, &split.0) {
            (Progress::Invalid(a), Progress::Invalid(b)) => prop_assert_eq!((a.offset, a.unit), (b.offset, b.unit)),
            _ => prop_assert_eq!(whole, split),
        }
    }

    #[test]
    fn request_round_trip_split_anywhere(
        method in "[A-Z]{1,7}",
        target in "/[a-z0-9/._~-]{0,20}",
        headers in fields(4),
        (body, framing, content) in body(),
    ) {
        let all_headers: Vec<(String, String)> =
            std::iter::once(("Host".to_string(), "example.test".to_string())).chain(headers).chain(framing).collect();
        let request = Request { method: method.clone(), target: target.clone(), version: "HTTP/1.1".into(), headers: all_headers.clone(), body };
        let wire = request.encode();
        for cut in cuts(wire.len()) {
            let mut r = RequestReader::new(Limits::default());
            let first = r.advance(&wire[..cut], false);
            let p = if first == Progress::NeedMore { r.advance(&wire, false) } else { first };
            prop_assert_eq!(p, Progress::Done { consumed: wire.len() }, "cut at {}", cut);
            let rec = r.record();
            prop_assert_eq!(&rec.method, &method);
            prop_assert_eq!(&rec.target, &target);
            let got: Vec<(String, String)> = rec.headers.iter().map(|(n, v)| (n.clone(), String::from_utf8(v.clone()).unwrap())).collect();
            prop_assert_eq!(&got, &all_headers);
            prop_assert_eq!(&rec.body.bytes, &content);
        }
    }
}

// ---------------------------------------------------------------- HTTP/2 frames

fn padding() -> impl Strategy<Value = Option<Padding>> {
    proptest::option::of(bytes(20).prop_map(|b| Padding { len: b.len() as u8, bytes: b }))
}

fn priority_fields() -> impl Strategy<Value = PriorityFields> {
    (any::<bool>(), 0u32..=0x7fff_ffff, any::<u8>()).prop_map(|(exclusive, dependency, weight)| PriorityFields {
        exclusive,
        dependency,
        weight,
    })
}

/// A well-formed frame of any type, flags consistent with its payload.
fn frame() -> impl Strategy<Value = Frame> {
    use h2::{continuation, data, goaway, headers, ping, priority, push_promise, rst_stream, settings, unknown, window_update};
    let sid = 0u32..=0x7fff_ffff;
    let padded = |p: &Option<Padding>| if p.is_some() { flag::PADDED } else { 0 };
    prop_oneof![
        (sid.clone(), bytes(60), padding(), any::<bool>()).prop_map(move |(s, d, p, end)| {
            let f = padded(&p) | if end { flag::END_STREAM } else { 0 };
            Frame::new(kind::DATA, f, s, Payload::Data(data::Data { data: d, padding: p }))
        }),
        (sid.clone(), bytes(60), padding(), proptest::option::of(priority_fields())).prop_map(move |(s, frag, p, pr)| {
            let f = padded(&p) | flag::END_HEADERS | if pr.is_some() { flag::PRIORITY } else { 0 };
            Frame::new(kind::HEADERS, f, s, Payload::Headers(headers::Headers { padding: p, priority: pr, fragment: frag }))
        }),
        (sid.clone(), priority_fields()).prop_map(|(s, fields)| Frame::new(
            kind::PRIORITY,
            0,
            s,
            Payload::Priority(priority::Priority { fields })
        )),
        (sid.clone(), any::<u32>()).prop_map(|(s, code)| Frame::new(
            kind::RST_STREAM,
            0,
            s,
            Payload::RstStream(rst_stream::RstStream { code })
        )),
        proptest::collection::vec(any::<(u16, u32)>(), 0..5).prop_map(|params| Frame::new(
            kind::SETTINGS,
            0,
            0,
            Payload::Settings(settings::Settings { params, trailing: vec![] })
        )),
        (sid.clone(), padding(), any::<bool>(), 0u32..=0x7fff_ffff, bytes(40)).prop_map(move |(s, p, reserved, promised_id, fragment)| {
            Frame::new(
                kind::PUSH_PROMISE,
                padded(&p) | flag::END_HEADERS,
                s,
                Payload::PushPromise(push_promise::PushPromise { padding: p, reserved, promised_id, fragment }),
            )
        }),
        (proptest::array::uniform8(any::<u8>()), any::<bool>()).prop_map(|(d, ack)| Frame::new(
            kind::PING,
            if ack { flag::ACK } else { 0 },
            0,
            Payload::Ping(ping::Ping { data: d.to_vec() })
        )),
        (0u32..=0x7fff_ffff, any::<u32>(), bytes(30)).prop_map(|(last_stream_id, code, debug)| Frame::new(
            kind::GOAWAY,
            0,
            0,
            Payload::Goaway(goaway::Goaway { last_stream_id, code, debug })
        )),
        // The decoder drops the reserved bit (RFC 9113 §6.9), so only 31-bit increments round-trip.
        (sid.clone(), 0u32..=0x7fff_ffff).prop_map(|(s, increment)| Frame::new(
            kind::WINDOW_UPDATE,
            0,
            s,
            Payload::WindowUpdate(window_update::WindowUpdate { increment })
        )),
        (sid.clone(), bytes(40)).prop_map(|(s, fragment)| Frame::new(
            kind::CONTINUATION,
            flag::END_HEADERS,
            s,
            Payload::Continuation(continuation::Continuation { fragment })
        )),
        (sid, 0x0au8..=0xff, any::<u8>(), bytes(40)).prop_map(|(s, k, f, payload)| Frame::new(
            k,
            f,
            s,
            Payload::Unknown(unknown::Unknown { payload })
        )),
    ]
}

/// Frames read from `wire` delivered in two pieces split at `cut`.
fn read_frames(wire: &[u8], cut: usize) -> Vec<Frame> {
    let (mut frames, mut buf, mut base) = (vec![], vec![], 0);
    for piece in [&wire[..cut], &wire[cut..]] {
        buf.extend_from_slice(piece);
        while let Some((frame, used)) = decode_frame(&buf, h2::DEFAULT_MAX_FRAME_SIZE, base).expect("encoded frames decode") {
            buf.drain(..used);
            base += used;
            frames.push(frame);
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    frames
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn h2_frames_round_trip_split_anywhere(frames in proptest::collection::vec(frame(), 1..4)) {
        let wire: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        for cut in cuts(wire.len()) {
            prop_assert_eq!(&read_frames(&wire, cut), &frames, "cut at {}", cut);
        }
    }
}

// ---------------------------------------------------------------- HPACK

fn rep() -> impl Strategy<Value = Rep> {
    let indexing = prop_oneof![Just(Indexing::Incremental), Just(Indexing::Without), Just(Indexing::Never)];
    prop_oneof![
        (1u32..=61).prop_map(Rep::Indexed),
        (1u32..=61, bytes(30), any::<bool>(), indexing.clone()).prop_map(|(i, value, huffman, indexing)| Rep::Literal {
            name: Name::Index(i),
            value,
            huffman,
            indexing
        }),
        (bytes(20), any::<bool>(), bytes(30), any::<bool>(), indexing).prop_map(|(name, nh, value, huffman, indexing)| Rep::Literal {
            name: Name::Literal { name, huffman: nh },
            value,
            huffman,
            indexing
        }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn hpack_round_trip(size_update in proptest::option::of(0u32..=4096), reps in proptest::collection::vec(rep(), 0..8)) {
        let expected: Vec<(Vec<u8>, Vec<u8>)> = reps
            .iter()
            .map(|r| match r {
                Rep::Indexed(i) => {
                    let (n, v) = STATIC_TABLE[*i as usize - 1];
                    (n.as_bytes().to_vec(), v.as_bytes().to_vec())
                }
                Rep::Literal { name: Name::Index(i), value, .. } => (STATIC_TABLE[*i as usize - 1].0.as_bytes().to_vec(), value.clone()),
                Rep::Literal { name: Name::Literal { name, .. }, value, .. } => (name.clone(), value.clone()),
                Rep::SizeUpdate(_) => unreachable!(),
            })
            .collect();
        let all: Vec<Rep> = size_update.map(Rep::SizeUpdate).into_iter().chain(reps.iter().cloned()).collect();
        let block = hpack::encode(&all);
        let mut dec = Decoder::default();
        prop_assert_eq!(dec.decode(&block).expect("an encoded block decodes"), expected);
        prop_assert!(dec.size() <= size_update.map_or(4096, |s| s as usize));
    }

    #[test]
    fn huffman_round_trip(input in bytes(100)) {
        let encoded = hpack::huffman::encode(&input);
        prop_assert_eq!(encoded.len(), hpack::huffman::encoded_len(&input));
        prop_assert_eq!(hpack::huffman::decode(&encoded).expect("encoded Huffman decodes"), input);
    }
}

// ---------------------------------------------------------------- WebSocket frames

fn ws_frame() -> impl Strategy<Value = FrameOut> {
    (any::<bool>(), 0u8..8, 0u8..16, proptest::option::of(any::<[u8; 4]>()), 0u8..4, bytes(300)).prop_map(
        |(fin, rsv, opcode, mask, form, payload)| {
            let length_form = match form {
                0 => LengthForm::Minimal,
                1 if payload.len() <= 125 => LengthForm::Bits7,
                1 | 2 => LengthForm::Bits16,
                _ => LengthForm::Bits64,
            };
            FrameOut { fin, rsv, opcode, mask, length_form, declared_len: None, payload }
        },
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn ws_frames_round_trip_split_anywhere(frames in proptest::collection::vec(ws_frame(), 1..4)) {
        let wire: Vec<u8> = frames.iter().flat_map(|f| f.encode().expect("the length fits its form")).collect();
        for cut in cuts(wire.len()) {
            let mut reader = FrameReader::new(1 << 20);
            let mut got = vec![];
            for len in [cut, wire.len()] {
                while let Some(rec) = reader.next(&wire[..len]).expect("encoded frames parse") {
                    got.push(rec);
                }
            }
            prop_assert_eq!(reader.position(), wire.len());
            prop_assert_eq!(got.len(), frames.len());
            for (rec, f) in got.iter().zip(&frames) {
                let h = rec.header;
                prop_assert_eq!((h.fin, h.rsv, h.opcode, h.mask), (f.fin, f.rsv, f.opcode, f.mask));
                prop_assert_eq!(h.len, f.payload.len() as u64);
                prop_assert_eq!(h.minimal_length, matches!(f.length_form, LengthForm::Minimal) || LengthForm::minimal_for(h.len) == f.length_form);
                prop_assert_eq!(&rec.payload, &f.payload);
            }
        }
    }
}

// ---------------------------------------------------------------- Server-Sent Events

/// Event-stream text built from pieces that stress the line rules: every line end, fields with
/// and without a space, comments, a BOM, multibyte characters.
fn sse_stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"event: ".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"retry: ".to_vec()),
        Just(b": comment".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("é€😀".as_bytes().to_vec()),
        Just(b"\0".to_vec()),
        "[a-z0-9 :]{0,8}".prop_map(String::into_bytes),
    ];
    (any::<bool>(), proptest::collection::vec(piece, 0..30)).prop_map(|(bom, pieces)| {
        let mut s = if bom { b"\xEF\xBB\xBF".to_vec() } else { vec![] };
        s.extend(pieces.concat());
        s
    })
}

fn parse_sse(stream: &[u8], cuts: &[usize]) -> String {
    let mut p = SseParser::new();
    let mut out = vec![];
    let mut at = 0;
    for &c in cuts.iter().chain([&stream.len()]) {
        p.feed(&stream[at..c], &mut out);
        at = c;
    }
    format!("{out:?} {} {:?} {:?} {} {}", p.last_event_id, p.retry, p.comments, p.has_undispatched_event(), p.offset())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sse_split_anywhere(stream in sse_stream()) {
        let whole = parse_sse(&stream, &[]);
        for cut in cuts(stream.len()) {
            prop_assert_eq!(&parse_sse(&stream, &[cut]), &whole, "cut at {}", cut);
        }
        // Byte by byte.
        let every: Vec<usize> = (1..stream.len()).collect();
        prop_assert_eq!(parse_sse(&stream, &every), whole);
    }

    #[test]
    fn sse_arbitrary_bytes_split_anywhere(stream in bytes(60)) {
        let whole = parse_sse(&stream, &[]);
        for cut in cuts(stream.len()) {
            prop_assert_eq!(&parse_sse(&stream, &[cut]), &whole, "cut at {}", cut);
        }
    }
}
