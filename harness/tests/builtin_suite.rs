//! The built-in suites against the built-in target, as `cargo test` trials through
//! `peerspec::libtest` — the same few lines a Rust project writes to run the suite against its
//! own server (with its URL instead of `builtin`).

fn main() -> std::process::ExitCode {
    peerspec::libtest::run_main("builtin", &[], &[])
}
