//! Unit tests of the WebSocket client role and the shared frame half.

use super::*;
use crate::case::Step;
use crate::run::plan::parse_cases;
use crate::wire::ws::close::encode_close;
use crate::wire::ws::frame::parse_header;
use crate::wire::ws::frame::FrameOut;
use crate::wire::ws::opcode;

fn driver(steps: &[Step]) -> WsClient {
    let subs = Substitutions { path: "/".into(), host: "h:1".into(), ws_path: "/ws".into() };
    WsClient::new(DriverConfig::with_defaults(crate::case::Protocol::Ws, &subs, steps))
}

fn steps(yaml: &str) -> Vec<Step> {
    let text = format!("id: t\nprotocol: websocket\nsteps:\n{yaml}");
    parse_cases("t.yaml", &text).unwrap_or_else(|e| panic!("{e:?}")).remove(0).case.steps
}

fn server_frame(op: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    FrameOut { fin, ..FrameOut::new(op, payload.to_vec(), None) }.encode().unwrap()
}

#[test]
fn fragments_split_the_payload_and_mask_every_frame() {
    let s = steps("  - send: { message: { text: \"今から\", fragments: [1, 4] } }\n");
    let mut d = driver(&s);
    let Step::Send(send) = &s[0] else { panic!() };
    let units = d.encode(send).unwrap();
    assert_eq!(units.len(), 3);
    let heads: Vec<_> = units.iter().map(|u| parse_header(&u.bytes).unwrap().unwrap()).collect();
    assert_eq!(heads.iter().map(|h| (h.fin, h.opcode, h.len)).collect::<Vec<_>>(), [(false, 1, 1), (false, 0, 4), (true, 0, 4)]);
    assert!(heads.iter().all(|h| h.mask.is_some()));
    assert!(units[0].label.contains("FIN=0"), "{}", units[0].label);
}

#[test]
fn auto_handshake_unless_the_case_sends_one() {
    let mut d = driver(&steps("  - send: { message: { text: a } }\n"));
    let bytes = d.on_connect().unwrap().remove(0).bytes;
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("GET /ws HTTP/1.1\r\nHost: h:1\r\nUpgrade: websocket\r\n"), "{text}");
    assert!(d.on_connect_check().is_some());
    let mut d = driver(&steps("  - send: { handshake: { omit: [Sec-WebSocket-Key], version: '8' } }\n"));
    assert!(d.on_connect().unwrap().is_empty());
    let Step::Send(send) = &steps("  - send: { handshake: { omit: [Sec-WebSocket-Key], version: '8' } }\n")[0] else { panic!() };
    let text = String::from_utf8(d.encode(send).unwrap().remove(0).bytes).unwrap();
    assert!(!text.contains("Sec-WebSocket-Key") && text.contains("Sec-WebSocket-Version: 8"), "{text}");
}

#[test]
fn handshake_check_verifies_the_accept_value() {
    let mut d = driver(&steps("  - send: { handshake: { key: dGhlIHNhbXBsZSBub25jZQ== } }\n"));
    let Step::Send(send) = &steps("  - send: { handshake: { key: dGhlIHNhbXBsZSBub25jZQ== } }\n")[0] else { panic!() };
    d.encode(send).unwrap();
    let good = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x00";
    let mut c = d.handshake_check(&HandshakeExpect::default());
    assert!(matches!(c.poll(good, false), Verdict::Pass { consumed, .. } if consumed == good.len() - 2));
    let bad = String::from_utf8_lossy(good).replace("s3pP", "AAAA");
    let mut c = d.handshake_check(&HandshakeExpect::default());
    assert!(matches!(c.poll(bad.as_bytes(), false), Verdict::Fail(m) if m.contains("Sec-WebSocket-Accept")));
}

fn check(d: &mut WsClient, yaml: &str) -> WsClientCheck {
    let Step::Expect(e) = &steps(yaml)[0] else { panic!() };
    d.check(&e.kind).unwrap()
}

#[test]
fn message_echo_across_fragments_and_rule_breaks() {
    let s = steps("  - send: { message: { text: hello } }\n");
    let mut d = driver(&s);
    let Step::Send(send) = &s[0] else { panic!() };
    d.encode(send).unwrap();
    let mut bytes = server_frame(opcode::TEXT, false, b"hel");
    bytes.extend(server_frame(opcode::CONTINUATION, true, b"lo"));
    let mut c = check(&mut d, "  - expect: { message: { echo: true, fragments: [3, 2] } }\n");
    assert_eq!(c.poll(&bytes[..6], false), Verdict::Pending);
    assert!(matches!(c.poll(&bytes, false), Verdict::Pass { consumed, ref units } if consumed == bytes.len() && units.len() == 2));
    let mut c = check(&mut d, "  - expect: { message: { echo: true } }\n");
    let masked = FrameOut::new(opcode::TEXT, b"hello".to_vec(), Some([1, 2, 3, 4])).encode().unwrap();
    assert!(matches!(c.poll(&masked, false), Verdict::Fail(m) if m.contains("masked")));
    let mut c = check(&mut d, "  - expect: { message: { echo: true } }\n");
    assert!(matches!(c.poll(&server_frame(opcode::TEXT, true, b"hellO"), false), Verdict::Fail(m) if m.contains("byte 4")));
}

#[test]
fn fail_any_passes_on_any_close_or_a_bare_tcp_close_and_answers_the_close() {
    let mut d = driver(&[]);
    let mut c = check(&mut d, "  - expect: { fail: any }\n");
    assert!(matches!(c.poll(b"", true), Verdict::Pass { ref units, .. } if units[0].unit.contains("without a close frame")));
    for code in [Some(1002), Some(1011), Some(1000), None] {
        let mut d = driver(&[]);
        let close = server_frame(opcode::CLOSE, true, &encode_close(code, b""));
        let mut c = check(&mut d, "  - expect: { fail: any }\n");
        let code = code.unwrap_or(1005);
        assert!(matches!(c.poll(&close, false), Verdict::Pass { ref units, .. } if units[0].unit.contains(&format!("close code {code})"))));
        let reply = d.passed(c);
        assert_eq!(reply.len(), 1, "the client answers the server's close");
    }
    // Data instead of failing the connection is no failure of it.
    let mut c = check(&mut d, "  - expect: { fail: any }\n");
    assert!(matches!(c.poll(&server_frame(opcode::TEXT, true, b"echo"), false), Verdict::Fail(_)));
}

#[test]
fn fail_with_codes_wants_a_close_frame_with_one_of_them() {
    let mut d = driver(&[]);
    let close = server_frame(opcode::CLOSE, true, &encode_close(Some(1002), b""));
    let mut c = check(&mut d, "  - expect: { fail: [1002] }\n");
    assert!(matches!(c.poll(&close, false), Verdict::Pass { .. }));
    let mut c = check(&mut d, "  - expect: { fail: 1007 }\n");
    assert!(matches!(c.poll(&close, false), Verdict::Fail(m) if m.contains("code 1002;") && m.contains("is 1007")));
    let mut c = check(&mut d, "  - expect: { fail: [1002] }\n");
    assert!(matches!(c.poll(b"", true), Verdict::Fail(m) if m.contains("without a close frame")));
    let mut c = check(&mut d, "  - expect: { close: { code: [1000, 1001] } }\n");
    let bad_reason = server_frame(opcode::CLOSE, true, &[0x03, 0xE8, 0xFF]);
    assert!(matches!(c.poll(&bad_reason, false), Verdict::Fail(m) if m.contains("UTF-8")));
}

#[test]
fn echo_follows_messages_sent_as_raw_frames() {
    let s = steps("  - send: { ws_frames: [ { opcode: binary, fin: false, payload: ab }, { opcode: ping }, { opcode: continuation, payload: cd } ] }\n");
    let mut d = driver(&s);
    let Step::Send(send) = &s[0] else { panic!() };
    d.encode(send).unwrap();
    assert_eq!(d.frames.last_message, Some((opcode::BINARY, b"abcd".to_vec())));
}

#[test]
fn pong_must_carry_the_pings_payload() {
    let mut d = driver(&[]);
    let mut c = check(&mut d, "  - expect: { pong: abc }\n");
    assert!(matches!(c.poll(&server_frame(opcode::PONG, true, b"abc"), false), Verdict::Pass { .. }));
    let mut c = check(&mut d, "  - expect: { pong: abc }\n");
    assert!(matches!(c.poll(&server_frame(opcode::PONG, true, b"ab"), false), Verdict::Fail(_)));
}

#[test]
fn compressed_messages_set_rsv1_and_inflate_back_in_one_frame_or_many() {
    // RFC 7692 §6: with permessage-deflate agreed, each message peerspec sends is compressed and
    // its first frame has RSV1, whether the message is one frame or several; with context
    // takeover each message's back references may reach into the ones before.
    use crate::wire::ws::deflate::{Inflater, TAIL};
    use crate::wire::ws::mask::apply_mask;
    let agreement = Agreement {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
        client_bits_in_response: false,
        server_bits_in_response: false,
    };
    let mut frames = WsFrames::new(Sender::Server);
    frames.set_deflate(Some(agreement));
    let mut inflater = Inflater::new(15, true);
    let sends = steps(
        "  - send: { message: { binary: { repeat: { hex: 00010203 }, times: 100 } } }\n\
         \x20 - send: { message: { binary: { repeat: { hex: 00010203 }, times: 100 }, fragment_size: 4 } }\n\
         \x20 - send: { message: { text: \"今から今から今から\" } }\n\
         \x20 - send: { message: { text: plain, compress: false } }\n",
    );
    let expected: [&[u8]; 4] = [&[0, 1, 2, 3].repeat(100), &[0, 1, 2, 3].repeat(100), "今から今から今から".as_bytes(), b"plain"];
    for (step, want) in sends.iter().zip(expected) {
        let Step::Send(send) = step else { panic!() };
        let units = frames.encode(send).unwrap().unwrap();
        let mut payload = vec![];
        let mut rsv1 = vec![];
        for unit in &units {
            let h = parse_header(&unit.bytes).unwrap().unwrap();
            let mut body = unit.bytes[h.header_len..].to_vec();
            apply_mask(&mut body, h.mask.unwrap(), 0);
            payload.extend(body);
            rsv1.push(h.rsv & 4 != 0);
        }
        if want == b"plain" {
            assert_eq!((rsv1, payload.as_slice()), (vec![false], want), "`compress: false` sends the message as it is");
            continue;
        }
        assert!(rsv1[0] && rsv1[1..].iter().all(|r| !r), "RSV1 on the first frame only: {rsv1:?}");
        assert!(payload.len() < want.len(), "compressed");
        assert!(!payload.ends_with(&TAIL));
        assert_eq!(inflater.inflate(&payload, 1 << 20).unwrap(), want);
    }
}
