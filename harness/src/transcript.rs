//! The wire transcript of a case: what went each way, in order, annotated with the protocol unit
//! each piece was (a request head, a chunk size line, the zero chunk, FIN) and when it happened.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

/// Most bytes of one entry kept for display.
pub const PREVIEW_BYTES: usize = 512;

/// Entries kept from the start of a case; later ones go to a ring of the last
/// [`TAIL_ENTRIES`], and those between are only counted, so a peer sending millions of frames
/// cannot make a transcript (and a report) grow without end.
pub const HEAD_ENTRIES: usize = 2000;

/// Entries kept from the end of a case once [`HEAD_ENTRIES`] are full.
pub const TAIL_ENTRIES: usize = 200;

/// Most characters of one entry's unit label kept (a label quoting a huge header block is cut).
pub const MAX_UNIT_CHARS: usize = 2048;

/// Most text (labels and previews) one case's transcript brings to a report; entries past it
/// are counted, not shown (a flood of frames each with a full preview would make reports of
/// tens of megabytes).
pub const MAX_TEXT_BYTES: usize = 512 << 10;

/// Most bytes of a case's failure message kept in reports.
pub const MAX_MESSAGE_BYTES: usize = 16 << 10;

/// Which way an entry went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From peerspec to the peer.
    Sent,
    /// From the peer to peerspec.
    Received,
    /// Something peerspec did or noticed that is not bytes (connect, pause, a check).
    Note,
}

/// One line of the transcript.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Time since the case started.
    #[serde(serialize_with = "micros")]
    pub at: Duration,
    /// Which way.
    pub direction: Direction,
    /// What the unit was: `request head`, `chunk size 0x19`, `FIN`, ...
    pub unit: String,
    /// Its length on the wire.
    pub len: usize,
    /// Its first bytes (up to [`PREVIEW_BYTES`]), escaped for display.
    pub preview: String,
}

fn micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

/// A case's transcript.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    /// Entries in order (after [`Transcript::sort`], the kept tail and a note of what was left
    /// out are among them).
    pub entries: Vec<Entry>,
    /// The latest entries once `entries` holds [`HEAD_ENTRIES`].
    #[serde(skip)]
    tail: std::collections::VecDeque<Entry>,
    /// Entries left out between the head and the tail: how many, their bytes, and the time of
    /// the last one.
    #[serde(skip)]
    left_out: (u64, u64, Duration),
}

impl Transcript {
    /// Adds an entry for `bytes` (previewed, not kept whole).
    pub fn push(&mut self, at: Duration, direction: Direction, unit: impl Into<String>, bytes: &[u8]) {
        let preview = if bytes.is_empty() { String::new() } else { escape(bytes, PREVIEW_BYTES) };
        self.add(Entry { at, direction, unit: unit.into(), len: bytes.len(), preview });
    }

    /// Adds a note (no bytes).
    pub fn note(&mut self, at: Duration, text: impl Into<String>) {
        self.add(Entry { at, direction: Direction::Note, unit: text.into(), len: 0, preview: String::new() });
    }

    fn add(&mut self, mut entry: Entry) {
        if entry.unit.len() > MAX_UNIT_CHARS {
            entry.unit = clip(&entry.unit, MAX_UNIT_CHARS);
        }
        if self.entries.len() < HEAD_ENTRIES {
            self.entries.push(entry);
            return;
        }
        self.tail.push_back(entry);
        if self.tail.len() > TAIL_ENTRIES {
            let out = self.tail.pop_front().expect("the tail is not empty");
            self.left_out.0 += 1;
            self.left_out.1 += out.len as u64;
            self.left_out.2 = self.left_out.2.max(out.at);
        }
    }

    /// Whether new entries only go to the tail (the head is full).
    pub fn head_is_full(&self) -> bool {
        self.entries.len() >= HEAD_ENTRIES
    }

    /// Counts `n` entries of `bytes` bytes, the last at `at`, as left out without making them
    /// (they would have fallen out of the tail anyway): saves formatting units no one will see.
    pub fn count_left_out(&mut self, n: u64, bytes: u64, at: Duration) {
        self.left_out.0 += n;
        self.left_out.1 += bytes;
        self.left_out.2 = self.left_out.2.max(at);
    }

    /// Entries left out of the middle of the transcript (over [`HEAD_ENTRIES`] +
    /// [`TAIL_ENTRIES`]), and their bytes.
    pub fn left_out(&self) -> (u64, u64) {
        (self.left_out.0, self.left_out.1)
    }

    /// Puts the entries in wire order: by time, keeping the order of entries of the same time.
    /// The kept tail joins the entries, after a note of how many were left out.
    pub fn sort(&mut self) {
        if self.left_out.0 > 0 {
            let (n, bytes, at) = std::mem::take(&mut self.left_out);
            self.entries.push(Entry {
                at,
                direction: Direction::Note,
                unit: format!("… {n} entries ({bytes} B) left out of this transcript (it keeps the first {HEAD_ENTRIES} and the last {TAIL_ENTRIES}) …"),
                len: 0,
                preview: String::new(),
            });
        }
        self.entries.extend(self.tail.drain(..));
        self.entries.sort_by_key(|e| e.at);
    }

    /// Makes the transcript fit a report: every character a report format forbids is escaped
    /// visibly ([`visible`]), and past [`MAX_TEXT_BYTES`] of text the middle entries are left
    /// out, counted in a note. Call after [`Transcript::sort`].
    pub fn fit_for_reports(&mut self) {
        for e in &mut self.entries {
            if let std::borrow::Cow::Owned(v) = visible(&e.unit) {
                e.unit = v;
            }
            if let std::borrow::Cow::Owned(v) = visible(&e.preview) {
                e.preview = v;
            }
        }
        let size = |e: &Entry| e.unit.len() + e.preview.len() + 64;
        let total: usize = self.entries.iter().map(size).sum();
        if total <= MAX_TEXT_BYTES {
            return;
        }
        // Three quarters of the room for the first entries, the rest for the last ones.
        let mut head = 0;
        let mut used = 0;
        while head < self.entries.len() && used + size(&self.entries[head]) <= MAX_TEXT_BYTES * 3 / 4 {
            used += size(&self.entries[head]);
            head += 1;
        }
        let mut tail = self.entries.len();
        while tail > head && used + size(&self.entries[tail - 1]) <= MAX_TEXT_BYTES {
            used += size(&self.entries[tail - 1]);
            tail -= 1;
        }
        let cut: Vec<Entry> = self.entries.drain(head..tail).collect();
        let wire: usize = cut.iter().map(|e| e.len).sum();
        let text: usize = cut.iter().map(size).sum();
        let at = cut.last().map_or(Duration::ZERO, |e| e.at);
        self.entries.insert(
            head,
            Entry {
                at,
                direction: Direction::Note,
                unit: format!(
                    "… {} more entries ({wire} B on the wire, {} of text) not shown (a report keeps {} of text per case) …",
                    cut.len(),
                    human_bytes(text),
                    human_bytes(MAX_TEXT_BYTES)
                ),
                len: 0,
                preview: String::new(),
            },
        );
    }

    /// Renders the transcript for a terminal or a text report, one entry per line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let arrow = match e.direction {
                Direction::Sent => "→",
                Direction::Received => "←",
                Direction::Note => "·",
            };
            let ms = e.at.as_secs_f64() * 1000.0;
            let _ = write!(out, "  {ms:>9.3}ms {arrow} {}", e.unit);
            if e.direction != Direction::Note && e.len > 0 {
                let _ = write!(out, " ({} B)", e.len);
            }
            if !e.preview.is_empty() {
                let _ = write!(out, "  {}", e.preview);
            }
            out.push('\n');
        }
        out
    }
}

/// Whether a report shows `c` as an escape: controls other than tab, LF and CR (XML 1.0 forbids
/// C0 ones; HTML, C1 ones) and noncharacters (XML 1.0 forbids U+FFFE and U+FFFF).
pub fn needs_escape(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || ('\u{fdd0}'..='\u{fdef}').contains(&c) || (c as u32 & 0xfffe) == 0xfffe
}

/// `s` with every character [`needs_escape`] spelled `\u{…}`, so every report is well-formed
/// and the character can still be read.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `s` cut to at most `max` bytes (at a character boundary), saying how much was left out.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} … ({} more not shown)", &s[..end], human_bytes(s.len() - end))
}

/// A byte count for people: `512 B`, `12.3 KiB`, `98.1 MiB`.
pub fn human_bytes(n: usize) -> String {
    match n {
        n if n < 1 << 10 => format!("{n} B"),
        n if n < 1 << 20 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1 << 20) as f64),
    }
}

/// Escapes bytes for display: printable ASCII and valid UTF-8 as is, `\r` `\n` `\t` spelled out,
/// other bytes as `\xNN`; cut at `max` bytes with a note of what was left out.
pub fn escape(bytes: &[u8], max: usize) -> String {
    let shown = &bytes[..bytes.len().min(max)];
    let mut out = String::with_capacity(shown.len() + 2);
    out.push('"');
    for chunk in shown.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if needs_escape(c) => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    if bytes.len() > shown.len() {
        let _ = write!(out, " … (+{} B)", bytes.len() - shown.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_transcript_keeps_its_head_and_tail_and_counts_the_rest() {
        let mut t = Transcript::default();
        let n = HEAD_ENTRIES + TAIL_ENTRIES + 1000;
        for i in 0..n {
            t.push(Duration::from_micros(i as u64), Direction::Received, format!("frame {i}"), b"abc");
        }
        t.sort();
        assert_eq!(t.entries.len(), HEAD_ENTRIES + TAIL_ENTRIES + 1);
        assert_eq!(t.entries[HEAD_ENTRIES - 1].unit, format!("frame {}", HEAD_ENTRIES - 1));
        assert!(t.entries[HEAD_ENTRIES].unit.contains("1000 entries (3000 B) left out"), "{}", t.entries[HEAD_ENTRIES].unit);
        assert_eq!(t.entries.last().unwrap().unit, format!("frame {}", n - 1));
    }

    #[test]
    fn escape_keeps_text_and_spells_out_the_rest() {
        assert_eq!(escape(b"GET / HTTP/1.1\r\n", 100), r#""GET / HTTP/1.1\r\n""#);
        assert_eq!(escape("あ".as_bytes(), 100), "\"あ\"");
        // A UTF-8 character cut by a chunk boundary shows as bytes.
        assert_eq!(escape(&"あ".as_bytes()[..2], 100), r#""\xe3\x81""#);
        assert_eq!(escape(b"abcdef", 3), "\"abc\" … (+3 B)");
    }
}
