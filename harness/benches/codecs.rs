//! Codec throughput (criterion): the sans-I/O readers fed the way the runner feeds them.
//!
//! `cargo bench --bench codecs`; `ci/bench` runs it and prints a MB/s table. Measurement times
//! are short on purpose (the whole bench runs in about a minute), so figures are indicative.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use peerspec::wire::h2::data::Data;
use peerspec::wire::h2::hpack::{self, Indexing, Name, Rep};
use peerspec::wire::h2::{decode_frame, flag, kind, Frame, Payload, DEFAULT_MAX_FRAME_SIZE};
use peerspec::wire::http1::body::Limits;
use peerspec::wire::http1::chunked::{encode_chunk, last_chunk, ChunkEvent, ChunkedDecoder};
use peerspec::wire::http1::response::{Progress, ResponseReader};
use peerspec::wire::sse::SseParser;
use peerspec::wire::ws::frame::FrameOut;
use peerspec::wire::ws::message::FrameReader;
use peerspec::wire::ws::opcode;

const MIB: usize = 1 << 20;
/// Size of one socket read in the runner's loops (the buffer grows by this much per call).
const READ: usize = 64 * 1024;

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36]).collect()
}

fn chunked_body(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / chunk * 8 + 16);
    for c in body.chunks(chunk) {
        encode_chunk(c, &mut out);
    }
    last_chunk([], &mut out);
    out
}

fn chunked(c: &mut Criterion) {
    let mut g = c.benchmark_group("chunked");
    for (label, total, chunk) in [("16KiB-chunks", 4 * MIB, 16 * 1024), ("16B-chunks", MIB, 16)] {
        let wire = chunked_body(&payload(total), chunk);
        g.throughput(Throughput::Bytes(wire.len() as u64));
        // The decoder alone, given the whole body at once, the data copied out as a body.
        g.bench_with_input(BenchmarkId::new("decoder", label), &wire, |b, wire| {
            b.iter(|| {
                let mut dec = ChunkedDecoder::new();
                let mut body = Vec::with_capacity(wire.len());
                let used = dec
                    .decode(black_box(wire), |e| {
                        if let ChunkEvent::Data { offset, len } = e {
                            body.extend_from_slice(&wire[offset..offset + len])
                        }
                    })
                    .unwrap();
                assert!(dec.is_done());
                black_box((used, body.len()))
            })
        });
        // As the runner reads a response: a buffer growing by one read at a time, the whole
        // buffer handed to the reader on every call.
        let mut message = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        message.extend_from_slice(&wire);
        g.bench_with_input(BenchmarkId::new("response-reader-64KiB-reads", label), &message, |b, message| {
            b.iter(|| {
                let mut reader = ResponseReader::new("GET", Limits::default());
                let mut seen = 0;
                loop {
                    seen = (seen + READ).min(message.len());
                    match reader.advance(black_box(&message[..seen]), false) {
                        Progress::Done { consumed } => break black_box(consumed),
                        Progress::NeedMore => assert!(seen < message.len()),
                        other => panic!("{other:?}"),
                    }
                }
            })
        });
    }
    g.finish();
}

fn h2_data(c: &mut Criterion) {
    let mut g = c.benchmark_group("h2");
    let frame = Frame::new(kind::DATA, 0, 1, Payload::Data(Data { data: payload(16 * 1024), padding: None })).encode();
    let mut wire = Vec::with_capacity(4 * MIB + 4 * 1024);
    for _ in 0..(4 * MIB / (16 * 1024)) {
        wire.extend_from_slice(&frame);
    }
    let last = Frame::new(kind::DATA, flag::END_STREAM, 1, Payload::Data(Data::default())).encode();
    wire.extend_from_slice(&last);
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_with_input(BenchmarkId::new("data-frames", "16KiB"), &wire, |b, wire| {
        b.iter(|| {
            let mut pos = 0;
            let mut frames = 0;
            while let Some((f, used)) = decode_frame(black_box(&wire[pos..]), DEFAULT_MAX_FRAME_SIZE, pos).unwrap() {
                pos += used;
                frames += 1;
                black_box(&f);
            }
            assert_eq!(pos, wire.len());
            frames
        })
    });
    g.finish();
}

/// Twenty fields of a browser request.
fn request_fields(n: usize) -> Vec<(&'static str, String)> {
    vec![
        (":method", "GET".into()),
        (":scheme", "https".into()),
        (":authority", "www.example.com".into()),
        (":path", format!("/assets/app/{n}/bundle.js?v=3f9a2c")),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into()),
        ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".into()),
        ("accept-language", "en-US,en;q=0.5".into()),
        ("accept-encoding", "gzip, deflate, br, zstd".into()),
        ("referer", "https://www.example.com/index.html".into()),
        ("cookie", "session=7f3c9a1b2d4e6f8091a2b3c4d5e6f708; theme=dark; consent=yes".into()),
        ("sec-fetch-dest", "script".into()),
        ("sec-fetch-mode", "no-cors".into()),
        ("sec-fetch-site", "same-origin".into()),
        ("priority", "u=2".into()),
        ("cache-control", "no-cache".into()),
        ("pragma", "no-cache".into()),
        ("te", "trailers".into()),
        ("dnt", "1".into()),
        ("x-request-id", format!("req-{n:08}-4b1d")),
        ("if-none-match", "\"5d41402abc4b2a76b9719d911017c592\"".into()),
    ]
}

/// A header block as a browser's encoder would write it: fields already in the dynamic table
/// indexed, the rest literals with incremental indexing, Huffman-coded values.
fn encode_block(fields: &[(&'static str, String)], table: &mut Vec<(String, String)>, huffman: bool) -> Vec<u8> {
    let mut reps = vec![];
    for (n, v) in fields {
        if let Some(i) = hpack::STATIC_TABLE.iter().position(|(sn, sv)| sn == n && sv == v) {
            reps.push(Rep::Indexed(i as u32 + 1));
        } else if let Some(i) = table.iter().position(|(tn, tv)| tn == n && tv == v) {
            reps.push(Rep::Indexed(62 + i as u32));
        } else {
            let name = match hpack::STATIC_TABLE.iter().position(|(sn, _)| sn == n) {
                Some(i) => Name::Index(i as u32 + 1),
                None => Name::Literal { name: n.as_bytes().to_vec(), huffman },
            };
            reps.push(Rep::Literal { name, value: v.as_bytes().to_vec(), huffman, indexing: Indexing::Incremental });
            table.insert(0, (n.to_string(), v.clone()));
            // Evict as the decoder does (RFC 7541 §4.4), oldest first, at every insertion.
            let mut size = 0;
            table.retain(|(n, v)| {
                size += n.len() + v.len() + 32;
                size <= 4096
            });
        }
    }
    hpack::encode(&reps)
}

fn hpack_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("hpack");
    for huffman in [true, false] {
        // 100 requests on one connection: the first fills the dynamic table (4096 bytes), later
        // ones index it and add their changing fields (:path, x-request-id), evicting old ones.
        let mut table = vec![];
        let blocks: Vec<Vec<u8>> = (0..100).map(|n| encode_block(&request_fields(n), &mut table, huffman)).collect();
        let total: usize = blocks.iter().map(Vec::len).sum();
        // Check that the blocks decode to what was encoded before timing them.
        let mut dec = hpack::Decoder::default();
        for (n, b) in blocks.iter().enumerate() {
            let fields = dec.decode(b).unwrap();
            let want = request_fields(n);
            assert_eq!(fields.len(), want.len());
            for ((fname, fvalue), (wname, wvalue)) in fields.iter().zip(&want) {
                assert_eq!((fname.as_slice(), fvalue.as_slice()), (wname.as_bytes(), wvalue.as_bytes()));
            }
        }
        g.throughput(Throughput::Bytes(total as u64));
        let label = if huffman { "20-fields-huffman" } else { "20-fields-raw" };
        g.bench_with_input(BenchmarkId::new("decode-100-blocks", label), &blocks, |b, blocks| {
            b.iter(|| {
                let mut dec = hpack::Decoder::default();
                let mut n = 0;
                for block in blocks {
                    n += dec.decode(black_box(block)).unwrap().len();
                }
                n
            })
        });
    }
    // One large literal value (a 16 KiB cookie): string decoding on a large payload.
    for huffman in [true, false] {
        let value = String::from_utf8(payload(16 * 1024)).unwrap();
        let block = hpack::encode(&[Rep::Literal {
            name: Name::Index(32),
            value: value.clone().into_bytes(),
            huffman,
            indexing: Indexing::Without,
        }]);
        g.throughput(Throughput::Bytes(block.len() as u64));
        let label = if huffman { "16KiB-huffman" } else { "16KiB-raw" };
        g.bench_with_input(BenchmarkId::new("decode-large-literal", label), &block, |b, block| {
            b.iter(|| {
                let fields = hpack::Decoder::default().decode(black_box(block)).unwrap();
                assert_eq!(fields[0].1.len(), value.len());
                fields
            })
        });
    }
    g.finish();
}

fn ws_frames(c: &mut Criterion) {
    let mut g = c.benchmark_group("ws");
    let frame = FrameOut::new(opcode::BINARY, payload(MIB), Some([0x37, 0xfa, 0x21, 0x3d])).encode().unwrap();
    g.throughput(Throughput::Bytes(frame.len() as u64));
    g.bench_with_input(BenchmarkId::new("parse-unmask", "1MiB-masked"), &frame, |b, frame| {
        b.iter(|| {
            let mut reader = FrameReader::new(u64::MAX >> 1);
            let rec = reader.next(black_box(frame)).unwrap().unwrap();
            black_box(rec.payload.len())
        })
    });
    // As the runner reads: the buffer grows one read at a time and the reader is asked each time.
    g.bench_with_input(BenchmarkId::new("parse-unmask-64KiB-reads", "1MiB-masked"), &frame, |b, frame| {
        b.iter(|| {
            let mut reader = FrameReader::new(u64::MAX >> 1);
            let mut seen = 0;
            loop {
                seen = (seen + READ).min(frame.len());
                if let Some(rec) = reader.next(black_box(&frame[..seen])).unwrap() {
                    break black_box(rec.payload.len());
                }
            }
        })
    });
    let mut buf = payload(MIB);
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function(BenchmarkId::new("apply-mask", "1MiB"), |b| {
        b.iter(|| peerspec::wire::ws::mask::apply_mask(black_box(&mut buf), [0x37, 0xfa, 0x21, 0x3d], 1))
    });
    g.finish();
}

fn sse(c: &mut Criterion) {
    let mut g = c.benchmark_group("sse");
    let mut stream = Vec::new();
    let mut n = 0;
    while stream.len() < 4 * MIB {
        stream.extend_from_slice(
            format!(
                "id: {n}\nevent: tick\ndata: {{\"seq\":{n},\"text\":\"the quick brown fox jumps over the lazy dog\"}}\ndata: second line of event {n}\n\n"
            )
            .as_bytes(),
        );
        if n % 50 == 0 {
            stream.extend_from_slice(b": keep-alive\n\n");
        }
        n += 1;
    }
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_with_input(BenchmarkId::new("parse", "4MiB-16KiB-feeds"), &stream, |b, stream| {
        b.iter(|| {
            let mut p = SseParser::new();
            let mut events = Vec::new();
            for piece in stream.chunks(16 * 1024) {
                p.feed(black_box(piece), &mut events);
            }
            assert_eq!(events.len(), n);
            events.len()
        })
    });
    // Large events: 64 events of one 64 KiB data line each.
    let mut big = Vec::new();
    let line = String::from_utf8(payload(64 * 1024)).unwrap();
    for i in 0..64 {
        big.extend_from_slice(format!("id: {i}\ndata: {line}\n\n").as_bytes());
    }
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_with_input(BenchmarkId::new("parse", "64KiB-events-16KiB-feeds"), &big, |b, big| {
        b.iter(|| {
            let mut p = SseParser::new();
            let mut events = Vec::new();
            for piece in big.chunks(16 * 1024) {
                p.feed(black_box(piece), &mut events);
            }
            assert_eq!(events.len(), 64);
            events.len()
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2)).without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = chunked, h2_data, hpack_decode, ws_frames, sse
}
criterion_main!(benches);
