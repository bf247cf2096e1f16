//! An HPACK bomb (issue 13, item 3): a 65 KB field block that adds one 4000-byte value to the
//! dynamic table and references it 61,000 times decodes to 246 MB. peerspec bounds the decoded
//! field section by --max-header-bytes (announced as SETTINGS_MAX_HEADER_LIST_SIZE, RFC 9113
//! §10.5.1), in both roles: the case fails saying so, and the transcript stays small.

mod support;

use std::time::Duration;

use peerspec::run::{CaseResult, Status};
use support::*;
use tokio::io::AsyncWriteExt;

/// The bomb's field block after `pseudo` (pseudo-header fields, already encoded).
fn bomb(pseudo: &[u8]) -> Vec<u8> {
    let mut block = pseudo.to_vec();
    // Literal with incremental indexing, new name "x", a 4000-byte value: 4000 = 127 + 3873.
    block.extend_from_slice(&[0x40, 0x01, b'x', 0x7f]);
    let mut n = 4000 - 127;
    while n >= 128 {
        block.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    block.push(n as u8);
    block.extend_from_slice(&[b'v'; 4000]);
    // 61,000 references to dynamic entry 62 (index 62 = 0x80 | 62).
    block.extend(std::iter::repeat_n(0xbe, 61_000));
    block
}

/// HEADERS then CONTINUATION frames, the last with END_HEADERS.
fn in_frames(stream: u32, block: &[u8]) -> Vec<u8> {
    let pieces: Vec<&[u8]> = block.chunks(16384).collect();
    let mut out = h2_frame(1, 0, stream, pieces[0]);
    for (i, piece) in pieces[1..].iter().enumerate() {
        out.extend(h2_frame(9, if i == pieces.len() - 2 { 4 } else { 0 }, stream, piece));
    }
    out
}

fn assert_bounded(r: &CaseResult) {
    assert_eq!(r.status, Status::Failed, "{:?}", r.message);
    let msg = r.message.as_deref().unwrap();
    assert!(msg.contains("decodes to a 246") && msg.contains("over the 65536-byte limit") && msg.contains("--max-header-bytes"), "{msg}");
    let transcript = serde_json::to_string(&r.transcript).unwrap();
    assert!(transcript.len() < 1 << 20, "the transcript stays small: {} B", transcript.len());
    assert!(r.transcript.render().contains("MAX_HEADER_LIST_SIZE"), "peerspec announces the limit:\n{}", r.transcript.render());
}

#[tokio::test]
async fn client_role_an_hpack_bomb_fails_at_the_decoded_limit() {
    let addr = fake_peer(|s| async move {
        let (read, mut write) = s.into_split();
        drain_in_background(read, 1000);
        let mut wire = h2_frame(4, 0, 0, &[]);
        wire.extend(in_frames(1, &bomb(&[0x88])));
        let _ = write.write_all(&wire).await;
        tokio::time::sleep(LIMIT).await;
    })
    .await;
    let case = "id: t\nprotocol: h2\nsteps:\n  - send: { h2_request: { stream: 1, path: / } }\n  - expect: { h2_response: { stream: 1, status: 200 } }\n";
    let r = run_yaml(case, &config_for(addr, Duration::from_secs(3))).await;
    assert_bounded(&r);
}

#[tokio::test]
async fn server_role_an_hpack_bomb_fails_at_the_decoded_limit() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/flood_client.py");
    let mut config = config_for("127.0.0.1:9".parse().unwrap(), Duration::from_secs(3));
    config.client_command = Some(format!("python3 {script} hpackbomb {{port}} 5"));
    let case = "id: t\nprotocol: h2\nrole: server\nsteps:\n  - expect: { h2_request: { method: POST } }\n  - send: { h2_response: { status: 200 } }\n";
    let r = run_yaml(case, &config).await;
    assert_bounded(&r);
}

#[test]
fn the_decoder_measures_past_the_limit_without_keeping() {
    let mut decoder = peerspec::wire::h2::hpack::Decoder::default();
    match decoder.decode_bounded(&bomb(&[0x82]), 65536) {
        Err(peerspec::wire::h2::hpack::BoundedError::TooLarge { decoded, limit, .. }) => {
            assert_eq!(limit, 65536);
            assert_eq!(decoded, (1 + 61_000) * (1 + 4000 + 32) + (7 + 3 + 32));
        }
        other => panic!("{other:?}"),
    }
    // Under the limit, every field is there.
    let mut decoder = peerspec::wire::h2::hpack::Decoder::default();
    let small = [&[0x82u8][..], &[0x40, 0x01, b'x', 0x01, b'y'], &[0xbe; 3]].concat();
    assert_eq!(decoder.decode_bounded(&small, 65536).unwrap().len(), 5);
}
