//! The HPACK decoder on arbitrary field blocks (the input split in two blocks decoded in turn,
//! sharing the dynamic table), and the Huffman code on arbitrary bytes. Decoded fields
//! re-encoded as literals decode to the same fields.
#![no_main]
use libfuzzer_sys::fuzz_target;
use peerspec::wire::h2::hpack::{self, huffman, Decoder, Indexing, Name, Rep};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let cut = (sel >> 1) as usize * 7 % (input.len() + 1);
    let table = if sel & 1 == 1 { 4096 } else { 64 };
    let mut dec = Decoder::new(table);
    for block in [&input[..cut], &input[cut..]] {
        let Ok(fields) = dec.decode(block) else { break };
        assert!(dec.size() <= table, "table size {} over {table}", dec.size());
        let reps: Vec<Rep> = fields
            .iter()
            .enumerate()
            .map(|(i, (n, v))| Rep::Literal {
                name: Name::Literal { name: n.clone(), huffman: i % 2 == 0 },
                value: v.clone(),
                huffman: i % 3 == 0,
                indexing: Indexing::Without,
            })
            .collect();
        let again = Decoder::new(0).decode(&hpack::encode(&reps)).expect("re-encoded block decodes");
        assert_eq!(again, fields);
    }
    // Huffman: decoding never panics, and encoding round-trips.
    let _ = huffman::decode(input);
    assert_eq!(huffman::decode(&huffman::encode(input)).expect("encoded Huffman decodes"), input);
    assert_eq!(huffman::encoded_len(input), huffman::encode(input).len());
});
