#!/usr/bin/env bash
# Whole-process comparison: `segscope segment DATA --k 4` against bench/notebook.py (pandas +
# scikit-learn doing the same work), on the Zeotap data and on generated data, RUNS times each.
# Writes BENCHMARKS.md with medians, peak memory and ratios. One command:
#   ./bench/run.sh            # Zeotap + 1M transactions (100k customers)
#   ./bench/run.sh --big      # also 10M transactions (1M customers)
# The Python side lives in bench/.venv (created and filled from PyPI on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
big=${1:-}
venv=bench/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandas scikit-learn
fi
cargo build --release -q
bin=target/release/segscope
data=bench/data
mkdir -p "$data"
[ -d "$data/1m" ] || "$bin" sample --customers 100000 --transactions 1000000 --seed 1 --out "$data/1m"
sets=("zeotap:../shared/data/zeotap" "1M transactions / 100k customers:$data/1m")
if [ "$big" = "--big" ]; then
  [ -d "$data/10m" ] || "$bin" sample --customers 1000000 --transactions 10000000 --seed 1 --out "$data/10m"
  sets+=("10M transactions / 1M customers:$data/10m")
fi

# Median wall time (s) and peak RSS (MB) of RUNS runs of a command.
measure() {
  local times=() mems=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o /tmp/segscope-bench.time "$@" > /dev/null
    read -r t m < /tmp/segscope-bench.time
    times+=("$t"); mems+=("$m")
  done
  local mt mm
  mt=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  mm=$(printf '%s\n' "${mems[@]}" | sort -g | tail -1)
  echo "$mt $((mm / 1024))"
}

{
  echo "# Benchmarks"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -m); \`./bench/run.sh${big:+ $big}\`, median of $runs runs each."
  echo
  echo "Work: load the folder, per-customer rfm+ features, log1p + robust scaling, K-means K=4,"
  echo "silhouette, Davies-Bouldin. segscope also does more than the script: 20 K-means restarts (the"
  echo "script 10), silhouette exact up to 20,000 customers (the script samples 10,000), profiles,"
  echo "personas, and the K-means/GMM agreement."
  echo
  echo "| dataset | segscope median s | segscope peak MB | pandas+sklearn median s | pandas+sklearn peak MB | speed-up |"
  echo "|---|---|---|---|---|---|"
} > BENCHMARKS.md
for entry in "${sets[@]}"; do
  name=${entry%%:*}; dir=${entry#*:}
  read -r st sm < <(measure "$bin" segment "$dir" --k 4 --format json)
  read -r pt pm < <(measure "$venv/bin/python" bench/notebook.py "$dir")
  ratio=$(awk -v a="$pt" -v b="$st" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')
  echo "| $name | $st | $sm | $pt | $pm | $ratio |" >> BENCHMARKS.md
  case "$name" in
    1M*) status_1m=$(awk -v a="$pt" -v b="$st" -v m="$sm" 'BEGIN {
           printf "1M transactions (issue #6: >= 10x faster, <= 400 MB): %.1fx %s, %d MB %s", a / b,
             (a / b >= 10 ? "(met)" : "(not met)"), m, (m <= 400 ? "(met)" : "(not met)") }') ;;
    10M*) status_10m=$(awk -v b="$st" -v m="$sm" 'BEGIN {
           printf "10M transactions (<= 10 s, <= 3 GB): %.1f s %s, %d MB %s", b, (b <= 10 ? "(met)" : "(not met)"),
             m, (m <= 3072 ? "(met)" : "(not met)") }') ;;
  esac
done
{
  echo
  echo "Targets:"
  echo
  echo "- ${status_1m:-1M transactions: not measured}"
  echo "- ${status_10m:-10M transactions: not measured (run with --big)}"
  echo "- TUI, K change and lookalike targets: not measured by this script yet."
} >> BENCHMARKS.md
cat BENCHMARKS.md
