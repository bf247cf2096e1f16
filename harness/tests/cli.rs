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
    // The built-in target (hyper/h2) breaks some HTTP/2 rules; its own list says which and why,
    // and they are shown as expected failures: no flag, exit 0, never FAILED as the result.
    let o = peerspec(&["run", "--color", "never"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("case result: ok."), "{out}");
    assert!(!out.contains("case result: FAILED"), "{out}");
    let expected = out.lines().filter(|l| l.contains(" ... expected failure: ")).count();
    let listed = peerspec::known_failures::KnownFailures::parse(peerspec::target::BUILTIN_KNOWN_FAILURES, "builtin").ids().count();
    assert!(expected > 0 && expected == listed, "{expected} expected failures shown, {listed} listed: {out}");
    assert!(out.contains(&format!("{expected} expected failures")), "{out}");
    assert!(out.contains("h2/8.3/pseudo-header-in-trailers ... expected failure: RFC 9113 §8.1"), "the list's reason: {out}");
    // An explicit list for the built-in target still works.
    let known = concat!(env!("CARGO_MANIFEST_DIR"), "/src/target/known-failures.txt");
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
    let o = peerspec(&["run", &case, "--known-failures", &known, "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("case wrong-status ... expected failure: the built-in target answers 200"), "{}", text(&o));
    assert!(text(&o).contains("case result: ok. 0 passed; 0 failed; 1 expected failures"), "still reported: {}", text(&o));
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
    // A value of the wrong form: the message names the field and the accepted forms, and
    // points at the value itself (line 7, column 17), not at its parent.
    let wrong = write(
        dir.path(),
        "wrong.yaml",
        "id: x\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect:\n      response:\n        status: { code: 200 }\n",
    );
    let o = peerspec(&["check", &wrong]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("wrong.yaml:7:17: steps[1].expect.response.status: expected one value or a list of allowed values (status: 400 or status: [400, 411])"),
        "{out}"
    );
    assert!(out.contains("got { code: 200 }") && !out.contains("untagged enum"), "{out}");
    let o = peerspec(&["check"]);
    assert_eq!(o.status.code(), Some(0), "the built-in suites are valid: {}", text(&o));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(peerspec(&["run", "--target", "gopher://x"]).status.code(), Some(2));
    assert_eq!(peerspec(&["run", "--jobs", "many"]).status.code(), Some(2));
    assert_eq!(peerspec(&["frobnicate"]).status.code(), Some(2));
}

/// Runs the binary from `dir`.
fn peerspec_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peerspec")).args(args).current_dir(dir).output().expect("the binary runs")
}

#[test]
fn a_missing_path_is_a_usage_error_naming_the_near_match() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("my-cases")).unwrap();
    write(&dir.path().join("my-cases"), "get.yaml", "id: mine/get\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n");
    for word in ["does-not-exist.yaml", "./nope/", "cases/ws"] {
        let o = peerspec_in(dir.path(), &["run", word]);
        assert_eq!(o.status.code(), Some(2), "{word}: {}", text(&o));
        assert!(text(&o).contains(&format!("error: {word}: no such file or directory")), "{}", text(&o));
    }
    // The repository's folder, run from elsewhere: the built-in suites hold the same cases.
    assert!(text(&peerspec_in(dir.path(), &["run", "cases/ws"])).contains("select them by id with `ws/`"));
    let o = peerspec_in(dir.path(), &["run", "my-case/"]);
    assert!(text(&o).contains("did you mean my-cases?"), "{}", text(&o));
    let o = peerspec_in(dir.path(), &["run", "my-cases/get.yml"]);
    assert!(text(&o).contains("did you mean my-cases/get.yaml?"), "{}", text(&o));
    // A word with a slash that is part of a case id stays a filter.
    assert_eq!(peerspec_in(dir.path(), &["run", "--list", "seed/http1.1/"]).status.code(), Some(0));
}

#[test]
fn a_run_that_selects_no_case_fails_unless_allowed() {
    let o = peerspec(&["run", "no-case-has-this-id"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert_eq!(text(&o).trim(), "error: no cases to run: the arguments select none (--no-cases pass allows it)");
    assert_eq!(peerspec(&["run", "no-case-has-this-id", "--no-cases", "pass"]).status.code(), Some(0));
    let o = peerspec(&["run", "no-case-has-this-id", "--no-cases", "warn"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("warning: no cases to run"), "{}", text(&o));
}

/// A loopback HTTP/1.1 server that answers `connections` connections with a 200 and an empty
/// body, whatever they send, then closes its listener (later connections are refused).
fn answering_server(connections: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut listener = Some(listener);
        for i in 0..connections {
            let Some(Ok((mut conn, _))) = listener.as_ref().map(|l| l.accept()) else { return };
            if i + 1 == connections {
                // Closed before the last answer is written, so whatever connects after it is
                // refused, however fast it comes.
                listener = None;
            }
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        drop(listener);
    });
    url
}

#[test]
fn suites_fit_the_target_and_the_choice_is_said_on_stderr() {
    let o = peerspec(&["run", "--list", "--target", "http://127.0.0.1:9"]);
    assert_eq!(o.status.code(), Some(0), "--list does not contact the target: {}", text(&o));
    let url = answering_server(2);
    // Every case requires a capability this server does not declare: all skipped, which fails.
    let dir = tempfile::tempdir().unwrap();
    let case = write(
        dir.path(),
        "needs.yaml",
        "id: needs/files\nprotocol: http/1.1\nrequires: [seed-files]\nsteps:\n  - send: { request: { target: / } }\n---\nid: needs/h2\nprotocol: h2\nsteps:\n  - send: { h2_request: { headers: { ':method': GET, ':path': / } } }\n",
    );
    let o = peerspec(&["run", &case, "--target", &url]);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(stderr.contains("  http1: run — the target answered HEAD / with HTTP/1.1 200 OK"), "{stderr}");
    assert!(
        stderr.contains(
            "  h2: not run — the target did not answer the HTTP/2 connection preface (it sent HTTP/1.1 200 OK); --only h2 runs it anyway"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("the cases named run (explicit paths or --only)"), "{stderr}");
    // The explicit path overrides the choice: the h2 case ran (and cannot connect: the server is gone).
    assert!(text(&o).contains("case needs/h2 ... ERROR (setup)"), "{}", text(&o));
    // Without the h2 case, the run skipped everything: that fails too.
    let url = answering_server(2);
    let html = dir.path().join("report.html");
    let o = peerspec(&["run", &case, "--target", &url, "--skip", "needs/h2", "--html", html.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("skipped: the target does not declare seed-files (--provides seed-files)"), "the HTML report says why: {page}");
    assert!(
        text(&o).contains("error: every case was skipped (1 skipped: see the reasons above) (--no-cases pass allows it)"),
        "{}",
        text(&o)
    );
    // The built-in suites against an HTTP/1-only server: no h2 and no WebSocket case runs.
    let url = answering_server(2);
    let o = peerspec(&[
        "run",
        "--target",
        &url,
        "--no-cases",
        "pass",
        "--quiet",
        "--timeout",
        "1s",
        "http1.1/keep-alive/persistent-by-default",
        "h2/",
    ]);
    let out = text(&o);
    assert!(out.contains("running 1 cases"), "{out}");
    assert!(!out.contains("case h2/"), "{out}");
}

#[test]
fn a_dead_target_and_a_broken_case_are_errors_not_failures() {
    // The target answers the check (two connections) and is gone for the cases: setup errors.
    let url = answering_server(2);
    let dir = tempfile::tempdir().unwrap();
    let cases = write(
        dir.path(),
        "cases.yaml",
        "id: k/get\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n",
    );
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("report.json");
    let known = write(dir.path(), "known.txt", "# a setup error is never forgiven\nk/get\n");
    let o = peerspec(&[
        "run",
        &cases,
        "--target",
        &url,
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--known-failures",
        &known,
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("case k/get ... ERROR (setup)"), "{}", text(&o));
    assert!(text(&o).contains("0 failed; 1 errors (setup/authoring)"), "{}", text(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let error = doc.descendants().find(|n| n.has_tag_name("error")).expect("an <error>");
    assert_eq!(error.attribute("type"), Some("setup"));
    assert!(error.attribute("message").unwrap().contains("cannot connect"), "{xml}");
    assert!(!doc.descendants().any(|n| n.has_tag_name("failure")), "{xml}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["cases"][0]["failure_kind"], "setup");
    assert_eq!(report["summary"]["errors"], 1);

    // A case that cannot be run as written is an error of the case file, found when it loads,
    // before anything runs: exit 2, the place and what was expected.
    let broken = write(
        dir.path(),
        "broken.yaml",
        "id: k/h2-send-in-http1\nprotocol: http/1.1\nsteps:\n  - send: { h2_request: { headers: { ':method': GET, ':path': / } } }\n---\nid: k/fails\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 299 } }\n",
    );
    let fresh = dir.path().join("fresh-junit.xml");
    let o = peerspec(&["run", &broken, "--junit", fresh.to_str().unwrap(), "--color", "never"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("broken.yaml:4:13: case \"k/h2-send-in-http1\": step 1: `h2_request` does not belong in a http/1.1 case"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("case k/fails ..."), "nothing runs: {}", text(&o));

    // A rule broken by the peer stays a failure, not an error.
    let fails = write(
        dir.path(),
        "fails.yaml",
        "id: k/fails\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 299 } }\n",
    );
    let o = peerspec(&["run", &fails, "--junit", junit.to_str().unwrap(), "--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("case k/fails ... FAILED"), "{}", text(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(!doc.descendants().any(|n| n.has_tag_name("error")), "{xml}");
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).expect("a <failure>");
    assert_eq!(failure.attribute("type"), Some("conformance"));
    assert!(failure.attribute("message").unwrap().contains("status: expected 299, saw 200"), "the first difference: {xml}");
}

#[test]
fn mistyped_capabilities_and_known_failure_ids_are_errors_naming_near_matches() {
    let o = peerspec(&["run", "--target", "http://127.0.0.1:9", "--provides", "seed-file"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no case requires the capability `seed-file` (did you mean seed-files"), "{}", text(&o));
    let dir = tempfile::tempdir().unwrap();
    let known = write(dir.path(), "known.txt", "seed/http1.1/content-length-keepalive\n");
    let o = peerspec(&["run", "--known-failures", &known]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("`seed/http1.1/content-length-keepalive` is not the id of any case loaded (did you mean seed/http1.1/content-length-keep-alive?)"), "{}", text(&o));
}

#[test]
fn serve_needs_a_suite_and_list_survives_a_closed_pipe() {
    let o = peerspec(&["serve", "--client", "true"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("serve plays the built-in client suites one at a time"), "{}", text(&o));
    // `peerspec run --list | head -1`: the pipe closes early; no panic.
    let o =
        Command::new("sh").args(["-c", &format!("'{}' run --list | head -1; exit 0", env!("CARGO_BIN_EXE_peerspec"))]).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

#[test]
fn help_groups_options_and_shows_examples() {
    let o = peerspec(&["run", "--help"]);
    let out = text(&o);
    for heading in ["Target:", "Selection:", "Running:", "Verdicts:", "Reports:", "Examples:", "Exit status:"] {
        assert!(out.contains(heading), "{heading}: {out}");
    }
}

#[test]
fn a_dead_target_is_one_usage_error_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let o = peerspec(&["run", "--target", &url]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.starts_with(&format!("error: cannot reach the target {url}: Connection refused")), "{out}");
    assert_eq!(out.lines().count(), 1, "one message: {out}");
    // Nothing waits on a refused connection: far below the check's 3 s deadlines even on a loaded machine.
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    for scheme in ["https", "ws"] {
        let o = peerspec(&["run", "--target", &format!("{scheme}://127.0.0.1:{port}/")]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("cannot reach the target"), "{}", text(&o));
    }
}

#[test]
fn a_target_that_accepts_and_never_answers_is_one_usage_error_within_seconds() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // The kernel accepts connections into the backlog; nobody ever reads or writes.
    let started = std::time::Instant::now();
    let o = peerspec(&["run", "--target", &url]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("accepted the connection but did not answer HEAD / nor the HTTP/2 connection preface within 3 s"), "{out}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(3), "it waited for the answer");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    drop(listener);
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

/// The listed ids and their protocol, from `--list` output (`id: case  (protocol, spec)`).
fn listed(o: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once(": case  (").map(|(id, rest)| (id.to_string(), rest.split(',').next().unwrap_or("").to_string())))
        .collect()
}

#[test]
fn only_selects_protocol_families_and_rejects_unknown_names() {
    let all = listed(&peerspec(&["run", "--list"]));
    let http1 = listed(&peerspec(&["run", "--list", "--only", "http1"]));
    let h2 = listed(&peerspec(&["run", "--list", "--only", "h2"]));
    let ws = listed(&peerspec(&["run", "--list", "--only", "ws"]));
    let sse = listed(&peerspec(&["run", "--list", "--only", "sse"]));
    assert!(!http1.is_empty() && !h2.is_empty() && !ws.is_empty() && !sse.is_empty());
    assert!(
        http1.iter().all(|(id, p)| (p == "http/1.0" || p == "http/1.1") && !id.starts_with("sse/") && !id.starts_with("seed/sse/")),
        "{http1:?}"
    );
    assert!(http1.iter().any(|(_, p)| p == "http/1.0") && http1.iter().any(|(_, p)| p == "http/1.1"));
    assert!(h2.iter().all(|(id, p)| p == "h2" && !id.contains("sse/")), "{h2:?}");
    assert!(ws.iter().all(|(_, p)| p == "websocket"), "{ws:?}");
    // SSE cases go over HTTP/1.0, HTTP/1.1 and HTTP/2; `sse` takes them all, and only them.
    assert!(sse.iter().all(|(id, _)| id.starts_with("sse/") || id.starts_with("seed/sse/")), "{sse:?}");
    assert!(sse.iter().any(|(_, p)| p == "h2") && sse.iter().any(|(_, p)| p == "http/1.0"));
    // The families split the suites: together they are every case, none twice.
    assert_eq!(http1.len() + h2.len() + ws.len() + sse.len(), all.len());
    assert_eq!(listed(&peerspec(&["run", "--list", "--only", "http1,h2"])).len(), http1.len() + h2.len());
    assert_eq!(listed(&peerspec(&["run", "--list", "--only", "websocket"])), ws);
    let only_10 = listed(&peerspec(&["run", "--list", "--only", "http/1.0"]));
    assert!(!only_10.is_empty() && only_10.iter().all(|(_, p)| p == "http/1.0"));
    // It combines with id filters, and works for `serve` (the client suites) too.
    let seed_h2 = listed(&peerspec(&["run", "--list", "--only", "h2", "seed/"]));
    assert!(!seed_h2.is_empty() && seed_h2.iter().all(|(id, _)| id.starts_with("seed/h2/")), "{seed_h2:?}");
    let served = listed(&peerspec(&["serve", "--list", "--only", "http1"]));
    assert!(!served.is_empty() && served.iter().all(|(id, _)| id.starts_with("client/")), "{served:?}");
    assert!(listed(&peerspec(&["serve", "--list", "--only", "ws"])).iter().all(|(_, p)| p == "websocket"));

    let o = peerspec(&["run", "--list", "--only", "http1,gopher"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown protocol `gopher`") && text(&o).contains("sse"), "{}", text(&o));
}

#[test]
fn spec_selects_a_section_and_its_subsections_and_runs_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let case = |id: &str, spec: &str| {
        format!("id: {id}\nprotocol: http/1.1\nspec: {spec}\nsteps:\n  - send: {{ request: {{ target: / }} }}\n  - expect: {{ response: {{ status: 200 }} }}\n")
    };
    let file = write(
        dir.path(),
        "specs.yaml",
        &[
            case("s/section", "RFC 9112 §7.1"),
            case("s/subsection", "RFC 9112 §7.1.2 (last chunk)"),
            case("s/not-a-subsection", "RFC 9112 §7.10"),
            case("s/second-citation", "RFC 9110 §8.6; RFC 9112 §6.3, §7.1.3"),
            case("s/other-rfc", "RFC 9113 §7.1"),
            case("s/websocket", "RFC 6455 §5.2"),
        ]
        .join("---\n"),
    );
    let ids = |o: &Output| listed(o).into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    let o = peerspec(&["run", "--list", &file, "--spec", "RFC 9112 §7.1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(ids(&o), ["s/section", "s/subsection", "s/second-citation"]);
    // Several --spec: any of them. A whole document. Case and spaces do not matter.
    let o = peerspec(&["run", "--list", &file, "--spec", "rfc9112 §7.10", "--spec", "RFC 6455"]);
    assert_eq!(ids(&o), ["s/not-a-subsection", "s/websocket"]);
    // Running, not only listing: the summary counts the selected cases only.
    let o = peerspec(&["run", &file, "--spec", "RFC 9113 §7", "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("case s/other-rfc ... ok") && text(&o).contains("1 passed; 0 failed"), "{}", text(&o));
    // The built-in suites: every case taken cites RFC 9112 §7.1 or below it.
    let o = peerspec(&["run", "--list", "--spec", "RFC 9112 §7.1"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("seed/http1.1/chunked-zero-chunk-ends-body"), "{out}");
    assert!(out.lines().filter(|l| l.contains(": case")).all(|l| l.contains("§7.1")), "{out}");
    // Mistakes are told, not silently empty.
    let o = peerspec(&["run", "--list", "--spec", "RFC 9112 7.1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("write the section with §"), "{}", text(&o));
    let o = peerspec(&["run", "--list", &file, "--spec", "RFC 9999 §1"]);
    assert!(text(&o).contains("warning: no case cites RFC 9999 §1"), "{}", text(&o));
    assert!(text(&o).contains("\n0 cases"), "{}", text(&o));
}

/// Whether `text` holds an ANSI colour (SGR) sequence.
fn has_colour(text: &str) -> bool {
    regex::Regex::new("\x1b\\[[0-9;]*m").unwrap().is_match(text)
}

/// Runs peerspec under a pseudo-terminal (`script` from util-linux, as on every Debian), so
/// that stdout and stderr are terminals; returns everything it wrote. `env` is added to a
/// clean NO_COLOR-free environment.
fn peerspec_in_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_peerspec"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let o = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` (util-linux) runs programs in a pseudo-terminal");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn colour_follows_the_color_flag_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "seed/http1.1/", "--junit", junit.to_str().unwrap()];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_peerspec")).args(&args).env_remove("NO_COLOR").output().unwrap()
    };
    let o = run(&["--color", "always"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("\x1b[32mok\x1b[0m"), "green ok: {out:?}");
    assert!(!has_colour(&std::fs::read_to_string(&junit).unwrap()), "report files are never coloured");
    let o = run(&["--color", "never"]);
    assert!(!has_colour(&text(&o)) && text(&o).contains("... ok"), "{:?}", text(&o));
    // auto: stdout is a pipe here, so no colour.
    let o = run(&[]);
    assert!(!has_colour(&text(&o)), "{:?}", text(&o));
    // --color always even with NO_COLOR (the flag is the user's explicit choice).
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .args(["run", "seed/http1.1/", "--color", "always"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(has_colour(&String::from_utf8_lossy(&o.stdout)));

    // A failing case: FAILED in red; a SHOULD failure in yellow.
    let case = write(
        dir.path(),
        "fails.yaml",
        "id: must-fail\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 299 } }\n---\nid: should-fail\nprotocol: http/1.1\nlevel: should\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 299 } }\n",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec")).args(["run", &case, "--color", "always"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("case must-fail ... \x1b[1m\x1b[31mFAILED\x1b[0m"), "{out:?}");
    assert!(out.contains("case should-fail ... \x1b[1m\x1b[33mFAILED (should, not required)\x1b[0m"), "{out:?}");

    // auto on a terminal: colour, unless NO_COLOR is set to something non-empty.
    assert!(has_colour(&peerspec_in_terminal(&["run", "seed/http1.1/"], &[])));
    assert!(has_colour(&peerspec_in_terminal(&["run", "seed/http1.1/"], &[("NO_COLOR", "")])), "an empty NO_COLOR is unset");
    let out = peerspec_in_terminal(&["run", "seed/http1.1/"], &[("NO_COLOR", "1")]);
    assert!(out.contains("... ok") && !has_colour(&out), "{out:?}");
    assert!(!has_colour(&peerspec_in_terminal(&["run", "seed/http1.1/", "--color", "never"], &[])));
}

#[test]
fn the_progress_bar_shows_on_a_terminal_after_a_second_and_never_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    // Two cases that take 2 s: long enough for the bar to appear (after 1 s), with a margin for
    // a loaded machine.
    let slow =
        "protocol: http/1.1\nsteps:\n  - pause: 2s\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n";
    let case = write(dir.path(), "slow.yaml", &format!("id: slow-a\n{slow}---\nid: slow-b\n{slow}"));
    let bar = regex::Regex::new(r"\d/2 cases  \d passed, \d failed  \[00:00:0[1-9]\]").unwrap();

    let out = peerspec_in_terminal(&["run", &case], &[]);
    assert!(bar.is_match(&out), "a bar on a terminal: {out:?}");
    // Case lines are printed whole, on their own line, with the bar cleared first.
    assert!(out.contains("\x1b[2Kcase slow-a ... ") || out.contains("\ncase slow-a ... "), "{out:?}");
    assert!(out.contains("2 passed; 0 failed"), "{out:?}");

    let out = peerspec_in_terminal(&["run", &case, "--no-progress"], &[]);
    assert!(!bar.is_match(&out) && out.contains("2 passed; 0 failed"), "--no-progress: {out:?}");

    // stderr not a terminal (a pipe here): no bar, on either stream.
    let o = peerspec(&["run", &case]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!bar.is_match(&text(&o)) && !text(&o).contains('\r'), "{:?}", text(&o));

    // A run shorter than a second draws nothing, even on a terminal.
    let out = peerspec_in_terminal(&["run", "seed/http1.1/"], &[]);
    assert!(!out.contains(" cases  0 passed") && !out.contains("/2 cases"), "{out:?}");
    let quick = regex::Regex::new(r"\d+/\d+ cases  \d+ passed").unwrap();
    assert!(!quick.is_match(&out), "{out:?}");
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
