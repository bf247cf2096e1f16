//! The `text/event-stream` format (Server-Sent Events), interpreted exactly as the WHATWG HTML
//! Living Standard's "event stream interpretation" says, incrementally and without I/O.
//!
//! The transport (HTTP/1.0 body until FIN, HTTP/1.1 chunks, HTTP/2 DATA frames) may split the
//! stream anywhere, even inside a UTF-8 character or between the CR and LF of a line end; the
//! parser gives the same events whatever the split. Lines are split on bytes (CR and LF are
//! ASCII) and decoded as UTF-8 whole, so a split character is never damaged.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type (`message` when no `event:` field was given).
    pub event_type: String,
    /// The data lines joined by LF.
    pub data: String,
    /// The last event ID in force when the event was dispatched.
    pub last_event_id: String,
    /// Stream offset of the event's first line.
    pub start: usize,
    /// Stream offset just past the blank line that dispatched it.
    pub end: usize,
}

/// Incremental event-stream parser. Feed it bytes as they arrive; take events as they dispatch.
#[derive(Debug, Clone, Default)]
pub struct SseParser {
    /// Bytes of the current, unfinished line.
    line: Vec<u8>,
    /// Bytes seen so far (the stream offset of the next byte).
    offset: usize,
    /// Whether the start of the stream has been checked for a BOM.
    bom_done: bool,
    /// The last line ended in CR, so an LF right after it belongs to that line end.
    after_cr: bool,
    event_type: String,
    data: String,
    /// Whether any field line has been seen since the last dispatch (for discarding at the end).
    fields_pending: bool,
    /// Offset where the event being built started.
    event_start: Option<usize>,
    last_id_buffer: String,
    /// The last event ID (updated at every dispatch, even of an empty event).
    pub last_event_id: String,
    /// The reconnection time set by the last valid `retry:` field, in milliseconds.
    pub retry: Option<u64>,
    /// Comment lines seen (keep-alives), in order (not kept when counting only).
    pub comments: Vec<String>,
    /// Count events instead of building them ([`SseParser::count_only`]).
    counting_events: bool,
    /// Count comment lines instead of keeping them.
    counting_comments: bool,
    /// Events dispatched while counting only.
    pub events_counted: u64,
    /// Data bytes of events past [`MAX_DATA`], dropped.
    pub data_dropped: u64,
    /// Comment lines seen while counting only.
    pub comments_counted: u64,
}

/// Most data kept for one event; the rest is counted in [`SseParser::data_dropped`].
pub const MAX_DATA: usize = 16 << 20;

/// Longest line kept; a longer one is cut (the rest counted, not kept) so a peer that never ends
/// a line cannot exhaust memory.
pub const MAX_LINE: usize = 1 << 20;

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on, counts dispatched events (`events`) and comment lines (`comments`) in
    /// `events_counted` and `comments_counted` instead of handing them out: the parse, the last
    /// event ID and `retry` go on as before, without an allocation per event (for a follower
    /// that keeps only so many).
    pub fn count_only(&mut self, events: bool, comments: bool) {
        self.counting_events |= events;
        self.counting_comments |= comments;
    }

    /// Bytes fed so far.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Parses `bytes`, appending each dispatched event to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Event>) {
        if !self.bom_done {
            // A leading U+FEFF is removed once; it may arrive split across feeds.
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            let have = self.line.len();
            let take = (BOM.len() - have).min(bytes.len());
            let candidate: Vec<u8> = self.line.iter().chain(&bytes[..take]).copied().collect();
            if BOM.starts_with(&candidate) {
                self.offset += take;
                bytes = &bytes[take..];
                if candidate.len() == BOM.len() {
                    self.line.clear();
                    self.bom_done = true;
                } else {
                    self.line = candidate;
                    return;
                }
            } else {
                // Not a BOM: what was held back is ordinary stream content.
                self.bom_done = true;
                let held = std::mem::take(&mut self.line);
                self.offset -= held.len();
                self.feed_lines(&held, out);
            }
        }
        self.feed_lines(bytes, out);
    }

    fn feed_lines(&mut self, bytes: &[u8], out: &mut Vec<Event>) {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    rest = &rest[1..];
                    self.offset += 1;
                    continue;
                }
            }
            match memchr::memchr2(b'\n', b'\r', rest) {
                Some(i) => {
                    self.after_cr = rest[i] == b'\r';
                    if self.line.is_empty() && i <= MAX_LINE {
                        // The whole line is in this input: read it in place, without copying.
                        self.offset += i + 1;
                        self.process_line(&rest[..i], out);
                    } else {
                        self.push_line_bytes(&rest[..i]);
                        self.offset += i + 1;
                        let mut line = std::mem::take(&mut self.line);
                        self.process_line(&line, out);
                        // Keep the buffer's capacity for the next split line.
                        line.clear();
                        self.line = line;
                    }
                    rest = &rest[i + 1..];
                }
                None => {
                    self.push_line_bytes(rest);
                    self.offset += rest.len();
                    rest = &[];
                }
            }
        }
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.line.len());
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<Event>) {
        let line_start = self.offset - line.len() - 1;
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if self.event_start.is_none() {
            self.event_start = Some(line_start);
        }
        // Valid UTF-8 (the usual case) is checked by the fast validator; only an invalid line
        // takes the slower lossy path.
        let line = match std::str::from_utf8(line) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(line),
        };
        if let Some(comment) = line.strip_prefix(':') {
            if self.counting_comments {
                self.comments_counted += 1;
            } else {
                self.comments.push(comment.to_string());
            }
            return;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (&line[..], ""),
        };
        self.fields_pending = true;
        match field {
            "event" => self.event_type = value.to_string(),
            // An event's data past MAX_DATA is dropped (a stream of data lines with no blank
            // line would otherwise grow it without end); the event still dispatches.
            "data" if self.data.len() + value.len() < MAX_DATA => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "data" => self.data_dropped += value.len() as u64 + 1,
            "id" if !value.contains('\0') => {
                self.last_id_buffer.clear();
                self.last_id_buffer.push_str(value);
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Digits beyond u64 are still "only digits"; saturate rather than ignore.
                self.retry = Some(value.parse().unwrap_or(u64::MAX));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Event>) {
        self.last_event_id.clone_from(&self.last_id_buffer);
        let start = self.event_start.take().unwrap_or(self.offset);
        self.fields_pending = false;
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        if self.counting_events {
            self.events_counted += 1;
            self.data.clear();
            self.event_type.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event_type = std::mem::take(&mut self.event_type);
        out.push(Event {
            event_type: if event_type.is_empty() { "message".into() } else { event_type },
            data,
            last_event_id: self.last_event_id.clone(),
            start,
            end: self.offset,
        });
    }

    /// Whether the stream so far ends inside an event that a blank line has not dispatched (it
    /// would be discarded if the stream ended now).
    pub fn has_undispatched_event(&self) -> bool {
        self.fields_pending || !self.line.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(stream: &[u8], cut: &[usize]) -> (Vec<Event>, SseParser) {
        let mut p = SseParser::new();
        let mut out = vec![];
        let mut at = 0;
        for &c in cut.iter().chain(std::iter::once(&stream.len())) {
            p.feed(&stream[at..c], &mut out);
            at = c;
        }
        (out, p)
    }

    fn parse(stream: &[u8]) -> Vec<Event> {
        parse_in_pieces(stream, &[]).0
    }

    fn pairs(events: &[Event]) -> Vec<(&str, &str)> {
        events.iter().map(|e| (e.event_type.as_str(), e.data.as_str())).collect()
    }

    /// The seed article's tweet / tweet / favorite stream.
    pub const SEED: &str = "event: tweet\ndata: {\"id\":123,\"text\":\"あいうえお\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}\n\nevent: tweet\ndata: {\"id\":456,\"text\":\"今からこれふぁぼります\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}\n\nevent: favorite\ndata: {\"id\":456,\"user_id\":893}\n\n";

    #[test]
    fn seed_stream_gives_the_same_events_split_at_every_byte_and_every_pair() {
        let whole = parse(SEED.as_bytes());
        assert_eq!(
            pairs(&whole),
            [
                ("tweet", "{\"id\":123,\"text\":\"あいうえお\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}"),
                ("tweet", "{\"id\":456,\"text\":\"今からこれふぁぼります\",\"user\":{\"id\":893,\"screen_name\":\"mpyw\"}}"),
                ("favorite", "{\"id\":456,\"user_id\":893}"),
            ]
        );
        let n = SEED.len();
        for i in 0..=n {
            assert_eq!(parse_in_pieces(SEED.as_bytes(), &[i]).0, whole, "split at {i}");
            for j in (i..=n).step_by(7) {
                assert_eq!(parse_in_pieces(SEED.as_bytes(), &[i, j]).0, whole, "split at {i}, {j}");
            }
        }
        let one_by_one: Vec<usize> = (1..n).collect();
        assert_eq!(parse_in_pieces(SEED.as_bytes(), &one_by_one).0, whole);
    }

    #[test]
    fn event_offsets_span_the_event_and_its_blank_line() {
        let events = parse(SEED.as_bytes());
        assert_eq!(events[0].start, 0);
        assert_eq!(events[1].start, events[0].end);
        assert_eq!(events[2].end, SEED.len());
        assert!(SEED[events[2].start..].starts_with("event: favorite"));
    }

    #[test]
    fn cr_lf_and_crlf_line_ends_even_split_between_cr_and_lf() {
        let crlf = b"data: a\r\n\r\ndata: b\r\rdata: c\n\n";
        for i in 0..=crlf.len() {
            let (events, _) = parse_in_pieces(crlf, &[i]);
            assert_eq!(pairs(&events), [("message", "a"), ("message", "b"), ("message", "c")], "split at {i}");
        }
    }

    #[test]
    fn a_leading_bom_is_dropped_once_even_split() {
        let s = b"\xEF\xBB\xBFdata: x\n\n\xEF\xBB\xBFdata: y\n\n";
        for i in 0..=4 {
            let (events, _) = parse_in_pieces(s, &[i]);
            assert_eq!(events[0].data, "x", "split at {i}");
            // A BOM anywhere else is part of the field name, which is then unknown.
            assert_eq!(events.len(), 1);
        }
        // Something that only starts like a BOM is content.
        assert_eq!(parse(b"\xEFdata: z\n\n").len(), 0);
        assert_eq!(parse(b"data: \xEF\n\n")[0].data, "\u{FFFD}");
    }

    #[test]
    fn data_lines_without_end_are_capped() {
        let mut p = SseParser::new();
        let mut out = vec![];
        let line = format!("data: {}\n", "x".repeat(1 << 20));
        for _ in 0..17 {
            p.feed(line.as_bytes(), &mut out);
        }
        p.feed(b"\n", &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].data.len() < MAX_DATA && p.data_dropped > 0, "{} {}", out[0].data.len(), p.data_dropped);
    }

    #[test]
    fn counting_only_keeps_the_ids_and_counts_events_and_comments() {
        let mut p = SseParser::new();
        let mut out = vec![];
        p.feed(b"data: a\n\n", &mut out);
        p.count_only(true, true);
        p.feed(b": c\nid: 7\ndata: b\n\ndata: c\n\nretry: 5\n", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((p.events_counted, p.comments_counted, p.comments.len()), (2, 1, 0));
        assert_eq!((p.last_event_id.as_str(), p.retry), ("7", Some(5)));
    }

    #[test]
    fn comments_fields_without_colon_and_the_single_leading_space() {
        let mut p = SseParser::new();
        let mut out = vec![];
        p.feed(b": keep-alive\ndata\ndata:  two spaces\ndata:no space\n\n", &mut out);
        assert_eq!(out[0].data, "\n two spaces\nno space");
        assert_eq!(p.comments, [" keep-alive"]);
    }

    #[test]
    fn multi_line_data_and_empty_data_events() {
        assert_eq!(parse(b"data: a\ndata: b\n\n")[0].data, "a\nb");
        // No data: not dispatched, and the event type is reset.
        assert_eq!(pairs(&parse(b"event: x\n\ndata: y\n\n")), [("message", "y")]);
        // `data:` with an empty value is an event with empty data.
        assert_eq!(pairs(&parse(b"data:\n\n")), [("message", "")]);
    }

    #[test]
    fn ids_persist_and_nul_ids_are_ignored() {
        let events = parse(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n");
        let ids: Vec<&str> = events.iter().map(|e| e.last_event_id.as_str()).collect();
        assert_eq!(ids, ["1", "1", "1", ""]);
    }

    #[test]
    fn retry_takes_only_digits() {
        let mut p = SseParser::new();
        let mut out = vec![];
        p.feed(b"retry: 3000\n\n", &mut out);
        assert_eq!(p.retry, Some(3000));
        p.feed(b"retry: 1x\nretry: -5\nretry: \nretry: 2.5\n\n", &mut out);
        assert_eq!(p.retry, Some(3000));
    }

    #[test]
    fn an_unterminated_last_event_is_not_dispatched() {
        let (events, p) = parse_in_pieces(b"data: a\n\ndata: b\n", &[]);
        assert_eq!(pairs(&events), [("message", "a")]);
        assert!(p.has_undispatched_event());
        let (_, p) = parse_in_pieces(b"data: a\n\ndata: b", &[]);
        assert!(p.has_undispatched_event());
        let (_, p) = parse_in_pieces(b"data: a\n\n", &[]);
        assert!(!p.has_undispatched_event());
    }

    #[test]
    fn an_endless_line_is_capped() {
        let mut p = SseParser::new();
        let mut out = vec![];
        let big = vec![b'a'; 1 << 16];
        for _ in 0..40 {
            p.feed(&big, &mut out);
        }
        assert!(p.line.len() <= MAX_LINE);
        assert_eq!(p.offset(), 40 << 16);
    }
}
