//! Unit tests of the WebSocket fake server.

use super::*;
use crate::run::plan::parse_cases;
use crate::wire::ws::frame::{parse_header, FrameOut};
use crate::wire::ws::opcode;

/// The request of RFC 6455 §1.2 (its key is the one §1.3 derives the accept value from).
const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

fn steps(yaml: &str) -> Vec<Step> {
    let text = format!("id: t\nprotocol: websocket\nrole: server\nsteps:\n{yaml}");
    parse_cases("t.yaml", &text).unwrap_or_else(|e| panic!("{e:?}")).remove(0).case.steps
}

fn server(steps: &[Step]) -> WsServer {
    WsServer::new(Substitutions { path: "/chat".into(), host: "h:1".into(), ws_path: "/ws".into() }, steps)
}

/// Reads `REQUEST` through the automatic handshake; returns the automatic answer.
fn handshake(s: &mut WsServer) -> Units {
    s.on_connect().unwrap();
    let mut check = s.on_connect_check().expect("the request is read automatically");
    assert!(matches!(check.poll(REQUEST, false), Verdict::Pass { consumed, .. } if consumed == REQUEST.len()));
    s.passed(check.as_mut())
}

fn check(s: &mut WsServer, yaml: &str) -> Box<dyn Check> {
    let Step::Expect(e) = &steps(yaml)[0] else { panic!() };
    s.check(&e.kind).unwrap()
}

fn client_frame(op: u8, fin: bool, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    FrameOut { fin, ..FrameOut::new(op, payload.to_vec(), mask) }.encode().unwrap()
}

#[test]
fn the_default_answer_is_the_rfc_101_with_the_accept_value_for_the_key() {
    let mut s = server(&[]);
    let reply = handshake(&mut s);
    assert_eq!(reply.len(), 1);
    assert_eq!(
        String::from_utf8(reply[0].1.clone()).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
    );
}

#[test]
fn scripted_answers_break_what_they_are_asked_to() {
    let yaml = "  - send: { ws_handshake_response: { accept: wrong, protocol: chat, extensions: x-unknown, omit: [Connection] } }\n";
    let st = steps(yaml);
    let mut s = server(&st);
    assert!(handshake(&mut s).is_empty(), "a case that answers itself gets no automatic answer");
    let Step::Send(send) = &st[0] else { panic!() };
    let text = String::from_utf8(s.encode(send).unwrap().remove(0).1).unwrap();
    assert!(text.starts_with("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"), "{text}");
    assert!(!text.contains("Connection:") && !text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{text}");
    assert!(text.contains("Sec-WebSocket-Accept: A3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), "{text}");
    assert!(text.contains("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: x-unknown\r\n"), "{text}");
    let refusal = s.response(&HandshakeResponseSpec { status: Some(200), accept: AcceptSpec::Omit, ..Default::default() });
    assert_eq!(
        String::from_utf8(refusal.1).unwrap(),
        "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n"
    );
}

#[test]
fn the_request_is_held_to_rfc_6455_section_4_1() {
    let mut s = server(&[]);
    let mut c = check(&mut s, "  - expect: { ws_handshake_request: { target: '{path}', protocols: [chat, superchat], headers: { Origin: 'http://example.com' } } }\n");
    assert_eq!(c.poll(&REQUEST[..40], false), Verdict::Pending);
    assert!(matches!(c.poll(REQUEST, false), Verdict::Pass { .. }));
    let text = String::from_utf8_lossy(REQUEST);
    for (broken, why) in [
        (text.replace("GET", "POST"), "method"),
        (text.replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), "Sec-WebSocket-Version"),
        (text.replace("dGhlIHNhbXBsZSBub25jZQ==", "short"), "Sec-WebSocket-Key"),
        (text.replace("Upgrade: websocket\r\n", ""), "Upgrade"),
        (text.replace("Host: server.example.com\r\n", ""), "Host"),
    ] {
        let mut c = s.on_connect_check().unwrap();
        assert!(matches!(c.poll(broken.as_bytes(), false), Verdict::Fail(ref m) if m.contains(why)), "{why}");
    }
    let mut c = check(&mut s, "  - expect: { ws_handshake_request: { protocols: [] } }\n");
    assert!(matches!(c.poll(REQUEST, false), Verdict::Fail(m) if m.contains("subprotocols offered")));
}

#[test]
fn the_handshake_request_is_held_to_max_header_bytes() {
    let mut s = server(&[]);
    s.set_caps(&crate::run::Caps { max_header_bytes: 64, ..Default::default() });
    let mut c = s.on_connect_check().unwrap();
    // 100 bytes and still no end of the head: over the cap, it fails without waiting for more.
    let v = c.poll(&REQUEST[..100], false);
    assert!(matches!(v, Verdict::Fail(ref m) if m.contains("exceeds 64 bytes")), "{v:?}");
}

#[test]
fn frames_from_the_fake_server_are_unmasked_unless_the_case_masks_them() {
    let st = steps("  - send: { message: { text: \"今から\", fragments: [1, 4] } }\n  - send: { ws_close: { code: 1000, reason: bye } }\n  - send: { message: { text: x, mask: true } }\n");
    let mut s = server(&st);
    let mut heads = vec![];
    for step in &st {
        let Step::Send(send) = step else { panic!() };
        heads.extend(s.encode(send).unwrap().iter().map(|(_, b)| parse_header(b).unwrap().unwrap()));
    }
    assert_eq!(heads.len(), 5);
    assert!(heads[..4].iter().all(|h| h.mask.is_none()), "{heads:?}");
    assert_eq!((heads[3].opcode, heads[3].len), (opcode::CLOSE, 5));
    assert!(heads[4].mask.is_some(), "`mask: true` masks a server frame on purpose");
}

#[test]
fn an_unmasked_client_frame_fails_naming_the_frame_and_its_offset() {
    let mut s = server(&[]);
    handshake(&mut s);
    let st = steps("  - send: { message: { text: hello } }\n");
    let Step::Send(send) = &st[0] else { panic!() };
    s.encode(send).unwrap();
    let echo = client_frame(opcode::TEXT, true, b"hello", Some([1, 2, 3, 4]));
    let mut c = check(&mut s, "  - expect: { message: { echo: true } }\n");
    assert!(matches!(c.poll(&echo, false), Verdict::Pass { .. }));
    assert!(s.passed(c.as_mut()).is_empty());
    // Second frame of the connection, right after the 11-byte masked echo.
    let mut bytes = client_frame(opcode::TEXT, false, b"ab", Some([9, 9, 9, 9]));
    bytes.extend(client_frame(opcode::CONTINUATION, true, b"cd", None));
    let mut c = check(&mut s, "  - expect: { message: { text: abcd } }\n");
    let Verdict::Fail(why) = c.poll(&bytes, false) else { panic!("an unmasked frame must fail") };
    let offset = REQUEST.len() + echo.len() + 8;
    assert!(why.contains(&format!("frame 3 of the connection, at byte offset {offset}")), "{why}");
    assert!(why.contains("client MUST mask") && why.contains("op=continuation"), "{why}");
}

#[test]
fn the_clients_pings_and_close_are_answered_unmasked() {
    let mut s = server(&[]);
    handshake(&mut s);
    let mut bytes = client_frame(opcode::PING, true, b"p1", Some([1, 2, 3, 4]));
    bytes.extend(client_frame(opcode::CLOSE, true, &[0x03, 0xE8], Some([5, 6, 7, 8])));
    let mut c = check(&mut s, "  - expect: { close: { code: 1000 } }\n");
    assert!(matches!(c.poll(&bytes, false), Verdict::Pass { consumed, .. } if consumed == bytes.len()));
    let replies = s.passed(c.as_mut());
    let heads: Vec<_> = replies.iter().map(|(_, b)| parse_header(b).unwrap().unwrap()).collect();
    assert_eq!(heads.iter().map(|h| (h.opcode, h.mask.is_none())).collect::<Vec<_>>(), [(opcode::PONG, true), (opcode::CLOSE, true)]);
    assert_eq!(&replies[0].1[2..], b"p1");
    assert_eq!(&replies[1].1[2..], [0x03, 0xE8], "the close code is echoed");
}

#[test]
fn fin_inside_a_fragmented_message_is_not_a_clean_close() {
    let mut s = server(&[]);
    handshake(&mut s);
    let half = client_frame(opcode::TEXT, false, b"Hel", Some([1, 2, 3, 4]));
    let mut c = check(&mut s, "  - expect: { close: {} }\n");
    assert_eq!(c.poll(&half, false), Verdict::Pending);
    assert!(matches!(c.poll(&half, true), Verdict::Fail(m) if m.contains("in the middle of a fragmented message")));
}
