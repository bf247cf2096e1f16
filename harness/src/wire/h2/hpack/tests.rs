//! RFC 7541 Appendix C, byte for byte: every example decoded (fields and dynamic table after each
//! block) and encoded from the representations the RFC describes.

use super::*;
use crate::case::bytes::decode_hex;

fn lit(name: Name, value: &str, huffman: bool, indexing: Indexing) -> Rep {
    Rep::Literal { name, value: value.as_bytes().to_vec(), huffman, indexing }
}

fn fields(list: &[(&str, &str)]) -> Vec<Field> {
    list.iter().map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec())).collect()
}

struct Example {
    hex: &'static str,
    reps: Vec<Rep>,
    fields: Vec<(&'static str, &'static str)>,
    table: Vec<(&'static str, &'static str)>,
    size: usize,
}

fn run(decoder: &mut Decoder, examples: Vec<Example>) {
    for (i, e) in examples.into_iter().enumerate() {
        let bytes = decode_hex(e.hex).unwrap();
        assert_eq!(encode(&e.reps), bytes, "example {i}: encoding");
        let got = decoder.decode(&bytes).unwrap_or_else(|err| panic!("example {i}: {err}"));
        assert_eq!(got, fields(&e.fields), "example {i}: fields");
        assert_eq!(decoder.table().iter().cloned().collect::<Vec<_>>(), fields(&e.table), "example {i}: table");
        assert_eq!(decoder.size(), e.size, "example {i}: table size");
    }
}

#[test]
fn c1_integers() {
    let mut out = vec![];
    encode_int(10, 5, 0, &mut out);
    assert_eq!(out, [0x0a]);
    out.clear();
    encode_int(1337, 5, 0, &mut out);
    assert_eq!(out, [0x1f, 0x9a, 0x0a]);
    let mut pos = 0;
    assert_eq!(decode_int(&out, &mut pos, 5), Ok(1337));
    assert_eq!(pos, 3);
    out.clear();
    encode_int(42, 8, 0, &mut out);
    assert_eq!(out, [0x2a]);
}

#[test]
fn c2_field_representations() {
    let mut d = Decoder::default();
    let custom = Name::Literal { name: b"custom-key".to_vec(), huffman: false };
    run(
        &mut d,
        vec![Example {
            hex: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
            reps: vec![lit(custom, "custom-header", false, Indexing::Incremental)],
            fields: vec![("custom-key", "custom-header")],
            table: vec![("custom-key", "custom-header")],
            size: 55,
        }],
    );
    let mut d = Decoder::default();
    run(
        &mut d,
        vec![Example {
            hex: "040c 2f73 616d 706c 652f 7061 7468",
            reps: vec![lit(Name::Index(4), "/sample/path", false, Indexing::Without)],
            fields: vec![(":path", "/sample/path")],
            table: vec![],
            size: 0,
        }],
    );
    let mut d = Decoder::default();
    run(
        &mut d,
        vec![Example {
            hex: "1008 7061 7373 776f 7264 0673 6563 7265 74",
            reps: vec![lit(Name::Literal { name: b"password".to_vec(), huffman: false }, "secret", false, Indexing::Never)],
            fields: vec![("password", "secret")],
            table: vec![],
            size: 0,
        }],
    );
    let mut d = Decoder::default();
    run(&mut d, vec![Example { hex: "82", reps: vec![Rep::Indexed(2)], fields: vec![(":method", "GET")], table: vec![], size: 0 }]);
}

fn requests(h: bool, hex: [&'static str; 3]) -> Vec<Example> {
    let auth = ("www.example.com", ":authority");
    vec![
        Example {
            hex: hex[0],
            reps: vec![Rep::Indexed(2), Rep::Indexed(6), Rep::Indexed(4), lit(Name::Index(1), auth.0, h, Indexing::Incremental)],
            fields: vec![(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
            table: vec![(auth.1, auth.0)],
            size: 57,
        },
        Example {
            hex: hex[1],
            reps: vec![
                Rep::Indexed(2),
                Rep::Indexed(6),
                Rep::Indexed(4),
                Rep::Indexed(62),
                lit(Name::Index(24), "no-cache", h, Indexing::Incremental),
            ],
            fields: vec![
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "www.example.com"),
                ("cache-control", "no-cache"),
            ],
            table: vec![("cache-control", "no-cache"), (auth.1, auth.0)],
            size: 110,
        },
        Example {
            hex: hex[2],
            reps: vec![
                Rep::Indexed(2),
                Rep::Indexed(7),
                Rep::Indexed(5),
                Rep::Indexed(63),
                lit(Name::Literal { name: b"custom-key".to_vec(), huffman: h }, "custom-value", h, Indexing::Incremental),
            ],
            fields: vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/index.html"),
                (":authority", "www.example.com"),
                ("custom-key", "custom-value"),
            ],
            table: vec![("custom-key", "custom-value"), ("cache-control", "no-cache"), (auth.1, auth.0)],
            size: 164,
        },
    ]
}

#[test]
fn c3_requests_without_huffman() {
    run(
        &mut Decoder::default(),
        requests(
            false,
            [
                "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "8286 84be 5808 6e6f 2d63 6163 6865",
                "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
            ],
        ),
    );
}

#[test]
fn c4_requests_with_huffman() {
    run(
        &mut Decoder::default(),
        requests(
            true,
            [
                "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                "8286 84be 5886 a8eb 1064 9cbf",
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            ],
        ),
    );
}

const DATE1: &str = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2: &str = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOC: &str = "https://www.example.com";
const COOKIE: &str = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

fn responses(h: bool, hex: [&'static str; 3]) -> Vec<Example> {
    let inc = Indexing::Incremental;
    vec![
        Example {
            hex: hex[0],
            reps: vec![
                lit(Name::Index(8), "302", h, inc),
                lit(Name::Index(24), "private", h, inc),
                lit(Name::Index(33), DATE1, h, inc),
                lit(Name::Index(46), LOC, h, inc),
            ],
            fields: vec![(":status", "302"), ("cache-control", "private"), ("date", DATE1), ("location", LOC)],
            table: vec![("location", LOC), ("date", DATE1), ("cache-control", "private"), (":status", "302")],
            size: 222,
        },
        Example {
            hex: hex[1],
            reps: vec![lit(Name::Index(8), "307", h, inc), Rep::Indexed(65), Rep::Indexed(64), Rep::Indexed(63)],
            fields: vec![(":status", "307"), ("cache-control", "private"), ("date", DATE1), ("location", LOC)],
            table: vec![(":status", "307"), ("location", LOC), ("date", DATE1), ("cache-control", "private")],
            size: 222,
        },
        Example {
            hex: hex[2],
            reps: vec![
                Rep::Indexed(8),
                Rep::Indexed(65),
                lit(Name::Index(33), DATE2, h, inc),
                Rep::Indexed(64),
                lit(Name::Index(26), "gzip", h, inc),
                lit(Name::Index(55), COOKIE, h, inc),
            ],
            fields: vec![
                (":status", "200"),
                ("cache-control", "private"),
                ("date", DATE2),
                ("location", LOC),
                ("content-encoding", "gzip"),
                ("set-cookie", COOKIE),
            ],
            table: vec![("set-cookie", COOKIE), ("content-encoding", "gzip"), ("date", DATE2)],
            size: 215,
        },
    ]
}

#[test]
fn c5_responses_without_huffman() {
    run(
        &mut Decoder::new(256),
        responses(
            false,
            [
                "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "4803 3330 37c1 c0bf",
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
            ],
        ),
    );
}

#[test]
fn c6_responses_with_huffman() {
    run(
        &mut Decoder::new(256),
        responses(
            true,
            [
                "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                "4883 640e ffc1 c0bf",
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
            ],
        ),
    );
}

#[test]
fn huffman_round_trips_every_byte_and_rejects_bad_padding() {
    let all: Vec<u8> = (0..=255u8).collect();
    assert_eq!(huffman::decode(&huffman::encode(&all)).unwrap(), all);
    assert_eq!(huffman::encoded_len(b"www.example.com"), 12);
    // 'a' is 00011 (5 bits): padding with zeros instead of ones is an error.
    assert!(huffman::decode(&[0b0001_1000]).is_err());
    assert_eq!(huffman::decode(&[0b0001_1111]).unwrap(), b"a");
    // A whole byte of ones is padding longer than 7 bits.
    assert!(huffman::decode(&[0b0001_1111, 0xff]).is_err());
    // EOS itself (30 ones) is an error.
    assert!(huffman::decode(&[0xff, 0xff, 0xff, 0xff]).is_err());
}

#[test]
fn decoder_errors() {
    let mut d = Decoder::default();
    assert!(d.decode(&[0x80]).unwrap_err().message.contains("index 0"));
    assert!(d.decode(&[0xbe]).unwrap_err().message.contains("past the end"));
    assert!(d.decode(&[0x82, 0x20]).unwrap_err().message.contains("after a field"));
    let mut big = vec![];
    encode_int(4097, 5, 0x20, &mut big);
    assert!(d.decode(&big).unwrap_err().message.contains("exceeds"));
    assert!(d.decode(&[0x04, 0x05, b'a']).unwrap_err().message.contains("runs past"));
    assert!(d.decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    // A size update to 0 then one back up empties the table.
    let mut d = Decoder::default();
    d.decode(&encode(&[lit(Name::Index(1), "x", false, Indexing::Incremental)])).unwrap();
    assert_eq!(d.table().len(), 1);
    d.decode(&encode(&[Rep::SizeUpdate(0), Rep::SizeUpdate(4096)])).unwrap();
    assert_eq!(d.table().len(), 0);
}

#[test]
fn table_driven_huffman_decoder_matches_the_bitwise_one() {
    // Every input of one and two bytes, results and error messages alike.
    for a in 0..=255u8 {
        assert_eq!(huffman::decode(&[a]), huffman::decode_bitwise(&[a]), "{a:02x}");
        for b in 0..=255u8 {
            assert_eq!(huffman::decode(&[a, b]), huffman::decode_bitwise(&[a, b]), "{a:02x} {b:02x}");
        }
    }
    // Longer strings: encodings of varied text, each also cut short and with one byte changed.
    let mut x: u32 = 12345;
    for n in 0..2000usize {
        let text: Vec<u8> = (0..n % 97)
            .map(|_| {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                if n % 3 == 0 {
                    (x >> 16) as u8
                } else {
                    b"abcdefghijklmnop0123/-.:=_ XYZ\"%"[(x >> 16) as usize % 32]
                }
            })
            .collect();
        let enc = huffman::encode(&text);
        assert_eq!(huffman::decode(&enc).unwrap(), text);
        assert_eq!(huffman::decode(&enc[..enc.len() / 2]), huffman::decode_bitwise(&enc[..enc.len() / 2]));
        if !enc.is_empty() {
            let mut bad = enc.clone();
            let i = n % bad.len();
            bad[i] ^= (x >> 8) as u8 | 1;
            assert_eq!(huffman::decode(&bad), huffman::decode_bitwise(&bad), "{bad:02x?}");
        }
    }
    assert_eq!(huffman::decode(&[0xff; 8]), huffman::decode_bitwise(&[0xff; 8]));
}
