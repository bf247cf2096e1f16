//! Frame specs, requests and header blocks into bytes.

use crate::case::h2::{BlockSpec, FrameSpec, H2Request, HpackRep, IndexingSpec, NameOrNumber, PrioritySpec, Raw};
use crate::wire::h2::hpack::{self, Indexing, Name, Rep};
use crate::wire::h2::{self as wire, flag, kind, settings, Frame, Padding, Payload, PriorityFields};

use super::DEFAULT_PING;
use crate::run::driver::Substitutions;
use crate::run::util::split_block;

// Sending

pub(super) fn raw_frame(kind: u8, flags: u8, stream: u32, payload: Payload, raw: &Raw) -> Frame {
    let mut f = Frame::new(kind, raw.flags.unwrap_or(flags) | raw.extra_flags, stream, payload);
    if let Some(len) = raw.length {
        f.header.length = len;
    }
    f.header.reserved = raw.reserved;
    f
}

pub(super) fn error_code(e: &Option<NameOrNumber>, default: u32) -> Result<u32, String> {
    match e {
        None => Ok(default),
        Some(e) => e.resolve(|s| wire::error_by_name(s).map(u64::from), u32::MAX as u64, "error code").map(|c| c as u32),
    }
}

pub(super) fn padding(padding: Option<u8>, pad_length: Option<u8>) -> Option<Padding> {
    if padding.is_none() && pad_length.is_none() {
        return None;
    }
    let n = padding.unwrap_or(0);
    Some(Padding { len: pad_length.unwrap_or(n), bytes: vec![0; n as usize] })
}

pub(super) fn priority_fields(p: &PrioritySpec) -> Result<PriorityFields, String> {
    let weight = p.weight.unwrap_or(16);
    if !(1..=256).contains(&weight) {
        return Err(format!("weight {weight} is not in 1..=256"));
    }
    Ok(PriorityFields { exclusive: p.exclusive, dependency: p.depends_on, weight: (weight - 1) as u8 })
}

pub(super) fn hpack_reps(reps: &[HpackRep], subs: &Substitutions) -> Result<Vec<Rep>, String> {
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

pub(super) fn fields_note(b: &BlockSpec, subs: &Substitutions) -> Option<String> {
    b.fields.as_ref().map(|f| format!("[{}]", f.iter().map(|(n, v)| format!("{n}: {}", subs.apply(v))).collect::<Vec<_>>().join(", ")))
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
        // Need the peer's settings: the driver encodes them (see `H2Client::encode`).
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
