//! The HTTP/2 error expectations (`connection_error`, `stream_error`), judged on the peer's
//! frames. Both accept every choice RFC 9113 §5.4 leaves the peer: a generic code (PROTOCOL_ERROR,
//! INTERNAL_ERROR) in place of the specific one, and, for a stream error, a connection error
//! (§5.4.1). What the peer chose goes to the transcript.

use crate::case::h2::{ConnectionErrorExpect, StreamErrorExpect};
use crate::wire::h2::{self as wire, flag, FrameHeader, Payload};

use super::h2::{code_list, codes, Event, Matcher, Seen};

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

/// `stream_error`: RST_STREAM on the stream, or a connection error, with an accepted code.
#[derive(Clone)]
pub(super) struct StreamErrorMatcher {
    stream: u32,
    named: Vec<u32>,
    codes: Vec<u32>,
    exact: bool,
    status: Option<String>,
    ended: bool,
    barrier: Option<Vec<u8>>,
    barrier_acked: bool,
    note: Option<String>,
}

impl StreamErrorMatcher {
    pub(super) fn new(e: &StreamErrorExpect, stream: u32, barrier: Option<Vec<u8>>) -> Result<StreamErrorMatcher, String> {
        let named = codes(&e.error)?;
        Ok(StreamErrorMatcher {
            stream: e.stream.unwrap_or(stream),
            codes: accepted(&named, e.exact),
            named,
            exact: e.exact,
            status: None,
            ended: false,
            barrier,
            barrier_acked: false,
            note: None,
        })
    }

    fn answered(&self) -> String {
        let status = self.status.as_deref().unwrap_or("?");
        format!(
            "the server answered on stream {} with a complete response (:status {status}, END_STREAM) and no RST_STREAM {}",
            self.stream,
            wanted(&self.named, self.exact)
        )
    }

    /// A response that ends the stream is the server answering the request instead of resetting
    /// the stream (RFC 9113 §8.1.1 lets it answer first): with a PING barrier sent, the verdict
    /// waits for its ACK; without one, it is final.
    fn ended(&mut self, h: &FrameHeader) -> Seen {
        if !h.has(flag::END_STREAM) {
            return Seen::Take;
        }
        if self.barrier.is_some() {
            self.ended = true;
            return Seen::Take;
        }
        Seen::Fail(self.answered())
    }
}

impl Matcher for StreamErrorMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = ev.header();
        let (code, is_goaway) = match &ev.frame.payload {
            // RST_STREAM NO_ERROR after a complete response only closes the stream (RFC 9113 §8.1).
            Payload::RstStream(r) if h.stream_id == self.stream && r.code == 0 && self.ended => return Seen::Take,
            Payload::RstStream(r) if h.stream_id == self.stream => (r.code, false),
            Payload::Goaway(g) => (g.code, true),
            Payload::Headers(_) if h.stream_id == self.stream && self.status.is_none() => {
                self.status = ev.fields.iter().flatten().find(|(n, _)| n == ":status").map(|(_, v)| v.clone());
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
            self.note = Some(format!("peerspec: the peer made {how} with {}", which_code(code, &self.named)));
            Seen::Pass
        } else {
            Seen::Fail(format!("{} ({what}): expected error {}", wire::describe(&ev.frame), wanted(&self.named, self.exact)))
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        self.note = Some(
            "peerspec: the peer closed the connection (a connection error in place of the stream error, RFC 9113 §5.4.1; no GOAWAY, which SHOULD come first)".into(),
        );
        Ok(())
    }
    fn describe(&self) -> String {
        format!("a stream error {} on stream {} (RST_STREAM, or a connection error)", wanted(&self.named, self.exact), self.stream)
    }
    fn progress(&self) -> Option<String> {
        self.ended.then(|| {
            format!(
                "a complete response arrived on stream {} (:status {}); still waiting for a RST_STREAM {} or the PING ACK",
                self.stream,
                self.status.as_deref().unwrap_or("?"),
                wanted(&self.named, self.exact)
            )
        })
    }
    fn on_idle(&self) -> Option<String> {
        if !self.barrier_acked {
            return None;
        }
        Some(if self.ended {
            self.answered()
        } else {
            format!(
                "the peer acknowledged the PING sent after the frame under test and sent no stream error {} on stream {} with it: it let the error pass",
                wanted(&self.named, self.exact),
                self.stream
            )
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
