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

use super::Case;

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
    /// Where each step is written (empty when they cannot be told apart, as in a flow-style list).
    pub steps_at: Vec<StepAt>,
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
            Ok(case) => {
                let loaded = LoadedCase { steps_at: locate_steps(text, line), case, file: file.to_string(), line };
                match validate(&loaded.case) {
                    Ok(()) => cases.push(loaded),
                    Err((step, key, message)) => errors.push(loaded.error(step, key, &message)),
                }
            }
            Err(e) => {
                let mut position = e.location().map(|l| (l.line(), l.column()));
                // A value refused by its own parser (a duration out of range) is reported at its
                // document's start: point at the value itself.
                let mut message = e.to_string();
                if position.is_none_or(|(l, c)| (l, c) == (1, 1) || l == line) {
                    if let Some(found) = locate_value(text, line, &message) {
                        position = Some(found);
                        // The parser's own " at line 7 column 1" names the document's start.
                        if let Some((m, _)) = message.rsplit_once(" at line ") {
                            message = m.to_string();
                        }
                    }
                }
                let (position, message) = point_at_value(text, position, message);
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

/// Rules the types alone do not express, and the one fit rule: every step belongs to the case's
/// protocol and role ([`Step::fits`]). Errors name the step (0-based) they are about, if any.
fn validate(case: &Case) -> Result<(), (Option<usize>, Option<&'static str>, String)> {
    if case.id.trim().is_empty() {
        return Err((None, None, "id must not be empty".into()));
    }
    if case.steps.is_empty() {
        return Err((None, None, "steps must not be empty".into()));
    }
    if case.client.is_some() && case.role != super::Role::Server {
        return Err((None, None, "`client` belongs to cases with `role: server`".into()));
    }
    for (i, step) in case.steps.iter().enumerate() {
        step.fits(case.protocol, case.role).map_err(|(key, why)| (Some(i), Some(key), why))?;
    }
    Ok(())
}

impl LoadedCase {
    /// An error about this case, at step `step` (0-based; `None`: the case as a whole), placed
    /// at the step's kind `key` when it can be found in the step's text, else at the step, else
    /// at the document's start.
    pub fn error(&self, step: Option<usize>, key: Option<&str>, message: &str) -> LoadError {
        let at = step.and_then(|i| self.steps_at.get(i));
        let position = match at {
            Some(s) => Some(key.and_then(|k| s.find(k)).unwrap_or((s.line, s.column))),
            None => Some((self.line, 1)),
        };
        let which = step.map(|i| format!("step {}: ", i + 1)).unwrap_or_default();
        LoadError { file: self.file.clone(), position, message: format!("case {:?}: {which}{message}", self.case.id) }
    }
}

/// Where one step is written: its first line and column, and its text (for finding a key in it).
#[derive(Debug, Clone, Default)]
pub struct StepAt {
    /// 1-based line of the step.
    pub line: usize,
    /// 1-based column of its first key.
    pub column: usize,
    /// The step's lines, as (1-based line number, text).
    lines: Vec<(usize, String)>,
}

impl StepAt {
    /// Where `key:` first appears in the step (a key, not part of a longer word).
    fn find(&self, key: &str) -> Option<(usize, usize)> {
        let pattern = format!("{key}:");
        self.lines.iter().find_map(|(n, l)| {
            l.match_indices(&pattern).find_map(|(at, _)| {
                let before = l[..at].chars().next_back();
                let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
                (!before.is_some_and(word)).then(|| (*n, l[..at].chars().count() + 1))
            })
        })
    }
}

/// Where each step of the document starting at `from_line` is written, for a block-style
/// `steps:` list (the usual form); empty for a flow-style one (errors then point at the case).
fn locate_steps(text: &str, from_line: usize) -> Vec<StepAt> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut lines = text.lines().enumerate().skip(from_line.saturating_sub(1)).map(|(i, l)| (i + 1, l));
    let mut steps: Vec<StepAt> = Vec::new();
    for (_, l) in lines.by_ref() {
        if l.trim_end() == "---" || l.starts_with("--- ") {
            return steps;
        }
        if l.trim_end() == "steps:" {
            break;
        }
    }
    let mut item_indent = None;
    for (n, l) in lines {
        let trimmed = l.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let at = indent(l);
        let item = trimmed == "-" || trimmed.starts_with("- ");
        let item_indent = *item_indent.get_or_insert(at);
        if at < item_indent || (at == item_indent && !item) || l.trim_end() == "---" {
            break;
        }
        if at == item_indent {
            let key = trimmed[1..].trim_start();
            steps.push(StepAt { line: n, column: l.len() - key.len() + 1, lines: vec![] });
        }
        if let Some(step) = steps.last_mut() {
            step.lines.push((n, l.to_string()));
        }
    }
    steps
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
        l.match_indices(value).find_map(|(at, _)| {
            // Past a key (`timeout: 0s`, `autobahn: "6.4.1"`) or inside a flow list
            // (`autobahn: ["6.4.1", "6.4.2"]`), not inside a longer word.
            let before = l[..at].trim_end_matches(['"', '\'']).trim_end();
            let after = l[at + value.len()..].trim_start_matches(['"', '\'']);
            let whole = after.is_empty() || after.starts_with([',', ']', ' ', '#']);
            (whole && before.ends_with([':', '[', ','])).then(|| (i + 1, l[..at].chars().count() + 1))
        })
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
    fn unknown_autobahn_ids_are_refused_at_their_position() {
        let head = "id: a\nprotocol: websocket\nsteps:\n  - send: { ws_ping: p }\n";
        let text = format!("{head}---\nid: b\nprotocol: websocket\nautobahn: [\"6.4.1\", \"6.4.5\"]\nsteps:\n  - send: {{ ws_ping: p }}\n");
        let errors = parse_cases("x.yaml", &text).unwrap_err();
        assert!(errors[0].message.starts_with("unknown Autobahn case id \"6.4.5\""), "{}", errors[0]);
        assert!(!errors[0].message.contains(" at line "), "{}", errors[0]);
        assert_eq!(errors[0].position, Some((8, 22)), "{}", errors[0]);
        let errors = parse_cases("x.yaml", &head.replace("steps:", "autobahn: \"6.4\"\nsteps:")).unwrap_err();
        assert!(errors[0].message.contains("unknown Autobahn case id \"6.4\""), "{}", errors[0]);
        assert_eq!(errors[0].position, Some((3, 12)), "{}", errors[0]);
        let ok = parse_cases("x.yaml", &head.replace("steps:", "autobahn: \"6.4.1\"\nsteps:")).unwrap();
        assert_eq!(ok[0].case.autobahn.as_ref().map(|a| a.as_slice().to_vec()), Some(vec!["6.4.1".to_string()]));
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
        ];
        for (text, want) in wrong {
            let err = parse_cases("s.yaml", &text).unwrap_err();
            assert!(err[0].message.contains(want), "{want}: {}", err[0]);
        }
    }

    /// The acceptance bugs of issue 17: each was accepted by `peerspec check` and then failed at
    /// run time, counted against the target. Each is now a load error at the offending key.
    #[test]
    fn steps_of_another_protocol_are_load_errors_at_their_key() {
        let head = |protocol: &str| format!("id: a\nprotocol: {protocol}\nsteps:\n");
        for (protocol, step, want, column) in [
            ("http/1.1", "  - send:\n      h2_request: { method: GET }\n", "`h2_request` does not belong in a http/1.1 case", 7),
            ("http/1.1", "  - send: { frames: [ ping: {} ] }\n", "`frames` does not belong in a http/1.1 case", 13),
            (
                "h2",
                "  - send: { request: { target: / } }\n",
                "`request` does not belong in a h2 case (it is a step of http/1.0, http/1.1 cases)",
                13,
            ),
            ("http/1.0", "  - expect: { any_of: [ { connection: closed }, { ping_ack: {} } ] }\n", "`ping_ack` does not belong", 51),
        ] {
            let text = format!("{}  - pause: 1ms\n{step}", head(protocol));
            let err = parse_cases("a.yaml", &text).unwrap_err();
            assert!(err[0].message.contains(want), "{step}: {}", err[0]);
            assert!(err[0].message.starts_with("case \"a\": step 2: "), "{step}: {}", err[0]);
            let line = if step.contains("send:\n") { 6 } else { 5 };
            assert_eq!(err[0].position, Some((line, column)), "{step}: {}", err[0]);
            assert!(err[0].to_string().starts_with(&format!("a.yaml:{line}:{column}: ")), "{}", err[0]);
        }
    }

    /// Acceptance bug 4 of issue 17: a `within` in an `any_of` alternative was silently ignored.
    #[test]
    fn within_inside_an_any_of_alternative_is_a_load_error() {
        let text = "id: a\nprotocol: http/1.1\nsteps:\n  - expect:\n      any_of:\n        - { connection: closed, within: 2s }\n";
        let err = parse_cases("a.yaml", text).unwrap_err();
        assert!(err[0].message.contains("`within` inside an `any_of` alternative has no effect"), "{}", err[0]);
        // At the step that holds it.
        assert_eq!(err[0].position, Some((4, 5)), "{}", err[0]);
    }

    /// Every kind of send and expectation is held to its role: one case per role-bound kind.
    #[test]
    fn every_role_bound_kind_in_the_wrong_role_is_a_load_error() {
        for (protocol, role, step) in [
            ("http/1.1", "server", "send: { request: { target: / } }"),
            ("http/1.1", "server", "send: { pipeline: [ { target: / } ] }"),
            ("http/1.1", "client", "send: { response: { status: 200 } }"),
            ("http/1.1", "server", "expect: { response: { status: 200 } }"),
            ("http/1.1", "client", "expect: { request: { method: GET } }"),
            ("h2", "server", "send: { h2_request: { method: GET } }"),
            ("h2", "client", "send: { h2_response: { status: 200 } }"),
            ("h2", "server", "expect: { h2_response: { status: 200 } }"),
            ("h2", "client", "expect: { h2_request: { method: GET } }"),
            ("h2", "server", "expect: { any_of: [ { connection: closed }, { h2_response: { status: 200 } } ] }"),
            ("websocket", "server", "send: { handshake: {} }"),
            ("websocket", "client", "send: { ws_handshake_response: {} }"),
            ("websocket", "server", "expect: { handshake: {} }"),
            ("websocket", "client", "expect: { ws_handshake_request: {} }"),
        ] {
            let text = format!("id: a\nprotocol: {protocol}\nrole: {role}\nsteps:\n  - {step}\n");
            let err = parse_cases("r.yaml", &text).unwrap_err();
            assert!(err[0].message.contains(&format!("not a step for role `{role}`")), "{step}: {}", err[0]);
            assert_eq!(err[0].position.map(|p| p.0), Some(5), "{step}: {}", err[0]);
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
            ("- send: { response: { status: 101 } }", "`response` does not belong in a websocket case"),
            ("- expect: { request: { method: GET } }", "`request` does not belong in a websocket case"),
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
        assert_eq!(err[0].position.map(|p| p.0), Some(4), "{}", err[0]);
    }

    #[test]
    fn websocket_steps_only_in_websocket_cases() {
        let text = "id: a\nprotocol: http/1.1\nsteps:\n  - send: { message: { text: hi } }\n";
        assert!(parse_cases("w.yaml", text).unwrap_err()[0].message.contains("`message` does not belong in a http/1.1 case"));
        let text = "id: a\nprotocol: websocket\nsteps:\n  - expect: { any_of: [ { response: { status: 200 } } ] }\n";
        assert!(parse_cases("w.yaml", text).unwrap_err()[0].message.contains("`response`"));
    }

    /// A value in none of an untagged enum's forms is reported with the forms it accepts, not as
    /// "did not match any variant of untagged enum".
    #[test]
    fn wrong_forms_of_untagged_enums_name_the_accepted_forms() {
        for (protocol, head, step, want) in [
            ("http/1.1", "", "send: { raw: { hax: 00 } }", "expected bytes: a string, { hex: \"0d0a\" }"),
            ("http/1.1", "", "expect: { response: { status: { code: 200 } } }", "expected one value or a list of allowed values"),
            ("h2", "", "expect: { frame: { type: [1] } }", "expected a name or a number"),
            ("h2", "", "expect: { connection_error: { code: 1 } }", "expected an error code, a list of codes, or { error:"),
            ("websocket", "", "send: { message: { text: a, mask: [1] } }", "expected true (a random key), false (unmasked)"),
            ("websocket", "", "send: { ws_frame: { opcode: [1] } }", "expected an opcode: continuation, text"),
            ("websocket", "", "expect: { fail: some }", "expected `any` or one close code or a list of them"),
            (
                "http/1.1",
                "role: server\nclient: { command: x, expect: { exit: [1] } }\n",
                "expect: { request: {} }",
                "expected an exit status",
            ),
        ] {
            let text = format!("id: a\nprotocol: {protocol}\n{head}steps:\n  - {step}\n");
            let err = parse_cases("u.yaml", &text).unwrap_err();
            assert!(err[0].message.contains(want) && !err[0].message.contains("untagged"), "{step}: {}", err[0]);
            assert!(err[0].position.is_some(), "{step}: {}", err[0]);
        }
    }

    #[test]
    fn builtin_suites_load() {
        let cases = load_paths(&[]).unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
        assert!(cases.iter().any(|c| c.case.id.starts_with("seed/")));
    }
}
