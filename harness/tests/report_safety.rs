//! Reports stay well-formed whatever a peer sends (issue 13, item 6): arbitrary bytes go through
//! a real case's transcript into the JUnit, JSON and HTML reports, and each parses with a strict
//! parser; characters XML 1.0 forbids are escaped visibly, and bytes that are not UTF-8 show as
//! `\xNN`, so the bytes received can be read back from the transcript.

mod support;

use std::time::Duration;

use peerspec::internals::{escape, needs_escape, Direction};
use peerspec::report::{html, json, junit, RunReport, Summary};
use proptest::prelude::*;
use support::*;
use tokio::io::AsyncWriteExt;

/// Reads back what [`escape`] wrote (without its quotes).
fn unescape(shown: &str) -> Vec<u8> {
    let inner = shown.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or_else(|| panic!("not quoted: {shown}"));
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            continue;
        }
        match chars.next().unwrap() {
            'r' => out.push(b'\r'),
            'n' => out.push(b'\n'),
            't' => out.push(b'\t'),
            '"' => out.push(b'"'),
            '\\' => out.push(b'\\'),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).unwrap());
            }
            'u' => {
                assert_eq!(chars.next(), Some('{'));
                let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let c = char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap();
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            other => panic!("unknown escape \\{other} in {shown}"),
        }
    }
    out
}

/// Text in an HTML report's `<pre class="message">` blocks, entities decoded.
fn html_messages(page: &str) -> Vec<String> {
    page.split("<pre class=\"message\">")
        .skip(1)
        .map(|rest| {
            let inner = rest.split("</pre>").next().unwrap();
            assert!(!inner.contains('<') && !inner.contains('>'), "markup escaped: {inner}");
            inner.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
        })
        .collect()
}

fn check_reports(results: &[peerspec::run::CaseResult]) {
    let report = RunReport { target: "t", insecure: false, duration: Duration::ZERO, summary: Summary::of(results), cases: results };
    let xml = junit::render(&report);
    if let Err(e) = roxmltree::Document::parse(&xml) {
        panic!("JUnit not well-formed: {e}\n{xml}");
    }
    let value: serde_json::Value = serde_json::from_str(&json::render(&report)).expect("JSON parses");
    let page = html::render(&report);
    for (report, text) in [("JUnit", &xml), ("HTML", &page)] {
        assert!(!text.chars().any(needs_escape), "{report} holds a character it forbids");
    }
    for (r, shown) in results.iter().zip(html_messages(&page)) {
        assert_eq!(r.message.as_deref().unwrap_or(""), shown, "the HTML shows the message as it is");
    }
    let cases = value["cases"].as_array().unwrap();
    // What a peer sent is shown escaped; ids and titles stay as the case file spells them
    // (JSON allows every character), so lists of ids still match.
    for c in cases {
        for s in strings(&c["message"]).into_iter().chain(strings(&c["transcript"])) {
            assert!(!s.chars().any(needs_escape), "a JSON string holds {s:?}");
        }
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().flat_map(strings).collect(),
        serde_json::Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => vec![],
    }
}

/// Runs a case against a peer that answers `wire` and closes.
fn run_against(wire: Vec<u8>, id: &str) -> peerspec::run::CaseResult {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let addr = fake_peer(move |mut s| {
            let wire = wire.clone();
            async move {
                read_head(&mut s).await;
                let _ = s.write_all(&wire).await;
                let _ = s.shutdown().await;
            }
        })
        .await;
        let yaml = format!(
            "id: \"{id}\"\ntitle: \"{id}\"\nprotocol: http/1.1\nsteps:\n  - send: {{ request: {{ target: / }} }}\n  - expect: {{ response: {{ status: 200 }} }}\n"
        );
        run_yaml(&yaml, &config_for(addr, Duration::from_secs(2))).await
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn escape_keeps_every_byte_readable(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let shown = escape(&bytes, 1000);
        prop_assert!(!shown.chars().any(needs_escape), "{shown}");
        // U+FFFD only where the bytes themselves held one, never for bytes that are not UTF-8.
        let replacement = "\u{fffd}".as_bytes();
        prop_assert!(!shown.contains('\u{fffd}') || bytes.windows(3).any(|w| w == replacement), "{}", shown);
        prop_assert_eq!(unescape(&shown), bytes);
    }

    #[test]
    fn arbitrary_bytes_from_a_peer_make_well_formed_reports(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        head in prop_oneof![Just(b"HTTP/1.1 200 OK\r\nX: ".to_vec()), Just(Vec::new())],
    ) {
        let mut wire = head;
        wire.extend_from_slice(&body);
        let r = run_against(wire.clone(), "t\\uFFFE\\x01");
        check_reports(std::slice::from_ref(&r));
        // What arrived can be read back, byte for byte, from the transcript's previews.
        let received: Vec<u8> = r.transcript.entries.iter()
            .filter(|e| e.direction == Direction::Received && e.len > 0)
            .flat_map(|e| unescape(&e.preview))
            .collect();
        prop_assert_eq!(received, wire);
    }
}

#[test]
fn u_fffe_and_c0_controls_from_a_peer_are_escaped_in_every_report() {
    let r = run_against(b"HTTP/1.1 200 OK\r\nX: \xef\xbf\xbe\x01\xff\r\n".to_vec(), "plain");
    check_reports(std::slice::from_ref(&r));
    let text = r.transcript.render();
    assert!(text.contains("\\u{fffe}\\u{1}\\xff"), "{text}");
}
