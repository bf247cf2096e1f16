//! The built-in suites against the built-in target, as `cargo test` trials through
//! `peerspec::libtest` — the same few lines a Rust project writes to run the suite against its
//! own server (with its URL instead of `builtin`).

fn main() -> std::process::ExitCode {
    // The HTTP/2 rules hyper/h2 break, each with its reason: these cases must keep failing.
    let known = include_str!("../../ci/h2/known-failures-builtin.txt");
    peerspec::libtest::run_main_with_known_failures("builtin", &[], &[], known)
}
