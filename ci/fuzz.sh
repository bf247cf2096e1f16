#!/usr/bin/env bash
# Runs every cargo-fuzz target in harness/fuzz for SECONDS each (default 60), one after another.
# Exits non-zero when a target crashes, hangs or fails to build. Not part of .ci/run: too slow.
#
#   ci/fuzz.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and nightly compiler flags; on a stable toolchain
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass them. Crashes land in harness/fuzz/artifacts/<target>/.
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")/../harness/fuzz"
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
# Safe Rust: no sanitizer (much faster to build); panics and debug assertions are what we catch.
flags=(-s none -O -a)

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build "${flags[@]}"

failed=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  # Regression inputs are replayed first as part of the corpus.
  seeds=()
  [ -d "regressions/$t" ] && seeds=("regressions/$t")
  echo "== $t: ${seconds}s"
  # The outer timeout bounds a target that ignores -max_total_time (a hang inside one input is
  # caught by -timeout).
  log="$(mktemp -t "fuzz-$t.XXXXXX.log")"
  if timeout --kill-after=10 "$((seconds + 60))" \
      cargo fuzz run "${flags[@]}" "$t" "corpus/$t" "${seeds[@]}" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  else
    tail -n 40 "$log" >&2
    failed+=("$t")
  fi
  echo "   log: $log"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz targets failed: ${failed[*]} (see harness/fuzz/artifacts/)" >&2
  exit 1
fi
echo "all ${#targets[@]} fuzz targets ran ${seconds}s without a crash"
