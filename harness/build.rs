//! The built-in suites (`cases/`) are compiled into the binary; rebuild when any case file or
//! folder changes, new ones included (include_dir alone only tracks the files it saw).

fn main() {
    println!("cargo:rerun-if-changed=../cases");
}
