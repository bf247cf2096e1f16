//! `split`: a send step's bytes written in pieces, each a separate write. A test peer records
//! its reads; with a pause between pieces, every cut is the end of a read (the peer has read
//! what came before while peerspec waited), in every protocol: an HTTP/1 head cut mid-line, an
//! HTTP/2 frame cut inside its 9-byte header, a WebSocket frame cut inside its masking key.

mod support;

use std::sync::{Arc, Mutex};

use peerspec::case::load::parse_cases;
use peerspec::run::Status;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Reads = Arc<Mutex<Vec<Vec<u8>>>>;

/// Reads until EOF (or [`LIMIT`]), recording each read; stops early once `stop` is in the input.
async fn record(s: &mut TcpStream, reads: &Reads, stop: Option<&[u8]>) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout(LIMIT, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                reads.lock().unwrap().push(buf[..n].to_vec());
                seen.extend_from_slice(&buf[..n]);
                if stop.is_some_and(|w| seen.windows(w.len()).any(|x| x == w)) {
                    return;
                }
            }
            _ => return,
        }
    }
}

/// The offsets in the concatenated stream where reads ended.
fn read_ends(reads: &Reads) -> (Vec<u8>, Vec<usize>) {
    let reads = reads.lock().unwrap();
    let mut all = Vec::new();
    let mut ends = Vec::new();
    for r in reads.iter() {
        all.extend_from_slice(r);
        ends.push(all.len());
    }
    (all, ends)
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap_or_else(|| panic!("{needle:?} not in {:?}", String::from_utf8_lossy(hay)))
}

#[tokio::test]
async fn http1_head_split_mid_line_arrives_in_separate_reads() {
    let reads: Reads = Default::default();
    let r2 = reads.clone();
    let addr = fake_peer(move |mut s| {
        let reads = r2.clone();
        async move {
            record(&mut s, &reads, Some(b"\r\n\r\n")).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        }
    })
    .await;
    let yaml = "id: t\nprotocol: http/1.1\nsteps:\n\
      - split: { at: [5, 20], pause: 50ms, send: { request: { target: / } } }\n\
      - expect: { response: { status: 200 } }\n";
    let r = run_yaml(yaml, &config_for(addr, std::time::Duration::from_secs(3))).await;
    assert_eq!(r.status, Status::Passed, "{:?}\n{}", r.message, r.transcript.render());
    let (all, ends) = read_ends(&reads);
    assert!(all.starts_with(b"GET / HTTP/1.1\r\n"), "{}", String::from_utf8_lossy(&all));
    assert!(ends.contains(&5) && ends.contains(&20), "reads ended at {ends:?}");
    let text = r.transcript.render();
    assert!(text.contains("written in 3 pieces at offsets [5, 20], 50ms apart"), "{text}");
    assert!(text.contains("GET / HTTP/1.1"), "the request is still one unit: {text}");
}

#[tokio::test]
async fn h2_frame_split_inside_its_header_arrives_in_separate_reads() {
    let reads: Reads = Default::default();
    let r2 = reads.clone();
    let ping = h2_frame(6, 0, 0, &[1, 2, 3, 4, 5, 6, 7, 8]);
    let addr = fake_peer(move |mut s| {
        let reads = r2.clone();
        async move {
            record(&mut s, &reads, Some(&[1, 2, 3, 4, 5, 6, 7, 8])).await;
        }
    })
    .await;
    let yaml = "id: t\nprotocol: h2\nsteps:\n\
      - split: { at: [4], pause: 50ms, send: { frames: [ ping: { data: { hex: \"0102030405060708\" } } ] } }\n\
      - pause: 100ms\n";
    let r = run_yaml(yaml, &config_for(addr, std::time::Duration::from_secs(3))).await;
    assert_eq!(r.status, Status::Passed, "{:?}\n{}", r.message, r.transcript.render());
    let (all, ends) = read_ends(&reads);
    let at = find(&all, &ping);
    assert!(ends.contains(&(at + 4)), "the PING frame starts at {at}; reads ended at {ends:?}");
}

#[tokio::test]
async fn websocket_frame_split_inside_its_mask_arrives_in_separate_reads() {
    let reads: Reads = Default::default();
    let r2 = reads.clone();
    let addr = fake_peer(move |mut s| {
        let reads = r2.clone();
        async move {
            let head = read_head(&mut s).await;
            let head = String::from_utf8_lossy(&head).to_string();
            let key = head.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap_or_default().trim().to_string();
            let accept = peerspec::wire::ws::handshake::accept_for(&key);
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            let _ = s.write_all(answer.as_bytes()).await;
            // The masked "Hello" of RFC 6455 §5.7, ended by its last byte.
            record(&mut s, &reads, None).await;
        }
    })
    .await;
    // RFC 6455 §5.7: "A single-frame masked text message" 0x81 0x85 0x37 0xfa 0x21 0x3d ...
    let yaml = "id: t\nprotocol: websocket\ntimeout: 3s\nsteps:\n\
      - split: { every: 4, pause: 50ms, send: { ws_frame: { opcode: text, mask: 37fa213d, payload: Hello } } }\n\
      - pause: 100ms\n";
    let r = run_yaml(yaml, &config_for(addr, std::time::Duration::from_secs(3))).await;
    assert_eq!(r.status, Status::Passed, "{:?}\n{}", r.message, r.transcript.render());
    let (all, ends) = read_ends(&reads);
    assert_eq!(all, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    assert_eq!(ends, vec![4, 8, 11], "cut every 4 bytes: inside the key, then inside the payload");
}

#[test]
fn bad_split_specs_are_load_errors_at_their_place() {
    let case = |split: &str| format!("id: t\nprotocol: http/1.1\nsteps:\n  - split: {{ {split}, send: {{ raw: abc }} }}\n");
    for (split, want, column) in
        [("every: 0", "nonzero", 20), ("at: [3, 3]", "split offsets must increase: 3 comes after 3", 15), ("at: [0]", "offset 0", 15)]
    {
        let errors = parse_cases("x.yaml", &case(split)).unwrap_err();
        let e = &errors[0];
        assert!(e.message.contains(want), "{split}: {e}");
        assert_eq!(e.position.map(|p| p.0), Some(4), "{split}: {e}");
        assert!(e.to_string().starts_with("x.yaml:4:"), "{split}: {e} (column near {column})");
    }
    let both = parse_cases("x.yaml", &case("every: 2, at: [1]")).unwrap_err();
    assert!(both[0].message.contains("one of `every`"), "{}", both[0]);
    let nested = "id: t\nprotocol: http/1.1\nsteps:\n  - repeat: { times: 2, steps: [ repeat: { times: 2, steps: [ close ] } ] }\n";
    assert!(parse_cases("x.yaml", nested).unwrap_err()[0].message.contains("cannot hold another repeat"));
}

/// The built-in target, one case at a time, 5 s per case.
async fn builtin() -> peerspec::target::ResolvedTarget {
    let options = peerspec::target::TargetOptions {
        timeout: std::time::Duration::from_secs(5),
        jobs: 1,
        ..peerspec::target::TargetOptions::new("builtin")
    };
    peerspec::target::resolve(&options).await.unwrap()
}

#[tokio::test]
async fn repeat_rounds_are_counted_and_timed_in_json_and_html() {
    use peerspec::report::{html, json, RunReport, Summary};
    let target = builtin().await;
    let yaml = "id: t\nprotocol: websocket\nsteps:\n\
      - repeat: { times: 20, steps: [ send: { message: { binary: { repeat: { hex: fe }, times: 64 }, fragment_size: 16 } }, expect: { message: { echo: true, fragments: [64] } } ] }\n";
    // The built-in target echoes a message in one frame, whatever its fragments.
    let r = run_yaml(yaml, &target.config).await;
    assert_eq!(r.status, Status::Passed, "{:?}\n{}", r.message, r.transcript.render());
    let rounds = r.round_trips.expect("a repeat step gives round-trip figures");
    assert_eq!(rounds.count, 20);
    assert!(rounds.min <= rounds.mean && rounds.mean <= rounds.max && rounds.total >= rounds.max, "{rounds:?}");
    assert!(rounds.total <= r.duration, "{rounds:?} within {:?}", r.duration);
    let text = r.transcript.render();
    assert!(text.contains("op=continuation"), "fragments of 16 B: {text}");
    let results = vec![r];
    let report =
        RunReport { target: "t", insecure: false, duration: std::time::Duration::ZERO, summary: Summary::of(&results), cases: &results };
    let v: serde_json::Value = serde_json::from_str(&json::render(&report)).unwrap();
    assert_eq!(v["cases"][0]["round_trips"]["count"], 20, "{v}");
    assert!(v["cases"][0]["round_trips"]["mean"].as_f64().unwrap() > 0.0, "{v}");
    assert!(html::render(&report).contains("20 round trips in "));
}

#[tokio::test]
async fn a_failing_round_names_the_round_and_its_step() {
    let target = builtin().await;
    let yaml = "id: t\nprotocol: websocket\ntimeout: 2s\nsteps:\n\
      - repeat: { times: 3, steps: [ send: { message: { text: a } }, expect: { message: { text: b } } ] }\n";
    let r = run_yaml(yaml, &target.config).await;
    assert_eq!(r.status, Status::Failed);
    let m = r.message.unwrap_or_default();
    assert!(m.starts_with("step 1 (repeat 3 times): round 1 of 3, step 2 (expect message):"), "{m}");
    assert!(r.round_trips.is_none(), "no round completed");
}
