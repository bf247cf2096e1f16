//! Checking an event stream against an [`EventStreamExpect`]: a body is fed to the sans-I/O
//! [`SseParser`] as it arrives, and the events it dispatched are compared with the case.

use crate::case::sse::{EventSpec, EventStreamExpect};
use crate::wire::sse::{Event, SseParser};

/// Follows a body as an event stream.
#[derive(Debug, Clone, Default)]
pub struct EventStreamFollower {
    parser: SseParser,
    fed: usize,
    /// Events dispatched so far.
    pub events: Vec<Event>,
}

impl EventStreamFollower {
    /// Feeds the part of `body` not fed yet (`body` only grows).
    pub fn follow(&mut self, body: &[u8]) {
        if body.len() > self.fed {
            self.parser.feed(&body[self.fed..], &mut self.events);
            self.fed = body.len();
        }
    }

    /// Whether an `open` expectation has seen everything it asks for yet: its events, its
    /// comments, and its `retry`.
    pub fn has_events_for(&self, expect: &EventStreamExpect) -> bool {
        self.events.len() >= expect.events.len()
            && self.parser.comments.len() >= expect.min_comments.unwrap_or(0)
            && (expect.retry.is_none() || self.parser.retry.is_some())
    }

    /// Every way the stream differs from `expect`. `ended`: the body is complete.
    pub fn compare(&self, expect: &EventStreamExpect, ended: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let seen = &self.events;
        for (i, want) in expect.events.iter().enumerate() {
            match seen.get(i) {
                Some(got) => {
                    if let Some(why) = event_differs(want, got) {
                        problems.push(format!("  event {}: {why}", i + 1));
                    }
                }
                None => problems.push(format!("  event {}: expected {}, but the stream dispatched only {} events", i + 1, describe(want), seen.len())),
            }
        }
        if ended && seen.len() > expect.events.len() {
            let extra: Vec<String> = seen[expect.events.len()..].iter().map(show).collect();
            problems.push(format!("  events: expected {}, saw {} more: {}", expect.events.len(), extra.len(), extra.join(", ")));
        }
        if let Some(retry) = expect.retry {
            if self.parser.retry != Some(retry) {
                problems.push(format!("  retry: expected {retry} ms, saw {:?}", self.parser.retry));
            }
        }
        if ended {
            let tail = self.parser.has_undispatched_event();
            match expect.discarded_tail {
                Some(want) if want != tail => {
                    problems.push(format!("  discarded tail: expected {want}, saw {tail}"));
                }
                None if tail => problems.push(
                    "  the stream ended inside an event no blank line dispatched: a client discards it".to_string(),
                ),
                _ => {}
            }
        }
        if let Some(min) = expect.min_comments {
            if self.parser.comments.len() < min {
                problems.push(format!("  comments: expected at least {min}, saw {}", self.parser.comments.len()));
            }
        }
        problems
    }

    /// Where each dispatched event lies in the body, for the transcript.
    pub fn event_spans(&self) -> Vec<(usize, usize, String)> {
        self.events.iter().map(|e| (e.start, e.end, show(e))).collect()
    }
}

fn event_differs(want: &EventSpec, got: &Event) -> Option<String> {
    let mut diffs = vec![];
    if let Some(t) = &want.event {
        if t != &got.event_type {
            diffs.push(format!("type expected {t:?}, saw {:?}", got.event_type));
        }
    }
    if let Some(d) = &want.data {
        if d != &got.data {
            diffs.push(format!("data expected {d:?}, saw {:?}", got.data));
        }
    }
    if let Some(id) = &want.id {
        if id != &got.last_event_id {
            diffs.push(format!("id expected {id:?}, saw {:?}", got.last_event_id));
        }
    }
    (!diffs.is_empty()).then(|| diffs.join("; "))
}

fn describe(e: &EventSpec) -> String {
    format!("{} {:?}", e.event.as_deref().unwrap_or("(any type)"), e.data.as_deref().unwrap_or("(any data)"))
}

fn show(e: &Event) -> String {
    let id = if e.last_event_id.is_empty() { String::new() } else { format!(" id={}", e.last_event_id) };
    format!("event {}{id} {:?}", e.event_type, e.data)
}
