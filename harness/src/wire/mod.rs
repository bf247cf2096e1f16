//! Sans-I/O wire codecs: bytes in, records and events out, and the reverse. Nothing here does I/O,
//! so every codec is tested (and fuzzed) on plain byte slices.

pub mod h2;
pub mod http1;
pub mod sse;
pub mod ws;
