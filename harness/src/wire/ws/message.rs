//! Reading frames from received bytes and reassembling messages, keeping each fragment's
//! boundary, opcode and FIN bit (RFC 6455 §5.4) so transcripts and checks can see how a message
//! was split.

use std::sync::{Arc, Mutex};

use super::deflate::Inflater;
use super::frame::{parse_header, FrameError, FrameHeader};
use super::mask::apply_mask;
use super::opcode;

/// One complete frame as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRecord {
    /// Offset of the frame's first byte in the buffer the reader was given.
    pub offset: usize,
    /// The header.
    pub header: FrameHeader,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl FrameRecord {
    /// Header plus payload size.
    pub fn wire_len(&self) -> usize {
        self.header.frame_len() as usize
    }
}

/// Reads complete frames one after another from a buffer that only grows.
#[derive(Debug, Clone)]
pub struct FrameReader {
    pos: usize,
    max_payload: u64,
}

impl FrameReader {
    /// A reader that refuses frames with payloads over `max_payload` bytes.
    pub fn new(max_payload: u64) -> Self {
        FrameReader { pos: 0, max_payload }
    }

    /// Offset of the first byte not yet read as part of a frame.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The owner dropped the frames read so far from the front of the buffer: later buffers
    /// start at the next frame.
    pub fn rebase(&mut self) {
        self.pos = 0;
    }

    /// The next complete frame, `Ok(None)` while it is incomplete.
    pub fn next(&mut self, buf: &[u8]) -> Result<Option<FrameRecord>, FrameError> {
        let rest = &buf[self.pos.min(buf.len())..];
        let header = match parse_header(rest) {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(None),
            Err(e) => return Err(FrameError { offset: self.pos + e.offset, message: e.message }),
        };
        if header.len > self.max_payload {
            return Err(FrameError {
                offset: self.pos + 1,
                message: format!("payload length {} is over the {}-byte limit (--max-frame-size)", header.len, self.max_payload),
            });
        }
        let total = header.frame_len() as usize;
        if rest.len() < total {
            return Ok(None);
        }
        let mut payload = rest[header.header_len..total].to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        let record = FrameRecord { offset: self.pos, header, payload };
        self.pos += total;
        Ok(Some(record))
    }
}

/// One fragment of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The frame's opcode (the message's type on the first, continuation after).
    pub opcode: u8,
    /// Its FIN bit.
    pub fin: bool,
    /// Payload bytes it carried.
    pub len: usize,
}

/// A reassembled data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// [`opcode::TEXT`] or [`opcode::BINARY`].
    pub opcode: u8,
    /// The payload, all fragments joined (up to the assembler's limit).
    pub data: Vec<u8>,
    /// Payload bytes past the assembler's limit: counted, not kept.
    pub dropped: u64,
    /// The fragments in order (the first [`MAX_FRAGMENT_RECORDS`]).
    pub fragments: Vec<Fragment>,
    /// Fragments past [`MAX_FRAGMENT_RECORDS`], counted only.
    pub fragments_not_kept: u64,
    /// Sent compressed (RSV1 on its first frame, permessage-deflate): `data` is the inflated
    /// payload, `fragments` the compressed frames.
    pub compressed: bool,
}

impl Message {
    /// `text 2 fragments [13 FIN=0, 33 FIN=1]`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.fragments.iter().map(|f| format!("{} B FIN={}", f.len, f.fin as u8)).collect();
        let parts = if parts.len() > 16 { format!("{}, …", parts[..16].join(", ")) } else { parts.join(", ") };
        let dropped = if self.dropped > 0 {
            format!(" ({} kept, {} counted and dropped, --max-message-size)", self.data.len(), self.dropped)
        } else {
            String::new()
        };
        let compressed = if self.compressed {
            format!(" inflated from {} B", self.fragments.iter().map(|f| f.len).sum::<usize>())
        } else {
            String::new()
        };
        format!(
            "{} message, {} B{dropped}{compressed} in {} fragment(s) [{parts}]",
            opcode::name(self.opcode),
            self.len(),
            self.fragments.len()
        )
    }

    /// Payload bytes received, kept or not.
    pub fn len(&self) -> u64 {
        self.data.len() as u64 + self.dropped
    }

    /// Whether the message carried no payload.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a frame meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    /// A control frame (close, ping, pong), possibly between fragments of a message.
    Control(FrameRecord),
    /// A fragment of a message not yet complete.
    Fragment,
    /// The frame completed a message.
    Message(Message),
}

/// Which endpoint sent the frames an [`Assembler`] reads: the rules differ only in masking
/// (RFC 6455 §5.1: a client masks every frame, a server none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sender {
    /// Frames from a server (peerspec is the client): none may be masked.
    #[default]
    Server,
    /// Frames from a client (peerspec is the fake server): every one must be masked.
    Client,
}

impl Sender {
    /// `server` or `client`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Sender::Server => "server",
            Sender::Client => "client",
        }
    }
}

/// Reassembles messages from the frames one endpoint sends, enforcing the framing rules the
/// other holds it to (RFC 6455 §5.1–§5.5): masking (none from a server, every frame from a
/// client), RSV bits 0 except RSV1 on the first frame of a data message when permessage-deflate
/// was negotiated (RFC 7692 §6), defined opcodes, control frames final with at most 125 bytes,
/// continuation only inside a fragmented message and only there. Compressed messages are
/// inflated (never past the message limit) before their UTF-8 is checked.
#[derive(Debug, Clone)]
pub struct Assembler {
    current: Option<Message>,
    sender: Sender,
    /// The sender's permessage-deflate state, shared with later checks of the connection
    /// (context takeover); `None` when no extension was negotiated.
    inflater: Option<Arc<Mutex<Inflater>>>,
    /// Payload bytes kept per message; the rest are counted ([`Message::dropped`]).
    max_message: usize,
    /// Fragments recorded one by one per message; later ones are only counted.
    max_fragments: usize,
}

/// Fragments recorded one by one per message (a message of endless fragments counts the rest).
pub const MAX_FRAGMENT_RECORDS: usize = 10_000;

impl Default for Assembler {
    fn default() -> Self {
        Assembler { current: None, sender: Sender::default(), inflater: None, max_message: 16 << 20, max_fragments: MAX_FRAGMENT_RECORDS }
    }
}

impl Assembler {
    /// A fresh assembler for a server's frames (no message in progress), keeping up to 16 MiB of
    /// each message.
    pub fn new() -> Self {
        Assembler::default()
    }

    /// A fresh assembler for frames from `sender`.
    pub fn from(sender: Sender) -> Self {
        Assembler { sender, ..Assembler::default() }
    }

    /// The same assembler keeping up to `max_message` bytes of each message.
    pub fn with_limit(self, max_message: usize) -> Self {
        Assembler { max_message, ..self }
    }

    /// The same assembler for a connection where permessage-deflate was negotiated: RSV1 marks
    /// a compressed message, inflated with this (shared) state.
    pub fn with_deflate(self, inflater: Option<Arc<Mutex<Inflater>>>) -> Self {
        Assembler { inflater, ..self }
    }

    /// Whether a fragmented message is in progress.
    pub fn in_message(&self) -> bool {
        self.current.is_some()
    }

    /// The fragmented message in progress, if any.
    pub fn current(&self) -> Option<&Message> {
        self.current.as_ref()
    }

    /// Takes one frame; errors name the rule the sender broke.
    pub fn push(&mut self, frame: FrameRecord) -> Result<Assembled, String> {
        let h = frame.header;
        let who = self.sender.name();
        match (self.sender, h.mask.is_some()) {
            (Sender::Server, true) => return Err("the server sent a masked frame; a server MUST NOT mask frames (RFC 6455 §5.1)".into()),
            (Sender::Client, false) => {
                return Err("the client sent an unmasked frame; a client MUST mask every frame it sends (RFC 6455 §5.1)".into())
            }
            _ => {}
        }
        if h.rsv != 0 {
            self.check_rsv(h.rsv, h.opcode)?;
        }
        if !opcode::is_defined(h.opcode) {
            return Err(format!("the {who} used the reserved opcode 0x{:X} (RFC 6455 §5.2)", h.opcode));
        }
        if opcode::is_control(h.opcode) {
            if !h.fin {
                return Err(format!("the {who} fragmented a {} control frame (FIN=0; RFC 6455 §5.5)", opcode::name(h.opcode)));
            }
            if h.len > 125 {
                return Err(format!(
                    "the {who} sent a {} control frame of {} bytes, over 125 (RFC 6455 §5.5)",
                    opcode::name(h.opcode),
                    h.len
                ));
            }
            return Ok(Assembled::Control(frame));
        }
        let fragment = Fragment { opcode: h.opcode, fin: h.fin, len: frame.payload.len() };
        let mut message = match (h.opcode, self.current.take()) {
            (opcode::CONTINUATION, None) => {
                return Err(format!("the {who} sent a continuation frame with no message in progress (RFC 6455 §5.4)"))
            }
            (opcode::CONTINUATION, Some(m)) => m,
            (op, Some(m)) => {
                return Err(format!(
                    "the {who} started a {} message while its {} message was still unfinished (RFC 6455 §5.4)",
                    opcode::name(op),
                    opcode::name(m.opcode)
                ))
            }
            (op, None) => Message {
                opcode: op,
                data: Vec::new(),
                dropped: 0,
                fragments: Vec::new(),
                fragments_not_kept: 0,
                compressed: h.rsv & 4 != 0,
            },
        };
        let room = self.max_message.saturating_sub(message.data.len());
        let keep = frame.payload.len().min(room);
        message.data.extend_from_slice(&frame.payload[..keep]);
        message.dropped += (frame.payload.len() - keep) as u64;
        if message.fragments.len() < self.max_fragments {
            message.fragments.push(fragment);
        } else {
            message.fragments_not_kept += 1;
        }
        if !h.fin {
            self.current = Some(message);
            return Ok(Assembled::Fragment);
        }
        if message.compressed {
            self.inflate(&mut message)?;
        }
        // Past the limit only the kept part can be checked, and it may end inside a character.
        if message.opcode == opcode::TEXT {
            let checked = std::str::from_utf8(&message.data).map(|_| ()).or_else(|e| match e.error_len() {
                None if message.dropped > 0 => Ok(()),
                _ => Err(e),
            });
            if let Err(e) = checked {
                return Err(format!(
                    "the {who} sent a text message that is not valid UTF-8 (at byte {}; RFC 6455 §5.6, §8.1)",
                    e.valid_up_to()
                ));
            }
        }
        Ok(Assembled::Message(message))
    }
}

impl Assembler {
    /// A nonzero RSV field is allowed only as RSV1 on the first frame of a data message, and only
    /// with permessage-deflate negotiated (RFC 7692 §6); anything else is one no negotiated
    /// extension defines (RFC 6455 §5.2).
    fn check_rsv(&self, rsv: u8, op: u8) -> Result<(), String> {
        let who = self.sender.name();
        if self.inflater.is_none() {
            return Err(format!("the {who} set RSV bits {rsv:03b} with no extension negotiated (RFC 6455 §5.2)"));
        }
        if rsv & 3 != 0 {
            return Err(format!(
                "the {who} set RSV bits {rsv:03b}; permessage-deflate, the only extension negotiated, defines RSV1 alone (RFC 6455 §5.2; RFC 7692 §6)"
            ));
        }
        if opcode::is_control(op) || op == opcode::CONTINUATION {
            let what = if op == opcode::CONTINUATION { "a continuation frame" } else { "a control frame" };
            return Err(format!(
                "the {who} set RSV1 (\"Per-Message Compressed\") on {what} ({}); permessage-deflate sets it only on the first frame of a data message (RFC 6455 §5.2; RFC 7692 §6)",
                opcode::name(op)
            ));
        }
        Ok(())
    }

    /// Replaces a compressed message's payload with its inflated one, stopping at the limit.
    fn inflate(&self, message: &mut Message) -> Result<(), String> {
        let who = self.sender.name();
        let Some(inflater) = &self.inflater else { return Ok(()) };
        if message.dropped > 0 {
            return Err(format!(
                "the {who}'s compressed {} message is {} B on the wire, over the {}-byte limit (--max-message-size): peerspec does not inflate it",
                opcode::name(message.opcode),
                message.len(),
                self.max_message
            ));
        }
        let mut state = inflater.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match state.inflate(&message.data, self.max_message) {
            Ok(data) => {
                message.data = data;
                Ok(())
            }
            Err(e) => Err(format!(
                "the {who}'s compressed {} message of {} B cannot be inflated: {e} (RFC 7692 §7.2.2)",
                opcode::name(message.opcode),
                message.data.len()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::frame::FrameOut;
    use super::*;

    fn frame(op: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        FrameOut { fin, ..FrameOut::new(op, payload.to_vec(), None) }.encode().unwrap()
    }

    fn read_all(bytes: &[u8]) -> Vec<Assembled> {
        let mut reader = FrameReader::new(1 << 20);
        let mut asm = Assembler::new();
        let mut out = vec![];
        while let Some(f) = reader.next(bytes).unwrap() {
            out.push(asm.push(f).unwrap());
        }
        out
    }

    #[test]
    fn a_message_over_the_limit_is_counted_and_its_kept_part_checked() {
        // "あ" is 3 bytes: a limit of 4 cuts the second one; the cut is not a UTF-8 error.
        let mut bytes = frame(opcode::TEXT, false, "あ".as_bytes());
        bytes.extend(frame(opcode::CONTINUATION, true, "あい".as_bytes()));
        let mut reader = FrameReader::new(1 << 20);
        let mut asm = Assembler::new().with_limit(4);
        asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap();
        let Assembled::Message(m) = asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap() else { panic!("a message") };
        assert_eq!((m.data.len(), m.dropped, m.len()), (4, 5, 9));
        assert!(m.describe().contains("9 B (4 kept, 5 counted and dropped, --max-message-size)"), "{}", m.describe());
        // Invalid UTF-8 inside the kept part is still an error.
        let mut asm = Assembler::new().with_limit(4);
        let bad = frame(opcode::TEXT, true, b"\xff\xfeabcdef");
        let mut reader = FrameReader::new(1 << 20);
        assert!(asm.push(reader.next(&bad).unwrap().unwrap()).unwrap_err().contains("not valid UTF-8"));
    }

    #[test]
    fn seed_message_split_inside_a_character_with_a_ping_between() {
        let text = "{\"id\":456,\"text\":\"今からこれふぁぼります\"}".as_bytes();
        let cut = text.iter().position(|&b| b == 0xE4).unwrap() + 1; // inside 今
        let mut bytes = frame(opcode::TEXT, false, &text[..cut]);
        bytes.extend(frame(opcode::PING, true, b"p"));
        bytes.extend(frame(opcode::CONTINUATION, true, &text[cut..]));
        let out = read_all(&bytes);
        assert!(matches!(&out[0], Assembled::Fragment));
        assert!(matches!(&out[1], Assembled::Control(f) if f.payload == b"p"));
        let Assembled::Message(m) = &out[2] else { panic!("{out:?}") };
        assert_eq!(m.data, text);
        assert_eq!(m.fragments.iter().map(|f| (f.len, f.fin)).collect::<Vec<_>>(), [(cut, false), (text.len() - cut, true)]);
        assert!(m.describe().contains("2 fragment(s)"), "{}", m.describe());
    }

    #[test]
    fn split_at_every_byte_gives_the_same_frames() {
        let mut bytes = frame(opcode::TEXT, false, b"Hel");
        bytes.extend(frame(opcode::CONTINUATION, true, b"lo"));
        bytes.extend(frame(opcode::BINARY, true, &[0u8; 200]));
        let whole = read_all(&bytes);
        for cut in 0..bytes.len() {
            // The buffer grows in two steps; the frames read are the same.
            let mut reader = FrameReader::new(1 << 20);
            let mut asm = Assembler::new();
            let mut out = vec![];
            for end in [cut, bytes.len()] {
                while let Some(f) = reader.next(&bytes[..end]).unwrap() {
                    out.push(asm.push(f).unwrap());
                }
            }
            assert_eq!(out, whole, "cut at {cut}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_never_read_past_the_input() {
        // A small deterministic fuzz: random buffers, random cut points.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let buf: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut reader = FrameReader::new(1 << 16);
            let mut asm = Assembler::new();
            for _ in 0..len + 1 {
                match reader.next(&buf) {
                    Ok(Some(f)) => {
                        assert!(f.offset + f.wire_len() <= buf.len());
                        let _ = asm.push(f);
                    }
                    Ok(None) | Err(_) => break,
                }
            }
            assert!(reader.position() <= buf.len());
        }
    }

    #[test]
    fn rule_breaks_are_errors() {
        let mut asm = Assembler::new();
        let mut reader = FrameReader::new(100);
        let masked = FrameOut::new(opcode::TEXT, b"x".to_vec(), Some([1, 2, 3, 4])).encode().unwrap();
        let f = reader.next(&masked).unwrap().unwrap();
        assert_eq!(f.payload, b"x");
        assert!(asm.push(f).unwrap_err().contains("masked"));
        for (bytes, why) in [
            (frame(opcode::CONTINUATION, true, b""), "continuation"),
            (frame(0x3, true, b""), "reserved opcode"),
            (frame(opcode::PING, false, b""), "fragmented"),
            (vec![0x81, 0x02, 0xC3, 0x28], "UTF-8"),
        ] {
            let mut reader = FrameReader::new(100);
            let e = Assembler::new().push(reader.next(&bytes).unwrap().unwrap()).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let mut asm = Assembler::new();
        let mut reader = FrameReader::new(100);
        let mut bytes = frame(opcode::TEXT, false, b"a");
        bytes.extend(frame(opcode::TEXT, true, b"b"));
        asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap();
        assert!(asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap_err().contains("unfinished"));
        // From a client the mask rule is the other way round (RFC 6455 §5.1).
        let masked = FrameOut::new(opcode::TEXT, b"x".to_vec(), Some([1, 2, 3, 4])).encode().unwrap();
        let mut client = Assembler::from(Sender::Client);
        assert!(matches!(client.push(FrameReader::new(100).next(&masked).unwrap().unwrap()), Ok(Assembled::Message(_))));
        let e = client.push(FrameReader::new(100).next(&frame(opcode::TEXT, true, b"x")).unwrap().unwrap()).unwrap_err();
        assert!(e.contains("client sent an unmasked frame"), "{e}");
        let big = frame(opcode::BINARY, true, &[0; 101]);
        assert_eq!(FrameReader::new(100).next(&big).unwrap_err().offset, 1);
    }

    #[test]
    fn with_deflate_rsv1_marks_a_compressed_message_and_nothing_else() {
        use super::super::deflate::{Deflater, Inflater};
        let deflate = || Some(Arc::new(Mutex::new(Inflater::new(15, true))));
        let z = Deflater::new(15, true).compress(b"Hello, Hello, Hello");
        let rsv1 = |op: u8, fin: bool, p: &[u8]| FrameOut { fin, rsv: 4, ..FrameOut::new(op, p.to_vec(), None) }.encode().unwrap();
        // Compressed, in two fragments: RSV1 on the first only.
        let mut bytes = rsv1(opcode::TEXT, false, &z[..3]);
        bytes.extend(frame(opcode::CONTINUATION, true, &z[3..]));
        let mut reader = FrameReader::new(1 << 20);
        let mut asm = Assembler::new().with_deflate(deflate());
        asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap();
        let Assembled::Message(m) = asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap() else { panic!("a message") };
        assert_eq!((m.data.as_slice(), m.compressed), (&b"Hello, Hello, Hello"[..], true));
        assert!(m.describe().contains(&format!("inflated from {} B", z.len())), "{}", m.describe());
        for (bytes, with, why) in [
            (rsv1(opcode::TEXT, true, &z), false, "no extension negotiated"),
            (rsv1(opcode::PING, true, b""), true, "on a control frame"),
            (FrameOut { rsv: 2, ..FrameOut::new(opcode::TEXT, z.clone(), None) }.encode().unwrap(), true, "defines RSV1 alone"),
            (rsv1(opcode::BINARY, true, &[0xff, 0xff, 0xff]), true, "cannot be inflated"),
        ] {
            let mut asm = Assembler::new().with_deflate(if with { deflate() } else { None });
            let e = asm.push(FrameReader::new(100).next(&bytes).unwrap().unwrap()).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let mut asm = Assembler::new().with_deflate(deflate());
        let mut bytes = frame(opcode::TEXT, false, b"a");
        bytes.extend(rsv1(opcode::CONTINUATION, true, b"b"));
        let mut reader = FrameReader::new(100);
        asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap();
        assert!(asm.push(reader.next(&bytes).unwrap().unwrap()).unwrap_err().contains("on a continuation frame"));
        // A bomb: 4 MiB of zeros in a few KiB stops at the limit.
        let bomb = Deflater::new(15, false).compress(&vec![0; 4 << 20]);
        let mut asm = Assembler::new().with_limit(1 << 20).with_deflate(deflate());
        let e = asm.push(FrameReader::new(1 << 20).next(&rsv1(opcode::BINARY, true, &bomb)).unwrap().unwrap()).unwrap_err();
        assert!(e.contains("over 1048576 bytes (--max-message-size)"), "{e}");
    }
}
