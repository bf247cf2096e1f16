//! A failing case's quoted rule (`rule:`) reaches every report: the terminal, JUnit (in the
//! failure text and as a property), JSON (a field) and HTML, so a maintainer reads the sentence
//! beside the verdict.

use std::process::Command;

/// A quote folded over lines in the case file, as long quotes are; reports show it on one line.
const RULE: &str = "A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding header field.";

#[test]
fn a_failing_case_shows_its_rule_in_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("fail.yaml");
    // The built-in target answers /main.html with Content-Length 34: expecting 35 fails step 2.
    std::fs::write(
        &case,
        "id: wrong-length\nprotocol: http/1.1\nspec: RFC 9112 §6.2\nrule: >-\n  A sender MUST NOT send a Content-Length header field in any\n  message that contains a Transfer-Encoding header field.\nsteps:\n  - send: { request: { target: /main.html } }\n  - expect: { response: { status: 200, headers: { Content-Length: \"35\" } } }\n",
    )
    .unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (junit, json, html) = (path("r.xml"), path("r.json"), path("r.html"));
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .args(["run", case.to_str().unwrap(), "--junit", &junit, "--json", &json, "--html", &html])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let terminal = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{terminal}");
    assert!(terminal.contains(&format!("rule: \"{RULE}\"")), "terminal: {terminal}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).expect("a failure element");
    assert!(failure.text().unwrap_or("").contains(RULE), "JUnit failure text: {xml}");
    let property = doc.descendants().find(|n| n.has_tag_name("property") && n.attribute("name") == Some("rule"));
    assert_eq!(property.and_then(|p| p.attribute("value")), Some(RULE), "{xml}");

    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["cases"][0]["rule"].as_str().map(|r| r.split_whitespace().collect::<Vec<_>>().join(" ")), Some(RULE.into()));

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains(&format!("<blockquote class=\"rule\">{RULE}</blockquote>")), "{page}");
}

/// A WebSocket case's `autobahn:` ids reach `--list` and every report beside its rule.
#[test]
fn the_autobahn_cases_a_case_stands_for_show_in_the_listing_and_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("ws.yaml");
    // The built-in target's echo endpoint answers a ping with the same payload: expecting
    // another fails step 2.
    std::fs::write(
        &case,
        "id: ws/wrong-pong\nprotocol: websocket\nspec: RFC 6455 §5.5.2\nautobahn: [\"2.2\", \"2.3\"]\nrequires: [websocket]\n\
         steps:\n  - send: { ws_ping: ping }\n  - expect: { pong: other }\n",
    )
    .unwrap();
    let listing = Command::new(env!("CARGO_BIN_EXE_peerspec")).args(["run", case.to_str().unwrap(), "--list"]).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("ws/wrong-pong: case  (websocket, RFC 6455 §5.5.2; Autobahn 2.2, 2.3)"), "{listing}");

    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (junit, json, html) = (path("r.xml"), path("r.json"), path("r.html"));
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .args(["run", case.to_str().unwrap(), "--junit", &junit, "--json", &json, "--html", &html])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let terminal = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{terminal}");
    assert!(terminal.contains("  autobahn: 2.2, 2.3\n"), "terminal: {terminal}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let property = doc.descendants().find(|n| n.has_tag_name("property") && n.attribute("name") == Some("autobahn"));
    assert_eq!(property.and_then(|p| p.attribute("value")), Some("2.2, 2.3"), "{xml}");

    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["cases"][0]["autobahn"], serde_json::json!(["2.2", "2.3"]));

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("RFC 6455 §5.5.2 · Autobahn 2.2, 2.3</td>"), "{page}");
}
