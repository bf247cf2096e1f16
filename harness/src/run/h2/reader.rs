//! Receiving: the peer's frames read once, in order, with the connection state they change.

use std::collections::VecDeque;

use crate::wire::h2::hpack::Decoder;
use crate::wire::h2::{self as wire, flag, kind, settings, Frame, FrameHeader, Payload};

use super::encode::labelled;
use super::BIG_WINDOW;
use crate::run::check::{annotated, Annotated};
use crate::run::driver::Units;

/// A frame the peer sent, with its decoded field list when it completes a header block.
#[derive(Debug, Clone)]
pub struct Event {
    /// The frame (for a block split over CONTINUATION frames: the HEADERS or PUSH_PROMISE).
    pub frame: Frame,
    /// The decoded fields of a complete header block.
    pub fields: Option<Vec<(String, String)>>,
}

impl Event {
    pub(super) fn header(&self) -> &FrameHeader {
        &self.frame.header
    }
    pub(super) fn is_stream_frame(&self) -> bool {
        matches!(self.header().kind, kind::DATA | kind::HEADERS | kind::RST_STREAM | kind::PUSH_PROMISE)
    }
}

/// What a connection remembers between frames received.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The HPACK decoder shared by every header block the peer sends.
    pub hpack: Decoder,
    /// A header block waiting for CONTINUATION frames: the opening frame and the fragments so far.
    pub(super) open_block: Option<(Frame, Vec<u8>)>,
    /// Frames already read that no step has been about yet.
    pub backlog: VecDeque<Event>,
    /// SETTINGS and PING acknowledgements owed to the peer.
    pub replies: Units,
    /// Largest frame we accept (our SETTINGS_MAX_FRAME_SIZE).
    pub max_frame_size: u32,
    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS, once its SETTINGS were read.
    pub peer_max_concurrent_streams: Option<u32>,
    /// The peer's SETTINGS_MAX_FRAME_SIZE, once its SETTINGS announced one.
    pub peer_max_frame_size: Option<u32>,
    /// Flow control (RFC 9113 §6.9): what the peer may send at most, counted generously (every
    /// window increase peerspec sent, the largest initial window it announced), and what it sent.
    pub flow: Flow,
    /// Largest field block (HEADERS or PUSH_PROMISE plus CONTINUATION) read (`--max-header-bytes`).
    pub max_header_bytes: usize,
}

/// Most SETTINGS and PING acknowledgements owed to the peer during one step: past that, a peer
/// is flooding (RFC 9113 §10.5) and the step fails instead of queueing answers without end.
pub const MAX_OWED_ACKS: usize = 1000;

/// Most frames of other streams set aside for later steps during one step (each up to 16 KiB).
pub const MAX_KEPT_FRAMES: usize = 1000;

/// Upper bounds on the DATA the peer may send, and the DATA it sent (frame payload lengths,
/// padding included, as flow control counts them).
#[derive(Debug, Clone)]
pub struct Flow {
    /// 65535 plus every connection WINDOW_UPDATE increment peerspec sent.
    pub connection_allowed: u64,
    /// The largest SETTINGS_INITIAL_WINDOW_SIZE peerspec announced (65535 until it announces one).
    pub initial_max: u64,
    /// Stream WINDOW_UPDATE increments peerspec sent, by stream.
    pub stream_increments: std::collections::HashMap<u32, u64>,
    /// DATA received on the connection.
    pub connection_received: u64,
    /// DATA received, by stream.
    pub stream_received: std::collections::HashMap<u32, u64>,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            connection_allowed: 65_535,
            initial_max: 65_535,
            stream_increments: Default::default(),
            connection_received: 0,
            stream_received: Default::default(),
        }
    }
}

impl Flow {
    /// Counts a DATA frame; an error when it exceeds what peerspec allowed.
    fn receive(&mut self, h: &FrameHeader) -> Result<(), String> {
        let len = h.length as u64;
        self.connection_received += len;
        if self.connection_received > self.connection_allowed {
            return Err(format!(
                "the peer sent {} bytes of DATA on the connection, more than the {} its flow-control window allowed (RFC 9113 §6.9.1)",
                self.connection_received, self.connection_allowed
            ));
        }
        let received = self.stream_received.entry(h.stream_id).or_default();
        *received += len;
        let allowed = self.initial_max + self.stream_increments.get(&h.stream_id).copied().unwrap_or(0);
        if *received > allowed {
            return Err(format!(
                "the peer sent {received} bytes of DATA on stream {}, more than the {allowed} its flow-control window allowed (RFC 9113 §6.9.1)",
                h.stream_id
            ));
        }
        Ok(())
    }

    /// Accounts for a frame peerspec sends.
    pub(super) fn sent(&mut self, frame: &Frame) {
        match &frame.payload {
            Payload::WindowUpdate(w) if frame.header.stream_id == 0 => self.connection_allowed += w.increment as u64,
            Payload::WindowUpdate(w) => *self.stream_increments.entry(frame.header.stream_id).or_default() += w.increment as u64,
            Payload::Settings(s) if !frame.header.has(flag::ACK) => {
                if let Some(v) = s.get(settings::INITIAL_WINDOW_SIZE) {
                    self.initial_max = self.initial_max.max(v as u64);
                }
            }
            _ => {}
        }
    }
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            hpack: Decoder::default(),
            open_block: None,
            backlog: VecDeque::new(),
            replies: vec![],
            max_frame_size: wire::DEFAULT_MAX_FRAME_SIZE,
            peer_max_concurrent_streams: None,
            peer_max_frame_size: None,
            flow: Flow::default(),
            max_header_bytes: crate::run::Caps::default().max_header_bytes,
        }
    }
}

/// The value of field `name` (case-insensitive) in a decoded field list, repeated fields joined
/// with `, `; `None` when the list is missing or has no such field.
pub(super) fn field_value(list: &Option<Vec<(String, String)>>, name: &str) -> Option<String> {
    let vals: Vec<&str> = list.iter().flatten().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
    (!vals.is_empty()).then(|| vals.join(", "))
}

/// A field list as one line for the transcript: `[name: value, …]`.
pub(super) fn fields_text(fields: &[(String, String)]) -> String {
    format!("[{}]", fields.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>().join(", "))
}

impl Reader {
    /// The frames an endpoint greets with after the preface: SETTINGS (INITIAL_WINDOW_SIZE
    /// [`BIG_WINDOW`] and `params`) and a connection WINDOW_UPDATE to the same size, so flow
    /// control never stalls the peer unless a case asks for it. Counted as sent.
    pub fn greeting(&mut self, params: &[(u16, u32)]) -> Units {
        let mut params = params.to_vec();
        params.push((settings::INITIAL_WINDOW_SIZE, BIG_WINDOW));
        // The decoded field section peerspec keeps (RFC 9113 §10.5.1); over it, the case fails.
        params.push((settings::MAX_HEADER_LIST_SIZE, u32::try_from(self.max_header_bytes).unwrap_or(u32::MAX)));
        let settings = Payload::Settings(wire::settings::Settings { params, trailing: vec![] });
        let update = Payload::WindowUpdate(wire::window_update::WindowUpdate { increment: BIG_WINDOW - 65_535 });
        let (settings, update) = (Frame::new(kind::SETTINGS, 0, 0, settings), Frame::new(kind::WINDOW_UPDATE, 0, 0, update));
        self.flow.sent(&settings);
        self.flow.sent(&update);
        vec![labelled(settings, None), labelled(update, None)]
    }

    /// Whether `input` (received after the last step) is fine to leave unread: whole, valid
    /// frames are (the connection's own traffic such as SETTINGS, WINDOW_UPDATE, PING, or the
    /// rest of a stream no step asked about); a partial or invalid frame is not, nor a GOAWAY
    /// with an error code (the peer did object).
    pub fn only_whole_frames(&self, input: &[u8]) -> bool {
        let mut reader = self.clone();
        let (mut pos, mut units) = (0, vec![]);
        loop {
            match reader.next(input, &mut pos, &mut units) {
                Ok(Some(ev)) if matches!(&ev.frame.payload, Payload::Goaway(g) if g.code != 0) => return false,
                Ok(Some(_)) => continue,
                Ok(None) => return pos == input.len() && reader.open_block.is_none(),
                Err(_) => return false,
            }
        }
    }

    /// Reads the next complete event from `input[*pos..]`, annotating each frame in `units`.
    pub(super) fn next(&mut self, input: &[u8], pos: &mut usize, units: &mut Vec<Annotated>) -> Result<Option<Event>, String> {
        loop {
            let Some((frame, used)) = wire::decode_frame(&input[*pos..], self.max_frame_size, *pos).map_err(|e| e.to_string())? else {
                return Ok(None);
            };
            let at = *pos;
            *pos += used;
            let mut label = wire::describe(&frame);
            let h = frame.header;
            if let Some((open, _)) = &self.open_block {
                if h.kind != kind::CONTINUATION || h.stream_id != open.header.stream_id {
                    units.push(annotated(at, used, label.clone()));
                    return Err(format!(
                        "the peer sent {label} in the middle of a header block on stream {} (RFC 9113 §6.10: only CONTINUATION on the same stream may follow)",
                        open.header.stream_id
                    ));
                }
            }
            let block = match &frame.payload {
                Payload::Headers(p) => Some((frame.clone(), p.fragment.clone())),
                Payload::PushPromise(p) => Some((frame.clone(), p.fragment.clone())),
                Payload::Continuation(p) => match self.open_block.take() {
                    Some((open, mut frag)) => {
                        frag.extend_from_slice(&p.fragment);
                        if frag.len() > self.max_header_bytes {
                            units.push(annotated(at, used, label.clone()));
                            return Err(format!(
                                "the peer's field block on stream {} is over {} bytes and still has no END_HEADERS; peerspec stops reading it (--max-header-bytes)",
                                open.header.stream_id, self.max_header_bytes
                            ));
                        }
                        Some((open, frag))
                    }
                    None => {
                        units.push(annotated(at, used, label.clone()));
                        return Err(format!("the peer sent {label} without a header block to continue (RFC 9113 §6.10)"));
                    }
                },
                _ => None,
            };
            if let Some((open, frag)) = block {
                if !h.has(flag::END_HEADERS) {
                    units.push(annotated(at, used, label));
                    self.open_block = Some((open, frag));
                    continue;
                }
                let fields = match self.hpack.decode_bounded(&frag, self.max_header_bytes as u64) {
                    Ok(f) => f
                        .into_iter()
                        .map(|(n, v)| (String::from_utf8_lossy(&n).into_owned(), String::from_utf8_lossy(&v).into_owned()))
                        .collect::<Vec<_>>(),
                    Err(e) => {
                        units.push(annotated(at, used, label));
                        return Err(format!("cannot decode the peer's field block on stream {}: {e}", open.header.stream_id));
                    }
                };
                label.push(' ');
                label.push_str(&fields_text(&fields));
                units.push(annotated(at, used, label));
                return Ok(Some(Event { frame: open, fields: Some(fields) }));
            }
            units.push(annotated(at, used, label));
            if h.kind == kind::DATA {
                self.flow.receive(&h)?;
            }
            if matches!(h.kind, kind::SETTINGS | kind::PING) && !h.has(flag::ACK) && self.replies.len() >= MAX_OWED_ACKS {
                return Err(format!(
                    "the peer sent over {MAX_OWED_ACKS} SETTINGS and PING frames to acknowledge while peerspec waited; peerspec stops reading (a flood, RFC 9113 §10.5)"
                ));
            }
            match &frame.payload {
                Payload::Settings(settings_frame) if !h.has(flag::ACK) => {
                    if let Some(n) = settings_frame.get(settings::MAX_CONCURRENT_STREAMS) {
                        self.peer_max_concurrent_streams = Some(n);
                    }
                    if let Some(n) = settings_frame.get(settings::MAX_FRAME_SIZE) {
                        self.peer_max_frame_size = Some(n);
                    }
                    let ack = Frame::new(kind::SETTINGS, flag::ACK, 0, Payload::Settings(Default::default()));
                    self.replies.push(labelled(ack, None));
                }
                Payload::Ping(p) if !h.has(flag::ACK) => {
                    let ack = Frame::new(kind::PING, flag::ACK, 0, Payload::Ping(p.clone()));
                    self.replies.push(labelled(ack, None));
                }
                _ => {}
            }
            return Ok(Some(Event { frame, fields: None }));
        }
    }
}
