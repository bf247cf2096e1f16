//! [`WsFrames`]: the frame-level state of a WebSocket case, the same in both roles.

use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use crate::case::ws::{FrameSpec, MaskSpec, MessageSpec};
use crate::case::{BytesSpec, ExpectKind, Send};
use crate::transcript::escape;
use crate::wire::ws::close::{code_is_valid_on_wire, encode_close};
use crate::wire::ws::deflate::{Deflater, Inflater};
use crate::wire::ws::extensions::Agreement;
use crate::wire::ws::frame::{FrameOut, LengthForm};
use crate::wire::ws::message::{Assembler, FrameReader, Sender};
use crate::wire::ws::opcode;

use indexmap::IndexMap;

use super::checks::{frame_want, message_want, Want};
use super::checks::{opcode_of, parse_mask_key, FrameCheck};

use crate::run::driver::{Substitutions, Unit, Units};

/// The frame-level state of one WebSocket case, the same in both roles: what was sent (for
/// `echo` and for answering a close), and how far into the connection the checks have read (so a
/// rule break names the frame and its byte offset).
pub struct WsFrames {
    /// Whose frames the checks read: the server's (peerspec is the client) or the client's.
    peer: Sender,
    /// The last data message sent (opcode, payload), for `echo`.
    pub(super) last_message: Option<(u8, Vec<u8>)>,
    /// peerspec has sent a close frame on this connection.
    close_sent: bool,
    /// A data message being sent frame by frame through `ws_frame(s)` (opcode, payload so far).
    sending: Option<(u8, Vec<u8>)>,
    /// Bytes of this connection that passing checks have read (the handshake included).
    read_offset: usize,
    /// Frames of this connection that passing checks have read.
    frames_read: usize,
    rng: u64,
    caps: crate::run::config::Caps,
    /// permessage-deflate, once negotiated on this connection (RFC 7692).
    deflate: Option<Deflate>,
}

/// The permessage-deflate state of a connection: peerspec's compressor and the peer's inflater
/// (shared with the checks, which read the peer's messages one check after another).
struct Deflate {
    out: Deflater,
    inflater: Arc<Mutex<Inflater>>,
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
            deflate: None,
        }
    }

    /// The opening handshake agreed on permessage-deflate (or not): from now on peerspec
    /// compresses its messages with its own side's parameters and inflates the peer's with the
    /// peer's (RFC 7692 §7.1).
    pub fn set_deflate(&mut self, agreement: Option<Agreement>) {
        self.deflate = agreement.map(|a| {
            let client = (a.client_max_window_bits, !a.client_no_context_takeover);
            let server = (a.server_max_window_bits, !a.server_no_context_takeover);
            let (mine, theirs) = if self.peer == Sender::Server { (client, server) } else { (server, client) };
            Deflate { out: Deflater::new(mine.0, mine.1), inflater: Arc::new(Mutex::new(Inflater::new(theirs.0, theirs.1))) }
        });
    }

    /// Takes the run's caps on frame and message sizes.
    pub fn set_caps(&mut self, caps: &crate::run::config::Caps) {
        self.caps = *caps;
    }

    /// The caps in force, for the HTTP/1.x reader of the opening handshake.
    pub fn caps(&self) -> &crate::run::config::Caps {
        &self.caps
    }

    /// A new connection: nothing read on it, no close sent yet.
    pub fn on_connect(&mut self) {
        self.deflate = None;
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

    /// A frame's unit: its description and its bytes.
    fn encode_frame(&mut self, frame: &FrameOut) -> Result<Unit, String> {
        let bytes = frame.encode()?;
        if frame.opcode == opcode::CLOSE {
            self.close_sent = true;
        }
        Ok(Unit::new(format!("{}  payload {}", frame.describe(), escape(&frame.payload, 48)), bytes))
    }

    /// A raw frame's unit, following the data messages raw frames make up (for `echo`).
    fn frame_unit(&mut self, frame: &FrameOut) -> Result<Unit, String> {
        let unit = self.encode_frame(frame)?;
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
        Ok(unit)
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
        let compressed = match (spec.compress, self.deflate.as_mut()) {
            (Some(false), _) | (None, None) => None,
            (_, Some(d)) => Some(d.out.compress(&payload)),
            (Some(true), None) => return Err("`compress: true` needs permessage-deflate negotiated in the opening handshake".into()),
        };
        let wire = compressed.as_deref().unwrap_or(&payload);
        let mut pieces: Vec<&[u8]> = vec![];
        let mut rest = wire;
        let sizes: Box<dyn Iterator<Item = usize>> = match (&spec.fragments, spec.fragment_size) {
            (Some(list), _) => Box::new(list.iter().copied()),
            // Every fragment full but the last; an empty payload is one empty frame.
            (None, Some(n)) => Box::new(std::iter::repeat_n(n.get(), wire.len().saturating_sub(1) / n.get())),
            (None, None) => Box::new(std::iter::empty()),
        };
        for size in sizes {
            let size = size.min(rest.len());
            pieces.push(&rest[..size]);
            rest = &rest[size..];
        }
        if !rest.is_empty() || pieces.is_empty() {
            pieces.push(rest);
        }
        let count = pieces.len();
        if count == 1 && compressed.is_none() {
            // One plain frame: the payload moves into it and back, not copied (16 MiB is 16 MiB less).
            let frame = FrameOut::new(op, payload, self.mask(&spec.mask)?);
            let unit = self.encode_frame(&frame)?;
            self.last_message = Some((op, frame.payload));
            return Ok(vec![unit]);
        }
        let mut units = Vec::with_capacity(count);
        // Not followed frame by frame as raw frames are: the message is known whole, and a
        // second copy of a 16 MiB payload is memory for nothing.
        self.sending = None;
        for (i, piece) in pieces.into_iter().enumerate() {
            let frame = FrameOut {
                fin: i + 1 == count,
                // RFC 7692 §6: the "Per-Message Compressed" bit is RSV1 of the first frame only.
                rsv: if i == 0 && compressed.is_some() { 4 } else { 0 },
                opcode: if i == 0 { op } else { opcode::CONTINUATION },
                ..FrameOut::new(op, piece.to_vec(), self.mask(&spec.mask)?)
            };
            // Frames between the transcript's head and tail are never shown (the session counts
            // them): no label to format for them.
            let shown = i < crate::transcript::HEAD_ENTRIES || count - i <= crate::transcript::TAIL_ENTRIES;
            units.push(if shown { self.encode_frame(&frame)? } else { Unit::new("", frame.encode()?) });
        }
        if let (Some(z), Some(first)) = (&compressed, units.first_mut()) {
            first.label = format!("{}  (compressed: {} B inflate to {} B)", first.label, z.len(), payload.len());
        }
        self.last_message = Some((op, payload));
        Ok(units)
    }

    fn control(&mut self, op: u8, payload: Vec<u8>) -> Result<Unit, String> {
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
    pub fn check(&mut self, expect: &ExpectKind) -> Option<Result<FrameCheck, String>> {
        let want = match expect {
            ExpectKind::Message(m) => message_want(m, self.last_message.as_ref()).map(Want::Message),
            ExpectKind::Pong(p) => p.to_bytes().map(Want::Pong),
            ExpectKind::Close(c) => Ok(Want::Close((**c).clone())),
            ExpectKind::Fail(fail) => Ok(Want::Fail(fail.codes().map(<[u16]>::to_vec))),
            ExpectKind::WsFrame(f) => frame_want(f).map(Want::Frame),
            _ => return None,
        };
        Some(want.map(|want| {
            FrameCheck {
                reader: FrameReader::new(self.caps.max_frame_size),
                asm: Assembler::from(self.peer)
                    .with_limit(self.caps.max_message_size)
                    .with_deflate(self.deflate.as_ref().map(|d| d.inflater.clone())),
                peer: self.peer,
                want,
                units: vec![],
                seen_close: None,
                pings: vec![],
                read_offset: self.read_offset,
                frames_read: self.frames_read,
            }
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
pub(crate) fn script_fields(headers: &mut Vec<(String, String)>, omit: &[String], fields: &IndexMap<String, String>, subs: &Substitutions) {
    headers.retain(|(n, _)| !omit.iter().any(|o| o.eq_ignore_ascii_case(n)));
    for (name, value) in fields {
        let value = subs.apply(value);
        match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(slot) => slot.1 = value,
            None => headers.push((name.clone(), value)),
        }
    }
}
