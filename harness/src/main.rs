//! The `peerspec` binary; everything lives in the library's [`peerspec::cli`].

fn main() -> std::process::ExitCode {
    peerspec::cli::main()
}
