//! The built-in target's Server-Sent Events resources (a child of `builtin`, sharing its body
//! types): the seed article's streams, split exactly where the article splits them, and the
//! resources the `cases/sse` suite uses.
//!
//! The article's drawing gives the chunk sizes `5f 28 48 25` for the event stream and
//! `4b 15 48 2c 1c` for the JSON stream, but the text it draws is `5f 28 49 30` and
//! `4b 15 48 33 1c` bytes long: the sizes here are the true ones (hyper writes them), the split
//! points are the article's, including the one inside `今…` that cuts no character but splits an
//! event between chunks.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::header::{self, HeaderValue};
use hyper::{HeaderMap, Response, StatusCode};

use super::{empty, set_connection_close, with_type, RespBody, ScriptedBody};

/// The seed article's event stream, in the pieces it draws.
pub const SEED_EVENT_STREAM: [&str; 4] = [
    "event: tweet\ndata: {\"id\":123,\"text\":\"あいうえお\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}\n\n",
    "event: tweet\ndata: {\"id\":456,\"text\":\"今",
    "からこれふぁぼります\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}\n\n",
    "event: favorite\ndata: {\"id\":456,\"user_id\":893}\n\n",
];

/// The seed article's JSON stream (one JSON document per line), in the pieces it draws.
pub const SEED_JSON_STREAM: [&str; 5] = [
    "{\"id\":123,\"text\":\"あいうえお\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}\n",
    "{\"id\":456,\"text\":\"今",
    "からこれふぁぼります\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}\n",
    "{\"event\":\"favorite\",\"target_id\":456,\"user_id\":893}\n",
    "{\"disconnect\":{\"code\":810}}\n",
];

/// Events of `/sse/ids`, resumable with `Last-Event-ID`.
const IDS: [(&str, &str); 3] = [("1", "one"), ("2", "two"), ("3", "three")];

/// Keep-alive period of `/sse/open`, and how many keep-alives it sends before it ends.
pub const KEEP_ALIVE: Duration = Duration::from_millis(500);
const KEEP_ALIVES: usize = 60;

/// The SSE resource at `path`, if there is one.
pub(super) fn route(path: &str, headers: &HeaderMap, head: bool) -> Option<Response<RespBody>> {
    let now = |s: &'static str| (Duration::ZERO, Frame::data(Bytes::from_static(s.as_bytes())));
    let steps: Vec<(Duration, Frame<Bytes>)> = match path {
        "/streaming" => SEED_EVENT_STREAM.iter().map(|s| now(s)).collect(),
        "/1.1/statuses/sample.json" => {
            let steps: Vec<_> = SEED_JSON_STREAM.iter().map(|s| now(s)).collect();
            let mut resp = respond("application/json", steps, head);
            // The article's stream says `Connection: close` and still ends with the zero chunk.
            set_connection_close(&mut resp);
            return Some(resp);
        }
        "/sse/basic" => vec![now("data: hello\n\n"), now("event: greeting\ndata: hi\n\n")],
        "/sse/multiline" => vec![now("data: line one\ndata: line two\n\n")],
        "/sse/comments" => vec![now(": keep-alive\n\n"), now("data: a\n\n"), now(": ping\n\n"), now("data: b\n\n")],
        "/sse/retry" => vec![now("retry: 1500\n\n"), now("data: after retry\n\n")],
        "/sse/ids" => {
            let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            let resume = IDS.iter().position(|(id, _)| *id == last).map_or(0, |i| i + 1);
            IDS[resume..]
                .iter()
                .map(|(id, data)| (Duration::ZERO, Frame::data(Bytes::from(format!("id: {id}\ndata: {data}\n\n")))))
                .collect()
        }
        "/sse/open" => {
            let mut steps = vec![now("data: first\n\n"), now("data: second\n\n")];
            steps.extend((0..KEEP_ALIVES).map(|_| (KEEP_ALIVE, Frame::data(Bytes::from_static(b": keep-alive\n\n")))));
            steps
        }
        _ => return None,
    };
    Some(respond("text/event-stream", steps, head))
}

fn respond(content_type: &'static str, steps: Vec<(Duration, Frame<Bytes>)>, head: bool) -> Response<RespBody> {
    let body = if head { empty() } else { ScriptedBody::new(steps).boxed_unsync() };
    let mut resp = with_type(StatusCode::OK, content_type, body);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}
