//! What the two HTTP/1 reader targets share: how the first input byte chooses the limits and the
//! cut, and the verdict comparing the buffer read whole with the buffer read in two pieces.
use peerspec::wire::http1::response::{Limits, Progress};

/// From the selector byte: the limits (bit 1: a 16-byte kept body, so the cap is exercised) and
/// where to cut an input of `len` bytes.
pub fn limits_and_cut(sel: u8, len: usize) -> (Limits, usize) {
    let limits = Limits { max_head: 64 * 1024, max_body_kept: if sel & 2 == 2 { 16 } else { 1 << 20 } };
    (limits, (sel >> 2) as usize * 17 % (len + 1))
}

/// A message complete before the cut is complete in the whole buffer too, at the same place, with
/// the same record; a broken one fails at the same offset in the same unit.
pub fn assert_split_invariant(cut: usize, whole: &(Progress, String), split: &(Progress, String)) {
    match (&whole.0, &split.0) {
        (Progress::Done { .. }, Progress::Done { .. }) => assert_eq!(whole, split, "cut at {cut}"),
        // The message quotes the bytes received so far, so only where and in what it failed must agree.
        (Progress::Invalid(a), Progress::Invalid(b)) => assert_eq!((a.offset, a.unit), (b.offset, b.unit), "cut at {cut}"),
        (a, b) => panic!("cut at {cut}: whole {a:?}, split {b:?}"),
    }
}
