//! The YAML case loader on arbitrary text: it returns cases or errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = peerspec::run::plan::parse_cases("fuzz.yaml", &text);
});
