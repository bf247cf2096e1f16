//! decode_frame over a stream of arbitrary bytes, as a connection reads it: fed whole and in
//! two pieces gives the same frames and the same error. Every decoded frame re-encodes to bytes
//! that decode to the same frame.
#![no_main]
use libfuzzer_sys::fuzz_target;
use peerspec::wire::h2::{decode_frame, Frame, FrameError};

fn run(input: &[u8], cut: usize, max_len: u32) -> (Vec<Frame>, Option<FrameError>, usize) {
    let mut frames = vec![];
    let mut buf: Vec<u8> = vec![];
    let mut base = 0;
    for piece in [&input[..cut], &input[cut..]] {
        buf.extend_from_slice(piece);
        loop {
            match decode_frame(&buf, max_len, base) {
                Ok(Some((frame, used))) => {
                    assert!(used <= buf.len());
                    buf.drain(..used);
                    base += used;
                    frames.push(frame);
                }
                Ok(None) => break,
                Err(e) => return (frames, Some(e), base),
            }
        }
    }
    (frames, None, base)
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    // Small frame-size limits too, so the limit check is reached.
    let max_len = match sel & 3 {
        0 => 16_384,
        1 => 64,
        2 => 0,
        _ => (1 << 24) - 1,
    };
    let cut = (sel >> 2) as usize * 13 % (input.len() + 1);
    let whole = run(input, input.len(), max_len);
    let split = run(input, cut, max_len);
    assert_eq!(whole, split, "cut at {cut}");
    for frame in &whole.0 {
        let bytes = frame.encode();
        let (again, used) = decode_frame(&bytes, (1 << 24) - 1, 0).expect("re-encoded frame decodes").expect("whole frame");
        assert_eq!(used, bytes.len());
        assert_eq!(&again, frame);
    }
});
