//! HTTP/2 frames (RFC 9113 §4, §6), sans-I/O: a [`FrameHeader`] and one module per frame type.
//!
//! Decoding never panics: any input gives a frame, "need more bytes", or a [`FrameError`] with
//! the byte offset and the frame header it was reading. Encoding writes whatever a [`Frame`]
//! holds, including what the RFC forbids (a `length` that disagrees with the payload, undefined
//! flags, stream 0 where a stream is required, padding longer than the payload), because a
//! conformance client must be able to send malformed frames on purpose.

pub mod continuation;
pub mod data;
pub mod goaway;
pub mod headers;
pub mod hpack;
pub mod ping;
pub mod priority;
pub mod push_promise;
pub mod rst_stream;
pub mod settings;
pub mod unknown;
pub mod window_update;

use std::fmt;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Size of the frame header.
pub const HEADER_LEN: usize = 9;
/// SETTINGS_MAX_FRAME_SIZE's initial value (§4.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;

/// Frame type codes (§6, §11.2).
pub mod kind {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const PRIORITY: u8 = 0x2;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PUSH_PROMISE: u8 = 0x5;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const WINDOW_UPDATE: u8 = 0x8;
    pub const CONTINUATION: u8 = 0x9;
}

/// Flag bits (§6). `ACK` and `END_STREAM` share bit 0x1.
pub mod flag {
    pub const END_STREAM: u8 = 0x1;
    pub const ACK: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const PADDED: u8 = 0x8;
    pub const PRIORITY: u8 = 0x20;
}

/// The name of a frame type (`UNKNOWN(0x..)` for the rest).
pub fn kind_name(k: u8) -> String {
    match KIND_NAMES.get(k as usize) {
        Some(n) => n.to_string(),
        None => format!("UNKNOWN(0x{k:02x})"),
    }
}

const KIND_NAMES: [&str; 10] =
    ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"];

/// A frame type by name (`HEADERS`, case-insensitive) or number.
pub fn kind_by_name(name: &str) -> Option<u8> {
    let upper = name.trim().to_ascii_uppercase().replace('-', "_");
    if let Some(i) = KIND_NAMES.iter().position(|n| *n == upper) {
        return Some(i as u8);
    }
    parse_int(&upper).and_then(|v| u8::try_from(v).ok())
}

/// Parses `17`, `0x11`.
pub fn parse_int(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Flag names for a frame type, for transcripts: `END_STREAM|END_HEADERS|0x40`.
pub fn flags_name(k: u8, flags: u8) -> String {
    let known: &[(u8, &str)] = match k {
        kind::DATA => &[(flag::END_STREAM, "END_STREAM"), (flag::PADDED, "PADDED")],
        kind::HEADERS => {
            &[(flag::END_STREAM, "END_STREAM"), (flag::END_HEADERS, "END_HEADERS"), (flag::PADDED, "PADDED"), (flag::PRIORITY, "PRIORITY")]
        }
        kind::PUSH_PROMISE => &[(flag::END_HEADERS, "END_HEADERS"), (flag::PADDED, "PADDED")],
        kind::CONTINUATION => &[(flag::END_HEADERS, "END_HEADERS")],
        kind::SETTINGS | kind::PING => &[(flag::ACK, "ACK")],
        _ => &[],
    };
    let mut names = vec![];
    let mut rest = flags;
    for (bit, name) in known {
        if flags & bit != 0 {
            names.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(format!("0x{rest:02x}"));
    }
    if names.is_empty() {
        "-".into()
    } else {
        names.join("|")
    }
}

/// Error codes (§7).
pub const ERROR_NAMES: [&str; 14] = [
    "NO_ERROR",
    "PROTOCOL_ERROR",
    "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",
    "REFUSED_STREAM",
    "CANCEL",
    "COMPRESSION_ERROR",
    "CONNECT_ERROR",
    "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY",
    "HTTP_1_1_REQUIRED",
];

/// An error code's name, or its number in hex.
pub fn error_name(code: u32) -> String {
    ERROR_NAMES.get(code as usize).map(|s| s.to_string()).unwrap_or_else(|| format!("0x{code:x}"))
}

/// An error code by name (`PROTOCOL_ERROR`) or number.
pub fn error_by_name(name: &str) -> Option<u32> {
    let upper = name.trim().to_ascii_uppercase();
    ERROR_NAMES.iter().position(|n| *n == upper).map(|i| i as u32).or_else(|| parse_int(&upper).and_then(|v| u32::try_from(v).ok()))
}

/// The 9-byte frame header (§4.1), every field as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameHeader {
    /// The 24-bit `Length` field, which may disagree with the payload actually written.
    pub length: u32,
    /// Frame type.
    pub kind: u8,
    /// Flags byte, undefined bits included.
    pub flags: u8,
    /// The reserved bit before the stream identifier.
    pub reserved: bool,
    /// 31-bit stream identifier.
    pub stream_id: u32,
}

impl FrameHeader {
    /// Reads a header from 9 bytes.
    pub fn parse(b: &[u8; HEADER_LEN]) -> FrameHeader {
        let length = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        let sid = u32::from_be_bytes([b[5], b[6], b[7], b[8]]);
        FrameHeader { length, kind: b[3], flags: b[4], reserved: sid & 0x8000_0000 != 0, stream_id: sid & 0x7fff_ffff }
    }

    /// Writes the header (length truncated to 24 bits, stream id to 31).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.length.to_be_bytes()[1..]);
        out.push(self.kind);
        out.push(self.flags);
        let sid = (self.stream_id & 0x7fff_ffff) | if self.reserved { 0x8000_0000 } else { 0 };
        out.extend_from_slice(&sid.to_be_bytes());
    }

    /// Whether `f` is set.
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

impl fmt::Display for FrameHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} stream={} flags={} len={}", kind_name(self.kind), self.stream_id, flags_name(self.kind, self.flags), self.length)?;
        if self.reserved {
            write!(f, " R=1")?;
        }
        Ok(())
    }
}

/// Padding of DATA, HEADERS and PUSH_PROMISE (§6.1): the `Pad Length` byte and the padding
/// bytes actually written (which may disagree, on purpose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Padding {
    /// The Pad Length field.
    pub len: u8,
    /// The padding written after the content.
    pub bytes: Vec<u8>,
}

impl Padding {
    /// `len` zero bytes of padding.
    pub fn zeros(len: u8) -> Padding {
        Padding { len, bytes: vec![0; len as usize] }
    }
}

/// Splits off padding of a PADDED frame: the content between the Pad Length byte and the padding.
pub(crate) fn unpad(payload: &[u8], padded: bool) -> Result<(&[u8], Option<Padding>), String> {
    if !padded {
        return Ok((payload, None));
    }
    let Some((&len, rest)) = payload.split_first() else {
        return Err("PADDED frame without a Pad Length byte".into());
    };
    if len as usize > rest.len() {
        return Err(format!("Pad Length {len} exceeds the {} bytes after it", rest.len()));
    }
    let (content, pad) = rest.split_at(rest.len() - len as usize);
    Ok((content, Some(Padding { len, bytes: pad.to_vec() })))
}

/// Priority fields of HEADERS and PRIORITY (§5.3, §6.3; deprecated but still on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PriorityFields {
    /// The E bit.
    pub exclusive: bool,
    /// Stream dependency.
    pub dependency: u32,
    /// Weight byte (weight - 1).
    pub weight: u8,
}

impl PriorityFields {
    pub(crate) fn parse(b: &[u8]) -> PriorityFields {
        let d = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        PriorityFields { exclusive: d & 0x8000_0000 != 0, dependency: d & 0x7fff_ffff, weight: b[4] }
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let d = (self.dependency & 0x7fff_ffff) | if self.exclusive { 0x8000_0000 } else { 0 };
        out.extend_from_slice(&d.to_be_bytes());
        out.push(self.weight);
    }
}

/// A frame's payload, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Data(data::Data),
    Headers(headers::Headers),
    Priority(priority::Priority),
    RstStream(rst_stream::RstStream),
    Settings(settings::Settings),
    PushPromise(push_promise::PushPromise),
    Ping(ping::Ping),
    Goaway(goaway::Goaway),
    WindowUpdate(window_update::WindowUpdate),
    Continuation(continuation::Continuation),
    Unknown(unknown::Unknown),
}

impl Payload {
    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Payload::Data(p) => p.encode(&mut out),
            Payload::Headers(p) => p.encode(&mut out),
            Payload::Priority(p) => p.encode(&mut out),
            Payload::RstStream(p) => p.encode(&mut out),
            Payload::Settings(p) => p.encode(&mut out),
            Payload::PushPromise(p) => p.encode(&mut out),
            Payload::Ping(p) => p.encode(&mut out),
            Payload::Goaway(p) => p.encode(&mut out),
            Payload::WindowUpdate(p) => p.encode(&mut out),
            Payload::Continuation(p) => p.encode(&mut out),
            Payload::Unknown(p) => p.encode(&mut out),
        }
        out
    }

    /// Decodes the payload of a frame with header `h`. Errors are relative to the payload start.
    pub fn decode(h: &FrameHeader, payload: &[u8]) -> Result<Payload, String> {
        Ok(match h.kind {
            kind::DATA => Payload::Data(data::Data::decode(h, payload)?),
            kind::HEADERS => Payload::Headers(headers::Headers::decode(h, payload)?),
            kind::PRIORITY => Payload::Priority(priority::Priority::decode(h, payload)?),
            kind::RST_STREAM => Payload::RstStream(rst_stream::RstStream::decode(h, payload)?),
            kind::SETTINGS => Payload::Settings(settings::Settings::decode(h, payload)?),
            kind::PUSH_PROMISE => Payload::PushPromise(push_promise::PushPromise::decode(h, payload)?),
            kind::PING => Payload::Ping(ping::Ping::decode(h, payload)?),
            kind::GOAWAY => Payload::Goaway(goaway::Goaway::decode(h, payload)?),
            kind::WINDOW_UPDATE => Payload::WindowUpdate(window_update::WindowUpdate::decode(h, payload)?),
            kind::CONTINUATION => Payload::Continuation(continuation::Continuation::decode(h, payload)?),
            _ => Payload::Unknown(unknown::Unknown::decode(h, payload)?),
        })
    }
}

/// A whole frame: header and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header as written (its `length` may disagree with the payload when encoding).
    pub header: FrameHeader,
    /// The payload.
    pub payload: Payload,
}

impl Frame {
    /// A well-formed frame: header length from the payload.
    pub fn new(kind: u8, flags: u8, stream_id: u32, payload: Payload) -> Frame {
        let length = payload.encode().len() as u32;
        Frame { header: FrameHeader { length, kind, flags, reserved: false, stream_id }, payload }
    }

    /// Header then payload, exactly as held (a `length` override is written as is).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.header.length as usize);
        self.header.encode(&mut out);
        out.extend(self.payload.encode());
        out
    }
}

/// A frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Offset in the input of the frame's first byte.
    pub offset: usize,
    /// The header of the frame being decoded.
    pub header: FrameHeader,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid frame at byte {} ({}): {}", self.offset, self.header, self.message)
    }
}

/// Decodes the frame at the start of `input`: `Ok(None)` when more bytes are needed, else the
/// frame and its size on the wire. `max_len` is the SETTINGS_MAX_FRAME_SIZE in force.
/// `base` is the offset of `input` in the stream, for error messages.
pub fn decode_frame(input: &[u8], max_len: u32, base: usize) -> Result<Option<(Frame, usize)>, FrameError> {
    let Some(head) = input.first_chunk::<HEADER_LEN>() else { return Ok(None) };
    let header = FrameHeader::parse(head);
    if header.length > max_len {
        return Err(FrameError {
            offset: base,
            header,
            message: format!("length {} exceeds SETTINGS_MAX_FRAME_SIZE {max_len}", header.length),
        });
    }
    let total = HEADER_LEN + header.length as usize;
    if input.len() < total {
        return Ok(None);
    }
    let payload = Payload::decode(&header, &input[HEADER_LEN..total]).map_err(|message| FrameError { offset: base, header, message })?;
    Ok(Some((Frame { header, payload }, total)))
}

/// Frame-size check shared by fixed-size payloads.
pub(crate) fn need_len(what: &str, payload: &[u8], n: usize) -> Result<(), String> {
    if payload.len() != n {
        return Err(format!("{what} payload must be {n} bytes, is {}", payload.len()));
    }
    Ok(())
}

/// A one-line description of a frame for transcripts.
pub fn describe(frame: &Frame) -> String {
    let h = &frame.header;
    let extra = match &frame.payload {
        Payload::RstStream(r) => format!(" error={}", error_name(r.code)),
        Payload::Goaway(g) => {
            let debug = if g.debug.is_empty() { String::new() } else { format!(" debug={}", crate::transcript::escape(&g.debug, 80)) };
            format!(" last_stream={} error={}{debug}", g.last_stream_id, error_name(g.code))
        }
        Payload::WindowUpdate(w) => format!(" increment={}", w.increment),
        Payload::Settings(s) => {
            let p: Vec<String> = s.params.iter().map(|(id, v)| format!("{}={v}", settings::name(*id))).collect();
            if p.is_empty() {
                String::new()
            } else {
                format!(" [{}]", p.join(", "))
            }
        }
        Payload::Ping(p) => format!(" data={}", crate::transcript::escape(&p.data, 16)),
        Payload::PushPromise(p) => format!(" promised={}", p.promised_id),
        Payload::Priority(p) => format!(
            " depends_on={} weight={}{}",
            p.fields.dependency,
            p.fields.weight as u32 + 1,
            if p.fields.exclusive { " exclusive" } else { "" }
        ),
        _ => String::new(),
    };
    format!("{h}{extra}")
}

#[cfg(test)]
mod tests;
