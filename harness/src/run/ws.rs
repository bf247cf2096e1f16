//! WebSocket in the runner, whichever side peerspec plays. [`WsFrames`] is the frame-level half
//! both roles share: messages, frames, pings and close frames encoded with the sans-I/O codec in
//! [`crate::wire::ws`] (masked when peerspec is the client, unmasked when it is the server), and
//! [`FrameCheck`]s that read the peer's frames one by one, hold them to the rules of their sender
//! (RFC 6455 §5.1–§5.6) and record each frame's FIN bit, opcode and length for the transcript.
//! [`WsDriver`] adds the client's opening handshake; the server's is in [`super::ws_server`].

use std::hash::{BuildHasher, Hasher};

use crate::case::ws::{
    CloseExpect, FrameExpect, FrameSpec, HandshakeExpect, HandshakeSpec, MaskSpec, MessageExpect, MessageSpec, OpcodeSpec,
};
use crate::case::{BytesSpec, Expect, OneOrMany, Send, Step};
use crate::transcript::escape;
use crate::wire::http1::response::{Progress, ResponseReader, ResponseRecord};
use crate::wire::ws::close::{code_is_valid_on_wire, encode_close, parse_close};
use crate::wire::ws::frame::{FrameOut, LengthForm};
use crate::wire::ws::handshake::{accept_for, encode_request, generate_key, has_token};
use crate::wire::ws::message::{Assembled, Assembler, FrameReader, FrameRecord, Message, Sender};
use crate::wire::ws::opcode;

use indexmap::IndexMap;

use super::check::{annotated, Annotated, Check, Released, Verdict};
use super::driver::{Driver, Substitutions, Units};

/// Most pongs owed to a client during one step: past that, a client is flooding pings and the
/// step fails instead of queueing answers without end.
pub const MAX_OWED_PONGS: usize = 1000;

/// The frame-level state of one WebSocket case, the same in both roles: what was sent (for
/// `echo` and for answering a close), and how far into the connection the checks have read (so a
/// rule break names the frame and its byte offset).
pub struct WsFrames {
    /// Whose frames the checks read: the server's (peerspec is the client) or the client's.
    peer: Sender,
    /// The last data message sent (opcode, payload), for `echo`.
    last_message: Option<(u8, Vec<u8>)>,
    /// peerspec has sent a close frame on this connection.
    close_sent: bool,
    /// A data message being sent frame by frame through `ws_frame(s)` (opcode, payload so far).
    sending: Option<(u8, Vec<u8>)>,
    /// Bytes of this connection that passing checks have read (the handshake included).
    read_offset: usize,
    /// Frames of this connection that passing checks have read.
    frames_read: usize,
    rng: u64,
    caps: super::Caps,
}

impl WsFrames {
    /// Frame state for a case whose peer is `peer`.
    pub fn new(peer: Sender) -> Self {
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish() | 1;
        WsFrames {
            peer,
            last_message: None,
            close_sent: false,
            sending: None,
            read_offset: 0,
            frames_read: 0,
            rng: seed,
            caps: Default::default(),
        }
    }

    /// Takes the run's caps on frame and message sizes.
    pub fn set_caps(&mut self, caps: &super::Caps) {
        self.caps = *caps;
    }

    /// The caps in force, for the HTTP/1.x reader of the opening handshake.
    pub fn caps(&self) -> &super::Caps {
        &self.caps
    }

    /// A new connection: nothing read on it, no close sent yet.
    pub fn on_connect(&mut self) {
        self.close_sent = false;
        self.read_offset = 0;
        self.frames_read = 0;
    }

    /// A check outside this module (an opening handshake) read `n` bytes of the connection.
    pub fn advance(&mut self, n: usize) {
        self.read_offset += n;
    }

    fn random_key(&mut self) -> [u8; 4] {
        // xorshift64*: masking keys need not be cryptographic in a test peer.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32).to_be_bytes()[4..].try_into().expect("4 bytes")
    }

    /// The key for a frame: by default a client masks (a random key) and a server does not
    /// (RFC 6455 §5.1); a case may choose otherwise to test the peer.
    fn mask(&mut self, spec: &Option<MaskSpec>) -> Result<Option<[u8; 4]>, String> {
        match spec {
            None if self.peer == Sender::Client => Ok(None),
            None | Some(MaskSpec::On(true)) => Ok(Some(self.random_key())),
            Some(MaskSpec::On(false)) => Ok(None),
            Some(MaskSpec::Key(hex)) => parse_mask_key(hex).map(Some),
        }
    }

    fn frame_unit(&mut self, frame: &FrameOut) -> Result<(String, Vec<u8>), String> {
        let bytes = frame.encode()?;
        if frame.opcode == opcode::CLOSE {
            self.close_sent = true;
        }
        // Follow data messages sent as raw frames too, so `echo` can name them.
        match frame.opcode {
            opcode::TEXT | opcode::BINARY => self.sending = Some((frame.opcode, frame.payload.clone())),
            opcode::CONTINUATION => {
                if let Some((_, data)) = self.sending.as_mut() {
                    data.extend_from_slice(&frame.payload);
                }
            }
            _ => {}
        }
        if frame.fin && !opcode::is_control(frame.opcode) {
            if let Some(done) = self.sending.take() {
                self.last_message = Some(done);
            }
        }
        Ok((format!("{}  payload {}", frame.describe(), escape(&frame.payload, 48)), bytes))
    }

    fn frame_from_spec(&mut self, spec: &FrameSpec) -> Result<FrameOut, String> {
        let op = opcode_of(&spec.opcode)?;
        if spec.rsv > 7 {
            return Err(format!("rsv {} is not 0-7", spec.rsv));
        }
        let mut payload = match spec.code {
            Some(c) => c.to_be_bytes().to_vec(),
            None => vec![],
        };
        if let Some(r) = &spec.reason {
            payload.extend(r.to_bytes()?);
        }
        if let Some(p) = &spec.payload {
            payload.extend(p.to_bytes()?);
        }
        let length_form = match spec.length_bits {
            None => LengthForm::Minimal,
            Some(7) => LengthForm::Bits7,
            Some(16) => LengthForm::Bits16,
            Some(64) => LengthForm::Bits64,
            Some(n) => return Err(format!("length_bits {n} is not 7, 16 or 64")),
        };
        let mask = self.mask(&spec.mask)?;
        Ok(FrameOut { fin: spec.fin, rsv: spec.rsv, opcode: op, mask, length_form, declared_len: spec.length, payload })
    }

    fn message(&mut self, spec: &MessageSpec) -> Result<Units, String> {
        let (op, payload) = match (&spec.text, &spec.binary) {
            (Some(t), None) => (opcode::TEXT, t.to_bytes()?),
            (None, Some(b)) => (opcode::BINARY, b.to_bytes()?),
            _ => return Err("a message is either `text` or `binary`".into()),
        };
        let mut pieces: Vec<&[u8]> = vec![];
        let mut rest = payload.as_slice();
        for &size in spec.fragments.iter().flatten() {
            let size = size.min(rest.len());
            pieces.push(&rest[..size]);
            rest = &rest[size..];
        }
        if !rest.is_empty() || pieces.is_empty() {
            pieces.push(rest);
        }
        let count = pieces.len();
        let mut units = Vec::with_capacity(count);
        for (i, piece) in pieces.into_iter().enumerate() {
            let frame = FrameOut {
                fin: i + 1 == count,
                opcode: if i == 0 { op } else { opcode::CONTINUATION },
                ..FrameOut::new(op, piece.to_vec(), self.mask(&spec.mask)?)
            };
            units.push(self.frame_unit(&frame)?);
        }
        self.last_message = Some((op, payload));
        Ok(units)
    }

    fn control(&mut self, op: u8, payload: Vec<u8>) -> Result<(String, Vec<u8>), String> {
        let mask = self.mask(&None)?;
        self.frame_unit(&FrameOut::new(op, payload, mask))
    }

    /// Encodes the WebSocket frame sends (`message`, `ws_frame(s)`, `ws_ping`, `ws_close`);
    /// `None` for any other send.
    pub fn encode(&mut self, send: &Send) -> Option<Result<Units, String>> {
        Some(match send {
            Send::Message(spec) => self.message(spec),
            Send::WsFrame(spec) => self.frame_from_spec(spec).and_then(|f| Ok(vec![self.frame_unit(&f)?])),
            Send::WsFrames(specs) => specs
                .iter()
                .map(|s| {
                    let f = self.frame_from_spec(s)?;
                    self.frame_unit(&f)
                })
                .collect(),
            Send::WsPing(payload) => payload.to_bytes().and_then(|p| Ok(vec![self.control(opcode::PING, p)?])),
            Send::WsClose(spec) => spec
                .reason
                .as_ref()
                .map(BytesSpec::to_bytes)
                .transpose()
                .and_then(|reason| Ok(vec![self.control(opcode::CLOSE, encode_close(spec.code, &reason.unwrap_or_default()))?])),
            _ => return None,
        })
    }

    /// The check for a frame-level expectation (`message`, `pong`, `close`, `fail`, `ws_frame`);
    /// `None` for any other.
    pub fn check(&mut self, expect: &Expect) -> Option<Result<Box<dyn Check>, String>> {
        let want = if let Some(m) = &expect.message {
            message_want(m, self.last_message.as_ref()).map(Want::Message)
        } else if let Some(p) = &expect.pong {
            p.to_bytes().map(Want::Pong)
        } else if let Some(c) = &expect.close {
            Ok(Want::Close((**c).clone()))
        } else if let Some(fail) = &expect.fail {
            Ok(Want::Fail(fail.codes().map(<[u16]>::to_vec)))
        } else if let Some(f) = &expect.ws_frame {
            frame_want(f).map(Want::Frame)
        } else {
            return None;
        };
        Some(want.map(|want| {
            Box::new(FrameCheck {
                reader: FrameReader::new(self.caps.max_frame_size),
                asm: Assembler::from(self.peer).with_limit(self.caps.max_message_size),
                peer: self.peer,
                want,
                units: vec![],
                seen_close: None,
                pings: vec![],
                read_offset: self.read_offset,
                frames_read: self.frames_read,
            }) as Box<dyn Check>
        }))
    }

    /// A frame check passed: count what it read, and answer what the protocol owes: the peer's
    /// close (RFC 6455 §5.5.1, echoing its code) and, as the server, the client's pings (§5.5.2).
    pub fn passed(&mut self, fc: &mut FrameCheck) -> Units {
        // The check's base moved on past what it released while pending.
        self.read_offset = fc.read_offset + fc.reader.position();
        self.frames_read = fc.frames_read;
        let mut replies = vec![];
        for payload in std::mem::take(&mut fc.pings) {
            if !self.close_sent {
                replies.extend(self.control(opcode::PONG, payload));
            }
        }
        // The peer closed first: answer its close frame, echoing the code.
        if let Some(code) = fc.seen_close.take() {
            if !self.close_sent {
                let code = code.filter(|c| code_is_valid_on_wire(*c)).or(code.map(|_| 1000));
                replies.extend(self.control(opcode::CLOSE, encode_close(code, b"")));
            }
        }
        replies
    }
}

/// Scripts the header fields of a handshake, either side: drops the fields named in `omit`, then
/// sets each of `fields` (placeholders filled), replacing a field of the same name or adding it.
pub(super) fn script_fields(headers: &mut Vec<(String, String)>, omit: &[String], fields: &IndexMap<String, String>, subs: &Substitutions) {
    headers.retain(|(n, _)| !omit.iter().any(|o| o.eq_ignore_ascii_case(n)));
    for (name, value) in fields {
        let value = subs.apply(value);
        match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(slot) => slot.1 = value,
            None => headers.push((name.clone(), value)),
        }
    }
}

/// WebSocket as the client (role `client`): the opening handshake, automatic or scripted, then
/// the frames.
pub struct WsDriver {
    subs: Substitutions,
    /// The case sends its own handshake (no automatic one on connect).
    manual: bool,
    /// The key of the last handshake sent, for checking the accept value.
    key: Option<String>,
    frames: WsFrames,
}

impl WsDriver {
    /// A driver for a case with these steps; handshakes go to `subs.ws_path` by default.
    pub fn new(subs: Substitutions, steps: &[Step]) -> Self {
        let manual = steps.iter().any(|s| matches!(s, Step::Send(Send::Handshake(_))));
        WsDriver { subs, manual, key: None, frames: WsFrames::new(Sender::Server) }
    }

    fn handshake(&mut self, spec: &HandshakeSpec) -> (String, Vec<u8>) {
        let key = spec.key.clone().unwrap_or_else(generate_key);
        let target = self.subs.apply(spec.target.as_deref().unwrap_or(&self.subs.ws_path));
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), self.subs.host.clone()),
            ("Upgrade".into(), "websocket".into()),
            ("Connection".into(), "Upgrade".into()),
            ("Sec-WebSocket-Key".into(), key.clone()),
            ("Sec-WebSocket-Version".into(), spec.version.clone().unwrap_or_else(|| "13".into())),
        ];
        if !spec.protocols.is_empty() {
            headers.push(("Sec-WebSocket-Protocol".into(), spec.protocols.join(", ")));
        }
        script_fields(&mut headers, &spec.omit, &spec.headers, &self.subs);
        let sent_key = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-key")).map(|(_, v)| v.clone());
        self.key = sent_key;
        self.frames.on_connect();
        let method = spec.method.clone().unwrap_or_else(|| "GET".into());
        let version = spec.http_version.clone().unwrap_or_else(|| "HTTP/1.1".into());
        (format!("opening handshake {method} {target} {version}"), encode_request(&method, &target, &version, &headers))
    }

    fn handshake_check(&self, expect: &HandshakeExpect) -> HandshakeCheck {
        HandshakeCheck {
            reader: ResponseReader::new("GET", self.frames.caps().http1_limits()),
            expect: expect.clone(),
            key: self.key.clone(),
            consumed: 0,
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

impl Driver for WsDriver {
    fn on_connect(&mut self) -> Result<Units, String> {
        self.frames.on_connect();
        if self.manual {
            return Ok(vec![]);
        }
        Ok(vec![self.handshake(&HandshakeSpec::default())])
    }

    fn on_connect_check(&mut self) -> Option<Box<dyn Check>> {
        (!self.manual).then(|| Box::new(self.handshake_check(&HandshakeExpect::default())) as Box<dyn Check>)
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::Handshake(spec) => Ok(vec![self.handshake(spec)]),
            other => self.frames.encode(other).unwrap_or_else(|| {
                Err("this send step is not one a WebSocket client knows (use handshake, message, ws_frame(s), ws_ping, ws_close or raw)".into())
            }),
        }
    }

    fn set_caps(&mut self, caps: &super::Caps) {
        self.frames.set_caps(caps);
    }

    fn check(&mut self, expect: &Expect) -> Result<Box<dyn Check>, String> {
        if let Some(h) = &expect.handshake {
            return Ok(Box::new(self.handshake_check(h)));
        }
        self.frames.check(expect).unwrap_or_else(|| Err("this expectation is not one a WebSocket client knows".into()))
    }

    fn passed(&mut self, check: &mut dyn Check) -> Units {
        let Some(any) = check.as_any_mut() else { return vec![] };
        if let Some(hc) = any.downcast_mut::<HandshakeCheck>() {
            self.frames.advance(hc.consumed);
            return vec![];
        }
        match any.downcast_mut::<FrameCheck>() {
            Some(fc) => self.frames.passed(fc),
            None => vec![],
        }
    }
}

/// A resolved message expectation.
struct MessageWant {
    opcode: Option<u8>,
    data: Option<Vec<u8>>,
    length: Option<usize>,
    fragments: Option<Vec<usize>>,
}

fn message_want(m: &MessageExpect, last: Option<&(u8, Vec<u8>)>) -> Result<MessageWant, String> {
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
    Ok(MessageWant { opcode, data, length: m.length, fragments: m.fragments.clone() })
}

/// A resolved frame expectation.
struct FrameWant {
    fin: Option<bool>,
    opcode: Option<u8>,
    payload: Option<Vec<u8>>,
    length: Option<u64>,
}

fn frame_want(f: &FrameExpect) -> Result<FrameWant, String> {
    Ok(FrameWant {
        fin: f.fin,
        opcode: f.opcode.as_ref().map(opcode_of).transpose()?,
        payload: f.payload.as_ref().map(BytesSpec::to_bytes).transpose()?,
        length: f.length,
    })
}

enum Want {
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
    reader: FrameReader,
    asm: Assembler,
    /// Whose frames these are.
    peer: Sender,
    want: Want,
    units: Vec<Annotated>,
    /// Set when the check passed on a close frame from the peer: its code (None: empty).
    seen_close: Option<Option<u16>>,
    /// Payloads of the client's pings read on the way, for the fake server to answer.
    pings: Vec<Vec<u8>>,
    /// Connection offset of the first byte this check reads.
    read_offset: usize,
    /// Frames of the connection read so far, this check's included.
    frames_read: usize,
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

fn join(codes: &OneOrMany<u16>) -> String {
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

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

/// Reads the response to the opening handshake and checks it (RFC 6455 §4.1, §4.2.2).
pub struct HandshakeCheck {
    reader: ResponseReader,
    expect: HandshakeExpect,
    key: Option<String>,
    /// Bytes of the response, once it passed.
    consumed: usize,
}

impl HandshakeCheck {
    fn judge(&self, r: &ResponseRecord) -> Vec<String> {
        let mut problems = vec![];
        let statuses = self.expect.status.clone().unwrap_or(OneOrMany::One(101));
        if !statuses.allows(&r.status) {
            problems.push(format!("status: expected {}, saw {} {}", join(&statuses), r.status, r.reason));
        }
        if r.status == 101 {
            match r.header("upgrade") {
                Some(v) if v.trim().eq_ignore_ascii_case("websocket") => {}
                other => problems.push(format!("Upgrade: expected \"websocket\", saw {other:?} (RFC 6455 §4.2.2)")),
            }
            match r.header("connection") {
                Some(v) if has_token(&v, "upgrade") => {}
                other => problems.push(format!("Connection: expected the token \"Upgrade\", saw {other:?} (RFC 6455 §4.2.2)")),
            }
            if let Some(key) = &self.key {
                let want = accept_for(key);
                match r.header("sec-websocket-accept") {
                    Some(v) if v.trim() == want => {}
                    other => {
                        problems.push(format!("Sec-WebSocket-Accept: expected {want:?} for key {key:?}, saw {other:?} (RFC 6455 §4.2.2)"))
                    }
                }
            }
            if r.header("sec-websocket-extensions").is_some() {
                problems.push("Sec-WebSocket-Extensions: the server selected an extension peerspec did not offer (RFC 6455 §4.1)".into());
            }
        }
        if let Some(p) = &self.expect.protocol {
            let seen = r.header("sec-websocket-protocol");
            let ok = match (p.as_str(), &seen) {
                ("", None) => true,
                (p, Some(s)) => s.trim() == p,
                _ => false,
            };
            if !ok {
                problems.push(format!(
                    "Sec-WebSocket-Protocol: expected {}, saw {seen:?}",
                    if p.is_empty() { "none".into() } else { format!("{p:?}") }
                ));
            }
        }
        self.expect.header_expectations().compare(|name| r.header(name), &mut problems);
        problems
    }
}

impl Check for HandshakeCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        match self.reader.advance(input, eof) {
            Progress::NeedMore => Verdict::Pending,
            Progress::Done { consumed } => {
                let r = self.reader.record();
                let problems = self.judge(r);
                let unit = format!("handshake response {} {} {}", r.version, r.status, r.reason);
                if problems.is_empty() {
                    self.consumed = consumed;
                    Verdict::Pass { consumed, units: vec![annotated(0, consumed, unit)] }
                } else {
                    Verdict::Fail(format!("handshake response differs:\n  {}", problems.join("\n  ")))
                }
            }
            Progress::Invalid(e) => Verdict::Fail(format!("invalid handshake response: {e}")),
        }
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        Verdict::Fail(format!("timed out waiting for the handshake response ({} bytes received)", input.len()))
    }
    fn describe(&self) -> String {
        "the handshake response".into()
    }
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        let r = self.reader.record();
        r.units.iter().map(|u| annotated(u.offset, u.len, format!("response {} {}", r.status, r.reason))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::load::parse_cases;
    use crate::wire::ws::frame::parse_header;

    fn driver(steps: &[Step]) -> WsDriver {
        WsDriver::new(Substitutions { path: "/".into(), host: "h:1".into(), ws_path: "/ws".into() }, steps)
    }

    fn steps(yaml: &str) -> Vec<Step> {
        let text = format!("id: t\nprotocol: websocket\nsteps:\n{yaml}");
        parse_cases("t.yaml", &text).unwrap_or_else(|e| panic!("{e:?}")).remove(0).case.steps
    }

    fn server_frame(op: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        FrameOut { fin, ..FrameOut::new(op, payload.to_vec(), None) }.encode().unwrap()
    }

    #[test]
    fn fragments_split_the_payload_and_mask_every_frame() {
        let s = steps("  - send: { message: { text: \"今から\", fragments: [1, 4] } }\n");
        let mut d = driver(&s);
        let Step::Send(send) = &s[0] else { panic!() };
        let units = d.encode(send).unwrap();
        assert_eq!(units.len(), 3);
        let heads: Vec<_> = units.iter().map(|(_, b)| parse_header(b).unwrap().unwrap()).collect();
        assert_eq!(heads.iter().map(|h| (h.fin, h.opcode, h.len)).collect::<Vec<_>>(), [(false, 1, 1), (false, 0, 4), (true, 0, 4)]);
        assert!(heads.iter().all(|h| h.mask.is_some()));
        assert!(units[0].0.contains("FIN=0"), "{}", units[0].0);
    }

    #[test]
    fn auto_handshake_unless_the_case_sends_one() {
        let mut d = driver(&steps("  - send: { message: { text: a } }\n"));
        let (_, bytes) = d.on_connect().unwrap().remove(0);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("GET /ws HTTP/1.1\r\nHost: h:1\r\nUpgrade: websocket\r\n"), "{text}");
        assert!(d.on_connect_check().is_some());
        let mut d = driver(&steps("  - send: { handshake: { omit: [Sec-WebSocket-Key], version: '8' } }\n"));
        assert!(d.on_connect().unwrap().is_empty());
        let Step::Send(send) = &steps("  - send: { handshake: { omit: [Sec-WebSocket-Key], version: '8' } }\n")[0] else { panic!() };
        let text = String::from_utf8(d.encode(send).unwrap().remove(0).1).unwrap();
        assert!(!text.contains("Sec-WebSocket-Key") && text.contains("Sec-WebSocket-Version: 8"), "{text}");
    }

    #[test]
    fn handshake_check_verifies_the_accept_value() {
        let mut d = driver(&steps("  - send: { handshake: { key: dGhlIHNhbXBsZSBub25jZQ== } }\n"));
        let Step::Send(send) = &steps("  - send: { handshake: { key: dGhlIHNhbXBsZSBub25jZQ== } }\n")[0] else { panic!() };
        d.encode(send).unwrap();
        let good = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x00";
        let mut c = d.handshake_check(&HandshakeExpect::default());
        assert!(matches!(c.poll(good, false), Verdict::Pass { consumed, .. } if consumed == good.len() - 2));
        let bad = String::from_utf8_lossy(good).replace("s3pP", "AAAA");
        let mut c = d.handshake_check(&HandshakeExpect::default());
        assert!(matches!(c.poll(bad.as_bytes(), false), Verdict::Fail(m) if m.contains("Sec-WebSocket-Accept")));
    }

    fn check(d: &mut WsDriver, yaml: &str) -> Box<dyn Check> {
        let Step::Expect(e) = &steps(yaml)[0] else { panic!() };
        d.check(e).unwrap()
    }

    #[test]
    fn message_echo_across_fragments_and_rule_breaks() {
        let s = steps("  - send: { message: { text: hello } }\n");
        let mut d = driver(&s);
        let Step::Send(send) = &s[0] else { panic!() };
        d.encode(send).unwrap();
        let mut bytes = server_frame(opcode::TEXT, false, b"hel");
        bytes.extend(server_frame(opcode::CONTINUATION, true, b"lo"));
        let mut c = check(&mut d, "  - expect: { message: { echo: true, fragments: [3, 2] } }\n");
        assert_eq!(c.poll(&bytes[..6], false), Verdict::Pending);
        assert!(matches!(c.poll(&bytes, false), Verdict::Pass { consumed, ref units } if consumed == bytes.len() && units.len() == 2));
        let mut c = check(&mut d, "  - expect: { message: { echo: true } }\n");
        let masked = FrameOut::new(opcode::TEXT, b"hello".to_vec(), Some([1, 2, 3, 4])).encode().unwrap();
        assert!(matches!(c.poll(&masked, false), Verdict::Fail(m) if m.contains("masked")));
        let mut c = check(&mut d, "  - expect: { message: { echo: true } }\n");
        assert!(matches!(c.poll(&server_frame(opcode::TEXT, true, b"hellO"), false), Verdict::Fail(m) if m.contains("byte 4")));
    }

    #[test]
    fn fail_any_passes_on_any_close_or_a_bare_tcp_close_and_answers_the_close() {
        let mut d = driver(&[]);
        let mut c = check(&mut d, "  - expect: { fail: any }\n");
        assert!(matches!(c.poll(b"", true), Verdict::Pass { ref units, .. } if units[0].unit.contains("without a close frame")));
        for code in [Some(1002), Some(1011), Some(1000), None] {
            let mut d = driver(&[]);
            let close = server_frame(opcode::CLOSE, true, &encode_close(code, b""));
            let mut c = check(&mut d, "  - expect: { fail: any }\n");
            let code = code.unwrap_or(1005);
            assert!(
                matches!(c.poll(&close, false), Verdict::Pass { ref units, .. } if units[0].unit.contains(&format!("close code {code})")))
            );
            let reply = d.passed(c.as_mut());
            assert_eq!(reply.len(), 1, "the client answers the server's close");
        }
        // Data instead of failing the connection is no failure of it.
        let mut c = check(&mut d, "  - expect: { fail: any }\n");
        assert!(matches!(c.poll(&server_frame(opcode::TEXT, true, b"echo"), false), Verdict::Fail(_)));
    }

    #[test]
    fn fail_with_codes_wants_a_close_frame_with_one_of_them() {
        let mut d = driver(&[]);
        let close = server_frame(opcode::CLOSE, true, &encode_close(Some(1002), b""));
        let mut c = check(&mut d, "  - expect: { fail: [1002] }\n");
        assert!(matches!(c.poll(&close, false), Verdict::Pass { .. }));
        let mut c = check(&mut d, "  - expect: { fail: 1007 }\n");
        assert!(matches!(c.poll(&close, false), Verdict::Fail(m) if m.contains("code 1002;") && m.contains("is 1007")));
        let mut c = check(&mut d, "  - expect: { fail: [1002] }\n");
        assert!(matches!(c.poll(b"", true), Verdict::Fail(m) if m.contains("without a close frame")));
        let mut c = check(&mut d, "  - expect: { close: { code: [1000, 1001] } }\n");
        let bad_reason = server_frame(opcode::CLOSE, true, &[0x03, 0xE8, 0xFF]);
        assert!(matches!(c.poll(&bad_reason, false), Verdict::Fail(m) if m.contains("UTF-8")));
    }

    #[test]
    fn echo_follows_messages_sent_as_raw_frames() {
        let s = steps("  - send: { ws_frames: [ { opcode: binary, fin: false, payload: ab }, { opcode: ping }, { opcode: continuation, payload: cd } ] }\n");
        let mut d = driver(&s);
        let Step::Send(send) = &s[0] else { panic!() };
        d.encode(send).unwrap();
        assert_eq!(d.frames.last_message, Some((opcode::BINARY, b"abcd".to_vec())));
    }

    #[test]
    fn pong_must_carry_the_pings_payload() {
        let mut d = driver(&[]);
        let mut c = check(&mut d, "  - expect: { pong: abc }\n");
        assert!(matches!(c.poll(&server_frame(opcode::PONG, true, b"abc"), false), Verdict::Pass { .. }));
        let mut c = check(&mut d, "  - expect: { pong: abc }\n");
        assert!(matches!(c.poll(&server_frame(opcode::PONG, true, b"ab"), false), Verdict::Fail(_)));
    }
}
