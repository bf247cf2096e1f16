//! ChunkedDecoder::decode on arbitrary bytes, fed whole and in two pieces: same body, same
//! events (data merged), same outcome.
#![no_main]
use libfuzzer_sys::fuzz_target;
use peerspec::wire::http1::chunked::{ChunkEvent, ChunkedDecoder};

#[derive(Debug, PartialEq)]
struct Outcome {
    body: Vec<u8>,
    events: Vec<ChunkEvent>,
    consumed: usize,
    done: bool,
    /// Where and in what unit it failed (messages may quote the bytes received so far).
    error: Option<(usize, &'static str)>,
}

fn run(input: &[u8], cut: usize) -> Outcome {
    let mut dec = ChunkedDecoder::new();
    let mut out = Outcome { body: vec![], events: vec![], consumed: 0, done: false, error: None };
    let mut buf: Vec<u8> = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        buf.extend_from_slice(piece);
        let snapshot = buf.clone();
        let r = dec.decode(&snapshot, |ev| match ev {
            ChunkEvent::Data { offset, len } => out.body.extend_from_slice(&snapshot[offset..offset + len]),
            other => out.events.push(other),
        });
        match r {
            Ok(used) => {
                assert!(used <= snapshot.len());
                out.consumed += used;
                buf.drain(..used);
            }
            Err(e) => {
                out.error = Some((e.offset, e.unit));
                break;
            }
        }
        if dec.is_done() {
            break;
        }
    }
    if out.error.is_none() {
        assert_eq!(out.consumed, dec.position());
    }
    // On an error the units before it were consumed too, whatever the pieces.
    out.consumed = dec.position();
    out.done = dec.is_done();
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let cut = sel as usize % (input.len() + 1);
    let whole = run(input, input.len());
    let split = run(input, cut);
    assert_eq!(whole, split, "cut at {cut}");
});
