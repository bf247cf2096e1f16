//! HTTP/1.x in the runner: turning request specs into wire requests, and response expectations
//! into [`Check`]s over the [`ResponseReader`]'s record.

use std::collections::VecDeque;

use crate::case::{BodyEnd, Protocol, RequestSpec, ResponseExpect};
use crate::transcript::escape;
use crate::wire::http1::request::{OutgoingBody, Request};
use crate::wire::http1::response::{Limits, Progress, ResponseReader, ResponseRecord, UnitKind};

use crate::case::{ExpectKind, Send};
use crate::run::check::{annotated, Annotated, Check, Verdict};
use crate::run::driver::{Driver, Substitutions, Units};
use crate::run::fields::differ;
use crate::run::sse::EventStreamFollower;

/// RFC 9112 §9.6 on a server that announced its close, quoted when it answers anyway.
const CLOSE_SENT_RULE: &str = "RFC 9112 §9.6: \"A server that sends a \"close\" connection option MUST initiate closure of the \
                               connection (see below) after it sends the response containing the \"close\" connection option. \
                               The server MUST NOT process any further requests received on that connection.\"";

/// HTTP/1.x state a case carries between steps: the methods of requests sent and not yet
/// answered, so each response is read by the rules for its request (HEAD has no body), and
/// whether a response on this connection has said the server will close it.
#[derive(Debug)]
pub struct Http1Client {
    protocol: Protocol,
    subs: Substitutions,
    unanswered: VecDeque<String>,
    limits: Limits,
    /// Responses read on the current connection.
    answered: usize,
    /// The first response on the current connection that said the connection ends after it.
    declared_close: Option<DeclaredClose>,
}

/// A response after which the connection does not persist (RFC 9112 §9.3): it carried the
/// `close` connection option, or it was HTTP/1.0 without `keep-alive`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredClose {
    /// Which response, and how it said so (for reports).
    pub what: String,
    /// Whether it was the `close` option, which binds the server not to answer any further
    /// request (RFC 9112 §9.6); an HTTP/1.0 response without `keep-alive` only ends persistence.
    pub close_option: bool,
}

/// Whether `record`, the `nth` response of its connection, says the connection ends after it.
pub fn declared_close(record: &ResponseRecord, nth: usize) -> Option<DeclaredClose> {
    let connection = record.header("connection").unwrap_or_default();
    let has = |option: &str| connection.split(',').any(|o| o.trim().eq_ignore_ascii_case(option));
    let response = format!("response {nth} ({} {})", record.version, record.status);
    if has("close") {
        return Some(DeclaredClose { what: format!("{response} carried `Connection: close`"), close_option: true });
    }
    if record.body.framing == Some(crate::wire::http1::response::Framing::UntilClose) {
        // RFC 9112 §9.3: persistence needs "a self-defined message length"; this body ended with the close.
        return Some(DeclaredClose {
            what: format!("{response} had no Content-Length or chunked coding (body until close)"),
            close_option: false,
        });
    }
    if record.version == "HTTP/1.0" && !has("keep-alive") {
        // RFC 9112 §9.3: "The connection will close after the current response."
        return Some(DeclaredClose { what: format!("{response} was HTTP/1.0 without keep-alive"), close_option: false });
    }
    None
}

impl Http1Client {
    /// State for a case of this protocol.
    pub fn new(protocol: Protocol, subs: Substitutions) -> Self {
        Http1Client { protocol, subs, unanswered: VecDeque::new(), limits: Limits::default(), answered: 0, declared_close: None }
    }

    /// Builds the wire request for a spec and remembers its method.
    pub fn request(&mut self, spec: &RequestSpec) -> Result<(String, Vec<u8>), String> {
        let method = spec.method.clone().unwrap_or_else(|| "GET".into());
        let target = self.subs.apply(spec.target.as_deref().unwrap_or("{path}"));
        let version = spec.version.clone().unwrap_or_else(|| match self.protocol {
            Protocol::Http10 => "HTTP/1.0".into(),
            Protocol::Http11 | Protocol::H2 | Protocol::Ws => "HTTP/1.1".into(),
        });
        let mut headers: Vec<(String, String)> = spec.headers.iter().map(|(n, v)| (n.clone(), self.subs.apply(v))).collect();
        let body = match (&spec.body, &spec.chunks) {
            (Some(b), _) => OutgoingBody::Full(b.to_bytes()?),
            (None, Some(chunks)) => OutgoingBody::Chunked {
                chunks: chunks.iter().map(|c| c.to_bytes()).collect::<Result<_, _>>()?,
                trailers: spec.trailers.iter().map(|(n, v)| (n.clone(), v.clone())).collect(),
                last_chunk: true,
            },
            (None, None) => OutgoingBody::None,
        };
        let mut request = Request { method: method.clone(), target, version, headers: vec![], body };
        if spec.auto_headers {
            let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
            let mut auto = vec![];
            if request.version == "HTTP/1.1" && !has("host") {
                auto.push(("Host".to_string(), self.subs.host.clone()));
            }
            match &request.body {
                OutgoingBody::Full(b) if !has("content-length") && !has("transfer-encoding") => {
                    auto.push(("Content-Length".into(), b.len().to_string()))
                }
                OutgoingBody::Chunked { .. } if !has("transfer-encoding") => auto.push(("Transfer-Encoding".into(), "chunked".into())),
                _ => {}
            }
            auto.append(&mut headers);
            headers = auto;
        }
        request.headers = headers;
        self.unanswered.push_back(method.clone());
        Ok((format!("request {} {} {}", request.method, request.target, request.version), request.encode()))
    }

    /// A check for a response, read by the rules for the oldest unanswered request.
    pub fn response_check(&self, expect: &ResponseExpect) -> Result<ResponseCheck, String> {
        let method = expect.method.clone().or_else(|| self.unanswered.front().cloned()).unwrap_or_else(|| "GET".into());
        let mut check = ResponseCheck::new(&method, expect, self.limits)?;
        check.after_close = self.declared_close.clone().filter(|d| d.close_option).map(|d| d.what);
        Ok(check)
    }
}

impl Driver for Http1Client {
    fn set_caps(&mut self, caps: &crate::run::Caps) {
        self.limits = caps.http1_limits();
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::Request(spec) => Ok(vec![self.request(spec)?]),
            Send::Pipeline(specs) => specs.iter().map(|s| self.request(s)).collect(),
            Send::Raw(_) => Err("raw sends are handled by the step loop".into()),
            _ => Err("this send step is not one HTTP/1.x knows".into()),
        }
    }

    fn check(&mut self, expect: &ExpectKind) -> Result<Box<dyn Check>, String> {
        match expect {
            ExpectKind::Response(r) => Ok(Box::new(self.response_check(r)?)),
            // Loading keeps the other kinds out of HTTP/1.x client cases (`Step::fits`).
            other => Err(format!("`{}` is not an expectation an HTTP/1.x client knows", other.name())),
        }
    }

    fn on_connect(&mut self) -> Result<Units, String> {
        self.answered = 0;
        self.declared_close = None;
        Ok(Vec::new())
    }

    fn passed(&mut self, check: &mut dyn Check) -> Units {
        // A response answers the oldest unanswered request.
        if check.answers_request() {
            self.unanswered.pop_front();
            self.answered += 1;
            if let Some(response) = check.as_any_mut().and_then(|c| c.downcast_mut::<ResponseCheck>()) {
                if self.declared_close.is_none() {
                    self.declared_close = declared_close(response.reader.record(), self.answered);
                }
            }
        }
        Vec::new()
    }

    fn declared_close(&self) -> Option<String> {
        self.declared_close.as_ref().map(|d| d.what.clone())
    }
}

/// Waits for one response and compares it with a [`ResponseExpect`].
pub struct ResponseCheck {
    reader: ResponseReader,
    expect: ResponseExpect,
    body: Option<Vec<u8>>,
    body_contains: Option<Vec<u8>>,
    /// The body followed as an event stream, when the case expects one.
    events: Option<EventStreamFollower>,
    /// Set when an earlier response on this connection carried the `close` option: then no
    /// response may come (RFC 9112 §9.6), and this says which one declared it.
    after_close: Option<String>,
}

impl ResponseCheck {
    fn new(method: &str, expect: &ResponseExpect, limits: Limits) -> Result<Self, String> {
        let mut reader = ResponseReader::new(method, limits);
        if expect.event_stream.is_some() {
            // Events past the kept body are still parsed, as they stream through.
            reader.follow_overflow();
        }
        Ok(ResponseCheck {
            reader,
            expect: expect.clone(),
            body: expect.body.as_ref().map(|b| b.to_bytes()).transpose()?,
            body_contains: expect.body_contains.as_ref().map(|b| b.to_bytes()).transpose()?,
            events: expect.event_stream.as_ref().map(|_| EventStreamFollower::default()),
            after_close: None,
        })
    }

    /// Compares the response read so far; `consumed` bytes of the input are its.
    fn judge(&mut self, consumed: usize) -> Verdict {
        let record = self.reader.record();
        let mut problems = compare(&self.expect, self.body.as_deref(), self.body_contains.as_deref(), record);
        let mut units = units_of(record, &record.units);
        if let (Some(follower), Some(expect)) = (&mut self.events, &self.expect.event_stream) {
            follower.follow(&record.body.bytes);
            problems.extend(follower.compare(expect, record.body.end.is_some()));
            units.extend(event_units(follower, consumed));
        }
        if problems.is_empty() {
            Verdict::Pass { consumed, units }
        } else {
            Verdict::Fail(format!("response differs:\n{}", problems.join("\n")))
        }
    }

    /// For a stream expected to stay open: whether its events have all arrived.
    fn open_stream_ready(&mut self) -> bool {
        let (Some(follower), Some(expect)) = (&mut self.events, &self.expect.event_stream) else { return false };
        let record = self.reader.record();
        if !expect.open || record.status == 0 {
            return false;
        }
        follower.follow(&record.body.bytes);
        follower.has_events_for(expect)
    }
}

/// Transcript notes: where each event was dispatched, in body bytes (the chunks or frames above
/// show where the transport split the stream).
fn event_units(follower: &EventStreamFollower, at: usize) -> Vec<Annotated> {
    follower
        .event_spans()
        .into_iter()
        .map(|(start, end, what)| annotated(at, 0, format!("SSE {what} (body bytes {start}..{end})")))
        .collect()
}

impl Check for ResponseCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        let progress = self.reader.advance(input, eof);
        if let Some(declared) = &self.after_close {
            let r = self.reader.record();
            if r.status != 0 || !r.interim.is_empty() {
                let status = if r.status != 0 { r.status } else { r.interim[0] };
                return Verdict::Fail(format!(
                    "a response ({status}) came after {declared}: the server answered a request it must not process; {CLOSE_SENT_RULE}"
                ));
            }
        }
        if let Some(follower) = &mut self.events {
            let body = &self.reader.record().body;
            follower.follow(&body.bytes);
            follower.feed(&body.overflow);
        }
        match progress {
            // An open event stream passes once its events are in; everything received so far
            // belongs to the stream, which goes on.
            Progress::NeedMore if self.open_stream_ready() => self.judge(input.len()),
            Progress::NeedMore => Verdict::Pending,
            Progress::Done { consumed } => self.judge(consumed),
            Progress::Invalid(e) => Verdict::Fail(format!("invalid response: {e}")),
        }
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        let r = self.reader.record();
        let progress = if r.status == 0 {
            format!("no complete response head ({} bytes received)", input.len())
        } else {
            format!("{} {} received, body incomplete after {} bytes{}", r.version, r.status, r.body.len, kept_note(&r.body))
        };
        Verdict::Fail(format!("timed out waiting for the response: {progress}"))
    }
    fn answers_request(&self) -> bool {
        true
    }
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
    fn release(&mut self) -> Option<crate::run::check::Released> {
        let (len, released) = self.reader.release()?;
        Some(crate::run::check::Released { len, units: units_of(self.reader.record(), &released) })
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        let mut units = units_of(self.reader.record(), &self.reader.record().units);
        if let Some(follower) = &self.events {
            let reach = units.iter().map(|u| u.offset + u.len).max().unwrap_or(0);
            units.extend(event_units(follower, reach));
        }
        units
    }
    fn describe(&self) -> String {
        match &self.expect.status {
            Some(s) => format!("response {}", join(s.as_slice())),
            None => "response".into(),
        }
    }
}

/// `" (N of them kept for checks, --max-body-kept)"` when the body went over the cap, else
/// nothing.
fn kept_note(body: &crate::wire::http1::response::BodyRecord) -> String {
    let chunks = if body.chunks_not_kept > 0 {
        format!("; {} chunks past the first {} counted only", body.chunks_not_kept, body.chunks.len())
    } else {
        String::new()
    };
    if body.kept_whole() {
        return chunks;
    }
    format!(" ({} of them kept for checks, --max-body-kept; the rest counted and dropped{chunks})", body.bytes.len())
}

/// Transcript units of `units`, a response record's (all of them, or some it let go of).
fn units_of(r: &ResponseRecord, units: &[crate::wire::http1::response::Unit]) -> Vec<Annotated> {
    units
        .iter()
        .map(|u| {
            let unit = match &u.kind {
                UnitKind::InterimHead { status } => format!("interim response head {status}"),
                UnitKind::Head => format!("response head {} {} {}", r.version, r.status, r.reason),
                UnitKind::ContentLengthBody => "body (Content-Length)".to_string(),
                UnitKind::CloseDelimitedBody => "body (until close)".to_string(),
                UnitKind::ChunkSize { size, extensions, bare_lf } => {
                    let ext = if extensions.is_empty() { String::new() } else { format!(" ;{extensions}") };
                    let lf = if *bare_lf { " (bare LF)" } else { "" };
                    format!("chunk size 0x{size:x} ({size}){ext}{lf}")
                }
                UnitKind::ChunkData { len } => format!("chunk data {len} B"),
                UnitKind::LastChunk => "last chunk (zero-length)".to_string(),
                UnitKind::Trailers { count } => format!("trailer section ({count} fields) and final CRLF"),
                UnitKind::Fin => "FIN (end of body)".to_string(),
            };
            annotated(u.offset, u.len, unit)
        })
        .collect()
}

fn join<T: std::fmt::Display>(xs: &[T]) -> String {
    xs.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" or ")
}

/// Every way `record` differs from `expect`, one line each ("expected …, saw …").
pub fn compare(expect: &ResponseExpect, body: Option<&[u8]>, body_contains: Option<&[u8]>, record: &ResponseRecord) -> Vec<String> {
    let mut problems = Vec::new();

    if let Some(v) = &expect.version {
        if !v.allows(&record.version) {
            differ(&mut problems, "version", join(v.as_slice()), record.version.clone());
        }
    }
    if let Some(interim) = &expect.interim {
        if interim != &record.interim {
            differ(&mut problems, "interim responses", format!("{interim:?}"), format!("{:?}", record.interim));
        }
    }
    if let Some(s) = &expect.status {
        if !s.allows(&record.status) {
            differ(&mut problems, "status", join(s.as_slice()), format!("{} {}", record.status, record.reason));
        }
    }
    let fields = expect.header_expectations();
    fields.compare(|name| record.header(name), &mut problems);
    let Some(end) = record.body.end else {
        // A stream still open (an SSE stream checked before its end).
        if let Some(allowed) = &expect.ends_with {
            let names = allowed.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or ");
            differ(&mut problems, "body end", names, "the body still open".into());
        }
        return problems;
    };
    match &expect.ends_with {
        Some(allowed) if !allowed.allows(&end) => differ(
            &mut problems,
            "body end",
            allowed.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or "),
            describe_end(record),
        ),
        // A truncated body never passes unless the case asks for one.
        None if end == BodyEnd::Truncated => differ(&mut problems, "body end", "a complete body".into(), describe_end(record)),
        _ => {}
    }
    let kept_whole = record.body.kept_whole();
    let kept = kept_note(&record.body);
    if let Some(want) = body {
        if !kept_whole || record.body.bytes != want {
            let at = record.body.bytes.iter().zip(want).position(|(a, b)| a != b).unwrap_or(record.body.bytes.len().min(want.len()));
            differ(
                &mut problems,
                "body",
                format!("{} ({} B)", escape(want, 200), want.len()),
                format!("{} ({} B{kept}), first difference at byte {at}", escape(&record.body.bytes, 200), record.body.len),
            );
        }
    }
    if let Some(part) = body_contains {
        if !record.body.bytes.windows(part.len().max(1)).any(|w| w == part) {
            differ(
                &mut problems,
                "body",
                format!("to contain {}", escape(part, 100)),
                format!("{} ({} B{kept})", escape(&record.body.bytes, 200), record.body.len),
            );
        }
    }
    if let Some(n) = expect.body_length {
        if record.body.len != n as u64 {
            differ(&mut problems, "body length", n.to_string(), record.body.len.to_string());
        }
    }
    if let Some(sizes) = &expect.chunks {
        let seen = record.body.chunk_sizes();
        if record.body.chunks_not_kept > 0 || seen.iter().map(|s| *s as usize).ne(sizes.iter().copied()) {
            let hex = |xs: Vec<u64>| xs.iter().map(|s| format!("0x{s:x}")).collect::<Vec<_>>().join(", ");
            let total = seen.len() as u64 + record.body.chunks_not_kept;
            let shown =
                if total > 32 { format!("[{}, …] ({total} chunks)", hex(seen[..32].to_vec())) } else { format!("[{}]", hex(seen)) };
            differ(&mut problems, "chunks", format!("[{}]", hex(sizes.iter().map(|s| *s as u64).collect())), shown);
        }
    }
    for (name, value) in &expect.trailers {
        match record.body.trailer(name) {
            Some(v) if &v == value => {}
            Some(v) => differ(&mut problems, &format!("trailer {name}"), format!("{value:?}"), format!("{v:?}")),
            None => differ(&mut problems, &format!("trailer {name}"), format!("{value:?}"), "no such trailer".into()),
        }
    }
    problems
}

fn describe_end(r: &ResponseRecord) -> String {
    use crate::wire::http1::response::Framing;
    let end = r.body.end.map(BodyEnd::name).unwrap_or("?");
    match (r.body.end, r.body.framing) {
        (Some(BodyEnd::Truncated), Some(Framing::ContentLength(n))) => {
            format!("truncated (FIN after {} of {n} bytes declared by Content-Length)", r.body.len)
        }
        (Some(BodyEnd::Truncated), Some(Framing::Chunked)) => {
            format!("truncated (FIN before the zero chunk, after {} body bytes)", r.body.len)
        }
        _ => end.to_string(),
    }
}
