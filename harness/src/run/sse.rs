//! Checking an event stream against an [`EventStreamExpect`]: a body is fed to the sans-I/O
//! [`SseParser`] as it arrives, and the events it dispatched are compared with the case.

use crate::case::sse::{EventSpec, EventStreamExpect};
use crate::wire::sse::{Event, SseParser};

/// Events (and comment lines) kept one by one per stream; later ones are only counted, so a
/// peer flooding tiny events cannot grow the record without end.
pub const MAX_EVENTS_KEPT: usize = 10_000;

/// Follows a body as an event stream.
#[derive(Debug, Clone, Default)]
pub struct EventStreamFollower {
    parser: SseParser,
    fed: usize,
    /// Events dispatched so far (the first [`MAX_EVENTS_KEPT`]).
    pub events: Vec<Event>,
    /// Events dispatched past [`MAX_EVENTS_KEPT`] and dropped (more are counted by the parser,
    /// see [`EventStreamFollower::events_not_kept`]).
    events_dropped: u64,
    /// Comment lines past [`MAX_EVENTS_KEPT`] and dropped.
    comments_dropped: u64,
}

impl EventStreamFollower {
    /// Feeds the part of `body` not fed yet (`body` only grows).
    pub fn follow(&mut self, body: &[u8]) {
        if body.len() > self.fed {
            let fed = self.fed;
            self.fed = body.len();
            self.feed(&body[fed..]);
        }
    }

    /// Feeds body bytes that follow everything fed so far and are not kept anywhere (those past
    /// `--max-body-kept`), so the events of a long stream are all seen.
    pub fn feed(&mut self, bytes: &[u8]) {
        // In slices, so a large body of tiny events never holds more than a slice's worth of
        // events past the bound.
        for slice in bytes.chunks(64 * 1024) {
            self.parser.feed(slice, &mut self.events);
            if self.events.len() > MAX_EVENTS_KEPT {
                self.events_dropped += (self.events.len() - MAX_EVENTS_KEPT) as u64;
                self.events.truncate(MAX_EVENTS_KEPT);
            }
            if self.parser.comments.len() > MAX_EVENTS_KEPT {
                self.comments_dropped += (self.parser.comments.len() - MAX_EVENTS_KEPT) as u64;
                self.parser.comments.truncate(MAX_EVENTS_KEPT);
            }
            // Full: from here on the parser only counts, building nothing.
            self.parser.count_only(self.events.len() >= MAX_EVENTS_KEPT, self.parser.comments.len() >= MAX_EVENTS_KEPT);
        }
    }

    /// Events dispatched past [`MAX_EVENTS_KEPT`], counted only.
    pub fn events_not_kept(&self) -> u64 {
        self.events_dropped + self.parser.events_counted
    }

    /// Comment lines seen, kept or not.
    fn comment_count(&self) -> usize {
        self.parser.comments.len() + (self.comments_dropped + self.parser.comments_counted) as usize
    }

    /// Whether an `open` expectation has seen everything it asks for yet: its events, its
    /// comments, and its `retry`.
    pub fn has_events_for(&self, expect: &EventStreamExpect) -> bool {
        self.events.len() >= expect.events.len()
            && self.comment_count() >= expect.min_comments.unwrap_or(0)
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
                None => problems.push(format!(
                    "  event {}: expected {}, but the stream dispatched only {} events",
                    i + 1,
                    describe(want),
                    seen.len()
                )),
            }
        }
        if ended && (seen.len() > expect.events.len() || self.events_not_kept() > 0) {
            let extra: Vec<String> = seen[expect.events.len().min(seen.len())..].iter().take(20).map(show).collect();
            let more = (seen.len().saturating_sub(expect.events.len())) as u64 + self.events_not_kept();
            let cut = if more > extra.len() as u64 { ", …" } else { "" };
            problems.push(format!("  events: expected {}, saw {more} more: {}{cut}", expect.events.len(), extra.join(", ")));
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
                None if tail => {
                    problems.push("  the stream ended inside an event no blank line dispatched: a client discards it".to_string())
                }
                _ => {}
            }
        }
        if let Some(min) = expect.min_comments {
            if self.comment_count() < min {
                problems.push(format!("  comments: expected at least {min}, saw {}", self.comment_count()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_keeps_a_bounded_number_of_events_and_counts_the_rest() {
        let mut f = EventStreamFollower::default();
        let body = "data: x\n\n: c\n".repeat(MAX_EVENTS_KEPT + 500);
        let (kept, overflow) = body.as_bytes().split_at(1000);
        f.follow(kept);
        f.feed(overflow);
        assert_eq!((f.events.len(), f.events_not_kept()), (MAX_EVENTS_KEPT, 500));
        assert_eq!(f.comment_count(), MAX_EVENTS_KEPT + 500);
        let expect = EventStreamExpect { events: vec![EventSpec { data: Some("x".into()), ..Default::default() }], ..Default::default() };
        let problems = f.compare(&expect, true);
        assert!(problems.iter().any(|p| p.contains(&format!("saw {} more", MAX_EVENTS_KEPT + 499))), "{problems:?}");
    }
}
