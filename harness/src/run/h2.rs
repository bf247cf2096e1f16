//! HTTP/2 in the runner: frame specs into bytes, and expectations into [`Check`]s that read the
//! peer's frames.
//!
//! Connection state that must change exactly once per received frame (the HPACK dynamic table,
//! a header block split over CONTINUATION frames, frames set aside for a later step) lives in a
//! [`Reader`]. Each check works on its own clone, re-reading the unread input from that clone on
//! every poll, so polling is a pure function of the input and `any_of` alternatives cannot
//! disturb each other; the driver takes the reader of the check that passed. Frames a check is
//! not about are either housekeeping (SETTINGS, PING, WINDOW_UPDATE, PRIORITY, unknown types:
//! used up, with SETTINGS and PING acknowledged by the driver) or stream frames, which are set
//! aside in the reader's backlog for the step that is about them, so concurrent streams can be
//! checked one after the other whatever the interleaving.

use std::collections::VecDeque;

use crate::case::h2::{
    BlockSpec, FrameSpec, H2Request, H2ResponseExpect, HpackRep, IndexingSpec, NameOrNumber, PrioritySpec, Raw, StreamEnd,
};
use crate::case::{Case, Expect, OneOrMany, Send};
use crate::transcript::escape;
use crate::wire::h2::hpack::{self, Decoder, Indexing, Name, Rep};
use crate::wire::h2::{self as wire, flag, kind, settings, Frame, FrameHeader, Padding, Payload, PriorityFields};

use super::check::{annotated, Annotated, Check, Verdict};
use super::driver::{Driver, Substitutions, Units};
use super::fields::differ;
use super::h2_errors::{ConnectionErrorMatcher, StreamErrorMatcher};
use super::sse::EventStreamFollower;

/// The INITIAL_WINDOW_SIZE peerspec announces, and the connection window it opens, so flow
/// control never stalls a response unless a case asks for it.
pub const BIG_WINDOW: u32 = 1 << 30;
/// PING data sent when a case gives none.
pub const DEFAULT_PING: &[u8; 8] = b"peerspec";

// ---------------------------------------------------------------------------------------------
// Sending

fn raw_frame(kind: u8, flags: u8, stream: u32, payload: Payload, raw: &Raw) -> Frame {
    let mut f = Frame::new(kind, raw.flags.unwrap_or(flags) | raw.extra_flags, stream, payload);
    if let Some(len) = raw.length {
        f.header.length = len;
    }
    f.header.reserved = raw.reserved;
    f
}

fn error_code(e: &Option<NameOrNumber>, default: u32) -> Result<u32, String> {
    match e {
        None => Ok(default),
        Some(e) => e.resolve(|s| wire::error_by_name(s).map(u64::from), u32::MAX as u64, "error code").map(|c| c as u32),
    }
}

fn padding(padding: Option<u8>, pad_length: Option<u8>) -> Option<Padding> {
    if padding.is_none() && pad_length.is_none() {
        return None;
    }
    let n = padding.unwrap_or(0);
    Some(Padding { len: pad_length.unwrap_or(n), bytes: vec![0; n as usize] })
}

fn priority_fields(p: &PrioritySpec) -> Result<PriorityFields, String> {
    let weight = p.weight.unwrap_or(16);
    if !(1..=256).contains(&weight) {
        return Err(format!("weight {weight} is not in 1..=256"));
    }
    Ok(PriorityFields { exclusive: p.exclusive, dependency: p.depends_on, weight: (weight - 1) as u8 })
}

fn hpack_reps(reps: &[HpackRep], subs: &Substitutions) -> Result<Vec<Rep>, String> {
    reps.iter()
        .map(|r| {
            Ok(match r {
                HpackRep::Indexed(i) => Rep::Indexed(*i),
                HpackRep::SizeUpdate(n) => Rep::SizeUpdate(*n),
                HpackRep::Literal(l) => {
                    let name = match (&l.name, l.index) {
                        (Some(n), None) => Name::Literal { name: n.as_bytes().to_vec(), huffman: l.huffman },
                        (None, Some(i)) => Name::Index(i),
                        _ => return Err("an HPACK literal takes exactly one of `name` and `index`".to_string()),
                    };
                    let indexing = match l.indexing {
                        IndexingSpec::Incremental => Indexing::Incremental,
                        IndexingSpec::Without => Indexing::Without,
                        IndexingSpec::Never => Indexing::Never,
                    };
                    Rep::Literal { name, value: subs.apply(&l.value).into_bytes(), huffman: l.huffman, indexing }
                }
            })
        })
        .collect()
}

/// The bytes of a header block given as fields, HPACK representations or bytes.
pub fn block_bytes(b: &BlockSpec, subs: &Substitutions) -> Result<Vec<u8>, String> {
    let given = [b.fields.is_some(), b.hpack.is_some(), b.block.is_some()].iter().filter(|x| **x).count();
    if given > 1 {
        return Err("a header block takes one of `fields`, `hpack` and `block`".into());
    }
    if let Some(f) = &b.fields {
        let list: Vec<(String, String)> = f.iter().map(|(n, v)| (n.clone(), subs.apply(v))).collect();
        return Ok(hpack::encode(&hpack::reps_for(&list, b.huffman)));
    }
    if let Some(reps) = &b.hpack {
        return Ok(hpack::encode(&hpack_reps(reps, subs)?));
    }
    match &b.block {
        Some(bytes) => bytes.to_bytes(),
        None => Ok(vec![]),
    }
}

/// A frame to send and its transcript label.
pub(super) fn labelled(f: Frame, note: Option<String>) -> (String, Vec<u8>) {
    let mut label = wire::describe(&f);
    if let Some(n) = note {
        label.push(' ');
        label.push_str(&n);
    }
    (label, f.encode())
}

fn fields_note(b: &BlockSpec, subs: &Substitutions) -> Option<String> {
    b.fields.as_ref().map(|f| format!("[{}]", f.iter().map(|(n, v)| format!("{n}: {}", subs.apply(v))).collect::<Vec<_>>().join(", ")))
}

/// Splits `block` into `parts` pieces (the first may be empty only when the block is).
fn split_block(block: &[u8], parts: usize) -> Vec<Vec<u8>> {
    let size = block.len().div_ceil(parts).max(1);
    let mut out: Vec<Vec<u8>> = block.chunks(size).map(<[u8]>::to_vec).collect();
    out.resize(parts, vec![]);
    out
}

/// Encodes one frame spec (HEADERS with `continuations` gives several frames).
pub fn encode_frame(spec: &FrameSpec, subs: &Substitutions, tls: bool) -> Result<Vec<(String, Vec<u8>)>, String> {
    Ok(match spec {
        FrameSpec::Preface => vec![("connection preface".to_string(), wire::PREFACE.to_vec())],
        FrameSpec::Data(d) => {
            let data = d.data.as_ref().map(|b| b.to_bytes()).transpose()?.unwrap_or_default();
            let pad = padding(d.padding, d.pad_length);
            let flags = if d.end_stream { flag::END_STREAM } else { 0 } | if pad.is_some() { flag::PADDED } else { 0 };
            vec![labelled(raw_frame(kind::DATA, flags, d.stream, Payload::Data(wire::data::Data { data, padding: pad }), &d.raw), None)]
        }
        FrameSpec::Headers(h) => {
            let mut spec = BlockSpec { fields: h.fields.clone(), hpack: h.hpack.clone(), block: h.block.clone(), huffman: h.huffman };
            if h.request {
                if spec.hpack.is_some() || spec.block.is_some() {
                    return Err("`request: true` combines with `fields` only".into());
                }
                let mut fields: indexmap::IndexMap<String, String> =
                    [(":method", "GET"), (":scheme", if tls { "https" } else { "http" }), (":authority", "{host}"), (":path", "{path}")]
                        .into_iter()
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect();
                fields.extend(spec.fields.take().unwrap_or_default());
                spec.fields = Some(fields);
            }
            let block = block_bytes(&spec, subs)?;
            let parts = split_block(&block, h.continuations + 1);
            let pad = padding(h.padding, h.pad_length);
            let priority = h.priority.as_ref().map(priority_fields).transpose()?;
            let flags = if h.end_stream { flag::END_STREAM } else { 0 }
                | if h.end_headers && h.continuations == 0 { flag::END_HEADERS } else { 0 }
                | if pad.is_some() { flag::PADDED } else { 0 }
                | if priority.is_some() { flag::PRIORITY } else { 0 };
            let payload = Payload::Headers(wire::headers::Headers { padding: pad, priority, fragment: parts[0].clone() });
            let mut out = vec![labelled(raw_frame(kind::HEADERS, flags, h.stream, payload, &h.raw), fields_note(&spec, subs))];
            for (i, part) in parts.iter().enumerate().skip(1) {
                let last = i == h.continuations;
                let flags = if last && h.end_headers { flag::END_HEADERS } else { 0 };
                let payload = Payload::Continuation(wire::continuation::Continuation { fragment: part.clone() });
                out.push(labelled(Frame::new(kind::CONTINUATION, flags, h.stream, payload), None));
            }
            out
        }
        FrameSpec::Priority(p) => {
            let fields = priority_fields(&PrioritySpec { depends_on: p.depends_on, weight: p.weight, exclusive: p.exclusive })?;
            vec![labelled(raw_frame(kind::PRIORITY, 0, p.stream, Payload::Priority(wire::priority::Priority { fields }), &p.raw), None)]
        }
        FrameSpec::RstStream(r) => {
            let code = error_code(&r.error, 8)?;
            vec![labelled(raw_frame(kind::RST_STREAM, 0, r.stream, Payload::RstStream(wire::rst_stream::RstStream { code }), &r.raw), None)]
        }
        FrameSpec::Settings(s) => {
            let params = s
                .params
                .iter()
                .map(|(n, v)| settings::by_name(n).map(|id| (id, *v)).ok_or_else(|| format!("unknown setting {n:?}")))
                .collect::<Result<Vec<_>, _>>()?;
            let flags = if s.ack { flag::ACK } else { 0 };
            let payload = Payload::Settings(wire::settings::Settings { params, trailing: vec![] });
            vec![labelled(raw_frame(kind::SETTINGS, flags, s.stream, payload, &s.raw), None)]
        }
        FrameSpec::PushPromise(p) => {
            let spec = BlockSpec { fields: p.fields.clone(), ..Default::default() };
            let fragment = block_bytes(&spec, subs)?;
            let flags = if p.end_headers { flag::END_HEADERS } else { 0 };
            let payload =
                Payload::PushPromise(wire::push_promise::PushPromise { padding: None, reserved: false, promised_id: p.promised, fragment });
            vec![labelled(raw_frame(kind::PUSH_PROMISE, flags, p.stream, payload, &p.raw), fields_note(&spec, subs))]
        }
        FrameSpec::Ping(p) => {
            let data = p.data.as_ref().map(|b| b.to_bytes()).transpose()?.unwrap_or_else(|| DEFAULT_PING.to_vec());
            let flags = if p.ack { flag::ACK } else { 0 };
            vec![labelled(raw_frame(kind::PING, flags, p.stream, Payload::Ping(wire::ping::Ping { data }), &p.raw), None)]
        }
        FrameSpec::Goaway(g) => {
            let code = error_code(&g.error, 0)?;
            let debug = g.debug.as_ref().map(|b| b.to_bytes()).transpose()?.unwrap_or_default();
            let payload = Payload::Goaway(wire::goaway::Goaway { last_stream_id: g.last_stream, code, debug });
            vec![labelled(raw_frame(kind::GOAWAY, 0, g.stream, payload, &g.raw), None)]
        }
        FrameSpec::WindowUpdate(w) => {
            let payload = Payload::WindowUpdate(wire::window_update::WindowUpdate { increment: w.increment });
            vec![labelled(raw_frame(kind::WINDOW_UPDATE, 0, w.stream, payload, &w.raw), None)]
        }
        FrameSpec::Continuation(c) => {
            let spec = BlockSpec { fields: c.fields.clone(), hpack: c.hpack.clone(), block: c.block.clone(), huffman: false };
            let fragment = block_bytes(&spec, subs)?;
            let flags = if c.end_headers { flag::END_HEADERS } else { 0 };
            let payload = Payload::Continuation(wire::continuation::Continuation { fragment });
            vec![labelled(raw_frame(kind::CONTINUATION, flags, c.stream, payload, &c.raw), fields_note(&spec, subs))]
        }
        FrameSpec::Raw(r) => {
            let k = r.kind.resolve(|s| wire::kind_by_name(s).map(u64::from), 255, "frame type")? as u8;
            let payload = r.payload.as_ref().map(|b| b.to_bytes()).transpose()?.unwrap_or_default();
            let mut f = Frame::new(k, r.flags, r.stream, Payload::Unknown(wire::unknown::Unknown { payload }));
            f.header.reserved = r.reserved;
            if let Some(len) = r.length {
                f.header.length = len;
            }
            vec![(format!("{} (raw)", f.header), f.encode())]
        }
        // Need the peer's settings: the driver encodes them (see `H2Driver::encode`).
        FrameSpec::ExceedConcurrentStreams(_) | FrameSpec::ExceedMaxFrameSize(_) => vec![],
    })
}

/// A DATA or HEADERS frame whose payload is one octet over `max` (the peer's
/// SETTINGS_MAX_FRAME_SIZE): DATA filled with `a`; HEADERS a complete block of `:status: 200`
/// and an `x-pad` field, PADDED to the length.
pub fn oversize_frame(o: &crate::case::h2::OversizeSpec, max: u32) -> Result<(String, Vec<u8>), String> {
    let k = o.kind.resolve(|s| wire::kind_by_name(s).map(u64::from), 255, "frame type")? as u8;
    // The largest value SETTINGS_MAX_FRAME_SIZE may take is 2^24-1 (RFC 9113 §6.5.2): past it,
    // no frame can be over the limit (the Length field has 24 bits).
    if max >= (1 << 24) - 1 {
        return Err(format!("the peer's SETTINGS_MAX_FRAME_SIZE is {max}: no frame can be longer"));
    }
    let want = max as usize + 1;
    let (flags, payload) = match k {
        kind::DATA => (0, vec![b'a'; want]),
        kind::HEADERS => {
            // A block somewhat shorter than the frame, PADDED with the rest (the literal's
            // length prefix takes a few octets, so the block alone is never exactly `want`).
            let fields = [(":status".to_string(), "200".to_string()), ("x-pad".to_string(), "a".repeat(want - 32))];
            let block = hpack::encode(&hpack::reps_for(&fields, false));
            let padding = want - 1 - block.len();
            let mut payload = vec![padding as u8];
            payload.extend(block);
            payload.resize(want, 0);
            (flag::END_HEADERS | flag::PADDED, payload)
        }
        _ => return Err("`exceed_max_frame_size` sends DATA or HEADERS".into()),
    };
    let mut f = Frame::new(k, flags, o.stream, Payload::Unknown(wire::unknown::Unknown { payload }));
    f.header.length = want as u32;
    Ok((format!("{} ({want} octets, over the peer's SETTINGS_MAX_FRAME_SIZE {max})", f.header), f.encode()))
}

/// The frames of a request: HEADERS, DATA frames of at most 16384 bytes, trailers.
pub fn encode_request(r: &H2Request, stream: u32, subs: &Substitutions, tls: bool) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut fields: Vec<(String, String)> = vec![
        (":method".into(), r.method.clone().unwrap_or_else(|| "GET".into())),
        (":scheme".into(), r.scheme.clone().unwrap_or_else(|| if tls { "https" } else { "http" }.into())),
        (":authority".into(), subs.apply(r.authority.as_deref().unwrap_or("{host}"))),
        (":path".into(), subs.apply(r.path.as_deref().unwrap_or("{path}"))),
    ];
    fields.retain(|(n, _)| !r.omit.contains(n));
    fields.extend(r.headers.iter().map(|(n, v)| (n.clone(), subs.apply(v))));
    let body = r.body.as_ref().map(|b| b.to_bytes()).transpose()?;
    let has_body = body.as_ref().is_some_and(|b| !b.is_empty());
    let has_trailers = !r.trailers.is_empty();
    let end_on_headers = r.end_stream && !has_body && !has_trailers;
    let block = hpack::encode(&hpack::reps_for(&fields, r.huffman));
    let flags = flag::END_HEADERS | if end_on_headers { flag::END_STREAM } else { 0 };
    let headers = Frame::new(
        kind::HEADERS,
        flags,
        stream,
        Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment: block }),
    );
    let note = format!("[{}]", fields.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>().join(", "));
    let mut out = vec![labelled(headers, Some(note))];
    if let Some(body) = body.filter(|b| !b.is_empty()) {
        let chunks: Vec<&[u8]> = body.chunks(wire::DEFAULT_MAX_FRAME_SIZE as usize).collect();
        for (i, c) in chunks.iter().enumerate() {
            let last = i + 1 == chunks.len();
            let flags = if last && r.end_stream && !has_trailers { flag::END_STREAM } else { 0 };
            out.push(labelled(
                Frame::new(kind::DATA, flags, stream, Payload::Data(wire::data::Data { data: c.to_vec(), padding: None })),
                None,
            ));
        }
    }
    if has_trailers {
        let list: Vec<(String, String)> = r.trailers.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        let block = hpack::encode(&hpack::reps_for(&list, r.huffman));
        let flags = flag::END_HEADERS | if r.end_stream { flag::END_STREAM } else { 0 };
        let f = Frame::new(
            kind::HEADERS,
            flags,
            stream,
            Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment: block }),
        );
        out.push(labelled(f, Some("(trailers)".into())));
    }
    Ok(out)
}

fn dummy_subs() -> Substitutions {
    Substitutions { path: "/".into(), host: "localhost".into(), ws_path: "/ws".into() }
}

/// Load-time check of a frame spec: it must encode.
pub fn validate_frame(spec: &FrameSpec) -> Result<(), String> {
    encode_frame(spec, &dummy_subs(), false).map(|_| ())
}

/// Load-time check of a request.
pub fn validate_request(r: &H2Request) -> Result<(), String> {
    encode_request(r, 1, &dummy_subs(), false).map(|_| ())
}

/// Load-time check of the HTTP/2 parts of an expectation.
pub fn validate_expect(e: &Expect) -> Result<(), String> {
    if let Some(f) = &e.frame {
        FrameMatcher::new(f)?;
    }
    if let Some(r) = &e.h2_response {
        ResponseMatcher::new(r, 1)?;
    }
    if let Some(c) = &e.connection_error {
        codes(c.parts().0)?;
    }
    if let Some(s) = &e.stream_error {
        codes(&s.error)?;
        s.response_class()?;
    }
    if let Some(p) = &e.ping_ack {
        if let Some(d) = &p.data {
            d.to_bytes()?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Receiving

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
    fn is_stream_frame(&self) -> bool {
        matches!(self.header().kind, kind::DATA | kind::HEADERS | kind::RST_STREAM | kind::PUSH_PROMISE)
    }
}

/// What a connection remembers between frames received.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The HPACK decoder shared by every header block the peer sends.
    pub hpack: Decoder,
    /// A header block waiting for CONTINUATION frames: the opening frame and the fragments so far.
    open_block: Option<(Frame, Vec<u8>)>,
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
            max_header_bytes: super::Caps::default().max_header_bytes,
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

/// What a matcher makes of one event.
pub(super) enum Seen {
    /// Used up: not about anyone (housekeeping) or part of what the matcher reads.
    Take,
    /// Not about this step: set aside for a later one.
    Keep,
    /// The expectation is met.
    Pass,
    /// The expectation cannot be met.
    Fail(String),
}

/// One HTTP/2 expectation, fed the peer's frames in order.
pub(super) trait Matcher: std::marker::Send {
    fn on_event(&mut self, ev: &Event) -> Seen;
    /// The peer closed with nothing more to read.
    fn on_close(&mut self) -> Result<(), String>;
    fn describe(&self) -> String;
    fn box_clone(&self) -> Box<dyn Matcher>;
    /// Everything received so far has been read and the peer is still connected: a final
    /// verdict if the matcher can give one now (after a PING barrier), else wait.
    fn on_idle(&self) -> Option<String> {
        None
    }
    /// While pending: what has arrived and what is still awaited, when the matcher is past its
    /// first state (for the timeout message).
    fn progress(&self) -> Option<String> {
        None
    }
    /// After passing: which of the allowed behaviours the peer chose, for the transcript.
    fn note(&self) -> Option<String> {
        None
    }
    /// The stream this matcher found on the wire rather than was told (a request's).
    fn matched_stream(&self) -> Option<u32> {
        None
    }
}

/// What a matcher does with a frame it is not about.
pub(super) fn default_seen(ev: &Event, waiting_for: &str) -> Seen {
    if ev.header().kind == kind::PUSH_PROMISE {
        return Seen::Fail(format!(
            "the peer sent {}: a client never may (RFC 9113 §8.4), and to peerspec as the client it may not either, its SETTINGS_ENABLE_PUSH being 0 (§6.5.2)",
            wire::describe(&ev.frame)
        ));
    }
    if ev.header().kind == kind::GOAWAY {
        return Seen::Fail(format!("the peer sent {} while peerspec waited for {waiting_for}", wire::describe(&ev.frame)));
    }
    if ev.is_stream_frame() {
        Seen::Keep
    } else {
        Seen::Take
    }
}

/// An HTTP/2 check: a matcher over the frames decoded from a clone of the connection's reader.
pub struct H2Check {
    start: Reader,
    matcher: Box<dyn Matcher>,
    units: Vec<Annotated>,
    /// Where the last pending poll stopped: the input only grows between polls of one wait, so
    /// the next poll resumes there instead of re-reading every frame (same result, linear time).
    resume: Option<Progress>,
    /// The reader after the check passed, for the driver to take.
    pub passed: Option<Reader>,
    /// The stream the matcher that passed was about, when it found it on the wire (a request
    /// the client opened).
    pub matched_stream: Option<u32>,
}

struct Progress {
    reader: Reader,
    matcher: Box<dyn Matcher>,
    kept: VecDeque<Event>,
    units: Vec<Annotated>,
    pos: usize,
    seen: usize,
}

impl H2Check {
    pub(super) fn new(start: Reader, matcher: Box<dyn Matcher>) -> H2Check {
        H2Check { start, matcher, units: vec![], resume: None, passed: None, matched_stream: None }
    }
}

impl Check for H2Check {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        let (mut reader, mut matcher, mut kept, mut units, mut pos) = match self.resume.take() {
            Some(p) if input.len() >= p.seen => (p.reader, p.matcher, p.kept, p.units, p.pos),
            _ => (self.start.clone(), self.matcher.box_clone(), VecDeque::new(), vec![], 0),
        };
        let verdict = loop {
            let ev = match reader.backlog.pop_front() {
                Some(ev) => ev,
                None => match reader.next(input, &mut pos, &mut units) {
                    Ok(Some(ev)) => ev,
                    Ok(None) if eof => match matcher.on_close() {
                        Ok(()) => {
                            if let Some(note) = matcher.note() {
                                units.push(annotated(input.len(), 0, note));
                            }
                            break Verdict::Pass { consumed: input.len(), units: units.clone() };
                        }
                        Err(why) => break Verdict::Fail(format!("{why}{}", partial_frame(input.len() - pos))),
                    },
                    Ok(None) => match matcher.on_idle() {
                        Some(why) => break Verdict::Fail(why),
                        None => break Verdict::Pending,
                    },
                    Err(why) => break Verdict::Fail(why),
                },
            };
            match matcher.on_event(&ev) {
                Seen::Take => {}
                Seen::Keep if kept.len() >= MAX_KEPT_FRAMES => {
                    break Verdict::Fail(format!(
                        "the peer sent over {MAX_KEPT_FRAMES} frames for streams no step has asked about yet while peerspec waited for {}; peerspec stops reading",
                        matcher.describe()
                    ))
                }
                Seen::Keep => kept.push_back(ev),
                Seen::Pass => {
                    if let Some(note) = matcher.note() {
                        units.push(annotated(pos, 0, note));
                    }
                    break Verdict::Pass { consumed: pos, units: units.clone() };
                }
                Seen::Fail(why) => break Verdict::Fail(why),
            }
        };
        self.units = units.clone();
        match verdict {
            Verdict::Pass { .. } => {
                kept.extend(reader.backlog.drain(..));
                reader.backlog = kept;
                self.passed = Some(reader);
                self.matched_stream = matcher.matched_stream();
            }
            Verdict::Pending => self.resume = Some(Progress { reader, matcher, kept, units, pos, seen: input.len() }),
            Verdict::Fail(_) => {}
        }
        verdict
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        let seen = self.units.iter().map(|u| u.unit.as_str()).collect::<Vec<_>>();
        let (shown, more) = (seen.len().min(20), seen.len().saturating_sub(20));
        let seen = match (seen.is_empty(), more) {
            (true, _) => "no frames".to_string(),
            (false, 0) => seen.join("; "),
            (false, more) => format!("{}; … and {more} more frames", seen[..shown].join("; ")),
        };
        let pos = self.resume.as_ref().map_or(0, |p| p.pos);
        // The matcher as far as it got, not as it started: its state says what is still awaited.
        let matcher = self.resume.as_ref().map_or(&self.matcher, |p| &p.matcher);
        let waiting = match matcher.progress() {
            Some(progress) => format!("timed out: {progress}"),
            None => format!("timed out waiting for {}", matcher.describe()),
        };
        Verdict::Fail(format!("{waiting}; saw {seen}{}", partial_frame(input.len().saturating_sub(pos))))
    }
    fn release(&mut self) -> Option<super::check::Released> {
        // Whole frames already read are done with: drop them from the input, rebase the rest.
        let progress = self.resume.as_mut()?;
        if progress.pos == 0 {
            return None;
        }
        let len = progress.pos;
        let units = std::mem::take(&mut progress.units);
        progress.pos = 0;
        progress.seen -= len;
        self.units.clear();
        Some(super::check::Released { len, units })
    }
    fn describe(&self) -> String {
        self.resume.as_ref().map_or(&self.matcher, |p| &p.matcher).describe()
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        self.units.clone()
    }
    fn answers_request(&self) -> bool {
        false
    }
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

/// `"; N bytes of an incomplete frame received"` when a frame was cut short, else nothing.
fn partial_frame(rest: usize) -> String {
    if rest == 0 {
        String::new()
    } else {
        format!("; {rest} bytes of an incomplete frame received")
    }
}

/// A content-length value as a number: one decimal value, or a list of equal ones (`5, 5`);
/// `None` when it is anything else.
pub(super) fn content_length(value: &str) -> Option<u64> {
    let mut values = value.split(',').map(|v| v.trim());
    let first = values.next()?;
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = first.parse::<u64>().ok()?;
    values.all(|v| v == first).then_some(n)
}

pub(super) fn codes(c: &OneOrMany<NameOrNumber>) -> Result<Vec<u32>, String> {
    c.as_slice().iter().map(|e| error_code(&Some(e.clone()), 0)).collect()
}

pub(super) fn code_list(c: &[u32]) -> String {
    c.iter().map(|c| wire::error_name(*c)).collect::<Vec<_>>().join(" or ")
}

fn flag_bits(k: u8, names: &[String]) -> Result<u8, String> {
    let mut bits = 0;
    for n in names {
        let upper = n.to_ascii_uppercase();
        let b = match upper.as_str() {
            "END_STREAM" if matches!(k, kind::DATA | kind::HEADERS) => flag::END_STREAM,
            "ACK" if matches!(k, kind::SETTINGS | kind::PING) => flag::ACK,
            "END_HEADERS" if matches!(k, kind::HEADERS | kind::PUSH_PROMISE | kind::CONTINUATION) => flag::END_HEADERS,
            "PADDED" if matches!(k, kind::DATA | kind::HEADERS | kind::PUSH_PROMISE) => flag::PADDED,
            "PRIORITY" if k == kind::HEADERS => flag::PRIORITY,
            _ => match wire::parse_int(&upper).and_then(|v| u8::try_from(v).ok()) {
                Some(v) => v,
                None => return Err(format!("flag {n:?} is not defined for {}", wire::kind_name(k))),
            },
        };
        bits |= b;
    }
    Ok(bits)
}

#[derive(Clone)]
struct FrameMatcher {
    kind: u8,
    stream: Option<u32>,
    flags: u8,
    flags_absent: u8,
    errors: Option<Vec<u32>>,
    data: Option<Vec<u8>>,
}

impl FrameMatcher {
    fn new(f: &crate::case::h2::FrameExpect) -> Result<FrameMatcher, String> {
        let k = f.kind.resolve(|s| wire::kind_by_name(s).map(u64::from), 255, "frame type")? as u8;
        Ok(FrameMatcher {
            kind: k,
            stream: f.stream,
            flags: flag_bits(k, &f.flags)?,
            flags_absent: flag_bits(k, &f.flags_absent)?,
            errors: f.error.as_ref().map(codes).transpose()?,
            data: f.data.as_ref().map(|d| d.to_bytes()).transpose()?,
        })
    }
}

impl Matcher for FrameMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = ev.header();
        let acked = matches!(self.kind, kind::SETTINGS | kind::PING);
        let mine = h.kind == self.kind
            && self.stream.is_none_or(|s| s == h.stream_id)
            && (!acked || (h.flags & flag::ACK) == (self.flags & flag::ACK));
        if !mine {
            return default_seen(ev, &self.describe());
        }
        let mut problems = vec![];
        if h.flags & self.flags != self.flags {
            problems.push(format!("flags {} must be set", wire::flags_name(h.kind, self.flags & !h.flags)));
        }
        if h.flags & self.flags_absent != 0 {
            problems.push(format!("flags {} must not be set", wire::flags_name(h.kind, h.flags & self.flags_absent)));
        }
        let code = match &ev.frame.payload {
            Payload::RstStream(r) => Some(r.code),
            Payload::Goaway(g) => Some(g.code),
            _ => None,
        };
        if let (Some(allowed), Some(code)) = (&self.errors, code) {
            if !allowed.contains(&code) {
                problems.push(format!("error code {} (expected {})", wire::error_name(code), code_list(allowed)));
            }
        }
        let data = match &ev.frame.payload {
            Payload::Data(d) => Some(&d.data),
            Payload::Ping(p) => Some(&p.data),
            _ => None,
        };
        if let (Some(want), Some(got)) = (&self.data, data) {
            if want != got {
                problems.push(format!("data {} (expected {})", escape(got, 64), escape(want, 64)));
            }
        }
        if problems.is_empty() {
            Seen::Pass
        } else {
            Seen::Fail(format!("{}: {}", wire::describe(&ev.frame), problems.join("; ")))
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err(format!("the peer closed the connection before sending {}", self.describe()))
    }
    fn describe(&self) -> String {
        let mut s = wire::kind_name(self.kind);
        if let Some(id) = self.stream {
            s.push_str(&format!(" on stream {id}"));
        }
        if self.flags != 0 {
            s.push_str(&format!(" with {}", wire::flags_name(self.kind, self.flags)));
        }
        s
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

#[derive(Clone)]
struct ResponseMatcher {
    stream: u32,
    expect: H2ResponseExpect,
    rst_codes: Option<Vec<u32>>,
    body_want: Option<Vec<u8>>,
    headers: Option<Vec<(String, String)>>,
    trailers: Option<Vec<(String, String)>>,
    body: Vec<u8>,
    /// DATA bytes received on the stream, kept or not.
    body_len: u64,
    /// Body bytes kept for checks (`--max-body-kept`); the rest are counted in `body_len`.
    max_body_kept: usize,
    data_frames: usize,
    /// The body followed as an event stream, when the case expects one.
    events: Option<EventStreamFollower>,
    /// The request was HEAD: its response has no content, whatever its content-length says.
    head_request: bool,
}

impl ResponseMatcher {
    fn new(e: &H2ResponseExpect, stream: u32) -> Result<ResponseMatcher, String> {
        Ok(ResponseMatcher {
            stream: e.stream.unwrap_or(stream),
            expect: e.clone(),
            rst_codes: e.rst_error.as_ref().map(codes).transpose()?,
            body_want: e.body.as_ref().map(|b| b.to_bytes()).transpose()?,
            headers: None,
            trailers: None,
            body: vec![],
            body_len: 0,
            max_body_kept: super::Caps::default().max_body_kept,
            data_frames: 0,
            events: e.event_stream.as_ref().map(|_| EventStreamFollower::default()),
            head_request: false,
        })
    }

    /// For a stream expected to stay open: whether its events have all arrived; then it is
    /// judged without waiting for END_STREAM.
    fn open_stream_ready(&mut self) -> bool {
        let (Some(follower), Some(expect)) = (&mut self.events, &self.expect.event_stream) else { return false };
        follower.follow(&self.body);
        expect.open && follower.has_events_for(expect)
    }

    /// `end`: how the stream ended, or `None` for an event stream judged while still open.
    fn judge(&self, end: Option<StreamEnd>, rst: Option<u32>) -> Seen {
        let mut problems = vec![];
        let get = field_value;
        if let (Some(follower), Some(expect)) = (&self.events, &self.expect.event_stream) {
            let mut follower = follower.clone();
            follower.follow(&self.body);
            problems.extend(follower.compare(expect, end.is_some()));
        }
        let Some(end) = end else {
            if let Some(allowed) = &self.expect.ends_with {
                let want = allowed.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or ");
                differ(&mut problems, "stream end", want, "the stream still open".into());
            }
            return self.judge_head(problems, get);
        };
        let mut differ = |what: &str, expected: String, saw: String| differ(&mut problems, what, expected, saw);
        let allowed_ends = self.expect.ends_with.as_ref();
        let end_ok = match allowed_ends {
            Some(a) => a.allows(&end),
            None => end != StreamEnd::RstStream,
        };
        if !end_ok {
            let want = allowed_ends
                .map(|a| a.as_slice().iter().map(|e| e.name()).collect::<Vec<_>>().join(" or "))
                .unwrap_or_else(|| "END_STREAM".into());
            let saw = match rst {
                Some(c) => format!("RST_STREAM {}", wire::error_name(c)),
                None => end.name().to_string(),
            };
            differ("stream end", want, saw);
        }
        if let (Some(code), Some(allowed)) = (rst, &self.rst_codes) {
            if !allowed.contains(&code) {
                differ("RST_STREAM error", code_list(allowed), wire::error_name(code));
            }
        }
        let kept = if self.body_len > self.body.len() as u64 {
            format!(", {} of them kept for checks (--max-body-kept), the rest counted and dropped", self.body.len())
        } else {
            String::new()
        };
        if let Some(want) = &self.body_want {
            if want != &self.body || !kept.is_empty() {
                differ(
                    "body",
                    format!("{} ({} B)", escape(want, 200), want.len()),
                    format!("{} ({} B{kept})", escape(&self.body, 200), self.body_len),
                );
            }
        }
        if let Some(n) = self.expect.body_length {
            if n as u64 != self.body_len {
                differ("body length", n.to_string(), self.body_len.to_string());
            }
        }
        if let Some(n) = self.expect.data_frames {
            if n != self.data_frames {
                differ("DATA frames", n.to_string(), self.data_frames.to_string());
            }
        }
        for (n, v) in &self.expect.trailers {
            match get(&self.trailers, n) {
                Some(got) if &got == v => {}
                Some(got) => differ(&format!("trailer {n}"), format!("{v:?}"), format!("{got:?}")),
                None => differ(&format!("trailer {n}"), format!("{v:?}"), "no such trailer".into()),
            }
        }
        if end != StreamEnd::RstStream {
            problems.extend(self.content_length_problem());
        }
        self.judge_head(problems, get)
    }

    /// RFC 9113 §8.1.1: a response whose content-length differs from the DATA received is
    /// malformed, and "Clients MUST NOT accept a malformed response" — unless it has no content
    /// by definition (a response to HEAD, 204, 304; RFC 9110 §6.4.1).
    fn content_length_problem(&self) -> Option<String> {
        let status = field_value(&self.headers, ":status").and_then(|s| s.parse::<u16>().ok());
        if self.head_request || matches!(status, Some(204 | 304)) {
            return None;
        }
        let cl = field_value(&self.headers, "content-length")?;
        (content_length(&cl) != Some(self.body_len)).then(|| {
            format!(
                "  content-length {cl:?} with {} bytes of DATA: a malformed response (RFC 9113 §8.1.1: \"A request or response is also malformed if the value of a content-length header field does not equal the sum of the DATA frame payload lengths that form the content\"; \"Clients MUST NOT accept a malformed response.\")",
                self.body_len
            )
        })
    }

    /// Adds the checks of the response head (:status and fields) to `problems` and decides.
    fn judge_head(&self, mut problems: Vec<String>, get: impl Fn(&Option<Vec<(String, String)>>, &str) -> Option<String>) -> Seen {
        if let Some(s) = &self.expect.status {
            let status = get(&self.headers, ":status");
            if !status.as_deref().and_then(|v| v.parse::<u16>().ok()).is_some_and(|v| s.allows(&v)) {
                let want = s.as_slice().iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" or ");
                differ(&mut problems, ":status", want, status.unwrap_or_else(|| "no :status".into()));
            }
        }
        let fields = self.expect.header_expectations();
        fields.compare(|name| get(&self.headers, name), &mut problems);
        if problems.is_empty() {
            Seen::Pass
        } else {
            Seen::Fail(format!("response on stream {} differs:\n{}", self.stream, problems.join("\n")))
        }
    }
}

impl Matcher for ResponseMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = *ev.header();
        // A graceful GOAWAY that keeps this stream (RFC 9113 §6.8: "Activity on streams numbered
        // lower than or equal to the last stream identifier might still complete successfully").
        if let Payload::Goaway(g) = &ev.frame.payload {
            if g.code == 0 && g.last_stream_id >= self.stream {
                return Seen::Take;
            }
        }
        if h.stream_id != self.stream || h.kind == kind::PUSH_PROMISE {
            return default_seen(ev, &self.describe());
        }
        let end_stream = h.has(flag::END_STREAM);
        match &ev.frame.payload {
            Payload::Headers(_) => {
                let fields = ev.fields.clone().unwrap_or_default();
                if self.headers.is_none() {
                    let informational = fields.iter().any(|(n, v)| n == ":status" && v.starts_with('1') && v.len() == 3);
                    if informational && !end_stream {
                        return Seen::Take;
                    }
                    self.headers = Some(fields);
                    if end_stream {
                        return self.judge(Some(StreamEnd::EndStreamOnHeaders), None);
                    }
                } else {
                    self.trailers = Some(fields);
                    if end_stream {
                        return self.judge(Some(StreamEnd::EndStreamOnTrailers), None);
                    }
                    return Seen::Fail(format!("trailer HEADERS on stream {} without END_STREAM (RFC 9113 §8.1)", self.stream));
                }
                Seen::Take
            }
            Payload::Data(d) => {
                if self.headers.is_none() {
                    return Seen::Fail(format!("DATA on stream {} before any response HEADERS (RFC 9113 §8.1)", self.stream));
                }
                self.body_len += d.data.len() as u64;
                let room = self.max_body_kept.saturating_sub(self.body.len());
                let kept = d.data.len().min(room);
                self.body.extend_from_slice(&d.data[..kept]);
                if let (Some(follower), true) = (&mut self.events, kept < d.data.len()) {
                    // Events past the kept body are still parsed, as they stream through.
                    follower.follow(&self.body);
                    follower.feed(&d.data[kept..]);
                }
                self.data_frames += 1;
                if end_stream {
                    return self.judge(Some(StreamEnd::EndStreamOnData), None);
                }
                if self.open_stream_ready() {
                    return self.judge(None, None);
                }
                Seen::Take
            }
            Payload::RstStream(r) => self.judge(Some(StreamEnd::RstStream), Some(r.code)),
            _ => default_seen(ev, &self.describe()),
        }
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err(format!("the peer closed the connection before the response on stream {} ended", self.stream))
    }
    fn describe(&self) -> String {
        format!("the response on stream {}", self.stream)
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

#[derive(Clone)]
struct PingAckMatcher {
    data: Vec<u8>,
    quiet: Vec<u32>,
}

impl Matcher for PingAckMatcher {
    fn on_event(&mut self, ev: &Event) -> Seen {
        let h = ev.header();
        match &ev.frame.payload {
            Payload::Ping(p) if h.has(flag::ACK) && p.data == self.data => return Seen::Pass,
            Payload::RstStream(_) => {
                return Seen::Fail(format!("the peer sent {} before acknowledging the PING", wire::describe(&ev.frame)));
            }
            _ => {}
        }
        if h.stream_id != 0 && self.quiet.contains(&h.stream_id) {
            return Seen::Fail(format!(
                "the peer sent {} on stream {}, which must stay quiet (e.g. after END_STREAM, RFC 9113 §5.1)",
                wire::describe(&ev.frame),
                h.stream_id
            ));
        }
        default_seen(ev, &self.describe())
    }
    fn on_close(&mut self) -> Result<(), String> {
        Err("the peer closed the connection instead of acknowledging the PING".into())
    }
    fn describe(&self) -> String {
        format!("PING ACK with data {}", escape(&self.data, 16))
    }
    fn box_clone(&self) -> Box<dyn Matcher> {
        Box::new(self.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// The driver

/// HTTP/2 state a case carries between steps.
/// The server role ([`super::h2_server::H2Server`]) wraps this driver for everything that does not
/// depend on the role: reading frames, raw `frames`, PING barriers, connection and stream errors.
pub struct H2Driver {
    subs: Substitutions,
    pub(super) reader: Reader,
    pub(super) greet: bool,
    tls: bool,
    next_stream: u32,
    /// The stream expectations default to.
    pub(super) last_stream: Option<u32>,
    last_ping: Vec<u8>,
    /// Data of a PING sent and not yet seen acknowledged by a passing check: the barrier error
    /// expectations use to fail fast.
    pub(super) barrier: Option<Vec<u8>>,
    /// The run's caps (field block size, body kept).
    pub(super) caps: super::Caps,
    /// Streams whose request was HEAD (their responses have no content).
    head_streams: Vec<u32>,
    /// Streams peerspec has sent END_STREAM on (its side ended): a response with END_STREAM
    /// then closes them, which `stream_error`'s `or_response` needs to know.
    ended_streams: Vec<u32>,
}

impl H2Driver {
    /// A driver for one case.
    pub fn new(subs: Substitutions) -> H2Driver {
        H2Driver {
            subs,
            reader: Reader::default(),
            greet: true,
            tls: false,
            next_stream: 1,
            last_stream: None,
            last_ping: DEFAULT_PING.to_vec(),
            barrier: None,
            caps: Default::default(),
            head_streams: vec![],
            ended_streams: vec![],
        }
    }

    fn note_sent(&mut self, spec: &FrameSpec) -> Result<(), String> {
        match spec {
            FrameSpec::Ping(p) if !p.ack => {
                self.last_ping = p.data.as_ref().map(|b| b.to_bytes()).transpose()?.unwrap_or_else(|| DEFAULT_PING.to_vec());
                self.barrier = Some(self.last_ping.clone());
            }
            // Flow control: count what the frame opens, generously (malformations aside).
            FrameSpec::WindowUpdate(w) => {
                let payload = Payload::WindowUpdate(wire::window_update::WindowUpdate { increment: w.increment & 0x7fff_ffff });
                self.reader.flow.sent(&Frame::new(kind::WINDOW_UPDATE, 0, w.stream, payload));
            }
            FrameSpec::Settings(st) if !st.ack => {
                if let Some(v) =
                    st.params.iter().filter(|(n, _)| settings::by_name(n) == Some(settings::INITIAL_WINDOW_SIZE)).map(|(_, v)| *v).max()
                {
                    let payload =
                        Payload::Settings(wire::settings::Settings { params: vec![(settings::INITIAL_WINDOW_SIZE, v)], trailing: vec![] });
                    self.reader.flow.sent(&Frame::new(kind::SETTINGS, 0, 0, payload));
                }
            }
            FrameSpec::Data(d) if d.end_stream => self.ended(d.stream),
            FrameSpec::Headers(h) => {
                if h.end_stream {
                    self.ended(h.stream);
                }
                if h.fields.as_ref().and_then(|f| f.get(":method")).is_some_and(|m| m == "HEAD") {
                    self.head_streams.push(h.stream);
                }
                self.last_stream = Some(h.stream);
                if h.stream % 2 == 1 && h.stream >= self.next_stream {
                    self.next_stream = h.stream + 2;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// peerspec's side of `stream` has ended (bounded: the streams of one connection).
    fn ended(&mut self, stream: u32) {
        if !self.ended_streams.contains(&stream) && self.ended_streams.len() < MAX_KEPT_FRAMES {
            self.ended_streams.push(stream);
        }
    }
}

impl H2Driver {
    /// One request more than the peer's SETTINGS_MAX_CONCURRENT_STREAMS, none ending its stream.
    fn exceed_concurrency(&mut self, e: &crate::case::h2::ExceedSpec) -> Result<Units, String> {
        let Some(limit) = self.reader.peer_max_concurrent_streams else {
            return Err("the peer announced no SETTINGS_MAX_CONCURRENT_STREAMS (or no step has read its SETTINGS yet: \
                        expect its SETTINGS frame first)"
                .into());
        };
        if limit > 1000 {
            return Err(format!("the peer allows {limit} concurrent streams; peerspec opens at most 1001"));
        }
        let mut out = vec![];
        for _ in 0..=limit {
            let stream = self.next_stream;
            let request =
                H2Request { stream: Some(stream), method: e.method.clone(), path: e.path.clone(), end_stream: false, ..Default::default() };
            // No body and no END_STREAM: the HEADERS frame alone, the stream left open.
            let mut frames = encode_request(&request, stream, &self.subs, self.tls)?;
            frames.truncate(1);
            out.extend(frames);
            self.last_stream = Some(stream);
            self.next_stream += 2;
        }
        Ok(out)
    }
}

impl Driver for H2Driver {
    fn prepare(&mut self, case: &Case, tls: bool) {
        self.greet = case.preface.unwrap_or(true);
        self.tls = tls;
    }

    fn negotiated(&mut self, tls_alpn: Option<Option<Vec<u8>>>) -> Result<(), String> {
        match tls_alpn {
            None => Ok(()),
            Some(Some(alpn)) if alpn == b"h2" => Ok(()),
            Some(alpn) => Err(format!(
                "the TLS server did not select h2 through ALPN (it selected {}): HTTP/2 over TLS is negotiated with ALPN h2 (RFC 9113 §3.2)",
                alpn.map(|a| format!("{:?}", String::from_utf8_lossy(&a))).unwrap_or_else(|| "no protocol".into())
            )),
        }
    }

    fn on_connect(&mut self) -> Result<Units, String> {
        self.reader = Reader { max_header_bytes: self.caps.max_header_bytes, ..Reader::default() };
        self.next_stream = 1;
        self.last_stream = None;
        self.barrier = None;
        self.head_streams.clear();
        self.ended_streams.clear();
        if !self.greet {
            return Ok(vec![]);
        }
        let mut out = vec![("connection preface".into(), wire::PREFACE.to_vec())];
        out.extend(self.reader.greeting(&[(settings::ENABLE_PUSH, 0)]));
        Ok(out)
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::Frames(frames) => {
                let mut out = vec![];
                for f in frames {
                    if let FrameSpec::ExceedConcurrentStreams(e) = f {
                        out.extend(self.exceed_concurrency(e)?);
                        continue;
                    }
                    if let FrameSpec::ExceedMaxFrameSize(o) = f {
                        let max = self.reader.peer_max_frame_size.unwrap_or(wire::DEFAULT_MAX_FRAME_SIZE);
                        out.push(oversize_frame(o, max)?);
                        continue;
                    }
                    out.extend(encode_frame(f, &self.subs, self.tls)?);
                    self.note_sent(f)?;
                }
                Ok(out)
            }
            Send::H2Request(r) => {
                let stream = r.stream.unwrap_or(self.next_stream);
                let out = encode_request(r, stream, &self.subs, self.tls)?;
                if r.method.as_deref() == Some("HEAD") {
                    self.head_streams.push(stream);
                }
                if r.end_stream {
                    self.ended(stream);
                }
                self.last_stream = Some(stream);
                if stream % 2 == 1 && stream >= self.next_stream {
                    self.next_stream = stream + 2;
                }
                Ok(out)
            }
            _ => Err("this send step is not one HTTP/2 knows (use `frames` or `h2_request`)".into()),
        }
    }

    fn check(&mut self, expect: &Expect) -> Result<Box<dyn Check>, String> {
        let stream = self.last_stream.unwrap_or(1);
        let matcher: Box<dyn Matcher> = if let Some(f) = &expect.frame {
            Box::new(FrameMatcher::new(f)?)
        } else if let Some(r) = &expect.h2_response {
            let m = ResponseMatcher::new(r, stream)?;
            let head_request = self.head_streams.contains(&m.stream);
            Box::new(ResponseMatcher { max_body_kept: self.caps.max_body_kept, head_request, ..m })
        } else if let Some(c) = &expect.connection_error {
            Box::new(ConnectionErrorMatcher::new(c, self.barrier.clone())?)
        } else if let Some(s) = &expect.stream_error {
            Box::new(StreamErrorMatcher::new(s, stream, self.barrier.clone(), &self.ended_streams)?)
        } else if let Some(p) = &expect.ping_ack {
            let data = p.data.as_ref().map(|d| d.to_bytes()).transpose()?.unwrap_or_else(|| self.last_ping.clone());
            Box::new(PingAckMatcher { data, quiet: p.quiet_streams.clone() })
        } else {
            return Err("this expectation is not one HTTP/2 knows".into());
        };
        Ok(Box::new(H2Check::new(self.reader.clone(), matcher)))
    }

    fn set_caps(&mut self, caps: &super::Caps) {
        self.caps = *caps;
        self.reader.max_header_bytes = caps.max_header_bytes;
    }

    fn unread_is_fine(&mut self, input: &[u8]) -> bool {
        self.reader.only_whole_frames(input)
    }

    fn passed(&mut self, check: &mut dyn Check) -> Units {
        let Some(c) = check.as_any_mut().and_then(|a| a.downcast_mut::<H2Check>()) else { return vec![] };
        if let Some(r) = c.passed.take() {
            self.reader = r;
            // Whatever PING was outstanding has been answered or overtaken by this step.
            self.barrier = None;
        }
        std::mem::take(&mut self.reader.replies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(k: u8, flags: u8, stream: u32, payload: Payload) -> Vec<u8> {
        Frame::new(k, flags, stream, payload).encode()
    }

    fn headers(stream: u32, flags: u8, fields: &[(&str, &str)]) -> Vec<u8> {
        let list: Vec<(String, String)> = fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        let fragment = hpack::encode(&hpack::reps_for(&list, true));
        frame(kind::HEADERS, flags, stream, Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment }))
    }

    fn data(stream: u32, flags: u8, d: &[u8]) -> Vec<u8> {
        frame(kind::DATA, flags, stream, Payload::Data(wire::data::Data { data: d.to_vec(), padding: None }))
    }

    fn response(stream: u32) -> ResponseMatcher {
        ResponseMatcher::new(&H2ResponseExpect { stream: Some(stream), status: Some(OneOrMany::One(200)), ..Default::default() }, stream)
            .unwrap()
    }

    #[test]
    fn a_graceful_goaway_that_keeps_the_stream_does_not_fail_its_response() {
        let goaway =
            |last, code| frame(kind::GOAWAY, 0, 0, Payload::Goaway(wire::goaway::Goaway { last_stream_id: last, code, debug: vec![] }));
        let mut input = goaway(1, 0);
        input.extend(headers(1, flag::END_HEADERS, &[(":status", "200")]));
        input.extend(data(1, flag::END_STREAM, b"ok"));
        assert!(matches!(H2Check::new(Reader::default(), Box::new(response(1))).poll(&input, false), Verdict::Pass { .. }));
        // One that leaves the stream out, or carries an error, still fails the wait.
        for (last, code) in [(0, 0), (1, 1)] {
            let mut input = goaway(last, code);
            input.extend(headers(1, flag::END_HEADERS, &[(":status", "200")]));
            assert!(matches!(H2Check::new(Reader::default(), Box::new(response(1))).poll(&input, false), Verdict::Fail(_)));
        }
    }

    #[test]
    fn interleaved_streams_are_read_one_after_the_other() {
        let mut input = vec![];
        input.extend(frame(kind::SETTINGS, 0, 0, Payload::Settings(Default::default())));
        input.extend(headers(3, flag::END_HEADERS, &[(":status", "200")]));
        input.extend(headers(1, flag::END_HEADERS, &[(":status", "200")]));
        input.extend(data(3, 0, b"ab"));
        input.extend(data(1, flag::END_STREAM, b"one"));
        input.extend(data(3, flag::END_STREAM, b"cd"));
        // Stream 1 first: stream 3's frames are set aside.
        let mut c1 = H2Check::new(Reader::default(), Box::new(response(1)));
        for cut in 0..input.len() {
            assert!(!matches!(c1.poll(&input[..cut], false), Verdict::Pass { .. }) || cut >= input.len() - 13);
        }
        let Verdict::Pass { consumed, .. } = c1.poll(&input, false) else { panic!() };
        let reader = c1.passed.take().unwrap();
        assert_eq!(reader.backlog.len(), 2);
        assert_eq!(reader.replies.len(), 1, "SETTINGS are acknowledged");
        let rest = &input[consumed..];
        let mut c3 = H2Check::new(reader, Box::new(response(3)));
        assert!(matches!(c3.poll(rest, false), Verdict::Pass { .. }));
    }

    #[test]
    fn polling_byte_by_byte_gives_the_same_verdict_and_units_as_polling_once() {
        let mut input = frame(kind::SETTINGS, 0, 0, Payload::Settings(Default::default()));
        input.extend(headers(3, flag::END_HEADERS, &[(":status", "200")]));
        input.extend(headers(1, flag::END_HEADERS, &[(":status", "200"), ("x-a", "b")]));
        input.extend(data(3, flag::END_STREAM, b"three"));
        input.extend(data(1, 0, b"o"));
        input.extend(data(1, flag::END_STREAM, b"ne"));
        let mut whole = H2Check::new(Reader::default(), Box::new(response(1)));
        let once = whole.poll(&input, false);
        let mut step = H2Check::new(Reader::default(), Box::new(response(1)));
        let mut last = Verdict::Pending;
        for end in 0..=input.len() {
            last = step.poll(&input[..end], false);
            if end < input.len() {
                assert_eq!(last, Verdict::Pending, "at {end}");
            }
        }
        assert_eq!(last, once);
        assert!(matches!(once, Verdict::Pass { consumed, .. } if consumed == input.len()));
        assert_eq!(step.passed.unwrap().backlog.len(), 2);
    }

    #[test]
    fn releasing_read_frames_while_pending_gives_the_same_verdict_and_counts_the_body() {
        let mut input = headers(1, flag::END_HEADERS, &[(":status", "200")]);
        for _ in 0..200 {
            input.extend(data(1, 0, &[b'x'; 100]));
        }
        input.extend(data(1, flag::END_STREAM, b"end"));
        let expect = H2ResponseExpect { stream: Some(1), body_length: Some(20_003), ..Default::default() };
        let matcher = ResponseMatcher { max_body_kept: 1000, ..ResponseMatcher::new(&expect, 1).unwrap() };
        let mut check = H2Check::new(Reader::default(), Box::new(matcher));
        let (mut buf, mut released, mut fed) = (Vec::new(), 0, 0);
        let verdict = loop {
            let next = (fed + 333).min(input.len());
            buf.extend_from_slice(&input[fed..next]);
            fed = next;
            match check.poll(&buf, false) {
                Verdict::Pending => {}
                v => break v,
            }
            if let Some(r) = check.release() {
                assert!(r.units.iter().all(|u| u.offset + u.len <= r.len), "units lie in the released bytes");
                released += r.len;
                buf.drain(..r.len);
            }
        };
        assert!(matches!(verdict, Verdict::Pass { consumed, .. } if consumed + released == input.len()), "{verdict:?}");
        assert!(released > input.len() / 2, "{released}");
        // The same body with `body` expected: only 1000 bytes were kept, and the failure says so.
        let expect = H2ResponseExpect { stream: Some(1), body: Some(crate::case::BytesSpec::Text("y".into())), ..Default::default() };
        let matcher = ResponseMatcher { max_body_kept: 1000, ..ResponseMatcher::new(&expect, 1).unwrap() };
        let mut check = H2Check::new(Reader::default(), Box::new(matcher));
        let Verdict::Fail(why) = check.poll(&input, false) else { panic!("the body differs") };
        assert!(why.contains("(20003 B, 1000 of them kept for checks (--max-body-kept)"), "{why}");
    }

    #[test]
    fn a_stream_ended_by_rst_stream_is_checked_for_its_code() {
        let mut input = headers(1, flag::END_HEADERS, &[(":status", "200")]);
        input.extend(frame(kind::RST_STREAM, 0, 1, Payload::RstStream(wire::rst_stream::RstStream { code: 8 })));
        let expect = |codes: &str| H2ResponseExpect {
            ends_with: Some(OneOrMany::One(StreamEnd::RstStream)),
            rst_error: Some(OneOrMany::One(NameOrNumber::Name(codes.into()))),
            ..Default::default()
        };
        let mut c = H2Check::new(Reader::default(), Box::new(ResponseMatcher::new(&expect("CANCEL"), 1).unwrap()));
        assert!(matches!(c.poll(&input, false), Verdict::Pass { .. }));
        let mut c = H2Check::new(Reader::default(), Box::new(ResponseMatcher::new(&expect("PROTOCOL_ERROR"), 1).unwrap()));
        assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("RST_STREAM error: expected PROTOCOL_ERROR, saw CANCEL")));
        // Without `ends_with`, a reset stream fails.
        let mut c = H2Check::new(Reader::default(), Box::new(response(1)));
        assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("RST_STREAM CANCEL")));
    }

    #[test]
    fn data_beyond_the_flow_control_window_fails() {
        let mut input = headers(1, flag::END_HEADERS, &[(":status", "200")]);
        input.extend(data(1, 0, &[b'x'; 16_000]));
        input.extend(data(1, flag::END_STREAM, &[b'x'; 16_000]));
        let mut reader = Reader::default();
        reader.flow.initial_max = 20_000;
        let mut c = H2Check::new(reader.clone(), Box::new(response(1)));
        assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("32000 bytes of DATA on stream 1, more than the 20000")));
        reader.flow.stream_increments.insert(1, 12_000);
        let mut c = H2Check::new(reader.clone(), Box::new(response(1)));
        assert!(matches!(c.poll(&input, false), Verdict::Pass { .. }));
        reader.flow.connection_allowed = 30_000;
        let mut c = H2Check::new(reader, Box::new(response(1)));
        assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("on the connection")));
    }

    #[test]
    fn ping_barrier_fails_on_frames_of_a_quiet_stream() {
        let mut input = data(1, 0, b"late");
        input.extend(frame(kind::PING, flag::ACK, 0, Payload::Ping(wire::ping::Ping { data: DEFAULT_PING.to_vec() })));
        let m = PingAckMatcher { data: DEFAULT_PING.to_vec(), quiet: vec![1] };
        let mut c = H2Check::new(Reader::default(), Box::new(m.clone()));
        assert!(matches!(c.poll(&input, false), Verdict::Fail(w) if w.contains("quiet")));
        let ack = frame(kind::PING, flag::ACK, 0, Payload::Ping(wire::ping::Ping { data: DEFAULT_PING.to_vec() }));
        let mut c = H2Check::new(Reader::default(), Box::new(m));
        assert!(matches!(c.poll(&ack, false), Verdict::Pass { .. }));
    }

    fn conn_error(yaml: &str, barrier: Option<Vec<u8>>) -> H2Check {
        let e: crate::case::h2::ConnectionErrorExpect = serde_norway::from_str(yaml).unwrap();
        H2Check::new(Reader::default(), Box::new(ConnectionErrorMatcher::new(&e, barrier).unwrap()))
    }

    #[test]
    fn connection_error_passes_on_an_allowed_goaway_and_says_which() {
        let goaway = |code| frame(kind::GOAWAY, 0, 0, Payload::Goaway(wire::goaway::Goaway { last_stream_id: 0, code, debug: vec![] }));
        // The GOAWAY decides; the close is §5.4.1's own case (`close: true`).
        let mut c = conn_error("FRAME_SIZE_ERROR", None);
        match c.poll(&goaway(1), false) {
            Verdict::Pass { units, .. } => assert!(units.last().unwrap().unit.contains("a generic code in place of FRAME_SIZE_ERROR")),
            v => panic!("{v:?}"),
        }
        assert!(matches!(conn_error("FRAME_SIZE_ERROR", None).poll(&goaway(6), false), Verdict::Pass { .. }));
        assert!(matches!(conn_error("FRAME_SIZE_ERROR", None).poll(&goaway(2), false), Verdict::Pass { .. }));
        assert!(matches!(conn_error("FRAME_SIZE_ERROR", None).poll(&goaway(5), false), Verdict::Fail(_)));
        // exact: only the named code.
        assert!(matches!(conn_error("{ error: FRAME_SIZE_ERROR, exact: true }", None).poll(&goaway(1), false), Verdict::Fail(_)));
        // close: the GOAWAY, then the TCP close; the timeout says what arrived and what is awaited.
        let mut c = conn_error("{ error: PROTOCOL_ERROR, close: true }", None);
        assert_eq!(c.poll(&goaway(1), false), Verdict::Pending);
        match c.on_deadline(&goaway(1)) {
            Verdict::Fail(why) => assert!(why.contains("GOAWAY") && why.contains("still waiting for the TCP close"), "{why}"),
            v => panic!("{v:?}"),
        }
        let mut c = conn_error("{ error: PROTOCOL_ERROR, close: true }", None);
        assert!(matches!(c.poll(&goaway(1), true), Verdict::Pass { .. }));
        // The close without GOAWAY meets the MUST.
        assert!(matches!(conn_error("PROTOCOL_ERROR", None).poll(b"", true), Verdict::Pass { .. }));
        // A PING ACK for the barrier before any GOAWAY: the error was let pass.
        let ack = frame(kind::PING, flag::ACK, 0, Payload::Ping(wire::ping::Ping { data: DEFAULT_PING.to_vec() }));
        let mut c = conn_error("PROTOCOL_ERROR", Some(DEFAULT_PING.to_vec()));
        assert!(matches!(c.poll(&ack, false), Verdict::Fail(w) if w.contains("let the error pass")));
        // Nothing yet: the timeout names the error awaited.
        match conn_error("PROTOCOL_ERROR", None).on_deadline(b"") {
            Verdict::Fail(why) => assert!(why.contains("timed out waiting for a connection error PROTOCOL_ERROR"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn stream_error_accepts_generic_codes_and_connection_errors() {
        let rst = |code| frame(kind::RST_STREAM, 0, 1, Payload::RstStream(wire::rst_stream::RstStream { code }));
        let goaway = |code| frame(kind::GOAWAY, 0, 0, Payload::Goaway(wire::goaway::Goaway { last_stream_id: 0, code, debug: vec![] }));
        let check = |yaml: &str| {
            let e: crate::case::h2::StreamErrorExpect = serde_norway::from_str(yaml).unwrap();
            H2Check::new(Reader::default(), Box::new(StreamErrorMatcher::new(&e, 1, None, &[]).unwrap()))
        };
        let note = |v: Verdict| match v {
            Verdict::Pass { units, .. } => units.last().unwrap().unit.clone(),
            v => panic!("{v:?}"),
        };
        assert!(note(check("{ error: STREAM_CLOSED }").poll(&rst(5), false)).contains("a stream error (RST_STREAM) with STREAM_CLOSED"));
        assert!(note(check("{ error: STREAM_CLOSED }").poll(&rst(1), false)).contains("generic code in place of STREAM_CLOSED"));
        assert!(note(check("{ error: STREAM_CLOSED }").poll(&goaway(5), false)).contains("a connection error (GOAWAY)"));
        assert!(matches!(check("{ error: STREAM_CLOSED }").poll(&rst(8), false), Verdict::Fail(_)));
        assert!(matches!(check("{ error: STREAM_CLOSED, exact: true }").poll(&rst(1), false), Verdict::Fail(_)));
        assert!(matches!(check("{ error: STREAM_CLOSED }").poll(b"", true), Verdict::Pass { .. }));
    }

    #[test]
    fn an_oversize_frame_is_one_octet_over_the_peers_limit_and_otherwise_valid() {
        let spec = |k: &str| crate::case::h2::OversizeSpec { kind: NameOrNumber::Name(k.into()), stream: 1 };
        for max in [16_384u32, 20_000, 1 << 20] {
            for k in ["DATA", "HEADERS"] {
                let (_, bytes) = oversize_frame(&spec(k), max).unwrap();
                assert_eq!(bytes.len(), 9 + max as usize + 1, "{k} {max}");
                // Over the limit for the peer, and a well-formed frame one octet larger.
                assert!(wire::decode_frame(&bytes, max, 0).is_err());
                let (f, _) = wire::decode_frame(&bytes, max + 1, 0).unwrap().unwrap();
                if let Payload::Headers(h) = &f.payload {
                    let fields = Decoder::default().decode(&h.fragment).unwrap();
                    assert_eq!(fields[0], (b":status".to_vec(), b"200".to_vec()));
                    assert!(f.header.has(flag::END_HEADERS));
                }
            }
        }
        assert!(oversize_frame(&spec("PING"), 16_384).is_err());
        assert!(oversize_frame(&spec("DATA"), (1 << 24) - 1).is_err());
    }

    #[test]
    fn the_peers_max_frame_size_is_read_from_its_settings() {
        let mut r = Reader::default();
        let settings = Payload::Settings(wire::settings::Settings { params: vec![(settings::MAX_FRAME_SIZE, 32_768)], trailing: vec![] });
        let input = frame(kind::SETTINGS, 0, 0, settings);
        let (mut pos, mut units) = (0, vec![]);
        r.next(&input, &mut pos, &mut units).unwrap().unwrap();
        assert_eq!(r.peer_max_frame_size, Some(32_768));
    }

    #[test]
    fn continuation_blocks_are_joined_and_decoded_once() {
        let list = vec![(":status".to_string(), "200".to_string()), ("x-a".to_string(), "b".to_string())];
        let block = hpack::encode(&hpack::reps_for(&list, false));
        let (a, b) = block.split_at(2);
        let mut input =
            frame(kind::HEADERS, 0, 1, Payload::Headers(wire::headers::Headers { padding: None, priority: None, fragment: a.to_vec() }));
        input.extend(frame(
            kind::CONTINUATION,
            flag::END_HEADERS,
            1,
            Payload::Continuation(wire::continuation::Continuation { fragment: b.to_vec() }),
        ));
        input.extend(data(1, flag::END_STREAM, b""));
        let e = H2ResponseExpect { headers: [("x-a".to_string(), "b".to_string())].into_iter().collect(), ..Default::default() };
        let mut c = H2Check::new(Reader::default(), Box::new(ResponseMatcher::new(&e, 1).unwrap()));
        assert!(matches!(c.poll(&input, false), Verdict::Pass { .. }), "{:?}", c.poll(&input, false));
    }
}
