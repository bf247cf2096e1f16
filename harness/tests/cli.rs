//! The `peerspec` binary as a user meets it: exit statuses, listing, filters, reports, errors.

use std::path::Path;
use std::process::{Command, Output};

fn peerspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peerspec")).args(args).output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn default_run_passes_the_built_in_suites_against_the_built_in_target() {
    // The built-in target (hyper/h2) breaks some HTTP/2 rules; the list says which and why.
    let known = concat!(env!("CARGO_MANIFEST_DIR"), "/../ci/h2/known-failures-builtin.txt");
    let o = peerspec(&["run", "--quiet", "--known-failures", known]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("failed as listed"), "{}", text(&o));
    let o = peerspec(&["run", "--quiet", "--skip", "h2/"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("case result: ok."), "{}", text(&o));
}

#[test]
fn list_and_filters_select_by_id_substring() {
    let o = peerspec(&["run", "--list", "seed/http1.1"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(out.contains("seed/http1.1/content-length-keep-alive: case"), "{out}");
    assert!(!out.contains("seed/http1.0/"), "{out}");
    let o = peerspec(&["run", "--list", "--exact", "seed/http1.1/chunked-zero-chunk-ends-body"]);
    assert!(text(&o).contains("\n1 cases"), "{}", text(&o));
}

#[test]
fn junit_and_json_reports_parse_with_one_testcase_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("out/junit.xml");
    let json = dir.path().join("out/report.json");
    let o = peerspec(&["run", "--quiet", "seed/", "--junit", junit.to_str().unwrap(), "--json", json.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit output is XML");
    let cases = doc.descendants().filter(|n| n.has_tag_name("testcase")).count();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let listed = report["cases"].as_array().unwrap().len();
    assert!(cases > 0);
    assert_eq!(cases, listed);
    assert_eq!(report["summary"]["failed"], 0);
}

#[test]
fn a_failing_case_exits_1_with_expected_seen_and_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let case = write(
        dir.path(),
        "fail.yaml",
        "id: wrong-length\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: /main.html } }\n  - expect: { response: { status: 200, headers: { Content-Length: \"35\" } } }\n",
    );
    let junit = dir.path().join("junit.xml");
    let o = peerspec(&["run", &case, "--junit", junit.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("header Content-Length: expected \"35\", saw \"34\""), "{out}");
    assert!(out.contains("→ request GET /main.html HTTP/1.1"), "{out}");
    assert!(out.contains("← response head HTTP/1.1 200 OK"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).expect("a failure element");
    assert!(failure.attribute("message").unwrap().contains("step 2"));
    assert!(doc.descendants().any(|n| n.has_tag_name("system-out")));
}

#[test]
fn known_failures_turn_a_documented_failure_into_success_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let case = write(
        dir.path(),
        "fail.yaml",
        "id: wrong-status\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 201 } }\n",
    );
    let known = write(dir.path(), "known.txt", "# the built-in target answers 200\nwrong-status\n");
    let o = peerspec(&["run", &case, "--known-failures", &known]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("case result: FAILED. 0 passed; 1 failed"), "still reported: {}", text(&o));
    let none = write(dir.path(), "none.txt", "# nothing known\n");
    assert_eq!(peerspec(&["run", &case, "--known-failures", &none]).status.code(), Some(1));
    let seed_passes = write(dir.path(), "stale.txt", "seed/http1.1/content-length-keep-alive\n");
    let o = peerspec(&["run", "seed/http1.1/content-length", "--known-failures", &seed_passes]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("remove it from the list"), "{}", text(&o));
}

#[test]
fn invalid_case_files_exit_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.yaml",
        "id: x\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { respons: { status: 200 } }\n",
    );
    for cmd in [vec!["check", bad.as_str()], vec!["run", bad.as_str()]] {
        let o = peerspec(&cmd);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert!(out.contains("bad.yaml:5:"), "{out}");
        assert!(out.contains("unknown field `respons`"), "{out}");
    }
    let o = peerspec(&["check"]);
    assert_eq!(o.status.code(), Some(0), "the built-in suites are valid: {}", text(&o));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(peerspec(&["run", "--target", "gopher://x"]).status.code(), Some(2));
    assert_eq!(peerspec(&["run", "--jobs", "many"]).status.code(), Some(2));
    assert_eq!(peerspec(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn an_unreachable_target_fails_cases_without_hanging() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let o = peerspec(&["run", "seed/http1.1/content-length", "--target", &url, "--provides", "seed-files"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot connect"), "{}", text(&o));
}

#[test]
fn schema_is_json_describing_cases() {
    let o = peerspec(&["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(schema["properties"]["steps"].is_object(), "{schema}");
    assert!(schema["properties"]["protocol"].is_object());
}

#[test]
fn should_level_failures_fail_the_run_only_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let case = write(
        dir.path(),
        "should.yaml",
        "id: optional-rule\nprotocol: http/1.1\nlevel: should\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 299 } }\n",
    );
    let o = peerspec(&["run", &case]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 failed, not required"), "{}", text(&o));
    assert!(text(&o).contains("FAILED (should, not required)"), "{}", text(&o));
    assert_eq!(peerspec(&["run", &case, "--strict"]).status.code(), Some(1));
}

#[test]
fn sigint_marks_running_cases_interrupted_and_still_writes_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    // A server-role case with no client waits for one: it is still running when the signal comes.
    let case = write(
        dir.path(),
        "waits.yaml",
        "id: waits-for-a-client\nprotocol: http/1.1\nrole: server\ntimeout: 20s\nsteps:\n  - expect: { request: { method: GET } }\n",
    );
    let json = dir.path().join("report.json");
    let child = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .args(["run", &case, "--json", json.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    assert!(text(&o).contains("case waits-for-a-client ... interrupted"), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["cases"][0]["status"], "interrupted");
    assert_eq!(report["cases"][0]["message"], "interrupted before it finished (SIGINT)");
    assert_eq!(report["summary"]["interrupted"], 1);
}

#[test]
fn caps_take_sizes_with_units_and_reject_others() {
    let dir = tempfile::tempdir().unwrap();
    // A body of 10 bytes with 4 kept: `body_length` counts them all, `body` says only 4 were kept.
    let case = write(
        dir.path(),
        "c.yaml",
        "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: /echo, method: POST, body: '0123456789' } }\n  - expect: { response: { status: 200, body_length: 10, body: '0123456789' } }\n",
    );
    let o = peerspec(&["run", &case, "--max-body-kept", "4"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("\"0123\" (10 B (4 of them kept for checks, --max-body-kept; the rest counted and dropped)"), "{out}");
    assert!(!out.contains("body length"), "the length counts every byte: {out}");
    assert_eq!(peerspec(&["run", &case, "--max-body-kept", "1KiB"]).status.code(), Some(0));
    let o = peerspec(&["run", &case, "--max-header-bytes", "12XB"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("unknown unit \"XB\""), "{}", text(&o));
}
