#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each) and writes fuzz/RESULTS.md:
# executions and crashes per target. Not part of CI's test command.
#   ./fuzz/run.sh [SECONDS_PER_TARGET]
# Needs cargo-fuzz (cargo install cargo-fuzz). RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z
# flags to the stable toolchain this machine has. The seeds in fuzz/seeds stay small; what the
# fuzzer finds goes to a temporary corpus, and crashing inputs to fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
export RUSTC_BOOTSTRAP=1
targets=(load_csv roles dates numbers output_paths config_toml)
mkdir -p fuzz/logs
cargo fuzz build --sanitizer none
{
  echo "# Fuzz results"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, ${secs} s per target, \`./fuzz/run.sh ${secs}\`, sanitizer none (panics and aborts count as crashes)."
  echo
  echo "| target | executions | crashes | corpus (new inputs found) |"
  echo "|---|---|---|---|"
} > fuzz/RESULTS.md
status=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  set +e
  cargo fuzz run --sanitizer none "$t" "$work" "fuzz/seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1 > "fuzz/logs/$t.log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "fuzz/logs/$t.log" | grep -oE '[0-9]+$' | tail -1)
  crashes=$(ls "fuzz/artifacts/$t" 2>/dev/null | grep -c '^crash-' || true)
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes="1 (exit $rc, see fuzz/logs/$t.log)"
  [ "$rc" -ne 0 ] && status=1
  echo "| $t | ${runs:-?} | $crashes | $(ls "$work" | wc -l) |" >> fuzz/RESULTS.md
  rm -rf "$work"
done
cat fuzz/RESULTS.md
exit $status
