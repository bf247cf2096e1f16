#!/usr/bin/env bash
# Checks the CI kits (run by .ci/run):
#   1. ci/github/peerspec.yml and ci/gitlab/.gitlab-ci.yml parse as YAML;
#   2. they validate against the GitHub Actions workflow and GitLab CI JSON Schemas that
#      check-jsonschema carries (pip install check-jsonschema; skipped, and said, without it);
#   3. the JUnit file each one publishes is the one its peerspec command writes;
#   4. the kits' peerspec commands run for real: each is taken out of its file, pointed at an
#      nginx on loopback (ci/nginx/run.sh, standing in for the nginx:stable service) and run
#      through ci/with-server.sh as written; it must exit 0 or 1 (a verdict, not a usage
#      error) and write JUnit, JSON and HTML reports with one test case per selected case.
#
#   ci/check-kits.sh        (PEERSPEC: default target/release/peerspec; KITS_PORT: default 18085)
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
root=$PWD
me=${0##*/}
peerspec=${PEERSPEC:-$root/target/release/peerspec}
port=${KITS_PORT:-18085}
[ -x "$peerspec" ] || { echo "$me: no peerspec at $peerspec" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-kits.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT
failed=0

if command -v check-jsonschema >/dev/null 2>&1; then
    check-jsonschema --builtin-schema vendor.github-workflows ci/github/peerspec.yml || failed=1
    check-jsonschema --builtin-schema vendor.gitlab-ci ci/gitlab/.gitlab-ci.yml || failed=1
else
    echo "$me: check-jsonschema not installed: schema validation skipped (pip install check-jsonschema)" >&2
fi

# Parses both kits, checks what each publishes, and writes each kit's peerspec command as a
# script for this machine: the service's address becomes the loopback nginx's, the clone of
# peerspec becomes this repository.
python3 - "$tmp" "$port" "$root" <<'PY' || failed=1
import re, sys, yaml
tmp, port, root = sys.argv[1:4]
errors = []

def junit_path(command):
    m = re.search(r"--junit\s+(\S+)", command)
    return m.group(1) if m else None

gh = yaml.safe_load(open("ci/github/peerspec.yml"))
job = gh["jobs"]["conformance"]
assert job["services"]["server"]["image"] == "nginx:stable"
steps = job["steps"]
run = next(s["run"] for s in steps if "run" in s and "peerspec run" in s["run"])
junit = next(s["with"]["report_paths"] for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report@"))
upload = next(s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
if junit_path(run) != junit:
    errors.append(f"github: publishes {junit} but peerspec writes {junit_path(run)}")
if not junit.startswith(upload.rstrip("/") + "/"):
    errors.append(f"github: the artifact {upload} does not hold {junit}")
script = run.replace("$RUNNER_TEMP/peerspec", root).replace("127.0.0.1:8080", f"127.0.0.1:{port}")
open(f"{tmp}/github.sh", "w").write(script)

gl = yaml.safe_load(open("ci/gitlab/.gitlab-ci.yml"))
job = gl["peerspec"]
assert any(s["name"] == "nginx:stable" and s["alias"] == "server" for s in job["services"])
run = next(line for line in job["script"] if "peerspec run" in line)
junit = job["artifacts"]["reports"]["junit"]
if junit_path(run) != junit:
    errors.append(f"gitlab: publishes {junit} but peerspec writes {junit_path(run)}")
if job["artifacts"].get("when") != "always":
    errors.append("gitlab: artifacts must be kept when the job fails (when: always)")
script = run.replace("/tmp/peerspec/", root + "/").replace("server:80", f"127.0.0.1:{port}")
open(f"{tmp}/gitlab.sh", "w").write(script)
for e in errors:
    print("check-kits:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
[ $failed = 0 ] && echo "$me: ok: both kits parse, validate and publish what they write"

expected=$("$peerspec" run --list --only http1 | grep -c ': case ')
for kit in github gitlab; do
    [ -s "$tmp/$kit.sh" ] || { failed=1; continue; }
    mkdir -p "$tmp/$kit" && cd "$tmp/$kit" || exit 2
    PATH="$(dirname "$peerspec"):$PATH" "$root/ci/nginx/run.sh" "$port" -- bash "$tmp/$kit.sh" >"$tmp/$kit.out" 2>&1
    status=$?
    cd "$root" || exit 2
    cases=$(grep -c '<testcase' "$tmp/$kit/reports/peerspec-junit.xml" 2>/dev/null)
    if { [ $status = 0 ] || [ $status = 1 ]; } && [ "${cases:-0}" = "$expected" ] \
        && [ -s "$tmp/$kit/reports/peerspec.json" ] && [ -s "$tmp/$kit/reports/peerspec.html" ]; then
        echo "$me: ok: the $kit kit's command ran against nginx: exit $status, $cases test cases in its JUnit report, $(grep -E '^case result' "$tmp/$kit.out")"
    else
        echo "$me: FAILED: the $kit kit's command: exit $status, ${cases:-no} test cases (expected $expected)" >&2
        tail -n 20 "$tmp/$kit.out" >&2
        failed=1
    fi
done
exit $failed
