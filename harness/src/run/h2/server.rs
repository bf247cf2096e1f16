//! HTTP/2 as the fake server (role `server`): the client's connection preface and requests
//! checked frame by frame, scripted responses framed exactly as a case says (END_STREAM on
//! HEADERS or on the last DATA, or withheld; header blocks split over CONTINUATION; DATA split
//! anywhere), and raw `frames` for RST_STREAM, GOAWAY and the rest.
//!
//! Reading frames, HPACK decoding, automatic SETTINGS and PING acknowledgements, raw frames and
//! the role-neutral expectations (`frame`, `connection_error`, `stream_error`, `ping_ack`) are
//! the client role's ([`H2Client`], [`Reader`], [`H2Check`]); this module adds only what differs
//! between the roles.

use crate::case::h2::{H2RequestExpect, H2Response, StreamEnd};
use crate::case::{Case, ExpectKind, Send};
use crate::transcript::escape;
use crate::wire::h2::hpack::{self};
use crate::wire::h2::{self as wire, flag, kind, settings, Frame, Payload};

use super::client::H2Client;
use super::encode::labelled;
use super::matchers::{default_seen, H2Check, Matcher, Seen};
use super::reader::{field_value, fields_text, Event, Reader};
use crate::run::check::{annotated, Annotated, Check, Verdict};
use crate::run::driver::{Driver, Substitutions, Units};
use crate::run::fields::differ;
use crate::run::util::split;

/// SETTINGS_MAX_CONCURRENT_STREAMS the fake server announces.
pub const SERVER_MAX_CONCURRENT_STREAMS: u32 = 100;

// ---------------------------------------------------------------------------------------------
// Sending responses

/// A header block's frames: HEADERS with the first piece, then CONTINUATION frames, END_HEADERS
/// on the last; END_STREAM (when `end_stream`) on the HEADERS frame, where RFC 9113 §6.2 puts it.
pub(super) fn header_block_frames(stream: u32, block: Vec<u8>, pieces: &[usize], end_stream: bool, note: String) -> Units {
    let parts = if pieces.is_empty() { vec![block] } else { split(&block, pieces) };
    let last = parts.len() - 1;
    let mut out = vec![];
    for (i, fragment) in parts.into_iter().enumerate() {
        let end_headers = if i == last { flag::END_HEADERS } else { 0 };
        let frame = if i == 0 {
            let flags = end_headers | if end_stream { flag::END_STREAM } else { 0 };
            Frame::new(kind::HEADERS, flags, stream, Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment }))
        } else {
            Frame::new(kind::CONTINUATION, end_headers, stream, Payload::Continuation(wire::continuation::Continuation { fragment }))
        };
        out.push(labelled(frame, (i == 0).then(|| note.clone())));
    }
    out
}

/// The frames of a scripted response on `stream`, in order.
pub fn encode_response(r: &H2Response, stream: u32, subs: &Substitutions) -> Result<Units, String> {
    let mut fields = vec![(":status".to_string(), r.status.unwrap_or(200).to_string())];
    fields.extend(r.headers.iter().map(|(n, v)| (n.clone(), subs.apply(v))));
    if r.data_sizes.as_ref().is_some_and(|s| s.is_empty() || s.contains(&0)) {
        return Err("`data_sizes` needs at least one size, and no size 0".into());
    }
    let pieces: Vec<Vec<u8>> = match (&r.body, &r.data) {
        (Some(_), Some(_)) => return Err("a response has `body` or `data`, not both".into()),
        (None, Some(pieces)) => pieces.iter().map(|p| p.to_bytes()).collect::<Result<_, _>>()?,
        (Some(body), None) => {
            let body = body.to_bytes()?;
            match &r.data_sizes {
                _ if body.is_empty() => vec![vec![]],
                Some(sizes) => split(&body, sizes),
                None => body.chunks(wire::DEFAULT_MAX_FRAME_SIZE as usize).map(<[u8]>::to_vec).collect(),
            }
        }
        (None, None) if r.data_sizes.is_some() => return Err("`data_sizes` splits `body`, and there is none".into()),
        (None, None) => vec![],
    };
    if r.continuation.contains(&0) {
        return Err("`continuation` sizes must not be 0".into());
    }
    let trailers: Vec<(String, String)> = r.trailers.iter().map(|(n, v)| (n.clone(), subs.apply(v))).collect();
    let end_on_headers = r.end_stream && pieces.is_empty() && trailers.is_empty();
    let block = hpack::encode(&hpack::reps_for(&fields, r.huffman));
    let mut out = header_block_frames(stream, block, &r.continuation, end_on_headers, fields_text(&fields));
    let last = pieces.len().saturating_sub(1);
    for (i, data) in pieces.into_iter().enumerate() {
        let end = r.end_stream && i == last && trailers.is_empty();
        let flags = if end { flag::END_STREAM } else { 0 };
        out.push(labelled(Frame::new(kind::DATA, flags, stream, Payload::Data(wire::data::Data { data, padding: None })), None));
    }
    if !trailers.is_empty() {
        let block = hpack::encode(&hpack::reps_for(&trailers, r.huffman));
        out.extend(header_block_frames(stream, block, &[], r.end_stream, format!("(trailers) {}", fields_text(&trailers))));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Reading the client

/// The client connection preface (RFC 9113 §3.4): the 24 octets, then a SETTINGS frame (which
/// the reader acknowledges).
pub struct ClientPrefaceCheck {
    frames: H2Check,
}

impl ClientPrefaceCheck {
    fn new(reader: Reader) -> Self {
        ClientPrefaceCheck { frames: H2Check::new(reader, Box::new(FirstSettings)) }
    }

    fn shift(units: Vec<Annotated>) -> Vec<Annotated> {
        let mut out = vec![annotated(0, wire::PREFACE.len(), "client connection preface")];
        out.extend(units.into_iter().map(|u| annotated(u.offset + wire::PREFACE.len(), u.len, u.unit)));
        out
    }
}

impl Check for ClientPrefaceCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        let n = input.len().min(wire::PREFACE.len());
        if input[..n] != wire::PREFACE[..n] {
            let hint = match input.first() {
                Some(0x16) => " (a TLS handshake: the client wanted https)",
                Some(b'A'..=b'Z') if !input.starts_with(b"PRI") => {
                    " (an HTTP/1.x request: the client did not use HTTP/2 with prior knowledge)"
                }
                _ => "",
            };
            return Verdict::Fail(format!(
                "the client did not start with the HTTP/2 connection preface (RFC 9113 §3.4){hint}: saw {}",
                escape(input, 64)
            ));
        }
        if input.len() < wire::PREFACE.len() {
            return match eof {
                true => Verdict::Fail(format!("the client closed after {n} of the 24 octets of the connection preface")),
                false => Verdict::Pending,
            };
        }
        match self.frames.poll(&input[wire::PREFACE.len()..], eof) {
            Verdict::Pass { consumed, units } => Verdict::Pass { consumed: consumed + wire::PREFACE.len(), units: Self::shift(units) },
            other => other,
        }
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        if input.len() < wire::PREFACE.len() {
            return Verdict::Fail(format!("timed out waiting for the client connection preface ({} bytes received)", input.len()));
        }
        self.frames.on_deadline(&input[wire::PREFACE.len()..])
    }
    fn describe(&self) -> String {
        "the client connection preface and SETTINGS".into()
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        Self::shift(self.frames.units_so_far())
    }
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        // The frame check inside carries the reader the driver takes.
        self.frames.as_any_mut()
    }
}

/// The first frame after the preface must be a SETTINGS frame (RFC 9113 §3.4).
#[derive(Clone)]
pub(super) struct FirstSettings;

impl Matcher for FirstSettings {
    fn on_event(&mut self, ev: &Event) -> Seen {
        match &ev.frame.payload {
            Payload::Settings(_) if !ev.header().has(flag::ACK) => Seen::Pass,
            _ => Seen::Fail(format!(
                "the client's first frame after the preface must be SETTINGS (RFC 9113 §3.4); it sent {}",
                wire::describe(&ev.frame)
            )),
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err("the client closed the connection before sending its SETTINGS frame (RFC 9113 §3.4)".into())
    }
    fn describe(&self) -> String {
        "the client's SETTINGS frame".into()
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

/// Fields RFC 9113 §8.2.2 forbids in HTTP/2.
pub(super) const CONNECTION_SPECIFIC: [&str; 5] = ["connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade"];

/// One request of the client's, on the stream given or the next new one it opens.
#[derive(Clone)]
pub(super) struct RequestMatcher {
    /// The stream the case names, if any.
    want: Option<u32>,
    /// Streams up to this one were already read by earlier steps.
    after: u32,
    /// The stream being read, once its HEADERS arrived.
    stream: Option<u32>,
    expect: H2RequestExpect,
    path: Option<String>,
    /// `:scheme` wanted, with `{scheme}` resolved to the scheme of the URL the client was given.
    scheme: Option<String>,
    authority: Option<String>,
    body_want: Option<Vec<u8>>,
    fields: Option<Vec<(String, String)>>,
    trailers: Option<Vec<(String, String)>>,
    /// The request body as kept for checks (at most `max_body_kept` bytes) and its full length.
    body: Vec<u8>,
    body_len: u64,
    max_body_kept: usize,
}

impl RequestMatcher {
    fn new(e: &H2RequestExpect, after: u32, subs: &Substitutions, tls: bool) -> Result<Self, String> {
        Ok(RequestMatcher {
            want: e.stream,
            after,
            stream: None,
            expect: e.clone(),
            path: e.path.as_deref().map(|p| subs.apply(p)),
            scheme: e.scheme.as_deref().map(|s| s.replace("{scheme}", if tls { "https" } else { "http" })),
            authority: e.authority.as_deref().map(|a| subs.apply(a)),
            body_want: e.body.as_ref().map(|b| b.to_bytes()).transpose()?,
            fields: None,
            trailers: None,
            body: vec![],
            body_len: 0,
            max_body_kept: crate::run::Caps::default().max_body_kept,
        })
    }

    /// The RFC 9113 §8.2 and §8.3.1 rules a request must follow, as problems.
    fn malformations(&self) -> Vec<String> {
        let fields = self.fields.as_deref().unwrap_or_default();
        let mut problems = vec![];
        let mut regular_seen = false;
        for (name, value) in fields {
            if name.bytes().any(|b| b <= 0x20 || b.is_ascii_uppercase() || b >= 0x7f) {
                problems.push(format!("  field name {name:?} has upper-case or invalid characters (RFC 9113 §8.2.1)"));
            }
            if let Some(pseudo) = name.strip_prefix(':') {
                if regular_seen {
                    problems.push(format!("  pseudo-header field {name} after a regular field (RFC 9113 §8.3)"));
                }
                if !matches!(pseudo, "method" | "scheme" | "authority" | "path" | "protocol") {
                    problems.push(format!("  pseudo-header field {name} is not a request pseudo-header field (RFC 9113 §8.3)"));
                }
            } else {
                regular_seen = true;
                if CONNECTION_SPECIFIC.contains(&name.as_str()) {
                    problems.push(format!("  connection-specific field {name} (RFC 9113 §8.2.2)"));
                }
                if name == "te" && !value.eq_ignore_ascii_case("trailers") {
                    problems.push(format!("  te: {value:?}, only \"trailers\" is allowed (RFC 9113 §8.2.2)"));
                }
            }
        }
        let count = |n: &str| fields.iter().filter(|(f, _)| f == n).count();
        let connect = field_value(&self.fields, ":method").as_deref() == Some("CONNECT");
        let required: &[&str] = if connect { &[":method"] } else { &[":method", ":scheme", ":path"] };
        for name in required {
            if count(name) != 1 {
                problems.push(format!("  {} {name} pseudo-header fields, exactly one is required (RFC 9113 §8.3.1)", count(name)));
            }
        }
        for name in [":authority", ":scheme", ":path"] {
            if count(name) > 1 {
                problems.push(format!("  {} {name} pseudo-header fields (RFC 9113 §8.3.1)", count(name)));
            }
        }
        if field_value(&self.fields, ":path").is_some_and(|p| p.is_empty()) {
            problems.push("  an empty :path (RFC 9113 §8.3.1)".into());
        }
        if let (Some(host), Some(authority)) = (field_value(&self.fields, "host"), field_value(&self.fields, ":authority")) {
            if host != authority {
                problems.push(format!("  host {host:?} differs from :authority {authority:?} (RFC 9113 §8.3.1)"));
            }
        }
        problems
    }

    /// RFC 9113 §8.1.1: a request whose content-length differs from the DATA received is
    /// malformed. Checked on every request read, `well_formed` or not.
    fn content_length_problem(&self) -> Option<String> {
        let cl = field_value(&self.fields, "content-length")?;
        (super::matchers::content_length(&cl) != Some(self.body_len)).then(|| {
            format!(
                "  content-length {cl:?} with a body of {} bytes: a malformed request (RFC 9113 §8.1.1: \"A request or response is also malformed if the value of a content-length header field does not equal the sum of the DATA frame payload lengths that form the content\")",
                self.body_len
            )
        })
    }

    fn judge(&self, end: StreamEnd, rst: Option<u32>) -> Seen {
        let stream = self.stream.unwrap_or(0);
        let mut problems = vec![];
        let pseudo = |name: &str| field_value(&self.fields, name);
        let mut compare = |what: &str, want: Option<&String>| {
            if let Some(want) = want {
                let saw = pseudo(what);
                if saw.as_ref() != Some(want) {
                    differ(&mut problems, what, format!("{want:?}"), saw.map(|v| format!("{v:?}")).unwrap_or_else(|| "none".into()));
                }
            }
        };
        compare(":path", self.path.as_ref());
        compare(":scheme", self.scheme.as_ref());
        compare(":authority", self.authority.as_ref());
        if let Some(m) = &self.expect.method {
            let saw = pseudo(":method").unwrap_or_default();
            if !m.allows(&saw) {
                differ(&mut problems, ":method", m.as_slice().join(" or "), format!("{saw:?}"));
            }
        }
        // Regular fields only: a pseudo-header field is checked by its own key.
        let regular = self.fields.as_ref().map(|f| f.iter().filter(|(n, _)| !n.starts_with(':')).cloned().collect::<Vec<_>>());
        let e = &self.expect;
        let fields = e.header_expectations();
        fields.compare(|name| field_value(&regular, name), &mut problems);
        if let Some(want) = &self.body_want {
            if want != &self.body || self.body_len != self.body.len() as u64 {
                let kept = if self.body_len > self.body.len() as u64 {
                    format!(", {} of them kept for checks (--max-body-kept; the rest counted and dropped)", self.body.len())
                } else {
                    String::new()
                };
                differ(
                    &mut problems,
                    "body",
                    format!("{} ({} B)", escape(want, 200), want.len()),
                    format!("{} ({} B{kept})", escape(&self.body, 200), self.body_len),
                );
            }
        }
        for (n, v) in &e.trailers {
            match field_value(&self.trailers, n) {
                Some(got) if &got == v => {}
                Some(got) => differ(&mut problems, &format!("trailer {n}"), format!("{v:?}"), format!("{got:?}")),
                None => differ(&mut problems, &format!("trailer {n}"), format!("{v:?}"), "no such trailer".into()),
            }
        }
        let end_ok = match &e.ends_with {
            Some(allowed) => allowed.allows(&end),
            None => end != StreamEnd::RstStream,
        };
        if !end_ok {
            let want = e
                .ends_with
                .as_ref()
                .map(|a| a.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or "))
                .unwrap_or_else(|| "END_STREAM".into());
            let saw = match rst {
                Some(code) => format!("RST_STREAM {}", wire::error_name(code)),
                None => end.name().to_string(),
            };
            differ(&mut problems, "request end", want, saw);
        }
        if end != StreamEnd::RstStream {
            problems.extend(self.content_length_problem());
        }
        if e.well_formed {
            problems.extend(self.malformations());
        }
        if problems.is_empty() {
            Seen::Pass
        } else {
            Seen::Fail(format!("request on stream {stream} differs:\n{}", problems.join("\n")))
        }
    }
}

impl Matcher for RequestMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = *ev.header();
        if self.stream.is_none() {
            let opens = h.kind == kind::HEADERS
                && match self.want {
                    Some(s) => h.stream_id == s,
                    None => h.stream_id > self.after && h.stream_id % 2 == 1,
                };
            if !opens {
                return default_seen(ev, &self.describe());
            }
            self.stream = Some(h.stream_id);
        }
        if Some(h.stream_id) != self.stream || h.kind == kind::PUSH_PROMISE {
            return default_seen(ev, &self.describe());
        }
        let end_stream = h.has(flag::END_STREAM);
        match &ev.frame.payload {
            Payload::Headers(_) if self.fields.is_none() => {
                self.fields = Some(ev.fields.clone().unwrap_or_default());
                if end_stream {
                    return self.judge(StreamEnd::EndStreamOnHeaders, None);
                }
                Seen::Take
            }
            Payload::Headers(_) => {
                self.trailers = Some(ev.fields.clone().unwrap_or_default());
                if end_stream {
                    return self.judge(StreamEnd::EndStreamOnTrailers, None);
                }
                Seen::Fail(format!("trailer HEADERS on stream {} without END_STREAM (RFC 9113 §8.1)", h.stream_id))
            }
            Payload::Data(d) => {
                self.body_len += d.data.len() as u64;
                let room = self.max_body_kept.saturating_sub(self.body.len());
                self.body.extend_from_slice(&d.data[..d.data.len().min(room)]);
                if end_stream {
                    return self.judge(StreamEnd::EndStreamOnData, None);
                }
                Seen::Take
            }
            Payload::RstStream(r) => self.judge(StreamEnd::RstStream, Some(r.code)),
            _ => default_seen(ev, &self.describe()),
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err(match self.stream {
            Some(s) => format!("the client closed the connection before its request on stream {s} ended"),
            None => "the client closed the connection without sending a request".into(),
        })
    }
    fn describe(&self) -> String {
        match (self.stream, self.want) {
            (Some(s), _) | (None, Some(s)) => format!("the client's request on stream {s}"),
            (None, None) => "a request on a new stream".into(),
        }
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
    fn matched_stream(&self) -> Option<u32> {
        self.stream
    }
}

// ---------------------------------------------------------------------------------------------
// The driver

/// The fake server's HTTP/2 state: the role-neutral connection machinery of [`H2Client`], and
/// the streams the client's requests came on.
pub struct H2Server {
    conn: H2Client,
    subs: Substitutions,
    /// The stream of the last request read: responses default to it.
    request_stream: Option<u32>,
    /// The highest stream a request was read on: the next `h2_request` waits for a newer one.
    highest_request: u32,
    /// Whether the case is served over TLS (`{scheme}` is then `https`).
    tls: bool,
}

impl H2Server {
    /// A driver for one case.
    pub fn new(subs: Substitutions) -> Self {
        H2Server { conn: H2Client::new(subs.clone()), subs, request_stream: None, highest_request: 0, tls: false }
    }
}

impl Driver for H2Server {
    fn prepare(&mut self, case: &Case, tls: bool) {
        self.tls = tls;
        self.conn.prepare(case, false);
    }

    fn negotiated(&mut self, tls_alpn: Option<Option<Vec<u8>>>) -> Result<(), String> {
        match tls_alpn {
            None => Ok(()),
            Some(Some(alpn)) if alpn == b"h2" => Ok(()),
            Some(alpn) => Err(format!(
                "the client did not negotiate h2 through ALPN (it selected {}): HTTP/2 over TLS is negotiated with ALPN h2 (RFC 9113 §3.2)",
                alpn.map(|a| format!("{:?}", String::from_utf8_lossy(&a))).unwrap_or_else(|| "no protocol".into())
            )),
        }
    }

    fn set_caps(&mut self, caps: &crate::run::Caps) {
        self.conn.set_caps(caps);
    }

    fn on_connect(&mut self) -> Result<Units, String> {
        self.conn.reader = Reader::default();
        self.conn.reader.max_header_bytes = self.conn.caps.max_header_bytes;
        self.conn.last_stream = None;
        self.conn.barrier = None;
        self.request_stream = None;
        self.highest_request = 0;
        if !self.conn.greet {
            return Ok(vec![]);
        }
        // The server connection preface is its SETTINGS frame (RFC 9113 §3.4); it may go first.
        Ok(self.conn.reader.greeting(&[(settings::MAX_CONCURRENT_STREAMS, SERVER_MAX_CONCURRENT_STREAMS)]))
    }

    fn on_connect_check(&mut self) -> Option<Box<dyn Check>> {
        self.conn.greet.then(|| Box::new(ClientPrefaceCheck::new(self.conn.reader.clone())) as Box<dyn Check>)
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::H2Response(r) => {
                let stream = r.stream.or(self.request_stream).ok_or("no request was read yet: give the response a `stream`")?;
                encode_response(r, stream, &self.subs)
            }
            Send::Frames(_) => self.conn.encode(send),
            _ => Err("an HTTP/2 server sends `h2_response` or `frames`".into()),
        }
    }

    fn check(&mut self, expect: &ExpectKind) -> Result<Box<dyn Check>, String> {
        match expect {
            ExpectKind::H2Request(r) => {
                let matcher = RequestMatcher {
                    max_body_kept: self.conn.caps.max_body_kept,
                    ..RequestMatcher::new(r, self.highest_request, &self.subs, self.tls)?
                };
                Ok(Box::new(H2Check::new(self.conn.reader.clone(), Box::new(matcher))))
            }
            // Both also refused at load (`Step::fits`, `run::plan`).
            ExpectKind::H2Response(_) => Err("a server expects `h2_request`, not `h2_response`".into()),
            ExpectKind::StreamError(s) if s.or_response.is_some() => {
                Err("`stream_error`'s `or_response` is for a server under test answering a malformed request (RFC 9113 §8.1.1): \
                 peerspec as the server receives no response"
                    .into())
            }
            // The role-neutral kinds (frame, connection_error, stream_error, ping_ack).
            _ => {
                self.conn.last_stream = self.request_stream;
                self.conn.check(expect)
            }
        }
    }

    fn passed(&mut self, check: &mut dyn Check) -> Units {
        if let Some(stream) = check.as_any_mut().and_then(|a| a.downcast_mut::<H2Check>()).and_then(|c| c.matched_stream) {
            self.request_stream = Some(stream);
            self.highest_request = self.highest_request.max(stream);
        }
        self.conn.passed(check)
    }

    fn unread_is_fine(&mut self, input: &[u8]) -> bool {
        self.conn.unread_is_fine(input)
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
