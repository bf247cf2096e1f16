//! Server-Sent Events expectations: the events a `text/event-stream` body must carry, whatever
//! protocol carries the body.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an event stream must hold. The body is interpreted as the WHATWG HTML standard says
/// (see `wire::sse`), wherever the transport split it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventStreamExpect {
    /// The events dispatched, in order. With `open: false` (a stream that ended), exactly these;
    /// with `open: true`, these first.
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// The stream is still open after `events`: the step passes as soon as they have arrived,
    /// without waiting for the body to end.
    #[serde(default)]
    pub open: bool,
    /// The reconnection time (ms) the last valid `retry:` field set.
    #[serde(default)]
    pub retry: Option<u64>,
    /// Whether the stream ended inside an event that no blank line dispatched (a browser
    /// discards it). Left out: such a lost event fails the step.
    #[serde(default)]
    pub discarded_tail: Option<bool>,
    /// How many comment lines (`: keep-alive`) at least.
    #[serde(default)]
    pub min_comments: Option<usize>,
}

/// One expected event. Fields left out are not checked.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// The event type (`message` when the stream gave none).
    #[serde(default)]
    pub event: Option<String>,
    /// The data, lines joined by LF.
    #[serde(default)]
    pub data: Option<String>,
    /// The last event ID in force when it was dispatched.
    #[serde(default)]
    pub id: Option<String>,
}
