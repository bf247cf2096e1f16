//! What a step expects of the peer's frames: [`H2Check`] drives one [`Matcher`] over the reader.

use std::collections::VecDeque;
use std::time::Duration;

use crate::case::h2::{H2ResponseExpect, NameOrNumber, StreamEnd};
use crate::case::OneOrMany;
use crate::transcript::escape;
use crate::wire::h2::{self as wire, flag, kind, Payload};

use super::encode::error_code;
use super::reader::{field_value, Event, Reader, MAX_KEPT_FRAMES};
use crate::run::check::{annotated, Annotated, Check, Verdict};
use crate::run::fields::differ;
use crate::run::sse::EventStreamFollower;

/// What a matcher makes of one event.
pub(super) enum Seen {
    /// Used up: not about anyone (housekeeping) or part of what the matcher reads.
    Take,
    /// Not about this step: set aside for a later one.
    Keep,
    /// The expectation is met.
    Pass,
    /// The expectation cannot be met.
    Fail(String),
}

/// One HTTP/2 expectation, fed the peer's frames in order.
pub(super) trait Matcher: std::marker::Send {
    fn on_event(&mut self, ev: &Event) -> Seen;
    /// The peer closed with nothing more to read.
    fn on_close(&mut self) -> Result<(), String>;
    fn describe(&self) -> String;
    fn box_clone(&self) -> Box<dyn Matcher>;
    /// Everything received so far has been read and the peer is still connected: the failure
    /// that stands if nothing more arrives within [`BARRIER_GRACE`] (after a PING barrier's ACK),
    /// else `None`: wait.
    fn on_idle(&self) -> Option<String> {
        None
    }
    /// While pending: what has arrived and what is still awaited, when the matcher is past its
    /// first state (for the timeout message).
    fn progress(&self) -> Option<String> {
        None
    }
    /// After passing: which of the allowed behaviours the peer chose, for the transcript.
    fn note(&self) -> Option<String> {
        None
    }
    /// The stream this matcher found on the wire rather than was told (a request's).
    fn matched_stream(&self) -> Option<u32> {
        None
    }
}

/// What a matcher does with a frame it is not about.
pub(super) fn default_seen(ev: &Event, waiting_for: &str) -> Seen {
    if ev.header().kind == kind::PUSH_PROMISE {
        return Seen::Fail(format!(
            "the peer sent {}: a client never may (RFC 9113 §8.4), and to peerspec as the client it may not either, its SETTINGS_ENABLE_PUSH being 0 (§6.5.2)",
            wire::describe(&ev.frame)
        ));
    }
    if ev.header().kind == kind::GOAWAY {
        return Seen::Fail(format!("the peer sent {} while peerspec waited for {waiting_for}", wire::describe(&ev.frame)));
    }
    if ev.is_stream_frame() {
        Seen::Keep
    } else {
        Seen::Take
    }
}

/// An HTTP/2 check: a matcher over the frames decoded from a clone of the connection's reader.
pub struct H2Check {
    start: Reader,
    matcher: Box<dyn Matcher>,
    units: Vec<Annotated>,
    /// Where the last pending poll stopped: the input only grows between polls of one wait, so
    /// the next poll resumes there instead of re-reading every frame (same result, linear time).
    resume: Option<Progress>,
    /// The reader after the check passed, for the driver to take.
    pub passed: Option<Reader>,
    /// The stream the matcher that passed was about, when it found it on the wire (a request
    /// the client opened).
    pub matched_stream: Option<u32>,
}

/// How long the frames right behind a PING barrier's ACK are awaited before the ACK decides.
/// The ACK proves the peer processed the frame under test, but RFC 9113 §6.7 lets it answer
/// PING first ("PING responses SHOULD be given higher priority than any other frame"), so the
/// error that frame caused may come just after; it only costs time when the error never comes.
pub(super) const BARRIER_GRACE: Duration = Duration::from_millis(250);

pub(super) struct Progress {
    reader: Reader,
    matcher: Box<dyn Matcher>,
    kept: VecDeque<Event>,
    units: Vec<Annotated>,
    pos: usize,
    seen: usize,
}

impl H2Check {
    pub(super) fn new(start: Reader, matcher: Box<dyn Matcher>) -> H2Check {
        H2Check { start, matcher, units: vec![], resume: None, passed: None, matched_stream: None }
    }

    /// While pending: the failure that stands if nothing more arrives (`Matcher::on_idle`).
    fn settled(&self) -> Option<String> {
        self.resume.as_ref()?.matcher.on_idle()
    }
}

impl Check for H2Check {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        let (mut reader, mut matcher, mut kept, mut units, mut pos) = match self.resume.take() {
            Some(p) if input.len() >= p.seen => (p.reader, p.matcher, p.kept, p.units, p.pos),
            _ => (self.start.clone(), self.matcher.box_clone(), VecDeque::new(), vec![], 0),
        };
        let verdict = loop {
            let ev = match reader.backlog.pop_front() {
                Some(ev) => ev,
                None => match reader.next(input, &mut pos, &mut units) {
                    Ok(Some(ev)) => ev,
                    Ok(None) if eof => match matcher.on_close() {
                        Ok(()) => {
                            if let Some(note) = matcher.note() {
                                units.push(annotated(input.len(), 0, note));
                            }
                            break Verdict::Pass { consumed: input.len(), units: units.clone() };
                        }
                        Err(why) => break Verdict::Fail(format!("{why}{}", partial_frame(input.len() - pos))),
                    },
                    // Pending even after a barrier's ACK: settles_after gives the peer its grace.
                    Ok(None) => break Verdict::Pending,
                    Err(why) => break Verdict::Fail(why),
                },
            };
            match matcher.on_event(&ev) {
                Seen::Take => {}
                Seen::Keep if kept.len() >= MAX_KEPT_FRAMES => {
                    break Verdict::Fail(format!(
                        "the peer sent over {MAX_KEPT_FRAMES} frames for streams no step has asked about yet while peerspec waited for {}; peerspec stops reading",
                        matcher.describe()
                    ))
                }
                Seen::Keep => kept.push_back(ev),
                Seen::Pass => {
                    if let Some(note) = matcher.note() {
                        units.push(annotated(pos, 0, note));
                    }
                    break Verdict::Pass { consumed: pos, units: units.clone() };
                }
                Seen::Fail(why) => break Verdict::Fail(why),
            }
        };
        self.units = units.clone();
        match verdict {
            Verdict::Pass { .. } => {
                kept.extend(reader.backlog.drain(..));
                reader.backlog = kept;
                self.passed = Some(reader);
                self.matched_stream = matcher.matched_stream();
            }
            Verdict::Pending => self.resume = Some(Progress { reader, matcher, kept, units, pos, seen: input.len() }),
            Verdict::Fail(_) => {}
        }
        verdict
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        if let Some(why) = self.settled() {
            return Verdict::Fail(format!("{why} (nothing more came in the {} ms after the ACK)", BARRIER_GRACE.as_millis()));
        }
        let seen = self.units.iter().map(|u| u.unit.as_str()).collect::<Vec<_>>();
        let (shown, more) = (seen.len().min(20), seen.len().saturating_sub(20));
        let seen = match (seen.is_empty(), more) {
            (true, _) => "no frames".to_string(),
            (false, 0) => seen.join("; "),
            (false, more) => format!("{}; … and {more} more frames", seen[..shown].join("; ")),
        };
        let pos = self.resume.as_ref().map_or(0, |p| p.pos);
        // The matcher as far as it got, not as it started: its state says what is still awaited.
        let matcher = self.resume.as_ref().map_or(&self.matcher, |p| &p.matcher);
        let waiting = match matcher.progress() {
            Some(progress) => format!("timed out: {progress}"),
            None => format!("timed out waiting for {}", matcher.describe()),
        };
        Verdict::Fail(format!("{waiting}; saw {seen}{}", partial_frame(input.len().saturating_sub(pos))))
    }
    fn release(&mut self) -> Option<crate::run::check::Released> {
        // Whole frames already read are done with: drop them from the input, rebase the rest.
        let progress = self.resume.as_mut()?;
        if progress.pos == 0 {
            return None;
        }
        let len = progress.pos;
        let units = std::mem::take(&mut progress.units);
        progress.pos = 0;
        progress.seen -= len;
        self.units.clear();
        Some(crate::run::check::Released { len, units })
    }
    fn describe(&self) -> String {
        self.resume.as_ref().map_or(&self.matcher, |p| &p.matcher).describe()
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        self.units.clone()
    }
    fn answers_request(&self) -> bool {
        false
    }
    fn settles_after(&self) -> Option<Duration> {
        self.settled().map(|_| BARRIER_GRACE)
    }
}

/// `"; N bytes of an incomplete frame received"` when a frame was cut short, else nothing.
pub(super) fn partial_frame(rest: usize) -> String {
    if rest == 0 {
        String::new()
    } else {
        format!("; {rest} bytes of an incomplete frame received")
    }
}

/// A content-length value as a number: one decimal value, or a list of equal ones (`5, 5`);
/// `None` when it is anything else.
pub(super) fn content_length(value: &str) -> Option<u64> {
    let mut values = value.split(',').map(|v| v.trim());
    let first = values.next()?;
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = first.parse::<u64>().ok()?;
    values.all(|v| v == first).then_some(n)
}

pub(super) fn codes(c: &OneOrMany<NameOrNumber>) -> Result<Vec<u32>, String> {
    c.as_slice().iter().map(|e| error_code(&Some(e.clone()), 0)).collect()
}

pub(super) fn code_list(c: &[u32]) -> String {
    c.iter().map(|c| wire::error_name(*c)).collect::<Vec<_>>().join(" or ")
}

pub(super) fn flag_bits(k: u8, names: &[String]) -> Result<u8, String> {
    let mut bits = 0;
    for n in names {
        let upper = n.to_ascii_uppercase();
        let b = match upper.as_str() {
            "END_STREAM" if matches!(k, kind::DATA | kind::HEADERS) => flag::END_STREAM,
            "ACK" if matches!(k, kind::SETTINGS | kind::PING) => flag::ACK,
            "END_HEADERS" if matches!(k, kind::HEADERS | kind::PUSH_PROMISE | kind::CONTINUATION) => flag::END_HEADERS,
            "PADDED" if matches!(k, kind::DATA | kind::HEADERS | kind::PUSH_PROMISE) => flag::PADDED,
            "PRIORITY" if k == kind::HEADERS => flag::PRIORITY,
            _ => match wire::parse_int(&upper).and_then(|v| u8::try_from(v).ok()) {
                Some(v) => v,
                None => return Err(format!("flag {n:?} is not defined for {}", wire::kind_name(k))),
            },
        };
        bits |= b;
    }
    Ok(bits)
}

#[derive(Clone)]
pub(super) struct FrameMatcher {
    kind: u8,
    stream: Option<u32>,
    flags: u8,
    flags_absent: u8,
    errors: Option<Vec<u32>>,
    data: Option<Vec<u8>>,
}

impl FrameMatcher {
    pub(super) fn new(f: &crate::case::h2::FrameExpect) -> Result<FrameMatcher, String> {
        let k = f.kind.resolve(|s| wire::kind_by_name(s).map(u64::from), 255, "frame type")? as u8;
        Ok(FrameMatcher {
            kind: k,
            stream: f.stream,
            flags: flag_bits(k, &f.flags)?,
            flags_absent: flag_bits(k, &f.flags_absent)?,
            errors: f.error.as_ref().map(codes).transpose()?,
            data: f.data.as_ref().map(|d| d.to_bytes()).transpose()?,
        })
    }
}

impl Matcher for FrameMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = ev.header();
        let acked = matches!(self.kind, kind::SETTINGS | kind::PING);
        let mine = h.kind == self.kind
            && self.stream.is_none_or(|s| s == h.stream_id)
            && (!acked || (h.flags & flag::ACK) == (self.flags & flag::ACK));
        if !mine {
            return default_seen(ev, &self.describe());
        }
        let mut problems = vec![];
        if h.flags & self.flags != self.flags {
            problems.push(format!("flags {} must be set", wire::flags_name(h.kind, self.flags & !h.flags)));
        }
        if h.flags & self.flags_absent != 0 {
            problems.push(format!("flags {} must not be set", wire::flags_name(h.kind, h.flags & self.flags_absent)));
        }
        let code = match &ev.frame.payload {
            Payload::RstStream(r) => Some(r.code),
            Payload::Goaway(g) => Some(g.code),
            _ => None,
        };
        if let (Some(allowed), Some(code)) = (&self.errors, code) {
            if !allowed.contains(&code) {
                problems.push(format!("error code {} (expected {})", wire::error_name(code), code_list(allowed)));
            }
        }
        let data = match &ev.frame.payload {
            Payload::Data(d) => Some(&d.data),
            Payload::Ping(p) => Some(&p.data),
            _ => None,
        };
        if let (Some(want), Some(got)) = (&self.data, data) {
            if want != got {
                problems.push(format!("data {} (expected {})", escape(got, 64), escape(want, 64)));
            }
        }
        if problems.is_empty() {
            Seen::Pass
        } else {
            Seen::Fail(format!("{}: {}", wire::describe(&ev.frame), problems.join("; ")))
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err(format!("the peer closed the connection before sending {}", self.describe()))
    }
    fn describe(&self) -> String {
        let mut s = wire::kind_name(self.kind);
        if let Some(id) = self.stream {
            s.push_str(&format!(" on stream {id}"));
        }
        if self.flags != 0 {
            s.push_str(&format!(" with {}", wire::flags_name(self.kind, self.flags)));
        }
        s
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

#[derive(Clone)]
pub(super) struct ResponseMatcher {
    pub(super) stream: u32,
    pub(super) expect: H2ResponseExpect,
    pub(super) rst_codes: Option<Vec<u32>>,
    pub(super) body_want: Option<Vec<u8>>,
    pub(super) headers: Option<Vec<(String, String)>>,
    pub(super) trailers: Option<Vec<(String, String)>>,
    pub(super) body: Vec<u8>,
    /// DATA bytes received on the stream, kept or not.
    pub(super) body_len: u64,
    /// Body bytes kept for checks (`--max-body-kept`); the rest are counted in `body_len`.
    pub(super) max_body_kept: usize,
    pub(super) data_frames: usize,
    /// The body followed as an event stream, when the case expects one.
    pub(super) events: Option<EventStreamFollower>,
    /// The request was HEAD: its response has no content, whatever its content-length says.
    pub(super) head_request: bool,
}

impl ResponseMatcher {
    pub(super) fn new(e: &H2ResponseExpect, stream: u32) -> Result<ResponseMatcher, String> {
        Ok(ResponseMatcher {
            stream: e.stream.unwrap_or(stream),
            expect: e.clone(),
            rst_codes: e.rst_error.as_ref().map(codes).transpose()?,
            body_want: e.body.as_ref().map(|b| b.to_bytes()).transpose()?,
            headers: None,
            trailers: None,
            body: vec![],
            body_len: 0,
            max_body_kept: crate::run::config::Caps::default().max_body_kept,
            data_frames: 0,
            events: e.event_stream.as_ref().map(|_| EventStreamFollower::default()),
            head_request: false,
        })
    }

    /// For a stream expected to stay open: whether its events have all arrived; then it is
    /// judged without waiting for END_STREAM.
    fn open_stream_ready(&mut self) -> bool {
        let (Some(follower), Some(expect)) = (&mut self.events, &self.expect.event_stream) else { return false };
        follower.follow(&self.body);
        expect.open && follower.has_events_for(expect)
    }

    /// `end`: how the stream ended, or `None` for an event stream judged while still open.
    fn judge(&self, end: Option<StreamEnd>, rst: Option<u32>) -> Seen {
        let mut problems = vec![];
        let get = field_value;
        if let (Some(follower), Some(expect)) = (&self.events, &self.expect.event_stream) {
            let mut follower = follower.clone();
            follower.follow(&self.body);
            problems.extend(follower.compare(expect, end.is_some()));
        }
        let Some(end) = end else {
            if let Some(allowed) = &self.expect.ends_with {
                let want = allowed.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or ");
                differ(&mut problems, "stream end", want, "the stream still open".into());
            }
            return self.judge_head(problems, get);
        };
        let mut differ = |what: &str, expected: String, saw: String| differ(&mut problems, what, expected, saw);
        let allowed_ends = self.expect.ends_with.as_ref();
        let end_ok = match allowed_ends {
            Some(a) => a.allows(&end),
            None => end != StreamEnd::RstStream,
        };
        if !end_ok {
            let want = allowed_ends
                .map(|a| a.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or "))
                .unwrap_or_else(|| "END_STREAM".into());
            let saw = match rst {
                Some(c) => format!("RST_STREAM {}", wire::error_name(c)),
                None => end.name().to_string(),
            };
            differ("stream end", want, saw);
        }
        if let (Some(code), Some(allowed)) = (rst, &self.rst_codes) {
            if !allowed.contains(&code) {
                differ("RST_STREAM error", code_list(allowed), wire::error_name(code));
            }
        }
        let kept = if self.body_len > self.body.len() as u64 {
            format!(", {} of them kept for checks (--max-body-kept), the rest counted and dropped", self.body.len())
        } else {
            String::new()
        };
        if let Some(want) = &self.body_want {
            if want != &self.body || !kept.is_empty() {
                differ(
                    "body",
                    format!("{} ({} B)", escape(want, 200), want.len()),
                    format!("{} ({} B{kept})", escape(&self.body, 200), self.body_len),
                );
            }
        }
        if let Some(n) = self.expect.body_length {
            if n as u64 != self.body_len {
                differ("body length", n.to_string(), self.body_len.to_string());
            }
        }
        if let Some(n) = self.expect.data_frames {
            if n != self.data_frames {
                differ("DATA frames", n.to_string(), self.data_frames.to_string());
            }
        }
        for (n, v) in &self.expect.trailers {
            match get(&self.trailers, n) {
                Some(got) if &got == v => {}
                Some(got) => differ(&format!("trailer {n}"), format!("{v:?}"), format!("{got:?}")),
                None => differ(&format!("trailer {n}"), format!("{v:?}"), "no such trailer".into()),
            }
        }
        if end != StreamEnd::RstStream {
            problems.extend(self.content_length_problem());
        }
        self.judge_head(problems, get)
    }

    /// RFC 9113 §8.1.1: a response whose content-length differs from the DATA received is
    /// malformed, and "Clients MUST NOT accept a malformed response" — unless it has no content
    /// by definition (a response to HEAD, 204, 304; RFC 9110 §6.4.1).
    fn content_length_problem(&self) -> Option<String> {
        let status = field_value(&self.headers, ":status").and_then(|s| s.parse::<u16>().ok());
        if self.head_request || matches!(status, Some(204 | 304)) {
            return None;
        }
        let cl = field_value(&self.headers, "content-length")?;
        (content_length(&cl) != Some(self.body_len)).then(|| {
            format!(
                "  content-length {cl:?} with {} bytes of DATA: a malformed response (RFC 9113 §8.1.1: \"A request or response is also malformed if the value of a content-length header field does not equal the sum of the DATA frame payload lengths that form the content\"; \"Clients MUST NOT accept a malformed response.\")",
                self.body_len
            )
        })
    }

    /// Adds the checks of the response head (:status and fields) to `problems` and decides.
    fn judge_head(&self, mut problems: Vec<String>, get: impl Fn(&Option<Vec<(String, String)>>, &str) -> Option<String>) -> Seen {
        if let Some(s) = &self.expect.status {
            let status = get(&self.headers, ":status");
            if !status.as_deref().and_then(|v| v.parse::<u16>().ok()).is_some_and(|v| s.allows(&v)) {
                let want = s.as_slice().iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" or ");
                differ(&mut problems, ":status", want, status.unwrap_or_else(|| "no :status".into()));
            }
        }
        let fields = self.expect.header_expectations();
        fields.compare(|name| get(&self.headers, name), &mut problems);
        if problems.is_empty() {
            Seen::Pass
        } else {
            Seen::Fail(format!("response on stream {} differs:\n{}", self.stream, problems.join("\n")))
        }
    }
}

impl Matcher for ResponseMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = *ev.header();
        // A graceful GOAWAY that keeps this stream (RFC 9113 §6.8: "Activity on streams numbered
        // lower than or equal to the last stream identifier might still complete successfully").
        if let Payload::Goaway(g) = &ev.frame.payload {
            if g.code == 0 && g.last_stream_id >= self.stream {
                return Seen::Take;
            }
        }
        if h.stream_id != self.stream || h.kind == kind::PUSH_PROMISE {
            return default_seen(ev, &self.describe());
        }
        let end_stream = h.has(flag::END_STREAM);
        match &ev.frame.payload {
            Payload::Headers(_) => {
                let fields = ev.fields.clone().unwrap_or_default();
                if self.headers.is_none() {
                    let informational = fields.iter().any(|(n, v)| n == ":status" && v.starts_with('1') && v.len() == 3);
                    if informational && !end_stream {
                        return Seen::Take;
                    }
                    self.headers = Some(fields);
                    if end_stream {
                        return self.judge(Some(StreamEnd::EndStreamOnHeaders), None);
                    }
                } else {
                    self.trailers = Some(fields);
                    if end_stream {
                        return self.judge(Some(StreamEnd::EndStreamOnTrailers), None);
                    }
                    return Seen::Fail(format!("trailer HEADERS on stream {} without END_STREAM (RFC 9113 §8.1)", self.stream));
                }
                Seen::Take
            }
            Payload::Data(d) => {
                if self.headers.is_none() {
                    return Seen::Fail(format!("DATA on stream {} before any response HEADERS (RFC 9113 §8.1)", self.stream));
                }
                self.body_len += d.data.len() as u64;
                let room = self.max_body_kept.saturating_sub(self.body.len());
                let kept = d.data.len().min(room);
                self.body.extend_from_slice(&d.data[..kept]);
                if let (Some(follower), true) = (&mut self.events, kept < d.data.len()) {
                    // Events past the kept body are still parsed, as they stream through.
                    follower.follow(&self.body);
                    follower.feed(&d.data[kept..]);
                }
                self.data_frames += 1;
                if end_stream {
                    return self.judge(Some(StreamEnd::EndStreamOnData), None);
                }
                if self.open_stream_ready() {
                    return self.judge(None, None);
                }
                Seen::Take
            }
            Payload::RstStream(r) => self.judge(Some(StreamEnd::RstStream), Some(r.code)),
            _ => default_seen(ev, &self.describe()),
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err(format!("the peer closed the connection before the response on stream {} ended", self.stream))
    }
    fn describe(&self) -> String {
        format!("the response on stream {}", self.stream)
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

#[derive(Clone)]
pub(super) struct PingAckMatcher {
    pub(super) data: Vec<u8>,
    pub(super) quiet: Vec<u32>,
}

impl Matcher for PingAckMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = ev.header();
        match &ev.frame.payload {
            Payload::Ping(p) if h.has(flag::ACK) && p.data == self.data => return Seen::Pass,
            Payload::RstStream(_) => {
                return Seen::Fail(format!("the peer sent {} before acknowledging the PING", wire::describe(&ev.frame)));
            }
            _ => {}
        }
        if h.stream_id != 0 && self.quiet.contains(&h.stream_id) {
            return Seen::Fail(format!(
                "the peer sent {} on stream {}, which must stay quiet (e.g. after END_STREAM, RFC 9113 §5.1)",
                wire::describe(&ev.frame),
                h.stream_id
            ));
        }
        default_seen(ev, &self.describe())
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err("the peer closed the connection instead of acknowledging the PING".into())
    }
    fn describe(&self) -> String {
        format!("PING ACK with data {}", escape(&self.data, 16))
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
#[path = "matchers_tests.rs"]
mod tests;
