//! SseParser::feed on arbitrary bytes, fed whole and in two pieces: the same events and the same
//! parser state.
#![no_main]
use libfuzzer_sys::fuzz_target;
use peerspec::wire::sse::SseParser;

fn run(input: &[u8], cuts: &[usize]) -> String {
    let mut p = SseParser::new();
    let mut out = vec![];
    let mut at = 0;
    for &c in cuts.iter().chain([&input.len()]) {
        p.feed(&input[at..c], &mut out);
        at = c;
    }
    assert_eq!(p.offset(), input.len());
    for e in &out {
        assert!(e.start <= e.end && e.end <= input.len(), "{e:?}");
    }
    format!("{out:?} {} {:?} {:?} {}", p.last_event_id, p.retry, p.comments, p.has_undispatched_event())
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let a = sel as usize % (input.len() + 1);
    let b = (a + (sel as usize >> 4)).min(input.len());
    let whole = run(input, &[]);
    assert_eq!(whole, run(input, &[a]), "cut at {a}");
    assert_eq!(whole, run(input, &[a, b]), "cuts at {a}, {b}");
});
