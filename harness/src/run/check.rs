//! Expectations as pure functions of the bytes received: each [`Check`] looks at the unread
//! input and whether the peer has closed, and says pending, passed (using so many bytes) or
//! failed. Waiting lives in [`super::session`]; checks never do I/O, so alternatives (`any_of`)
//! are just several checks looking at the same bytes.

use std::time::Duration;

use regex::bytes::Regex;

use crate::transcript::escape;

/// A piece of received input a passing check accounts for, for the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotated {
    /// Offset in the unread input.
    pub offset: usize,
    /// Length.
    pub len: usize,
    /// What it was.
    pub unit: String,
}

/// What a check says about the input so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not decided yet: more input, the close, or the deadline will decide.
    Pending,
    /// Passed, using the first `consumed` bytes of the input.
    Pass { consumed: usize, units: Vec<Annotated> },
    /// Failed, with what was expected and what was seen.
    Fail(String),
}

/// An expectation over received bytes.
pub trait Check: Send {
    /// Looks at the unread input. `eof` is true once the peer closed (no more input will come).
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict;
    /// The deadline passed with the check still pending.
    fn on_deadline(&mut self, input: &[u8]) -> Verdict;
    /// A short description for messages (`response`, `connection closed`).
    fn describe(&self) -> String;
    /// Whether the deadline is how this check passes (a quiet period), not a failure.
    fn passes_on_quiet(&self) -> bool {
        false
    }
    /// While pending: how long the input must then stay quiet for the check's verdict to be
    /// final, [`Check::on_deadline`] giving it (bounded by the wait's own deadline). A check that
    /// has seen enough to decide, but whose peer may still have a right to speak right after
    /// (an HTTP/2 error behind the PING ACK that was meant to follow it), says so here. `None`:
    /// only the deadline decides (the default).
    fn settles_after(&self) -> Option<Duration> {
        None
    }
    /// After passing: whether what passed was a response, which answers the oldest request.
    fn answers_request(&self) -> bool {
        false
    }
    /// After failing: the units of the input the check did make sense of, for the transcript.
    fn units_so_far(&self) -> Vec<Annotated> {
        Vec::new()
    }
    /// While pending: lets go of the leading input the check has read and will not look at
    /// again (whole frames, chunks, body bytes already counted), so a long or endless message
    /// streams through a bounded buffer. The check rebases its offsets as if those bytes were
    /// gone; the units in them go to the transcript. `None`: nothing to let go (the default).
    fn release(&mut self) -> Option<Released> {
        None
    }
}

/// Input a pending check is done with: its first `len` bytes, and the units they held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// Bytes at the front of the input the check no longer needs.
    pub len: usize,
    /// Their units, at offsets in the input before the release.
    pub units: Vec<Annotated>,
}

/// Exactly these bytes next.
pub struct ExactBytes(pub Vec<u8>);

impl Check for ExactBytes {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        let want = &self.0;
        let n = input.len().min(want.len());
        if let Some(i) = (0..n).find(|&i| input[i] != want[i]) {
            return Verdict::Fail(format!(
                "bytes differ at offset {i}: expected {}, saw {}",
                escape(&want[i..], 64),
                escape(&input[i..], 64)
            ));
        }
        if input.len() >= want.len() {
            return Verdict::Pass { consumed: want.len(), units: vec![annotated(0, want.len(), "expected bytes")] };
        }
        if eof {
            return Verdict::Fail(format!(
                "peer closed after {} of {} expected bytes: expected {}, saw {}",
                input.len(),
                want.len(),
                escape(want, 64),
                escape(input, 64)
            ));
        }
        Verdict::Pending
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        Verdict::Fail(format!("timed out after {} of {} expected bytes: expected {}", input.len(), self.0.len(), escape(&self.0, 64)))
    }
    fn describe(&self) -> String {
        format!("bytes {}", escape(&self.0, 32))
    }
}

/// A regular expression over the bytes received next.
pub struct Matches(pub Regex);

impl Check for Matches {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        if let Some(m) = self.0.find(input) {
            return Verdict::Pass { consumed: m.end(), units: vec![annotated(0, m.end(), "matched bytes")] };
        }
        if eof {
            return Verdict::Fail(format!("no match for /{}/ before the peer closed; saw {}", self.0, escape(input, 128)));
        }
        Verdict::Pending
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        Verdict::Fail(format!("timed out waiting for a match of /{}/; saw {}", self.0, escape(input, 128)))
    }
    fn describe(&self) -> String {
        format!("match /{}/", self.0)
    }
}

/// The peer closes the connection and sends nothing more.
pub struct Closed;

impl Check for Closed {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        if !input.is_empty() {
            return Verdict::Fail(format!(
                "expected the peer to close the connection, but it sent {} more bytes: {}",
                input.len(),
                escape(input, 128)
            ));
        }
        if eof {
            return Verdict::Pass { consumed: 0, units: vec![] };
        }
        Verdict::Pending
    }
    fn on_deadline(&mut self, _: &[u8]) -> Verdict {
        Verdict::Fail("expected the peer to close the connection, but it stayed open".into())
    }
    fn describe(&self) -> String {
        "connection closed".into()
    }
}

/// The peer keeps the connection open and quiet until the deadline.
pub struct Open;

impl Check for Open {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        if !input.is_empty() {
            return Verdict::Fail(format!(
                "expected an open, quiet connection, but the peer sent {} bytes: {}",
                input.len(),
                escape(input, 128)
            ));
        }
        if eof {
            return Verdict::Fail("expected the connection to stay open, but the peer closed it".into());
        }
        Verdict::Pending
    }
    fn on_deadline(&mut self, _: &[u8]) -> Verdict {
        Verdict::Pass { consumed: 0, units: vec![] }
    }
    fn describe(&self) -> String {
        "connection open".into()
    }
    fn passes_on_quiet(&self) -> bool {
        true
    }
}

/// The check of one `expect` step as the step loop holds it: a protocol-neutral check (bytes, a
/// pattern, the connection's state), the driver's own check `C`, or alternatives. After it
/// passes, [`StepCheck::into_chosen`] hands the driver's check that passed back to the driver by
/// value, typed: no downcast.
pub enum StepCheck<C> {
    /// A check every protocol shares; it carries no protocol state.
    Neutral(Box<dyn Check>),
    /// The driver's check.
    Proto(C),
    /// `any_of`: alternatives.
    AnyOf(AnyOf<C>),
}

impl<C: Check> StepCheck<C> {
    /// The driver's check that passed (through `any_of`, the alternative that passed); `None`
    /// when a protocol-neutral check did.
    pub fn into_chosen(self) -> Option<C> {
        match self {
            StepCheck::Neutral(_) => None,
            StepCheck::Proto(c) => Some(c),
            StepCheck::AnyOf(a) => a.into_chosen(),
        }
    }

    fn inner(&self) -> &dyn Check {
        match self {
            StepCheck::Neutral(c) => c.as_ref(),
            StepCheck::Proto(c) => c,
            StepCheck::AnyOf(a) => a,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn Check {
        match self {
            StepCheck::Neutral(c) => c.as_mut(),
            StepCheck::Proto(c) => c,
            StepCheck::AnyOf(a) => a,
        }
    }
}

/// Implements [`Check`] for a type by handing every method to the check `$inner(self)` returns
/// (`$inner_mut` for the methods that take `&mut self`).
macro_rules! delegate_check {
    ($ty:ty, $inner:ident, $inner_mut:ident) => {
        impl Check for $ty {
            fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
                self.$inner_mut().poll(input, eof)
            }
            fn on_deadline(&mut self, input: &[u8]) -> Verdict {
                self.$inner_mut().on_deadline(input)
            }
            fn describe(&self) -> String {
                self.$inner().describe()
            }
            fn passes_on_quiet(&self) -> bool {
                self.$inner().passes_on_quiet()
            }
            fn settles_after(&self) -> Option<std::time::Duration> {
                self.$inner().settles_after()
            }
            fn answers_request(&self) -> bool {
                self.$inner().answers_request()
            }
            fn units_so_far(&self) -> Vec<Annotated> {
                self.$inner().units_so_far()
            }
            fn release(&mut self) -> Option<Released> {
                self.$inner_mut().release()
            }
        }
    };
}
pub(crate) use delegate_check;

impl<C: Check> Check for StepCheck<C> {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        self.inner_mut().poll(input, eof)
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        self.inner_mut().on_deadline(input)
    }
    fn describe(&self) -> String {
        self.inner().describe()
    }
    fn passes_on_quiet(&self) -> bool {
        self.inner().passes_on_quiet()
    }
    fn settles_after(&self) -> Option<Duration> {
        self.inner().settles_after()
    }
    fn answers_request(&self) -> bool {
        self.inner().answers_request()
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        self.inner().units_so_far()
    }
    fn release(&mut self) -> Option<Released> {
        self.inner_mut().release()
    }
}

/// Any one of several checks (behaviours an RFC allows). The first to pass wins; it fails when
/// all have failed.
pub struct AnyOf<C> {
    alternatives: Vec<(StepCheck<C>, Option<String>)>,
    /// Index of the alternative that passed.
    pub chosen: Option<usize>,
}

impl<C: Check> AnyOf<C> {
    /// Alternatives in order of preference.
    pub fn new(alternatives: Vec<StepCheck<C>>) -> Self {
        AnyOf { alternatives: alternatives.into_iter().map(|c| (c, None)).collect(), chosen: None }
    }

    /// The driver's check of the alternative that passed, if it was one.
    pub fn into_chosen(self) -> Option<C> {
        // The alternative that passed speaks for the whole.
        let i = self.chosen?;
        self.alternatives.into_iter().nth(i)?.0.into_chosen()
    }

    fn settle(&mut self, mut judge: impl FnMut(&mut dyn Check) -> Verdict) -> Verdict {
        let mut pending = false;
        for (i, (check, failure)) in self.alternatives.iter_mut().enumerate() {
            if failure.is_some() {
                continue;
            }
            match judge(check) {
                Verdict::Pending => pending = true,
                Verdict::Fail(why) => *failure = Some(why),
                pass @ Verdict::Pass { .. } => {
                    self.chosen = Some(i);
                    return pass;
                }
            }
        }
        if pending {
            return Verdict::Pending;
        }
        let reasons: Vec<String> =
            self.alternatives.iter().map(|(c, f)| format!("  - {}: {}", c.describe(), f.as_deref().unwrap_or("?"))).collect();
        Verdict::Fail(format!("none of the allowed behaviours was seen:\n{}", reasons.join("\n")))
    }
}

impl<C: Check> Check for AnyOf<C> {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        // A quiet-period alternative (`connection: open`) can only pass at the deadline, so a
        // pending one must not hide another alternative's failure from being final.
        self.settle(|c| c.poll(input, eof))
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        self.settle(|c| c.on_deadline(input))
    }
    fn describe(&self) -> String {
        let names: Vec<String> = self.alternatives.iter().map(|(c, _)| c.describe()).collect();
        format!("any of [{}]", names.join(", "))
    }
    fn passes_on_quiet(&self) -> bool {
        self.alternatives.iter().any(|(c, _)| c.passes_on_quiet())
    }
    fn settles_after(&self) -> Option<Duration> {
        // Settled when every alternative still pending is: asking the others at the deadline
        // would fail them early.
        let pending = self.alternatives.iter().filter(|(_, failure)| failure.is_none());
        pending.map(|(c, _)| c.settles_after()).try_fold(Duration::ZERO, |most, after| after.map(|a| most.max(a)))
    }
    fn answers_request(&self) -> bool {
        self.chosen.is_some_and(|i| self.alternatives[i].0.answers_request())
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        // The alternative that understood the most of the input tells its story.
        let coverage = |units: &Vec<Annotated>| units.iter().map(|u| u.offset + u.len).max().unwrap_or(0);
        self.alternatives.iter().map(|(c, _)| c.units_so_far()).max_by_key(coverage).unwrap_or_default()
    }
}

/// A transcript annotation.
pub fn annotated(offset: usize, len: usize, unit: impl Into<String>) -> Annotated {
    Annotated { offset, len, unit: unit.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bytes_fail_early_on_a_difference() {
        let mut c = ExactBytes(b"HTTP/1.1 200".to_vec());
        assert_eq!(c.poll(b"HTTP/1.", false), Verdict::Pending);
        assert!(matches!(c.poll(b"HTTP/1.0", false), Verdict::Fail(m) if m.contains("offset 7")));
        assert!(matches!(c.poll(b"HTTP/1.1 200 OK", false), Verdict::Pass { consumed: 12, .. }));
        assert!(matches!(c.poll(b"HTTP", true), Verdict::Fail(_)));
    }

    #[test]
    fn connection_states() {
        assert_eq!(Closed.poll(b"", false), Verdict::Pending);
        assert!(matches!(Closed.poll(b"", true), Verdict::Pass { .. }));
        assert!(matches!(Closed.poll(b"x", true), Verdict::Fail(_)));
        assert!(matches!(Open.poll(b"", true), Verdict::Fail(_)));
        assert!(matches!(Open.on_deadline(b""), Verdict::Pass { .. }));
    }

    #[test]
    fn any_of_passes_on_the_first_success_and_fails_when_all_fail() {
        let mut c =
            AnyOf::<Closed>::new(vec![StepCheck::Neutral(Box::new(ExactBytes(b"HTTP/1.1 400".to_vec()))), StepCheck::Proto(Closed)]);
        assert_eq!(c.poll(b"", false), Verdict::Pending);
        assert!(matches!(c.poll(b"", true), Verdict::Pass { .. }));
        assert_eq!(c.chosen, Some(1));
        assert!(c.into_chosen().is_some(), "the chosen alternative is handed back by value");
        let mut c =
            AnyOf::<Closed>::new(vec![StepCheck::Neutral(Box::new(ExactBytes(b"HTTP/1.1 400".to_vec()))), StepCheck::Proto(Closed)]);
        assert!(matches!(c.poll(b"HTTP/1.1 200", false), Verdict::Fail(m) if m.contains("none of")));
    }

    #[test]
    fn regex_consumes_to_the_end_of_the_match() {
        let mut c = Matches(Regex::new(r"^HTTP/1\.[01] 4\d\d").unwrap());
        assert_eq!(c.poll(b"HTTP/1.1 4", false), Verdict::Pending);
        assert!(matches!(c.poll(b"HTTP/1.1 400 Bad", false), Verdict::Pass { consumed: 12, .. }));
    }
}
