//! ResponseReader::advance on arbitrary bytes: the buffer given first up to a cut point (no
//! EOF), then whole with EOF, must give the same progress and record as given whole at once.
#![no_main]
use libfuzzer_sys::fuzz_target;
use peerspec::wire::http1::response::{Limits, Progress, ResponseReader};

fn run(input: &[u8], cut: Option<usize>, method: &str, limits: Limits) -> (Progress, String) {
    let mut r = ResponseReader::new(method, limits);
    if let Some(cut) = cut {
        match r.advance(&input[..cut], false) {
            Progress::NeedMore => {}
            other => {
                let mut record = r.record().clone();
                record.bytes_after = 0;
                return (other, format!("{record:?}"));
            }
        }
    }
    let p = r.advance(input, true);
    if let Progress::Done { consumed } = p {
        assert!(consumed <= input.len());
    }
    // `bytes_after` counts what had arrived past the end, which depends on the pieces.
    let mut record = r.record().clone();
    record.bytes_after = 0;
    (p, format!("{record:?}"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let method = if sel & 1 == 1 { "HEAD" } else { "GET" };
    let limits = Limits { max_head: 64 * 1024, max_body_kept: if sel & 2 == 2 { 16 } else { 1 << 20 } };
    let cut = (sel >> 2) as usize * 17 % (input.len() + 1);
    let whole = run(input, None, method, limits);
    let split = run(input, Some(cut), method, limits);
    // A response complete before the cut is complete in the whole buffer too, at the same place.
    match (&whole.0, &split.0) {
        (Progress::Done { .. }, Progress::Done { .. }) => assert_eq!(whole, split, "cut at {cut}"),
        // The message quotes the bytes received so far, so only where and in what it failed must agree.
        (Progress::Invalid(a), Progress::Invalid(b)) => assert_eq!((a.offset, a.unit), (b.offset, b.unit), "cut at {cut}"),
        (a, b) => panic!("cut at {cut}: whole {a:?}, split {b:?}"),
    }
});
