//! The base framing protocol (RFC 6455 §5.2): encoding a frame with every field chosen, and
//! parsing a frame header from received bytes.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! ```

use std::fmt;

use super::mask::apply_mask;
use super::opcode;

/// How the payload length is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthForm {
    /// The shortest form for the length, as RFC 6455 §5.2 requires of senders.
    Minimal,
    /// In the 7-bit field (lengths 0–125).
    Bits7,
    /// 126, then a 16-bit length.
    Bits16,
    /// 127, then a 64-bit length.
    Bits64,
}

impl LengthForm {
    /// The form the RFC requires for `len`.
    pub fn minimal_for(len: u64) -> LengthForm {
        match len {
            0..=125 => LengthForm::Bits7,
            126..=0xFFFF => LengthForm::Bits16,
            _ => LengthForm::Bits64,
        }
    }

    /// The size in bits of the length field (7, 16 or 64).
    pub fn bits(self) -> u8 {
        match self {
            LengthForm::Bits7 | LengthForm::Minimal => 7,
            LengthForm::Bits16 => 16,
            LengthForm::Bits64 => 64,
        }
    }
}

/// A frame to send, every field explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameOut {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the three low bits (RSV1 = 4).
    pub rsv: u8,
    /// The opcode, 0–15 (reserved ones included).
    pub opcode: u8,
    /// The masking key; `None` sends the frame unmasked (MASK bit 0).
    pub mask: Option<[u8; 4]>,
    /// How the length is written.
    pub length_form: LengthForm,
    /// A declared length different from the payload's (a lie); `None` declares the payload's.
    pub declared_len: Option<u64>,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl FrameOut {
    /// A well-formed final frame with a minimal length and the given mask.
    pub fn new(opcode: u8, payload: Vec<u8>, mask: Option<[u8; 4]>) -> Self {
        FrameOut { fin: true, rsv: 0, opcode, mask, length_form: LengthForm::Minimal, declared_len: None, payload }
    }

    /// The wire bytes. Fails only when the length does not fit the chosen form.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let len = self.declared_len.unwrap_or(self.payload.len() as u64);
        let form = match self.length_form {
            LengthForm::Minimal => LengthForm::minimal_for(len),
            f => f,
        };
        let mut out = Vec::with_capacity(14 + self.payload.len());
        out.push(((self.fin as u8) << 7) | ((self.rsv & 7) << 4) | (self.opcode & 0xF));
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        match form {
            LengthForm::Bits7 | LengthForm::Minimal => {
                if len > 125 {
                    return Err(format!("length {len} does not fit the 7-bit form (0-125)"));
                }
                out.push(mask_bit | len as u8);
            }
            LengthForm::Bits16 => {
                if len > 0xFFFF {
                    return Err(format!("length {len} does not fit the 16-bit form (0-65535)"));
                }
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            LengthForm::Bits64 => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        let start = out.len() + if self.mask.is_some() { 4 } else { 0 };
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
        out.extend_from_slice(&self.payload);
        if let Some(key) = self.mask {
            apply_mask(&mut out[start..], key, 0);
        }
        Ok(out)
    }

    /// A one-line description for transcripts: `frame FIN=1 RSV=000 op=text mask=37fa213d len=5`.
    pub fn describe(&self) -> String {
        let len = self.declared_len.unwrap_or(self.payload.len() as u64);
        let mask = match self.mask {
            Some(k) => format!("mask={:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]),
            None => "unmasked".into(),
        };
        let form = match self.length_form {
            LengthForm::Minimal => String::new(),
            f if f == LengthForm::minimal_for(len) => String::new(),
            f => format!(" ({}-bit length, non-minimal)", f.bits()),
        };
        let lie = match self.declared_len {
            Some(d) if d != self.payload.len() as u64 => format!(" (payload {} B)", self.payload.len()),
            _ => String::new(),
        };
        format!("frame FIN={} RSV={:03b} op={} {mask} len={len}{form}{lie}", self.fin as u8, self.rsv & 7, opcode::name(self.opcode & 0xF))
    }
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1–3 as three bits (RSV1 = 4).
    pub rsv: u8,
    /// The opcode.
    pub opcode: u8,
    /// The masking key, when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub len: u64,
    /// The form the length was written in (7, 16 or 64 bits).
    pub length_bits: u8,
    /// Whether that form was the minimal one.
    pub minimal_length: bool,
    /// Header size in bytes (2–14).
    pub header_len: usize,
}

impl FrameHeader {
    /// Header plus payload size.
    pub fn frame_len(&self) -> u64 {
        self.header_len as u64 + self.len
    }

    /// A one-line description for transcripts.
    pub fn describe(&self) -> String {
        let mask = match self.mask {
            Some(k) => format!(" MASKED key={:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]),
            None => String::new(),
        };
        let form = if self.minimal_length { String::new() } else { format!(" ({}-bit length, non-minimal)", self.length_bits) };
        format!("frame FIN={} RSV={:03b} op={}{mask} len={}{form}", self.fin as u8, self.rsv, opcode::name(self.opcode), self.len)
    }
}

/// A frame header that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Offset of the offending byte from the frame's start.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "frame header byte {}: {}", self.offset, self.message)
    }
}

/// Parses the frame header at the start of `buf`: `Ok(None)` when more bytes are needed.
pub fn parse_header(buf: &[u8]) -> Result<Option<FrameHeader>, FrameError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    let masked = b1 & 0x80 != 0;
    let (len, length_bits, mut at) = match b1 & 0x7F {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u16::from_be_bytes([buf[2], buf[3]]) as u64, 16, 4)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let len = u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes"));
            if len >> 63 != 0 {
                return Err(FrameError {
                    offset: 2,
                    message: format!("64-bit payload length 0x{len:016x} has its most significant bit set (RFC 6455 §5.2)"),
                });
            }
            (len, 64, 10)
        }
        n => (n as u64, 7, 2),
    };
    let mask = if masked {
        if buf.len() < at + 4 {
            return Ok(None);
        }
        let key = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        at += 4;
        Some(key)
    } else {
        None
    };
    Ok(Some(FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 7,
        opcode: b0 & 0xF,
        mask,
        len,
        length_bits,
        minimal_length: LengthForm::minimal_for(len).bits() == length_bits,
        header_len: at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(frame: &FrameOut) -> (FrameHeader, Vec<u8>) {
        let bytes = frame.encode().unwrap();
        let h = parse_header(&bytes).unwrap().unwrap();
        assert_eq!(h.frame_len() as usize, bytes.len());
        let mut payload = bytes[h.header_len..].to_vec();
        if let Some(k) = h.mask {
            apply_mask(&mut payload, k, 0);
        }
        (h, payload)
    }

    #[test]
    fn rfc_6455_section_5_7_examples() {
        let f = FrameOut::new(opcode::TEXT, b"Hello".to_vec(), None);
        assert_eq!(f.encode().unwrap(), [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        let f = FrameOut::new(opcode::TEXT, b"Hello".to_vec(), Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(f.encode().unwrap(), [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        let mut first = FrameOut::new(opcode::TEXT, b"Hel".to_vec(), None);
        first.fin = false;
        assert_eq!(first.encode().unwrap(), [0x01, 0x03, 0x48, 0x65, 0x6c]);
        let last = FrameOut::new(opcode::CONTINUATION, b"lo".to_vec(), None);
        assert_eq!(last.encode().unwrap(), [0x80, 0x02, 0x6c, 0x6f]);
        let ping = FrameOut::new(opcode::PING, b"Hello".to_vec(), None);
        assert_eq!(ping.encode().unwrap()[..2], [0x89, 0x05]);
        let f = FrameOut::new(opcode::BINARY, vec![0; 256], None);
        assert_eq!(f.encode().unwrap()[..4], [0x82, 0x7E, 0x01, 0x00]);
        let f = FrameOut::new(opcode::BINARY, vec![0; 65536], None);
        assert_eq!(f.encode().unwrap()[..10], [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn every_length_form_at_its_edges() {
        for (len, bits, header) in [(0, 7, 2), (125, 7, 2), (126, 16, 4), (65535, 16, 4), (65536, 64, 10)] {
            for mask in [None, Some([9, 8, 7, 6])] {
                let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let (h, p) = roundtrip(&FrameOut::new(opcode::BINARY, payload.clone(), mask));
                assert_eq!((h.len, h.length_bits, h.minimal_length), (len as u64, bits, true));
                assert_eq!(h.header_len, header + if mask.is_some() { 4 } else { 0 });
                assert_eq!(p, payload);
            }
        }
    }

    #[test]
    fn non_minimal_lengths_and_every_header_bit() {
        let mut f = FrameOut::new(0xB, b"abc".to_vec(), Some([1, 2, 3, 4]));
        f.fin = false;
        f.rsv = 0b101;
        f.length_form = LengthForm::Bits64;
        let (h, p) = roundtrip(&f);
        assert_eq!((h.fin, h.rsv, h.opcode, h.len, h.length_bits, h.minimal_length), (false, 5, 0xB, 3, 64, false));
        assert_eq!(p, b"abc");
        f.length_form = LengthForm::Bits16;
        assert_eq!(roundtrip(&f).0.length_bits, 16);
        f.length_form = LengthForm::Bits7;
        f.payload = vec![0; 126];
        assert!(f.encode().is_err(), "126 does not fit 7 bits");
        assert!(f.describe().contains("RSV=101 op=reserved-0xB mask=01020304"), "{}", f.describe());
    }

    #[test]
    fn split_at_every_byte_needs_more_until_the_header_is_whole() {
        let f = FrameOut::new(opcode::BINARY, vec![7; 300], Some([1, 2, 3, 4]));
        let bytes = f.encode().unwrap();
        for cut in 0..8 {
            assert_eq!(parse_header(&bytes[..cut]).unwrap(), None, "cut at {cut}");
        }
        assert_eq!(parse_header(&bytes[..8]).unwrap().unwrap().header_len, 8);
        let f = FrameOut { length_form: LengthForm::Bits64, mask: None, ..f };
        let bytes = f.encode().unwrap();
        for cut in 0..10 {
            assert_eq!(parse_header(&bytes[..cut]).unwrap(), None, "cut at {cut}");
        }
    }

    #[test]
    fn length_with_top_bit_set_is_an_error_at_its_offset() {
        let mut bytes = vec![0x82, 0x7F];
        bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
        let e = parse_header(&bytes).unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(e.to_string().contains("most significant bit"), "{e}");
        // A declared length may lie: the header says 2^63-1, no payload follows.
        let f = FrameOut { declared_len: Some(u64::MAX >> 1), length_form: LengthForm::Bits64, ..FrameOut::new(2, vec![], None) };
        assert_eq!(parse_header(&f.encode().unwrap()).unwrap().unwrap().len, u64::MAX >> 1);
    }
}
