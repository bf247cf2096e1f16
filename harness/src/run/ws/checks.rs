//! [`FrameCheck`]: reads the peer's frames one by one and holds them to the rules of their sender.

use crate::case::ws::{CloseExpect, FrameExpect, MessageExpect};
use crate::case::{BytesSpec, OneOrMany};
use crate::transcript::escape;
use crate::wire::ws::close::{code_is_valid_on_wire, parse_close};
use crate::wire::ws::message::{Assembled, Assembler, FrameReader, FrameRecord, Message, Sender};
use crate::wire::ws::opcode;

use crate::case::ws::OpcodeSpec;

use crate::run::check::{annotated, Annotated, Check, Released, Verdict};

/// Most pongs owed to a client during one step: past that, a client is flooding pings and the
/// step fails instead of queueing answers without end.
pub const MAX_OWED_PONGS: usize = 1000;

/// A resolved message expectation.
pub(super) struct MessageWant {
    opcode: Option<u8>,
    data: Option<Vec<u8>>,
    length: Option<usize>,
    fragments: Option<Vec<usize>>,
    compressed: Option<bool>,
}

pub(super) fn message_want(m: &MessageExpect, last: Option<&(u8, Vec<u8>)>) -> Result<MessageWant, String> {
    let (opcode, data) = match (&m.text, &m.binary, m.echo) {
        (Some(t), None, false) => (Some(opcode::TEXT), Some(t.to_bytes()?)),
        (None, Some(b), false) => (Some(opcode::BINARY), Some(b.to_bytes()?)),
        (None, None, true) => match last {
            Some((op, data)) => (Some(*op), Some(data.clone())),
            None => return Err("`echo` expects the last message sent, but this case has sent none".into()),
        },
        (None, None, false) => (None, None),
        _ => return Err("a message expectation takes one of `text`, `binary`, `echo`".into()),
    };
    Ok(MessageWant { opcode, data, length: m.length, fragments: m.fragments.clone(), compressed: m.compressed })
}

/// A resolved frame expectation.
pub(super) struct FrameWant {
    fin: Option<bool>,
    opcode: Option<u8>,
    payload: Option<Vec<u8>>,
    length: Option<u64>,
}

pub(super) fn frame_want(f: &FrameExpect) -> Result<FrameWant, String> {
    Ok(FrameWant {
        fin: f.fin,
        opcode: f.opcode.as_ref().map(opcode_of).transpose()?,
        payload: f.payload.as_ref().map(BytesSpec::to_bytes).transpose()?,
        length: f.length,
    })
}

pub(super) enum Want {
    Message(MessageWant),
    Pong(Vec<u8>),
    Close(CloseExpect),
    /// The peer fails the connection. `None`: any close frame, or TCP close without one; else a
    /// close frame with one of these codes.
    Fail(Option<Vec<u16>>),
    Frame(FrameWant),
}

/// Reads the peer's frames until the wanted one (or a rule break, or something else).
pub struct FrameCheck {
    pub(super) reader: FrameReader,
    pub(super) asm: Assembler,
    /// Whose frames these are.
    pub(super) peer: Sender,
    pub(super) want: Want,
    pub(super) units: Vec<Annotated>,
    /// Set when the check passed on a close frame from the peer: its code (None: empty).
    pub(super) seen_close: Option<Option<u16>>,
    /// Payloads of the client's pings read on the way, for the fake server to answer.
    pub(super) pings: Vec<Vec<u8>>,
    /// Connection offset of the first byte this check reads.
    pub(super) read_offset: usize,
    /// Frames of the connection read so far, this check's included.
    pub(super) frames_read: usize,
}

impl FrameCheck {
    /// Adds to the label of the last unit recorded.
    fn note_last(&mut self, note: String) {
        if let Some(u) = self.units.last_mut() {
            u.unit = format!("{}  {note}", u.unit);
        }
    }

    fn unit_for(&mut self, f: &FrameRecord, note: String) {
        let label = if note.is_empty() { f.header.describe() } else { format!("{}  {note}", f.header.describe()) };
        self.units.push(annotated(f.offset, f.wire_len(), label));
    }

    /// A frame broke a rule: record it and name it by its number and byte offset in the
    /// connection, so it can be found in a capture.
    fn rule_break(&mut self, f: &FrameRecord, rule: String) -> Verdict {
        self.unit_for(f, String::new());
        Verdict::Fail(format!(
            "frame {} of the connection, at byte offset {} ({}): {rule}",
            self.frames_read,
            self.read_offset + f.offset,
            f.header.describe()
        ))
    }

    fn pass(&mut self) -> Verdict {
        Verdict::Pass { consumed: self.reader.position(), units: self.units.clone() }
    }

    fn judge_frame(&mut self, f: FrameRecord) -> Option<Verdict> {
        self.frames_read += 1;
        if let Want::Frame(w) = &self.want {
            // Raw frame expectations see the frame before reassembly rules (but after the
            // per-frame rules: unmasked, RSV 0, defined opcode).
            let mut problems = vec![];
            let h = f.header;
            if let Some(fin) = w.fin {
                if fin != h.fin {
                    problems.push(format!("FIN: expected {}, saw {}", fin as u8, h.fin as u8));
                }
            }
            if let Some(op) = w.opcode {
                if op != h.opcode {
                    problems.push(format!("opcode: expected {}, saw {}", opcode::name(op), opcode::name(h.opcode)));
                }
            }
            if let Some(p) = &w.payload {
                if p != &f.payload {
                    problems.push(format!("payload: expected {}, saw {}", escape(p, 64), escape(&f.payload, 64)));
                }
            }
            if let Some(n) = w.length {
                if n != h.len {
                    problems.push(format!("length: expected {n}, saw {}", h.len));
                }
            }
            if let Err(rule) = self.asm.push(f.clone()) {
                return Some(self.rule_break(&f, rule));
            }
            self.unit_for(&f, String::new());
            return Some(if problems.is_empty() {
                self.pass()
            } else {
                Verdict::Fail(format!("frame differs:\n  {}", problems.join("\n  ")))
            });
        }
        let assembled = match self.asm.push(f.clone()) {
            Ok(a) => a,
            Err(e) => return Some(self.rule_break(&f, e)),
        };
        match assembled {
            Assembled::Fragment => {
                self.unit_for(&f, "(fragment)".into());
                None
            }
            Assembled::Message(m) => {
                self.unit_for(&f, format!("→ {}", m.describe()));
                Some(self.judge_message(m))
            }
            // The fake server answers the client's pings wherever they come (RFC 6455 §5.5.2)
            // unless the case waits for exactly that frame.
            Assembled::Control(c) if self.peer == Sender::Client && c.header.opcode == opcode::PING => {
                self.unit_for(&c, format!("payload {} (peerspec answers with a pong)", escape(&c.payload, 60)));
                if self.pings.len() >= MAX_OWED_PONGS {
                    return Some(Verdict::Fail(format!(
                        "the client sent over {MAX_OWED_PONGS} pings while peerspec waited for {}; peerspec stops reading (a flood)",
                        self.describe()
                    )));
                }
                self.pings.push(c.payload);
                None
            }
            Assembled::Control(c) => Some(self.judge_control(c)),
        }
    }

    fn judge_message(&mut self, m: Message) -> Verdict {
        let what = m.describe();
        match &self.want {
            Want::Message(w) => {
                let mut problems = vec![];
                if let Some(op) = w.opcode {
                    if op != m.opcode {
                        problems.push(format!("type: expected {}, saw {}", opcode::name(op), opcode::name(m.opcode)));
                    }
                }
                if let Some(d) = &w.data {
                    if d != &m.data || m.dropped > 0 {
                        let at = d.iter().zip(&m.data).position(|(a, b)| a != b).unwrap_or(d.len().min(m.data.len()));
                        let kept = if m.dropped > 0 {
                            format!(", {} of them kept for checks (--max-message-size)", m.data.len())
                        } else {
                            String::new()
                        };
                        problems.push(format!(
                            "payload: expected {} ({} B), saw {} ({} B{kept}), first difference at byte {at}",
                            escape(d, 120),
                            d.len(),
                            escape(&m.data, 120),
                            m.len()
                        ));
                    }
                }
                if let Some(n) = w.length {
                    if n as u64 != m.len() {
                        problems.push(format!("length: expected {n}, saw {}", m.len()));
                    }
                }
                if let Some(c) = w.compressed {
                    if c != m.compressed {
                        let say = |c: bool| if c { "compressed (RSV1 set)" } else { "not compressed (RSV1 clear)" };
                        problems.push(format!("compression: expected {}, saw {}", say(c), say(m.compressed)));
                    }
                }
                if let Some(sizes) = &w.fragments {
                    let seen: Vec<usize> = m.fragments.iter().map(|f| f.len).collect();
                    if &seen != sizes {
                        problems.push(format!("fragments: expected {sizes:?}, saw {seen:?}"));
                    }
                }
                if problems.is_empty() {
                    self.pass()
                } else {
                    Verdict::Fail(format!("message differs:\n  {}", problems.join("\n  ")))
                }
            }
            _ => Verdict::Fail(format!("expected {}, but the {} sent a {what}", self.describe(), self.peer.name())),
        }
    }

    fn judge_control(&mut self, f: FrameRecord) -> Verdict {
        let op = f.header.opcode;
        if op == opcode::CLOSE {
            let close = match parse_close(&f.payload) {
                Ok(c) => c,
                Err(e) => {
                    self.unit_for(&f, String::new());
                    return Verdict::Fail(format!("the {}'s close frame is invalid: {e}", self.peer.name()));
                }
            };
            let code = close.effective_code();
            self.unit_for(&f, format!("close code {code} reason {}", escape(&close.reason, 60)));
            if close.code.is_some() && !code_is_valid_on_wire(code) {
                return Verdict::Fail(format!(
                    "the {} sent close code {code}, which must not appear on the wire (RFC 6455 §7.4)",
                    self.peer.name()
                ));
            }
            let verdict = match &self.want {
                Want::Close(c) => {
                    let mut problems = vec![];
                    if let Some(codes) = &c.code {
                        if !codes.allows(&code) {
                            problems.push(format!("code: expected {}, saw {code}", join(codes)));
                        }
                    }
                    if let Some(r) = &c.reason {
                        if r.as_bytes() != close.reason {
                            problems.push(format!("reason: expected {r:?}, saw {}", escape(&close.reason, 60)));
                        }
                    }
                    if problems.is_empty() {
                        self.pass()
                    } else {
                        Verdict::Fail(format!("close frame differs:\n  {}", problems.join("\n  ")))
                    }
                }
                Want::Fail(None) => {
                    self.note_last(format!("(the {} failed the connection with close code {code})", self.peer.name()));
                    self.pass()
                }
                Want::Fail(Some(codes)) if codes.contains(&code) => self.pass(),
                Want::Fail(Some(codes)) => Verdict::Fail(format!(
                    "the {} sent a close frame with code {code}; the appropriate status code here is {} (RFC 6455 §7.1.7, §7.4.1)",
                    self.peer.name(),
                    codes.iter().map(u16::to_string).collect::<Vec<_>>().join(" or ")
                )),
                _ => {
                    Verdict::Fail(format!("expected {}, but the {} sent a close frame with code {code}", self.describe(), self.peer.name()))
                }
            };
            if matches!(verdict, Verdict::Pass { .. }) {
                self.seen_close = Some(close.code);
            }
            return verdict;
        }
        self.unit_for(&f, format!("payload {}", escape(&f.payload, 60)));
        match &self.want {
            Want::Pong(p) if op == opcode::PONG => {
                if &f.payload == p {
                    self.pass()
                } else {
                    Verdict::Fail(format!(
                        "pong payload: expected {} (the ping's, RFC 6455 §5.5.3), saw {}",
                        escape(p, 125),
                        escape(&f.payload, 125)
                    ))
                }
            }
            _ => Verdict::Fail(format!(
                "expected {}, but the {} sent a {} frame {}",
                self.describe(),
                self.peer.name(),
                opcode::name(op),
                escape(&f.payload, 60)
            )),
        }
    }
}

pub(super) fn join(codes: &OneOrMany<u16>) -> String {
    codes.as_slice().iter().map(u16::to_string).collect::<Vec<_>>().join(" or ")
}

impl Check for FrameCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        loop {
            match self.reader.next(input) {
                Ok(Some(f)) => {
                    if let Some(v) = self.judge_frame(f) {
                        return v;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Verdict::Fail(format!(
                        "unreadable frame {} from the {} at byte offset {}: {e}",
                        self.frames_read + 1,
                        self.peer.name(),
                        self.read_offset + self.reader.position()
                    ))
                }
            }
        }
        if eof {
            let rest = input.len() - self.reader.position().min(input.len());
            if let Want::Fail(codes) = &self.want {
                if rest == 0 {
                    let open = if self.asm.in_message() { " in the middle of a fragmented message" } else { "" };
                    let how = format!("the {} closed TCP without a close frame{open}", self.peer.name());
                    let Some(codes) = codes else {
                        // Failing the connection without the close frame §7.1.7 asks for (SHOULD) is
                        // still failing it.
                        let at = self.reader.position();
                        self.units.push(annotated(at, 0, format!("({how}: it failed the connection)")));
                        return Verdict::Pass { consumed: at, units: self.units.clone() };
                    };
                    return Verdict::Fail(format!(
                        "{how}; failing the connection, an endpoint should send a close frame with an appropriate status code, here {} (RFC 6455 §7.1.7, §7.4.1)",
                        codes.iter().map(u16::to_string).collect::<Vec<_>>().join(" or ")
                    ));
                }
            }
            let partial = if rest > 0 { format!(" in the middle of a frame ({rest} bytes of it received)") } else { String::new() };
            let message = if self.asm.in_message() { " in the middle of a fragmented message" } else { "" };
            return Verdict::Fail(format!(
                "the {} closed the connection{partial}{message} while peerspec waited for {}",
                self.peer.name(),
                self.describe()
            ));
        }
        Verdict::Pending
    }

    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        let rest = input.len() - self.reader.position().min(input.len());
        let partial = if rest > 0 { format!("; {rest} bytes of an incomplete frame received") } else { String::new() };
        let open = match self.asm.current() {
            Some(m) => format!(
                "; the {}'s fragmented {} message still open after {} fragments and {} B (FIN=0 on each){}",
                self.peer.name(),
                opcode::name(m.opcode),
                m.fragments.len() as u64 + m.fragments_not_kept,
                m.len(),
                if m.dropped > 0 { format!(", {} kept (--max-message-size)", m.data.len()) } else { String::new() }
            ),
            None => String::new(),
        };
        Verdict::Fail(format!("timed out waiting for {}{open}{partial}", self.describe()))
    }

    fn release(&mut self) -> Option<Released> {
        let len = self.reader.position();
        if len == 0 {
            return None;
        }
        self.reader.rebase();
        // Offsets in messages stay offsets in the connection.
        self.read_offset += len;
        Some(Released { len, units: std::mem::take(&mut self.units) })
    }

    fn describe(&self) -> String {
        match &self.want {
            Want::Message(m) => match (m.opcode, &m.data) {
                (Some(op), Some(d)) => format!("a {} message {}", opcode::name(op), escape(d, 40)),
                _ => "a message".into(),
            },
            Want::Pong(p) => format!("a pong {}", escape(p, 40)),
            Want::Close(c) => match &c.code {
                Some(codes) => format!("a close frame with code {}", join(codes)),
                None => "a close frame".into(),
            },
            Want::Fail(None) => format!("the {} to fail the connection (a close frame with any code, or TCP close)", self.peer.name()),
            Want::Fail(Some(codes)) => format!(
                "the {} to fail the connection with a close frame carrying {}",
                self.peer.name(),
                codes.iter().map(u16::to_string).collect::<Vec<_>>().join(" or ")
            ),
            Want::Frame(_) => "a frame".into(),
        }
    }

    fn units_so_far(&self) -> Vec<Annotated> {
        self.units.clone()
    }
}

/// The checks of one role: its opening-handshake check (`H`: the server's answer when peerspec is
/// the client, the client's request when it is the server), or frames.
pub enum WsCheck<H> {
    /// The opening handshake.
    Handshake(Box<H>),
    /// Frames.
    Frames(Box<FrameCheck>),
}

impl<H: Check> WsCheck<H> {
    pub(super) fn inner(&self) -> &dyn Check {
        match self {
            WsCheck::Handshake(c) => &**c,
            WsCheck::Frames(c) => &**c,
        }
    }

    pub(super) fn inner_mut(&mut self) -> &mut dyn Check {
        match self {
            WsCheck::Handshake(c) => &mut **c,
            WsCheck::Frames(c) => &mut **c,
        }
    }
}

/// Parses a masking key written as 8 hex digits.
pub fn parse_mask_key(hex: &str) -> Result<[u8; 4], String> {
    let bytes = crate::case::bytes::decode_hex(hex)?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("a masking key is 4 bytes (8 hex digits), not {}", b.len()))
}

/// The opcode number a spec names.
pub fn opcode_of(spec: &OpcodeSpec) -> Result<u8, String> {
    match spec {
        OpcodeSpec::Number(n) if *n <= 0xF => Ok(*n),
        OpcodeSpec::Number(n) => Err(format!("opcode {n} is not 0-15")),
        OpcodeSpec::Name(s) => opcode::parse(s).ok_or_else(|| format!("unknown opcode {s:?}")),
    }
}
