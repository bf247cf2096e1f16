//! WebSocket frames from arbitrary bytes: parse_header, the FrameReader over a buffer that
//! grows (whole vs. two pieces: same frames, same error), the Assembler on the frames read, and
//! every frame read re-encodes to exactly its wire bytes (masking included).
#![no_main]
use libfuzzer_sys::fuzz_target;
use peerspec::wire::ws::frame::{parse_header, FrameError, FrameOut, LengthForm};
use peerspec::wire::ws::message::{Assembled, Assembler, FrameReader, FrameRecord};

fn run(input: &[u8], cut: usize, max_payload: u64) -> (Vec<FrameRecord>, Option<FrameError>) {
    let mut reader = FrameReader::new(max_payload);
    let mut frames = vec![];
    for len in [cut, input.len()] {
        loop {
            match reader.next(&input[..len]) {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    assert!(reader.position() <= input.len());
    (frames, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let _ = parse_header(input);
    let max_payload = if sel & 1 == 1 { 125 } else { 1 << 16 };
    let cut = (sel >> 1) as usize * 11 % (input.len() + 1);
    let whole = run(input, input.len(), max_payload);
    let split = run(input, cut, max_payload);
    assert_eq!(whole, split, "cut at {cut}");
    let mut asm = Assembler::new();
    for f in &whole.0 {
        let wire = &input[f.offset..f.offset + f.wire_len()];
        let h = f.header;
        let out = FrameOut {
            fin: h.fin,
            rsv: h.rsv,
            opcode: h.opcode,
            mask: h.mask,
            length_form: match h.length_bits {
                7 => LengthForm::Bits7,
                16 => LengthForm::Bits16,
                _ => LengthForm::Bits64,
            },
            declared_len: None,
            payload: f.payload.clone(),
        };
        assert_eq!(out.encode().expect("read frame re-encodes"), wire);
        match asm.push(f.clone()) {
            Ok(Assembled::Message(m)) => assert!(!m.fragments.is_empty()),
            Ok(_) | Err(_) => {}
        }
    }
});
