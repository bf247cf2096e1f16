//! ResponseReader::advance on arbitrary bytes: the buffer given first up to a cut point (no
//! EOF), then whole with EOF, must give the same progress and record as given whole at once.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common/http1.rs"]
mod http1_common;
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
    let (limits, cut) = http1_common::limits_and_cut(sel, input.len());
    let whole = run(input, None, method, limits);
    let split = run(input, Some(cut), method, limits);
    http1_common::assert_split_invariant(cut, &whole, &split);
});
