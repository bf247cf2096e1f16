//! Load-time checks of a case that need the runner's knowledge of each protocol (a frame must
//! encode, an opcode exist, a pattern compile), so that a case that cannot run is an authoring
//! error at load, with its file:line:col, rather than a failure counted against the peer.
//!
//! The case model ([`crate::case`]) checks the shape and the fit of every step to the case's
//! protocol and role by itself; this module adds the rest, and [`load_paths`] /
//! [`parse_cases`] are the loaders every caller uses (the CLI, the libtest entry, the fuzz
//! target). `case/` imports nothing from `run/`.

use std::path::PathBuf;

use crate::case::load::{self, LoadError, LoadedCase};
use crate::case::ws::{FrameSpec as WsFrameSpec, MaskSpec};
use crate::case::{BytesSpec, Case, ExpectKind, RequestSpec, ResponseSpec, Role, Send, Step};

/// [`load::load_paths`], then [`check`] on every case loaded.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<LoadedCase>, Vec<LoadError>> {
    checked(load::load_paths(paths))
}

/// [`load::parse_cases`], then [`check`] on every case parsed.
pub fn parse_cases(file: &str, text: &str) -> Result<Vec<LoadedCase>, Vec<LoadError>> {
    checked(load::parse_cases(file, text))
}

fn checked(loaded: Result<Vec<LoadedCase>, Vec<LoadError>>) -> Result<Vec<LoadedCase>, Vec<LoadError>> {
    let cases = loaded?;
    let errors: Vec<LoadError> =
        cases.iter().filter_map(|c| check(&c.case).err().map(|(step, key, why)| c.error(Some(step), Some(key), &why))).collect();
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// Checks every step of `case` beyond its shape. The error names the step (0-based), the key of
/// its kind, and what is wrong.
pub fn check(case: &Case) -> Result<(), (usize, &'static str, String)> {
    for (i, step) in case.steps.iter().enumerate() {
        let checked = match step {
            Step::Send(send) => check_send(send).map_err(|e| (send.name(), e)),
            Step::Expect(e) => e.kind.walk().into_iter().try_for_each(|k| check_expect(k, case.role).map_err(|why| (k.name(), why))),
            Step::Pause(_) | Step::HalfClose | Step::Reset | Step::Close | Step::Reconnect => Ok(()),
        };
        checked.map_err(|(key, why)| (i, key, why))?;
    }
    Ok(())
}

fn check_send(send: &Send) -> Result<(), String> {
    match send {
        Send::Raw(b) | Send::WsPing(b) => check_bytes(b),
        Send::Frames(frames) => {
            if frames.is_empty() {
                return Err("frames must hold at least one frame".into());
            }
            frames.iter().try_for_each(super::h2::validate_frame)
        }
        Send::H2Request(r) => super::h2::validate_request(r),
        Send::H2Response(r) => super::h2::validate_response(r),
        Send::Request(r) => check_request(r),
        Send::Pipeline(rs) => {
            if rs.is_empty() {
                return Err("pipeline must hold at least one request".into());
            }
            rs.iter().try_for_each(check_request)
        }
        Send::Response(r) => check_response(r),
        Send::Message(m) => {
            if m.text.is_some() == m.binary.is_some() {
                return Err("a message is either `text` or `binary`".into());
            }
            m.text.iter().chain(&m.binary).try_for_each(check_bytes)?;
            check_mask(&m.mask)
        }
        Send::WsFrame(f) => check_ws_frame(f),
        Send::WsFrames(fs) => fs.iter().try_for_each(check_ws_frame),
        Send::WsClose(c) => {
            if c.reason.is_some() && c.code.is_none() {
                return Err("a close reason needs a code".into());
            }
            c.reason.iter().try_for_each(check_bytes)
        }
        Send::Handshake(_) | Send::WsHandshakeResponse(_) => Ok(()),
    }
}

/// One expectation kind; the alternatives of an `any_of` are checked one by one by the caller.
fn check_expect(kind: &ExpectKind, role: Role) -> Result<(), String> {
    match kind {
        ExpectKind::StreamError(s) if s.or_response.is_some() && role == Role::Server => {
            Err("`or_response` is for a server under test answering a malformed request (RFC 9113 §8.1.1): peerspec as the server \
             receives no response"
                .into())
        }
        ExpectKind::Bytes(b) | ExpectKind::Pong(b) => check_bytes(b),
        ExpectKind::Match(p) => regex::bytes::Regex::new(p).map(|_| ()).map_err(|err| format!("invalid `match` pattern: {err}")),
        ExpectKind::Connection(_) | ExpectKind::AnyOf(_) | ExpectKind::Close(_) | ExpectKind::Fail(_) => Ok(()),
        ExpectKind::Response(r) => {
            check_patterns(&r.headers_match)?;
            [&r.body, &r.body_contains].into_iter().flatten().try_for_each(check_bytes)
        }
        ExpectKind::Request(r) => check_patterns(&r.headers_match),
        ExpectKind::H2Response(r) => {
            check_patterns(&r.headers_match)?;
            check_h2(kind)
        }
        ExpectKind::H2Request(r) => {
            check_patterns(&r.headers_match)?;
            r.body.iter().try_for_each(check_bytes)
        }
        ExpectKind::Frame(_) | ExpectKind::ConnectionError(_) | ExpectKind::StreamError(_) | ExpectKind::PingAck(_) => check_h2(kind),
        ExpectKind::Handshake(h) => check_patterns(&h.headers_match),
        ExpectKind::WsHandshakeRequest(r) => check_patterns(&r.headers_match),
        ExpectKind::Message(m) => {
            if [m.text.is_some(), m.binary.is_some(), m.echo].iter().filter(|k| **k).count() > 1 {
                return Err("a message expectation takes one of `text`, `binary`, `echo`".into());
            }
            m.text.iter().chain(&m.binary).try_for_each(check_bytes)
        }
        ExpectKind::WsFrame(f) => f.opcode.as_ref().map(super::ws::opcode_of).transpose().map(|_| ()),
    }
}

/// The HTTP/2 expectations, by building their matchers.
fn check_h2(kind: &ExpectKind) -> Result<(), String> {
    super::h2::validate_expect(kind)
}

fn check_patterns(headers_match: &indexmap::IndexMap<String, String>) -> Result<(), String> {
    for (name, p) in headers_match {
        regex::Regex::new(p).map_err(|err| format!("invalid pattern for header {name}: {err}"))?;
    }
    Ok(())
}

fn check_mask(mask: &Option<MaskSpec>) -> Result<(), String> {
    match mask {
        Some(MaskSpec::Key(k)) => super::ws::parse_mask_key(k).map(|_| ()),
        _ => Ok(()),
    }
}

fn check_response(r: &ResponseSpec) -> Result<(), String> {
    if r.chunks.is_some() && (r.body.is_some() || r.chunk_sizes.is_some()) {
        return Err("a response has `chunks`, or `body` (optionally with `chunk_sizes`), not both".into());
    }
    if r.chunk_sizes.as_ref().is_some_and(|s| s.is_empty() || s.contains(&0)) {
        return Err("`chunk_sizes` needs at least one size, and no size 0 (that would be the last chunk)".into());
    }
    r.body.iter().chain(r.chunks.iter().flatten()).try_for_each(check_bytes)
}

fn check_ws_frame(f: &WsFrameSpec) -> Result<(), String> {
    super::ws::opcode_of(&f.opcode)?;
    if f.rsv > 7 {
        return Err(format!("rsv {} is not 0-7", f.rsv));
    }
    if !matches!(f.length_bits, None | Some(7 | 16 | 64)) {
        return Err("length_bits is 7, 16 or 64".into());
    }
    check_mask(&f.mask)?;
    f.payload.iter().chain(&f.reason).try_for_each(check_bytes)
}

fn check_request(r: &RequestSpec) -> Result<(), String> {
    if r.body.is_some() && r.chunks.is_some() {
        return Err("a request has either `body` or `chunks`, not both".into());
    }
    if !r.trailers.is_empty() && r.chunks.is_none() {
        return Err("`trailers` need `chunks`".into());
    }
    r.body.iter().chain(r.chunks.iter().flatten()).try_for_each(check_bytes)
}

fn check_bytes(b: &BytesSpec) -> Result<(), String> {
    b.to_bytes().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::parse_cases;

    fn error(protocol: &str, step: &str) -> String {
        let text = format!("id: a\nprotocol: {protocol}\nsteps:\n  - pause: 1ms\n  - {step}\n");
        let err = parse_cases("p.yaml", &text).unwrap_err();
        assert_eq!(err[0].position.map(|p| p.0), Some(5), "{step}: {}", err[0]);
        err[0].message.clone()
    }

    #[test]
    fn values_the_runner_cannot_use_are_load_errors_at_their_step() {
        for (protocol, step, want) in [
            ("http/1.1", "expect: { match: '(' }", "invalid `match`"),
            ("http/1.1", "expect: { response: { headers_match: { a: '(' } } }", "invalid pattern for header a"),
            ("websocket", "expect: { handshake: { headers_match: { a: '(' } } }", "invalid pattern for header a"),
            ("websocket", "send: { ws_frame: { opcode: 16 } }", "opcode 16"),
            ("websocket", "send: { ws_frame: { opcode: text, mask: 0102 } }", "4 bytes"),
            ("websocket", "expect: { message: { echo: true, text: x } }", "one of"),
            ("websocket", "expect: { any_of: [ { connection: closed }, { ws_frame: { opcode: 16 } } ] }", "opcode 16"),
            ("http/1.1", "send: { request: { body: a, chunks: [b] } }", "either `body` or `chunks`"),
            ("h2", "send: { frames: [] }", "at least one frame"),
        ] {
            let message = error(protocol, step);
            assert!(message.contains(want), "{step}: {message}");
            assert!(message.starts_with("case \"a\": step 2: "), "{step}: {message}");
        }
    }

    #[test]
    fn or_response_in_a_server_case_is_a_load_error() {
        let text = "id: s\nprotocol: h2\nrole: server\nsteps:\n  - expect: { stream_error: { error: PROTOCOL_ERROR, or_response: 4xx } }\n";
        let err = parse_cases("s.yaml", text).unwrap_err();
        assert!(err[0].message.contains("peerspec as the server receives no response"), "{}", err[0]);
        assert!(parse_cases("c.yaml", &text.replace("role: server\n", "")).is_ok());
    }

    #[test]
    fn h2_server_responses_are_checked() {
        let text = "id: s\nprotocol: h2\nrole: server\nsteps:\n  - expect: { h2_request: { method: GET } }\n  - send: { h2_response: { body: x, data: [y] } }\n";
        let err = parse_cases("s.yaml", text).unwrap_err();
        assert!(err[0].message.contains("`body` or `data`, not both"), "{}", err[0]);
        assert_eq!(err[0].position, Some((6, 13)), "{}", err[0]);
    }
}
