//! RequestReader::advance on arbitrary bytes: the buffer given first up to a cut point (no
//! EOF), then whole with EOF, must give the same progress and record as given whole at once.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common/http1.rs"]
mod http1_common;
use peerspec::wire::http1::{
    response::Progress,
    server::{Limits, RequestReader},
};

fn run(input: &[u8], cut: Option<usize>, _method: &str, limits: Limits) -> (Progress, String) {
    let mut r = RequestReader::new(limits);
    if let Some(cut) = cut {
        match r.advance(&input[..cut], false) {
            Progress::NeedMore => {}
            other => return (other, format!("{:?}", r.record())),
        }
    }
    let p = r.advance(input, true);
    if let Progress::Done { consumed } = p {
        assert!(consumed <= input.len());
    }
    (p, format!("{:?}", r.record()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let method = "";
    let (limits, cut) = http1_common::limits_and_cut(sel, input.len());
    let whole = run(input, None, method, limits);
    let split = run(input, Some(cut), method, limits);
    http1_common::assert_split_invariant(cut, &whole, &split);
});
