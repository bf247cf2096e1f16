//! Loading case files: YAML (through `serde_norway`) into [`Case`]s, with errors that name the
//! file, line and column.
//!
//! A file may hold several cases as YAML documents separated by `---`. Folders are read
//! recursively (`*.yaml`, `*.yml`, in name order). The built-in suites are compiled into the
//! binary and load through the same code.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};

use super::{BytesSpec, Case, Expect, Send, Step};

/// The built-in suites (`cases/` in the repository), compiled in.
static BUILTIN_CASES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../cases");

/// A case with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The case.
    pub case: Case,
    /// The file it was read from (`builtin:` paths for the compiled-in suites).
    pub file: String,
    /// Line of the document's start in that file (1-based).
    pub line: usize,
}

/// Why a case file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What was wrong, and what was expected there.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{}:{}: {}", self.file, line, col, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// Errors reported for one file before giving up on it.
const MAX_ERRORS_PER_FILE: usize = 50;

/// Parses every case in one YAML text. `file` names it in errors.
pub fn parse_cases(file: &str, text: &str) -> Result<Vec<LoadedCase>, Vec<LoadError>> {
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    let starts = document_start_lines(text);
    // First read the documents as plain YAML values, which reports what is wrong with the YAML
    // itself (syntax, an alias to an unknown anchor, nesting too deep), and stop at the first
    // such error: the rest of the stream cannot be trusted. After a syntax error the parser
    // repeats it for every later document without end; after an alias to an unknown anchor it
    // goes on with the rest of the cut-short document as if it were a new one, and serde_norway
    // 0.9 panics ("unexpected end of sequence") on that, e.g. on `[*a]` (found by fuzzing).
    let mut yaml_errors: Vec<Option<serde_norway::Error>> = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let error = <serde_norway::Value as serde::Deserialize>::deserialize(document).err();
        let stop = error.is_some();
        yaml_errors.push(error);
        if stop {
            break;
        }
    }
    for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
        let line = starts.get(index).copied().unwrap_or(1);
        let parsed = match yaml_errors.get_mut(index).map(Option::take) {
            Some(Some(e)) => Err(e),
            Some(None) => serde_norway::with::singleton_map_recursive::deserialize::<Case, _>(document),
            // The YAML pass stopped at an error, reported for an earlier document.
            None => break,
        };
        match parsed {
            Ok(case) => match validate(&case) {
                Ok(()) => cases.push(LoadedCase { case, file: file.to_string(), line }),
                Err(message) => errors.push(LoadError {
                    file: file.to_string(),
                    position: Some((line, 1)),
                    message: format!("case {:?}: {message}", case.id),
                }),
            },
            Err(e) => {
                let mut position = e.location().map(|l| (l.line(), l.column()));
                // A value refused by its own parser (a duration out of range) is reported at its
                // document's start: point at the value itself.
                if position.is_none_or(|(l, c)| (l, c) == (1, 1) || l == line) {
                    position = locate_value(text, line, &e.to_string()).or(position);
                }
                let (position, message) = point_at_value(text, position, e.to_string());
                let error = LoadError { file: file.to_string(), position, message };
                // After a syntax error the parser repeats it for every later document: the rest
                // of the stream cannot be trusted.
                let repeated = errors.last() == Some(&error);
                if !repeated {
                    errors.push(error);
                }
                if repeated || position.is_none() || errors.len() >= MAX_ERRORS_PER_FILE {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// A value that matches none of the forms of an untagged enum (`status: { code: 200 }`):
/// serde_norway points at the key of the field (`status:`) and names the path up to its parent.
/// Point at the value instead, name the field in the path, and show what was written:
/// `7:17: steps[1].expect.response.status: expected one value or a list …, got { code: 200 }`.
/// The untagged enums' `expecting` messages all start with "expected "; other errors pass.
fn point_at_value(text: &str, position: Option<(usize, usize)>, message: String) -> (Option<(usize, usize)>, String) {
    let Some((line, column)) = position else { return (position, message) };
    let (path, expected) = match message.split_once(": expected ") {
        Some((path, rest)) if !path.contains(' ') => (format!("{path}."), rest),
        _ => match message.strip_prefix("expected ") {
            Some(rest) => (String::new(), rest),
            None => return (position, message),
        },
    };
    let Some(source_line) = text.lines().nth(line.saturating_sub(1)) else { return (position, message) };
    let Some(rest) = source_line.get(column.saturating_sub(1)..) else { return (position, message) };
    let key_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(0);
    let after_key = &rest[key_len..];
    if key_len == 0 || !after_key.starts_with(':') {
        return (position, message);
    }
    let value = after_key[1..].trim_start();
    let value_column = column + key_len + 1 + (after_key.len() - 1 - value.len());
    // " at line 7 column 9": the position is given before the message already.
    let expected = expected.rsplit_once(" at line ").map_or(expected, |(m, _)| m);
    let key = &rest[..key_len];
    // In a flow mapping the rest of the line holds more than this value: show it only in block style.
    let block_style = source_line.trim_start().len() == rest.len() && !value.is_empty();
    let got = if block_style { format!(", got {}", value.chars().take(60).collect::<String>()) } else { String::new() };
    (Some((line, value_column)), format!("{path}{key}: expected {expected}{got}"))
}

/// 1-based lines where each YAML document of `text` starts (after a `---` line, or line 1).
fn document_start_lines(text: &str) -> Vec<usize> {
    let mut starts = vec![];
    let mut pending = Some(1);
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            if let Some(p) = pending.take() {
                // A leading `---` before any content belongs to the first document.
                if text.lines().take(i).any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
                    starts.push(p);
                }
            }
            pending = Some(i + 2);
        }
    }
    if let Some(p) = pending {
        starts.push(p);
    }
    starts
}

/// Rules the types alone do not express.
fn validate(case: &Case) -> Result<(), String> {
    if case.id.trim().is_empty() {
        return Err("id must not be empty".into());
    }
    if case.steps.is_empty() {
        return Err("steps must not be empty".into());
    }
    let server = case.role == super::Role::Server;
    if case.client.is_some() && !server {
        return Err("`client` belongs to cases with `role: server`".into());
    }
    for (i, step) in case.steps.iter().enumerate() {
        let wrong = match step {
            Step::Send(Send::Request(_) | Send::Pipeline(_) | Send::H2Request(_) | Send::Handshake(_)) => server,
            Step::Send(Send::Response(_) | Send::H2Response(_) | Send::WsHandshakeResponse(_)) => !server,
            Step::Expect(e) => {
                ((e.request.is_some() || e.h2_request.is_some() || e.ws_handshake_request.is_some()) && !server)
                    || ((e.response.is_some() || e.h2_response.is_some() || e.handshake.is_some()) && server)
            }
            _ => false,
        };
        if wrong {
            let role = if server { "server" } else { "client" };
            return Err(format!(
                "step {}: not a step for role `{role}` (a client sends requests and expects responses; a server the reverse)",
                i + 1
            ));
        }
    }
    for (i, step) in case.steps.iter().enumerate() {
        validate_step(step).map_err(|e| format!("step {}: {e}", i + 1))?;
        fits_protocol(step, case.protocol).map_err(|e| format!("step {}: {e}", i + 1))?;
    }
    Ok(())
}

/// WebSocket steps belong to `protocol: websocket` cases, HTTP/1 request steps to the others.
fn fits_protocol(step: &Step, protocol: super::Protocol) -> Result<(), String> {
    let ws = protocol == super::Protocol::Ws;
    let wrong = |what: &str| Err(format!("`{what}` does not belong in a {} case", protocol.name()));
    match step {
        Step::Send(Send::Request(_)) if ws => wrong("request"),
        Step::Send(Send::Pipeline(_)) if ws => wrong("pipeline"),
        Step::Send(Send::Handshake(_)) if !ws => wrong("handshake"),
        Step::Send(Send::Message(_)) if !ws => wrong("message"),
        Step::Send(Send::WsFrame(_) | Send::WsFrames(_) | Send::WsPing(_) | Send::WsClose(_) | Send::WsHandshakeResponse(_)) if !ws => {
            wrong("ws_*")
        }
        Step::Send(Send::Response(_)) if ws => wrong("response (a WebSocket server answers with ws_handshake_response)"),
        Step::Send(Send::H2Response(_)) if protocol != super::Protocol::H2 => wrong("h2_response"),
        Step::Expect(e) if e.h2_request.is_some() && protocol != super::Protocol::H2 => wrong("h2_request"),
        Step::Expect(e) => expect_fits(e, ws).map_or(Ok(()), wrong),
        _ => Ok(()),
    }
}

fn expect_fits(e: &Expect, ws: bool) -> Option<&'static str> {
    if ws && e.response.is_some() {
        return Some("response");
    }
    if ws && e.request.is_some() {
        return Some("request (a WebSocket server expects ws_handshake_request)");
    }
    if !ws {
        let named = [
            (e.handshake.is_some(), "handshake"),
            (e.message.is_some(), "message"),
            (e.pong.is_some(), "pong"),
            (e.close.is_some(), "close"),
            (e.fail.is_some(), "fail"),
            (e.ws_frame.is_some(), "ws_frame"),
            (e.ws_handshake_request.is_some(), "ws_handshake_request"),
        ];
        if let Some((_, what)) = named.iter().find(|(set, _)| *set) {
            return Some(what);
        }
    }
    e.any_of.iter().flatten().find_map(|a| expect_fits(a, ws))
}

fn validate_step(step: &Step) -> Result<(), String> {
    match step {
        Step::Send(Send::Raw(b)) => check_bytes(b),
        Step::Send(Send::Frames(frames)) => {
            if frames.is_empty() {
                return Err("frames must hold at least one frame".into());
            }
            frames.iter().try_for_each(crate::run::h2::validate_frame)
        }
        Step::Send(Send::H2Request(r)) => crate::run::h2::validate_request(r),
        Step::Send(Send::H2Response(r)) => crate::run::h2::validate_response(r),
        Step::Send(Send::Request(r)) => validate_request(r),
        Step::Send(Send::Pipeline(rs)) => {
            if rs.is_empty() {
                return Err("pipeline must hold at least one request".into());
            }
            rs.iter().try_for_each(validate_request)
        }
        Step::Send(Send::Message(m)) => {
            if m.text.is_some() == m.binary.is_some() {
                return Err("a message is either `text` or `binary`".into());
            }
            m.text.iter().chain(&m.binary).try_for_each(check_bytes)?;
            if let Some(crate::case::ws::MaskSpec::Key(k)) = &m.mask {
                crate::run::ws::parse_mask_key(k)?;
            }
            Ok(())
        }
        Step::Send(Send::WsFrame(f)) => validate_ws_frame(f),
        Step::Send(Send::WsFrames(fs)) => fs.iter().try_for_each(validate_ws_frame),
        Step::Send(Send::WsPing(b)) => check_bytes(b),
        Step::Send(Send::WsClose(c)) => {
            if c.reason.is_some() && c.code.is_none() {
                return Err("a close reason needs a code".into());
            }
            c.reason.iter().try_for_each(check_bytes)
        }
        Step::Send(Send::Handshake(_) | Send::WsHandshakeResponse(_)) => Ok(()),
        Step::Expect(e) => validate_expect(e),
        Step::Send(Send::Response(r)) => validate_response(r),
        Step::Pause(_) | Step::HalfClose | Step::Reset | Step::Close | Step::Reconnect => Ok(()),
    }
}

fn validate_response(r: &super::ResponseSpec) -> Result<(), String> {
    if r.chunks.is_some() && (r.body.is_some() || r.chunk_sizes.is_some()) {
        return Err("a response has `chunks`, or `body` (optionally with `chunk_sizes`), not both".into());
    }
    if r.chunk_sizes.as_ref().is_some_and(|s| s.is_empty() || s.contains(&0)) {
        return Err("`chunk_sizes` needs at least one size, and no size 0 (that would be the last chunk)".into());
    }
    r.body.iter().chain(r.chunks.iter().flatten()).try_for_each(check_bytes)
}

fn validate_ws_frame(f: &crate::case::ws::FrameSpec) -> Result<(), String> {
    crate::run::ws::opcode_of(&f.opcode)?;
    if f.rsv > 7 {
        return Err(format!("rsv {} is not 0-7", f.rsv));
    }
    if !matches!(f.length_bits, None | Some(7 | 16 | 64)) {
        return Err("length_bits is 7, 16 or 64".into());
    }
    if let Some(crate::case::ws::MaskSpec::Key(k)) = &f.mask {
        crate::run::ws::parse_mask_key(k)?;
    }
    f.payload.iter().chain(&f.reason).try_for_each(check_bytes)
}

fn validate_request(r: &super::RequestSpec) -> Result<(), String> {
    if r.body.is_some() && r.chunks.is_some() {
        return Err("a request has either `body` or `chunks`, not both".into());
    }
    if !r.trailers.is_empty() && r.chunks.is_none() {
        return Err("`trailers` need `chunks`".into());
    }
    if let Some(b) = &r.body {
        check_bytes(b)?;
    }
    r.chunks.iter().flatten().try_for_each(check_bytes)
}

fn check_bytes(b: &BytesSpec) -> Result<(), String> {
    b.to_bytes().map(|_| ())
}

/// An expectation names exactly one thing to wait for.
pub(crate) fn validate_expect(e: &Expect) -> Result<(), String> {
    let kinds = [
        e.response.is_some(),
        e.request.is_some(),
        e.bytes.is_some(),
        e.pattern.is_some(),
        e.connection.is_some(),
        e.any_of.is_some(),
        e.frame.is_some(),
        e.h2_response.is_some(),
        e.h2_request.is_some(),
        e.connection_error.is_some(),
        e.stream_error.is_some(),
        e.ping_ack.is_some(),
        e.handshake.is_some(),
        e.message.is_some(),
        e.pong.is_some(),
        e.close.is_some(),
        e.fail.is_some(),
        e.ws_frame.is_some(),
        e.ws_handshake_request.is_some(),
    ];
    const KINDS: &str = "response, request, bytes, match, connection, any_of, frame, h2_response, h2_request, connection_error, \
                         stream_error, ping_ack, handshake, message, pong, close, fail, ws_frame, ws_handshake_request";
    match kinds.iter().filter(|k| **k).count() {
        1 => {}
        0 => return Err(format!("expect needs one of {KINDS}")),
        _ => return Err(format!("expect takes exactly one of {KINDS}")),
    }
    if let Some(m) = &e.message {
        if [m.text.is_some(), m.binary.is_some(), m.echo].iter().filter(|k| **k).count() > 1 {
            return Err("a message expectation takes one of `text`, `binary`, `echo`".into());
        }
        m.text.iter().chain(&m.binary).try_for_each(check_bytes)?;
    }
    if let Some(f) = &e.ws_frame {
        f.opcode.as_ref().map(crate::run::ws::opcode_of).transpose()?;
    }
    if let Some(p) = &e.pattern {
        regex::bytes::Regex::new(p).map_err(|err| format!("invalid `match` pattern: {err}"))?;
    }
    if let Some(b) = &e.bytes {
        check_bytes(b)?;
    }
    let patterns = [
        e.response.as_ref().map(|r| &r.headers_match),
        e.request.as_ref().map(|r| &r.headers_match),
        e.h2_response.as_ref().map(|r| &r.headers_match),
        e.h2_request.as_ref().map(|r| &r.headers_match),
        e.handshake.as_ref().map(|r| &r.headers_match),
        e.ws_handshake_request.as_ref().map(|r| &r.headers_match),
    ];
    for (name, p) in patterns.into_iter().flatten().flatten() {
        regex::Regex::new(p).map_err(|err| format!("invalid pattern for header {name}: {err}"))?;
    }
    if let Some(r) = &e.response {
        for b in [&r.body, &r.body_contains].into_iter().flatten() {
            check_bytes(b)?;
        }
    }
    crate::run::h2::validate_expect(e)?;
    if let Some(r) = &e.h2_request {
        r.body.iter().try_for_each(check_bytes)?;
    }
    if let Some(alts) = &e.any_of {
        if alts.is_empty() {
            return Err("any_of needs at least one alternative".into());
        }
        alts.iter().try_for_each(validate_expect)?;
    }
    Ok(())
}

/// Loads cases from files and folders, or the built-in suites when `paths` is empty.
/// Every error in every file is collected; duplicate ids are errors too.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<LoadedCase>, Vec<LoadError>> {
    let mut sources: Vec<(String, Result<String, String>)> = Vec::new();
    if paths.is_empty() {
        collect_builtin(&BUILTIN_CASES, &mut sources);
    } else {
        for p in paths {
            collect_path(p, &mut sources);
        }
    }
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in sources {
        match text {
            Ok(text) => match parse_cases(&file, &text) {
                Ok(c) => cases.extend(c),
                Err(e) => errors.extend(e),
            },
            Err(message) => errors.push(LoadError { file, position: None, message }),
        }
    }
    let mut seen: HashMap<&str, (&str, usize)> = HashMap::new();
    for c in &cases {
        if let Some((file, line)) = seen.insert(&c.case.id, (&c.file, c.line)) {
            errors.push(LoadError {
                file: c.file.clone(),
                position: Some((c.line, 1)),
                message: format!("duplicate case id {:?} (first at {file}:{line})", c.case.id),
            });
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

fn is_case_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn collect_builtin(dir: &Dir<'static>, out: &mut Vec<(String, Result<String, String>)>) {
    let mut files: Vec<_> = dir.files().filter(|f| is_case_file(f.path())).collect();
    files.sort_by_key(|f| f.path());
    for f in files {
        let name = format!("builtin:cases/{}", f.path().display());
        let text = f.contents_utf8().map(str::to_string).ok_or_else(|| "not UTF-8".to_string());
        out.push((name, text));
    }
    let mut dirs: Vec<_> = dir.dirs().collect();
    dirs.sort_by_key(|d| d.path());
    for d in dirs {
        collect_builtin(d, out);
    }
}

fn collect_path(p: &Path, out: &mut Vec<(String, Result<String, String>)>) {
    let name = p.display().to_string();
    if p.is_dir() {
        let entries = match std::fs::read_dir(p) {
            Ok(e) => e,
            Err(e) => return out.push((name, Err(format!("cannot read folder: {e}")))),
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for c in children {
            if c.is_dir() || is_case_file(&c) {
                collect_path(&c, out);
            }
        }
    } else {
        let text =
            read_bounded(p).and_then(|b| String::from_utf8(b).map_err(|e| format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to())));
        out.push((name, text));
    }
}

/// Where the value a message quotes first (`timeout "0s" is out of range`) is written, in the
/// document starting at `from_line` (1-based line, column).
fn locate_value(text: &str, from_line: usize, message: &str) -> Option<(usize, usize)> {
    let (_, rest) = message.split_once('"')?;
    let (value, _) = rest.split_once('"')?;
    if value.is_empty() {
        return None;
    }
    text.lines().enumerate().skip(from_line.saturating_sub(1)).find_map(|(i, l)| {
        let at = l.find(value)?;
        // Past a key (`timeout: 0s`), not inside a longer word.
        l[..at].trim_end().ends_with(':').then(|| (i + 1, l[..at].chars().count() + 1))
    })
}

/// Largest case file read: the built-in suites' largest file is a few dozen KiB; a file much
/// larger is a mistake (or /dev/zero) and would take its size several times over in memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a case file of at most [`MAX_FILE_BYTES`], refusing a larger one without reading it
/// whole (its reported size may be 0, as for a pipe or a device: the read itself is bounded).
fn read_bounded(p: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let too_large = |size: String| format!("the file is {size}, over the {MAX_FILE_BYTES}-byte (16 MiB) limit on case files");
    let file = std::fs::File::open(p).map_err(|e| format!("cannot read file: {e}"))?;
    if let Ok(meta) = file.metadata() {
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_large(format!("{} bytes", meta.len())));
        }
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large("larger".to_string()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "id: a\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n";

    #[test]
    fn case_files_over_16_mib_are_refused_without_reading_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let errors = load_paths(std::slice::from_ref(&big)).unwrap_err();
        assert!(errors[0].message.contains("over the 16777216-byte (16 MiB) limit on case files"), "{}", errors[0]);
    }

    #[test]
    fn durations_out_of_range_are_refused_at_their_position() {
        for (value, want) in [
            ("18446744073709551615s", "out of range: the accepted range is 1ms to 24h"),
            ("0s", "out of range: the accepted range is 1ms to 24h"),
            ("25h", "out of range"),
        ] {
            let text = format!("id: a\nprotocol: http/1.1\ntimeout: {value}\nsteps:\n  - pause: 1ms\n");
            let errors = parse_cases("x.yaml", &text).unwrap_err();
            assert!(errors[0].message.contains(want), "{value}: {}", errors[0]);
            assert_eq!(errors[0].position, Some((3, 10)), "{value}: {}", errors[0]);
        }
        let text = "id: a\nprotocol: http/1.1\nsteps:\n  - pause: 100000h\n";
        let errors = parse_cases("x.yaml", text).unwrap_err();
        assert!(errors[0].message.contains("the accepted range is 0s to 24h"), "{}", errors[0]);
        assert_eq!(errors[0].position, Some((4, 5)), "{}", errors[0]);
    }

    #[test]
    fn parses_several_documents_with_their_lines() {
        let text = format!("{GOOD}---\n{}", GOOD.replace("id: a", "id: b"));
        let cases = parse_cases("x.yaml", &text).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!((cases[0].line, cases[1].line), (1, 7));
    }

    #[test]
    fn h2_server_steps_belong_to_h2_server_cases() {
        let server = "id: s\nprotocol: h2\nrole: server\nsteps:\n  - expect: { h2_request: { method: GET } }\n  - send: { h2_response: { body: x, data_sizes: [1] } }\n";
        assert!(parse_cases("s.yaml", server).is_ok());
        let wrong = [
            (server.replace("role: server\n", ""), "not a step for role `client`"),
            (server.replace("protocol: h2", "protocol: http/1.1"), "`h2_request` does not belong"),
            (server.replace("h2_request: { method: GET }", "h2_response: { status: 200 }"), "not a step for role `server`"),
            (server.replace("data_sizes: [1]", "data: [y]"), "`body` or `data`, not both"),
        ];
        for (text, want) in wrong {
            let err = parse_cases("s.yaml", &text).unwrap_err();
            assert!(err[0].message.contains(want), "{want}: {}", err[0]);
        }
    }

    #[test]
    fn header_patterns_are_checked_on_every_message_expectation() {
        for expect in ["response: { headers_match: { a: '(' } }", "handshake: { headers_match: { a: '(' } }"] {
            let protocol = if expect.starts_with("handshake") { "websocket" } else { "http/1.1" };
            let text = format!("id: p\nprotocol: {protocol}\nsteps:\n  - expect: {{ {expect} }}\n");
            let err = parse_cases("p.yaml", &text).unwrap_err();
            assert!(err[0].message.contains("invalid pattern for header a"), "{expect}: {}", err[0]);
        }
    }

    #[test]
    fn websocket_server_cases_take_server_steps_only() {
        let head = "id: w\nprotocol: websocket\nrole: server\nsteps:\n";
        let ok = format!("{head}  - expect: {{ ws_handshake_request: {{ target: / }} }}\n  - send: {{ ws_handshake_response: {{ accept: wrong }} }}\n  - send: {{ message: {{ text: a }} }}\n");
        assert_eq!(parse_cases("w.yaml", &ok).unwrap()[0].case.steps.len(), 3);
        for (step, why) in [
            ("- send: { handshake: {} }", "role `server`"),
            ("- expect: { handshake: {} }", "role `server`"),
            ("- send: { response: { status: 101 } }", "ws_handshake_response"),
            ("- expect: { request: { method: GET } }", "expects ws_handshake_request"),
            ("- send: { ws_handshake_response: { accept: maybe } }", "unknown variant"),
        ] {
            let err = parse_cases("w.yaml", &format!("{head}  {step}\n")).unwrap_err();
            assert!(err[0].message.contains(why), "{step}: {}", err[0]);
        }
        let client = "id: w\nprotocol: websocket\nsteps:\n  - send: { ws_handshake_response: {} }\n";
        assert!(parse_cases("w.yaml", client).unwrap_err()[0].message.contains("role `client`"));
        let http = "id: h\nprotocol: http/1.1\nrole: server\nsteps:\n  - expect: { ws_handshake_request: {} }\n";
        assert!(parse_cases("h.yaml", http).unwrap_err()[0].message.contains("ws_handshake_request"));
    }

    /// Found by the `yaml_cases` fuzz target: an alias to an unknown anchor cuts the document
    /// short, and serde_norway's typed deserialization panicked on it ("unexpected end of
    /// sequence") instead of failing. Inputs also in harness/fuzz/regressions/yaml_cases/.
    #[test]
    fn alias_to_an_unknown_anchor_is_an_error_not_a_panic() {
        for text in ["[*N]", " [*N],", " [*ND_M],],,", "# t:\n[*ND_AM], t:a\n", "# ta:\nlags: [*ND_STREAM], dat:a\n"] {
            let err = parse_cases("alias.yaml", text).unwrap_err();
            assert!(err[0].message.contains("unknown anchor"), "{text:?}: {}", err[0]);
        }
        let text = format!("{GOOD}---\nid: b\nsteps: [*x]\n");
        let err = parse_cases("alias.yaml", &text).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(err[0].message.contains("unknown anchor"), "{}", err[0]);
        // A defined anchor still works.
        let text = GOOD.replace("steps:\n", "steps:\n  - &s { send: { request: { target: / } } }\n  - *s\n");
        assert_eq!(parse_cases("alias.yaml", &text).unwrap()[0].case.steps.len(), 4);
    }

    #[test]
    fn unknown_field_names_line_and_column() {
        let text = "id: a\nprotocol: http/1.1\nsteps:\n  - expect: { response: { statis: 200 } }\n";
        let err = parse_cases("bad.yaml", text).unwrap_err();
        assert_eq!(err[0].position.map(|p| p.0), Some(4), "{}", err[0]);
        assert!(err[0].message.contains("statis"), "{}", err[0]);
        assert!(err[0].to_string().starts_with("bad.yaml:4:"), "{}", err[0]);
    }

    #[test]
    fn wrong_protocol_and_syntax_errors_are_located() {
        let err = parse_cases("p.yaml", "id: a\nprotocol: gopher\nsteps: []\n").unwrap_err();
        assert_eq!(err[0].position.map(|p| p.0), Some(2), "{}", err[0]);
        let err = parse_cases("s.yaml", "id: a\nsteps: [\n").unwrap_err();
        assert!(err[0].position.is_some(), "{}", err[0]);
    }

    #[test]
    fn expect_needs_exactly_one_kind() {
        let text = "id: a\nprotocol: http/1.1\nsteps:\n  - expect: { connection: open, bytes: x }\n";
        let err = parse_cases("e.yaml", text).unwrap_err();
        assert!(err[0].message.contains("exactly one"), "{}", err[0]);
        let text = "id: a\nprotocol: http/1.1\nsteps:\n  - expect: { match: '(' }\n";
        assert!(parse_cases("e.yaml", text).unwrap_err()[0].message.contains("invalid `match`"));
    }

    #[test]
    fn websocket_steps_only_in_websocket_cases() {
        let text = "id: a\nprotocol: http/1.1\nsteps:\n  - send: { message: { text: hi } }\n";
        assert!(parse_cases("w.yaml", text).unwrap_err()[0].message.contains("`message` does not belong in a http/1.1 case"));
        let text = "id: a\nprotocol: websocket\nsteps:\n  - expect: { any_of: [ { response: { status: 200 } } ] }\n";
        assert!(parse_cases("w.yaml", text).unwrap_err()[0].message.contains("`response`"));
        let text = "id: a\nprotocol: websocket\nsteps:\n  - send: { ws_frame: { opcode: 16 } }\n";
        assert!(parse_cases("w.yaml", text).unwrap_err()[0].message.contains("opcode 16"));
        let text = "id: a\nprotocol: websocket\nsteps:\n  - send: { ws_frame: { opcode: text, mask: 0102 } }\n";
        assert!(parse_cases("w.yaml", text).unwrap_err()[0].message.contains("4 bytes"));
        let text = "id: a\nprotocol: websocket\nsteps:\n  - expect: { message: { echo: true, text: x } }\n";
        assert!(parse_cases("w.yaml", text).unwrap_err()[0].message.contains("one of"));
    }

    #[test]
    fn builtin_suites_load() {
        let cases = load_paths(&[]).unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
        assert!(cases.iter().any(|c| c.case.id.starts_with("seed/")));
    }
}
