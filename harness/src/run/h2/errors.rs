//! The HTTP/2 error expectations (`connection_error`, `stream_error`), judged on the peer's
//! frames. Both accept every choice RFC 9113 §5.4 leaves the peer: a generic code (PROTOCOL_ERROR,
//! INTERNAL_ERROR) in place of the specific one, and, for a stream error, a connection error
//! (§5.4.1). What the peer chose goes to the transcript.

use crate::case::h2::{ConnectionErrorExpect, StreamErrorExpect};
use crate::wire::h2::{self as wire, flag, FrameHeader, Payload};

use super::matchers::{code_list, codes, Matcher, Seen};
use super::reader::Event;

/// The generic codes §5.4 lets an endpoint use in place of a specific one.
const GENERIC: [u32; 2] = [0x1, 0x2];

/// The codes accepted for the named ones: they and, unless `exact`, the generic codes.
fn accepted(named: &[u32], exact: bool) -> Vec<u32> {
    let mut all = named.to_vec();
    if !exact {
        all.extend(GENERIC.iter().filter(|g| !named.contains(g)));
    }
    all
}

/// How a code the peer sent relates to the named ones, for the transcript.
fn which_code(code: u32, named: &[u32]) -> String {
    if named.contains(&code) {
        wire::error_name(code)
    } else {
        format!(
            "{}, a generic code in place of {} (RFC 9113 §5.4: \"a generic error code ... can always be used in place of more specific error codes\")",
            wire::error_name(code),
            code_list(named)
        )
    }
}

/// What the step waits for, by code: `FRAME_SIZE_ERROR (or a generic PROTOCOL_ERROR or INTERNAL_ERROR)`.
fn wanted(named: &[u32], exact: bool) -> String {
    let generic: Vec<u32> = accepted(named, exact).into_iter().filter(|c| !named.contains(c)).collect();
    if generic.is_empty() {
        code_list(named)
    } else {
        format!("{} (or the generic {})", code_list(named), code_list(&generic))
    }
}

/// A PING ACK for the PING sent after the frame under test: everything before that PING was
/// processed, so an error the frame should have caused will not come any more.
pub(super) fn is_barrier(ev: &Event, barrier: &Option<Vec<u8>>) -> bool {
    matches!((&ev.frame.payload, barrier), (Payload::Ping(p), Some(b)) if ev.header().has(flag::ACK) && &p.data == b)
}

/// `connection_error`: GOAWAY with an accepted code (or the close without one); with `close`, the
/// TCP close after the GOAWAY as well.
#[derive(Clone)]
pub(super) struct ConnectionErrorMatcher {
    named: Vec<u32>,
    codes: Vec<u32>,
    exact: bool,
    close: bool,
    goaway: Option<(String, u32)>,
    barrier: Option<Vec<u8>>,
    barrier_acked: bool,
    note: Option<String>,
}

impl ConnectionErrorMatcher {
    pub(super) fn new(e: &ConnectionErrorExpect, barrier: Option<Vec<u8>>) -> Result<ConnectionErrorMatcher, String> {
        let (named, exact, close) = e.parts();
        let named = codes(named)?;
        Ok(ConnectionErrorMatcher {
            codes: accepted(&named, exact),
            named,
            exact,
            close,
            goaway: None,
            barrier,
            barrier_acked: false,
            note: None,
        })
    }
}

impl Matcher for ConnectionErrorMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        if self.goaway.is_none() && is_barrier(ev, &self.barrier) {
            self.barrier_acked = true;
            return Seen::Take;
        }
        if let (Payload::Goaway(g), None) = (&ev.frame.payload, &self.goaway) {
            if !self.codes.contains(&g.code) {
                return Seen::Fail(format!("{}: expected error {}", wire::describe(&ev.frame), wanted(&self.named, self.exact)));
            }
            self.goaway = Some((wire::describe(&ev.frame), g.code));
            self.note = Some(format!("peerspec: the peer made a connection error with {}", which_code(g.code, &self.named)));
            if !self.close {
                return Seen::Pass;
            }
        }
        Seen::Take
    }
    fn on_close(&mut self) -> Result<(), String> {
        // RFC 9113 §5.4.1: SHOULD send GOAWAY, MUST close. Closing alone meets the MUST.
        if self.goaway.is_none() {
            self.note = Some("peerspec: the peer closed the connection without GOAWAY (RFC 9113 §5.4.1: GOAWAY SHOULD come first)".into());
        } else if self.close {
            self.note = self.note.take().map(|n| format!("{n}, then closed the TCP connection"));
        }
        Ok(())
    }
    fn on_idle(&self) -> Option<String> {
        (self.barrier_acked && self.goaway.is_none()).then(|| {
            format!(
                "the peer acknowledged the PING sent after the frame under test and sent no connection error {} with it: it let the error pass",
                wanted(&self.named, self.exact)
            )
        })
    }
    fn describe(&self) -> String {
        match &self.goaway {
            Some(_) => "the TCP close after the peer's GOAWAY (RFC 9113 §5.4.1)".into(),
            None => format!("a connection error {} (GOAWAY, or the close)", wanted(&self.named, self.exact)),
        }
    }
    fn progress(&self) -> Option<String> {
        let (goaway, code) = self.goaway.as_ref()?;
        Some(format!(
            "{goaway} arrived ({}); still waiting for the TCP close (RFC 9113 §5.4.1: \"After sending the GOAWAY frame for an error condition, the endpoint MUST close the TCP connection.\")",
            wire::error_name(*code)
        ))
    }
    fn note(&self) -> Option<String> {
        self.note.clone()
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

/// RFC 9113 §8.1.1's allowance for malformed requests, quoted in notes and messages.
const MAY_RESPOND: &str =
    "RFC 9113 §8.1.1: \"For malformed requests, a server MAY send an HTTP response prior to closing or resetting the stream.\"";

/// `stream_error`: RST_STREAM on the stream, or a connection error, with an accepted code; with
/// `or_response`, also a final response in the class followed by the stream's end.
#[derive(Clone)]
pub(super) struct StreamErrorMatcher {
    stream: u32,
    named: Vec<u32>,
    codes: Vec<u32>,
    exact: bool,
    /// `or_response`: the first digit of the status class a response may have instead.
    class: Option<u16>,
    /// peerspec had sent END_STREAM on the stream: a response's END_STREAM closes it.
    client_ended: bool,
    /// The final status of the response on the stream (informational ones skipped).
    status: Option<String>,
    /// The response carried END_STREAM.
    complete: bool,
    barrier: Option<Vec<u8>>,
    barrier_acked: bool,
    note: Option<String>,
}

impl StreamErrorMatcher {
    /// `ended_streams`: the streams peerspec has sent END_STREAM on.
    pub(super) fn new(
        e: &StreamErrorExpect,
        stream: u32,
        barrier: Option<Vec<u8>>,
        ended_streams: &[u32],
    ) -> Result<StreamErrorMatcher, String> {
        let named = codes(&e.error)?;
        let stream = e.stream.unwrap_or(stream);
        Ok(StreamErrorMatcher {
            stream,
            codes: accepted(&named, e.exact),
            named,
            exact: e.exact,
            class: e.response_class()?,
            client_ended: ended_streams.contains(&stream),
            status: None,
            complete: false,
            barrier,
            barrier_acked: false,
            note: None,
        })
    }

    /// The response's status is in the `or_response` class.
    fn allowed_response(&self) -> bool {
        let first = self.status.as_deref().and_then(|s| s.parse::<u16>().ok()).map(|s| s / 100);
        self.class.is_some() && first == self.class
    }

    fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("?")
    }

    fn answered(&self) -> String {
        let mut why = format!(
            "the server answered on stream {} with a complete response (:status {}, END_STREAM) and no RST_STREAM {}",
            self.stream,
            self.status(),
            wanted(&self.named, self.exact)
        );
        if let Some(class) = self.class {
            why += &format!(
                ": it processed the malformed request as valid (a response to a malformed request is allowed, {MAY_RESPOND}, \
                 but this case accepts only a {class}xx one, not :status {})",
                self.status()
            );
        }
        why
    }

    /// The allowed response was answered and the stream closed: what the peer chose.
    fn responded(&mut self, how: &str) -> Seen {
        self.note = Some(format!("peerspec: the peer answered :status {} and {how} ({MAY_RESPOND})", self.status()));
        Seen::Pass
    }

    /// A frame with END_STREAM completes the response. An allowed response that closes the stream
    /// (peerspec's side had ended) passes. Otherwise the server answered the request instead of
    /// resetting the stream: with a PING barrier sent, the verdict waits for its ACK (or a
    /// RST_STREAM); without one, it is final, except that an allowed response may still be
    /// followed by the RST_STREAM that closes the stream.
    fn ended(&mut self, h: &FrameHeader) -> Seen {
        if !h.has(flag::END_STREAM) {
            return Seen::Take;
        }
        self.complete = true;
        if self.allowed_response() {
            return if self.client_ended { self.responded("closed the stream (END_STREAM)") } else { Seen::Take };
        }
        if self.barrier.is_some() {
            return Seen::Take;
        }
        Seen::Fail(self.answered())
    }
}

impl Matcher for StreamErrorMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = ev.header();
        let (code, is_goaway) = match &ev.frame.payload {
            Payload::RstStream(r) if h.stream_id == self.stream && !self.codes.contains(&r.code) && self.complete => {
                // After an allowed response, a RST_STREAM of any code closes the stream (§8.1.1).
                if self.allowed_response() {
                    return self.responded(&format!("then reset the stream with {}", wire::describe(&ev.frame)));
                }
                // RST_STREAM NO_ERROR after a complete response only closes the stream (RFC 9113 §8.1).
                if r.code == 0 {
                    return Seen::Take;
                }
                (r.code, false)
            }
            Payload::RstStream(r) if h.stream_id == self.stream => (r.code, false),
            Payload::Goaway(g) => (g.code, true),
            Payload::Headers(_) if h.stream_id == self.stream && self.status.is_none() => {
                let status = ev.fields.iter().flatten().find(|(n, _)| n == ":status").map(|(_, v)| v.clone());
                // An informational response (1xx) is not the answer; the final one follows.
                if status.as_deref().is_some_and(|s| s.starts_with('1')) && !h.has(flag::END_STREAM) {
                    return Seen::Take;
                }
                self.status = status;
                return self.ended(h);
            }
            Payload::Headers(_) | Payload::Data(_) if h.stream_id == self.stream => return self.ended(h),
            _ if is_barrier(ev, &self.barrier) => {
                self.barrier_acked = true;
                return Seen::Take;
            }
            _ => return Seen::Take,
        };
        let what = if is_goaway { "connection error" } else { "stream error" };
        if self.codes.contains(&code) {
            let how = if is_goaway {
                "a connection error (GOAWAY) in place of the stream error (RFC 9113 §5.4.1: \"an endpoint MAY choose to treat a stream error as a connection error\")"
            } else {
                "a stream error (RST_STREAM)"
            };
            let after = match &self.status {
                Some(status) => format!(" after a response (:status {status})"),
                None => String::new(),
            };
            self.note = Some(format!("peerspec: the peer made {how} with {}{after}", which_code(code, &self.named)));
            Seen::Pass
        } else {
            Seen::Fail(format!("{} ({what}): expected error {}", wire::describe(&ev.frame), wanted(&self.named, self.exact)))
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        let after = match &self.status {
            Some(status) => format!(" after a response (:status {status})"),
            None => String::new(),
        };
        self.note = Some(format!(
            "peerspec: the peer closed the connection{after} (a connection error in place of the stream error, RFC 9113 §5.4.1; no GOAWAY, which SHOULD come first)"
        ));
        Ok(())
    }
    fn describe(&self) -> String {
        let mut what =
            format!("a stream error {} on stream {} (RST_STREAM, or a connection error)", wanted(&self.named, self.exact), self.stream);
        if let Some(class) = self.class {
            what += &format!(", or a {class}xx response and the stream's end (RFC 9113 §8.1.1)");
        }
        what
    }
    fn progress(&self) -> Option<String> {
        let status = self.status.as_ref()?;
        let (stream, error) = (self.stream, wanted(&self.named, self.exact));
        Some(match (self.allowed_response(), self.complete) {
            (true, true) => format!(
                "a complete response arrived on stream {stream} (:status {status}, END_STREAM), but peerspec's side of the stream had not \
                 ended, so the stream is not closed; still waiting for a RST_STREAM (any code) closing it ({MAY_RESPOND})"
            ),
            (true, false) => {
                format!("a response began on stream {stream} (:status {status}); still waiting for its END_STREAM or a RST_STREAM")
            }
            (false, true) => format!(
                "a complete response arrived on stream {stream} (:status {status}); still waiting for a RST_STREAM {error} or the PING ACK"
            ),
            (false, false) => return None,
        })
    }
    fn on_idle(&self) -> Option<String> {
        if !self.barrier_acked {
            return None;
        }
        Some(match (self.allowed_response(), self.complete) {
            (true, true) => format!(
                "the server answered on stream {} (:status {}, END_STREAM), then acknowledged the PING sent after the frame under test \
                 without resetting the stream, whose request side peerspec had not ended: the stream was neither closed nor reset ({MAY_RESPOND})",
                self.stream,
                self.status()
            ),
            // An allowed response still under way: wait for its end (or the deadline).
            (true, false) => return None,
            (false, true) => self.answered(),
            (false, false) => format!(
                "the peer acknowledged the PING sent after the frame under test and sent no stream error {} on stream {} with it: it let the error pass",
                wanted(&self.named, self.exact),
                self.stream
            ),
        })
    }
    fn note(&self) -> Option<String> {
        self.note.clone()
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::check::{Check, Verdict};
    use crate::run::h2::matchers::H2Check;
    use crate::run::h2::reader::Reader;
    use crate::run::h2::DEFAULT_PING;
    use crate::wire::h2::{hpack, kind, Frame};

    fn frame(k: u8, flags: u8, stream: u32, payload: Payload) -> Vec<u8> {
        Frame::new(k, flags, stream, payload).encode()
    }

    /// A response HEADERS frame on stream 1 (END_HEADERS, and END_STREAM when `end`).
    fn response(status: &str, end: bool) -> Vec<u8> {
        let list = vec![(":status".to_string(), status.to_string())];
        let fragment = hpack::encode(&hpack::reps_for(&list, false));
        let flags = flag::END_HEADERS | if end { flag::END_STREAM } else { 0 };
        frame(kind::HEADERS, flags, 1, Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment }))
    }

    fn rst(code: u32) -> Vec<u8> {
        frame(kind::RST_STREAM, 0, 1, Payload::RstStream(wire::rst_stream::RstStream { code }))
    }

    fn ping_ack() -> Vec<u8> {
        frame(kind::PING, flag::ACK, 0, Payload::Ping(wire::ping::Ping { data: DEFAULT_PING.to_vec() }))
    }

    /// `stream_error: { stream: 1, error: PROTOCOL_ERROR, or_response: 4xx }`, a PING barrier
    /// sent, and peerspec's side of stream 1 ended (`client_ended`) or not.
    fn malformed(client_ended: bool) -> H2Check {
        let e: StreamErrorExpect = serde_norway::from_str("{ stream: 1, error: PROTOCOL_ERROR, or_response: 4xx }").unwrap();
        let ended: &[u32] = if client_ended { &[1] } else { &[] };
        H2Check::new(Reader::default(), Box::new(StreamErrorMatcher::new(&e, 1, Some(DEFAULT_PING.to_vec()), ended).unwrap()))
    }

    fn pass_note(v: Verdict) -> String {
        match v {
            Verdict::Pass { units, .. } => units.last().unwrap().unit.clone(),
            v => panic!("{v:?}"),
        }
    }

    fn fail(v: Verdict) -> String {
        match v {
            Verdict::Fail(why) => why,
            v => panic!("{v:?}"),
        }
    }

    /// After a PING barrier's ACK: pending for the grace, then the failure that stands.
    fn settled(mut c: H2Check, input: &[u8]) -> String {
        assert_eq!(c.poll(input, false), Verdict::Pending);
        assert_eq!(c.settles_after(), Some(super::super::matchers::BARRIER_GRACE));
        fail(c.on_deadline(input))
    }

    #[test]
    fn an_error_right_behind_the_barrier_ack_passes() {
        // RFC 9113 §6.7: the peer may answer the PING before the error the frame caused.
        let mut c = malformed(false);
        let mut input = ping_ack();
        assert_eq!(c.poll(&input, false), Verdict::Pending);
        assert!(c.settles_after().is_some());
        input.extend(rst(1));
        assert!(pass_note(c.poll(&input, false)).contains("a stream error (RST_STREAM) with PROTOCOL_ERROR"));
        assert_eq!(c.settles_after(), None);
        // Nothing behind it: the ACK decides once the grace is over.
        let why = settled(malformed(false), &ping_ack());
        assert!(why.contains("let the error pass") && why.contains("nothing more came in the 250 ms after the ACK"), "{why}");
    }

    #[test]
    fn a_4xx_response_that_ends_the_stream_is_the_allowed_answer_to_a_malformed_request() {
        // END_STREAM on the response closes the stream: peerspec's side had ended.
        let note = pass_note(malformed(true).poll(&response("400", true), false));
        assert!(note.contains("answered :status 400 and closed the stream (END_STREAM)"), "{note}");
        assert!(note.contains("a server MAY send an HTTP response prior to closing or resetting the stream"), "{note}");
        // The response's headers alone are not the stream's end.
        assert_eq!(malformed(true).poll(&response("400", false), false), Verdict::Pending);
        // Through an informational response to the final one.
        let mut input = response("100", false);
        input.extend(response("431", true));
        assert!(pass_note(malformed(true).poll(&input, false)).contains(":status 431"));
    }

    #[test]
    fn a_4xx_response_then_rst_stream_of_any_code_passes() {
        // peerspec's side still open: END_STREAM on the response does not close the stream.
        let mut c = malformed(false);
        assert_eq!(c.poll(&response("400", true), false), Verdict::Pending);
        let mut input = response("400", true);
        input.extend(rst(0));
        let note = pass_note(c.poll(&input, false));
        assert!(note.contains("answered :status 400 and then reset the stream with RST_STREAM"), "{note}");
        assert!(note.contains("NO_ERROR"), "{note}");
        // The stream error itself after the response names both.
        let mut input = response("400", true);
        input.extend(rst(1));
        assert!(pass_note(malformed(false).poll(&input, false))
            .contains("a stream error (RST_STREAM) with PROTOCOL_ERROR after a response (:status 400)"));
        // Left open: the PING ACK comes and no RST_STREAM.
        let mut input = response("400", true);
        input.extend(ping_ack());
        let why = settled(malformed(false), &input);
        assert!(why.contains("neither closed nor reset"), "{why}");
    }

    #[test]
    fn a_2xx_response_to_a_malformed_request_fails() {
        let mut input = response("200", true);
        input.extend(ping_ack());
        let why = settled(malformed(true), &input);
        assert!(why.contains(":status 200") && why.contains("processed the malformed request as valid") && why.contains("4xx"), "{why}");
        // Not even with RST_STREAM NO_ERROR after it.
        let mut input = response("200", true);
        input.extend(rst(0));
        input.extend(ping_ack());
        assert!(settled(malformed(true), &input).contains("processed the malformed request as valid"));
        // A 200 that turns into the stream error (the mismatch found mid-response) passes.
        let mut input = response("200", false);
        input.extend(rst(1));
        assert!(pass_note(malformed(true).poll(&input, false)).contains("PROTOCOL_ERROR after a response (:status 200)"));
        // Without `or_response` a 4xx fails like any response.
        let e: StreamErrorExpect = serde_norway::from_str("{ stream: 1, error: PROTOCOL_ERROR }").unwrap();
        let mut c = H2Check::new(Reader::default(), Box::new(StreamErrorMatcher::new(&e, 1, None, &[1]).unwrap()));
        assert!(fail(c.poll(&response("400", true), false)).contains("a complete response (:status 400, END_STREAM)"));
    }

    #[test]
    fn the_deadline_says_what_was_awaited() {
        let why = fail(malformed(true).on_deadline(b""));
        assert!(why.contains("timed out waiting for a stream error PROTOCOL_ERROR"), "{why}");
        assert!(why.contains("or a 4xx response and the stream's end"), "{why}");
        let mut c = malformed(false);
        let input = response("400", true);
        assert_eq!(c.poll(&input, false), Verdict::Pending);
        let why = fail(c.on_deadline(&input));
        assert!(why.contains("still waiting for a RST_STREAM (any code)"), "{why}");
        let mut c = malformed(true);
        let input = response("400", false);
        assert_eq!(c.poll(&input, false), Verdict::Pending);
        assert!(fail(c.on_deadline(&input)).contains("still waiting for its END_STREAM"));
    }

    #[test]
    fn the_driver_knows_which_streams_peerspec_ended() {
        use crate::case::h2::FrameSpec;
        use crate::case::Protocol;
        use crate::case::Send;
        use crate::run::driver::{Driver, DriverConfig, Substitutions};
        use crate::run::h2::H2Client;
        let check_after = |send: Send| {
            let subs = Substitutions { path: "/".into(), host: "h".into(), ws_path: "/ws".into() };
            let mut driver = H2Client::new(DriverConfig::with_defaults(Protocol::H2, &subs, &[]));
            driver.encode(&send).unwrap();
            let expect: crate::case::ExpectStep =
                serde_norway::from_str("{ stream_error: { error: PROTOCOL_ERROR, or_response: 4xx } }").unwrap();
            driver.check(&expect.kind).unwrap()
        };
        let headers = |yaml: &str| Send::Frames(vec![FrameSpec::Headers(serde_norway::from_str(yaml).unwrap())]);
        let request = |yaml: &str| Send::H2Request(serde_norway::from_str(yaml).unwrap());
        // END_STREAM sent on the request: the response's END_STREAM closes the stream.
        let mut c = check_after(headers("{ stream: 1, request: true, end_stream: true }"));
        assert!(matches!(c.poll(&response("400", true), false), Verdict::Pass { .. }));
        let mut c = check_after(request("{ omit: [\":method\"] }"));
        assert!(matches!(c.poll(&response("400", true), false), Verdict::Pass { .. }));
        // Left open (no END_STREAM sent): a RST_STREAM must close it.
        let mut c = check_after(headers("{ stream: 1, request: true }"));
        assert_eq!(c.poll(&response("400", true), false), Verdict::Pending);
        let mut c = check_after(request("{ end_stream: false }"));
        assert_eq!(c.poll(&response("400", true), false), Verdict::Pending);
    }

    #[test]
    fn or_response_names_a_final_status_class() {
        let class = |v: &str| {
            serde_norway::from_str::<StreamErrorExpect>(&format!("{{ error: PROTOCOL_ERROR, or_response: {v} }}")).unwrap().response_class()
        };
        assert_eq!(class("4xx"), Ok(Some(4)));
        assert_eq!(class("5xx"), Ok(Some(5)));
        assert!(class("1xx").is_err() && class("400").is_err() && class("4XX").is_err());
    }

    #[test]
    fn generic_codes_are_accepted_unless_exact() {
        assert_eq!(accepted(&[6], false), vec![6, 1, 2]);
        assert_eq!(accepted(&[6], true), vec![6]);
        assert_eq!(accepted(&[1, 5], false), vec![1, 5, 2]);
        assert_eq!(wanted(&[6], false), "FRAME_SIZE_ERROR (or the generic PROTOCOL_ERROR or INTERNAL_ERROR)");
        assert_eq!(wanted(&[6], true), "FRAME_SIZE_ERROR");
        assert!(which_code(1, &[6]).starts_with("PROTOCOL_ERROR, a generic code in place of FRAME_SIZE_ERROR"));
        assert_eq!(which_code(6, &[6]), "FRAME_SIZE_ERROR");
    }
}
