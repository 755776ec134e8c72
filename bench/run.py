"""Runs every issue #6 measurement and writes BENCHMARKS.md (called by bench/run.sh).

Whole-process comparisons use /usr/bin/time (wall seconds, peak RSS) over RUNS runs and report
medians; the pandas + scikit-learn side is bench/notebook.py doing the same work.
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release/segscope")
PY = sys.executable
RUNS = int(os.environ.get("RUNS", "3"))
QUICK = "--quick" in sys.argv


def timed(cmd, **kw):
    """Wall seconds and peak RSS (MB) of one run; fails loudly if the command fails."""
    with tempfile.NamedTemporaryFile() as t:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *cmd],
                       stdout=subprocess.DEVNULL, check=True, cwd=ROOT, **kw)
        wall, kb = Path(t.name).read_text().split()[-2:]
    return float(wall), int(kb) / 1024


def median_of(cmd):
    runs = [timed(cmd) for _ in range(RUNS)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def paired_medians(a, b):
    """median_of for two commands whose runs alternate (a, b, a, b, ...): this machine's speed
    drifts over minutes, and alternating keeps the drift out of their ratio."""
    runs = [(timed(a), timed(b)) for _ in range(RUNS)]
    return tuple((statistics.median(r[i][0] for r in runs), max(r[i][1] for r in runs))
                 for i in (0, 1))


def sample(name, customers, transactions):
    out = ROOT / "bench/data" / name
    if not (out / "Transactions.csv").exists():
        subprocess.run([BIN, "sample", "--customers", str(customers), "--transactions",
                        str(transactions), "--seed", "1", "--out", str(out), "--force"],
                       check=True, cwd=ROOT)
    return str(out)


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.machine()}"


def versions():
    import pandas
    import sklearn
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{rustc}; Python {platform.python_version()}, pandas {pandas.__version__}, scikit-learn {sklearn.__version__}"


def status(ok):
    return "met" if ok else "NOT met"


def kernels():
    """Criterion medians (the middle of its [low estimate high] triple)."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", "kernels", "--", "--warm-up-time", "1",
         "--measurement-time", "3"],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout
    rows, name = [], None
    for line in out.splitlines():
        m = re.match(r"^(\S.*?)\s+time:\s+\[(\S+ \S+) (\S+ \S+) (\S+ \S+)\]", line)
        if m:
            rows.append((m.group(1).strip(), m.group(3)))
            continue
        if line and not line.startswith(" ") and "time:" not in line and "/" in line:
            name = line.strip()
            continue
        m = re.match(r"^\s+time:\s+\[(\S+ \S+) (\S+ \S+) (\S+ \S+)\]", line)
        if m and name:
            rows.append((name, m.group(2)))
            name = None
    return rows


def main():
    started = time.time()
    sets = [("Zeotap (real, 1,000 lines / 200 customers)", str(ROOT.parent / "shared/data/zeotap")),
            ("1M lines / 100k customers", sample("1m", 100_000, 1_000_000))]
    if not QUICK:
        sets.append(("10M lines / 1M customers", sample("10m", 1_000_000, 10_000_000)))
    rows, results, answers = [], {}, []
    for name, path in sets:
        s, p = paired_medians([BIN, "segment", path, "--k", "4", "--format", "json"],
                              [PY, "bench/notebook.py", path])
        results[name] = (s, p)
        rows.append(f"| {name} | {s[0]:.2f} | {s[1]:.0f} | {p[0]:.2f} | {p[1]:.0f} | {p[0] / s[0]:.1f}x |")
        # The same answer: K-means inertia and the sampled silhouette of each side.
        ours = json.loads(subprocess.run([BIN, "segment", path, "--k", "4", "--format", "json"],
                                         capture_output=True, text=True, check=True, cwd=ROOT).stdout)
        theirs = json.loads(subprocess.run([PY, "bench/notebook.py", path], capture_output=True,
                                           text=True, check=True, cwd=ROOT).stdout)
        oi, ti = ours["metrics"]["inertia"], theirs["inertia"]
        answers.append(f"| {name} | {ours['n_customers']} / {theirs['n_customers']} | {oi:.2f} | {ti:.2f} | "
                       f"{100 * (oi - ti) / ti:+.3f}% | {ours['metrics']['silhouette']:.4f} | {theirs['silhouette']:.4f} |")

    tui_runs = []
    for _ in range(RUNS):
        out = subprocess.run([PY, "bench/tui_pty.py", BIN, sets[1][1]], capture_output=True,
                             text=True, check=True, cwd=ROOT).stdout
        tui_runs.append(json.loads(out))

    def med(get):
        vals = [get(r) for r in tui_runs if get(r) is not None]
        return statistics.median(vals) if vals else float("nan")

    tui = {
        "first": med(lambda r: r["first_frame_ms"]),
        "loaded": med(lambda r: r["loaded_ms"]),
        "eda": med(lambda r: r["ready_ms"]["eda ready"]),
        "trends": med(lambda r: r["ready_ms"]["trends ready"]),
        "segments": med(lambda r: r["ready_ms"]["segments ready"]),
        "index": med(lambda r: r["ready_ms"]["index ready"]),
        "value": med(lambda r: r["ready_ms"]["value ready"]),
        "clv": med(lambda r: r["clv_ready_ms"]),
        "all": med(lambda r: r["all_ready_ms"]),
        "key": med(lambda r: r["key_frame_ms"]["median"]),
        "key_max": max(r["key_frame_ms"]["max"] for r in tui_runs),
        "k": med(lambda r: r["k_change_ms"]["median"]),
        "k_max": max(r["k_change_ms"]["max"] for r in tui_runs),
        "rss": max(r["peak_rss_mb"] for r in tui_runs),
    }
    nav_bytes = {}
    for r in tui_runs:
        for name, v in r["bytes_per_key"].items():
            nav_bytes.setdefault(name, []).append(v)
    value_rows, value_targets = [], []
    for command in (["rfm"], ["clv"], ["cohorts"]):
        totals, beyond = [], []
        for _ in range(RUNS):
            run = subprocess.run([BIN, *command, sets[1][1], "--format", "csv"], capture_output=True,
                                 text=True, check=True, cwd=ROOT, env={**os.environ, "SEGSCOPE_TIMINGS": "1"})
            load_ms = float(re.search(r"^timing load: ([\d.]+) ms", run.stderr, re.M).group(1))
            done_ms = float(re.search(r"^timing done: ([\d.]+) ms", run.stderr, re.M).group(1))
            totals.append(done_ms / 1000)
            beyond.append((done_ms - load_ms) / 1000)
        t, b = statistics.median(totals), statistics.median(beyond)
        value_rows.append(f"| segscope {command[0]} | {t:.2f} | {b:.2f} |")
        value_targets.append((f"{command[0]} at 1M lines / 100k customers <= 1 s beyond the load: {b:.2f} s", b <= 1.0))
    look = median_of([BIN, "lookalike", sets[1][1], "--all", "--top", "3", "--format", "csv",
                      "--out", "/tmp/segscope-bench-lookalike.csv", "--force"])
    # A slice (#16): every EDA table of one region and half a year, from the file, against all
    # of them; the TUI's slice bar runs the same filter and tables on its worker.
    eda_all = median_of([BIN, "eda", sets[1][1], "--format", "json"])
    eda_slice = median_of([BIN, "eda", sets[1][1], "--where", "region=Europe", "--from", "2023-07-01",
                           "--to", "2023-12-31", "--format", "json"])
    kern = kernels()

    s1, p1 = results[sets[1][0]]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `./bench/run.sh{' --quick' if QUICK else ''}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC in {(time.time() - started) / 60:.0f} min. "
        f"Every figure is a median of {RUNS} runs; memory is the peak RSS (the largest of the runs).",
        "",
        f"Machine: {machine()}. {versions()}.",
        "",
        "## segscope segment --k 4 against the pandas + scikit-learn script",
        "",
        "Same work on both sides: load the folder, per-customer features, log1p + robust scaling,",
        "K-means K=4 with 10 restarts, silhouette on a 10,000-row sample, Davies-Bouldin",
        "(bench/notebook.py). segscope also writes profiles and personas and fits a Gaussian mixture",
        "on a 2,000-row sample for the agreement index. Data: `segscope sample --seed 1`. The two",
        "sides' runs alternate, so a drift in the machine's speed reaches both.",
        "",
        "| data | segscope s | segscope MB | pandas+sklearn s | pandas+sklearn MB | speed-up |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "The same answer (one run each): customers, K-means inertia (lower is better) and the",
        "silhouette on each side's own 10,000-row sample.",
        "",
        "| data | customers (segscope / script) | segscope inertia | script inertia | difference | segscope silhouette | script silhouette |",
        "|---|---|---|---|---|---|---|",
        *answers,
        "",
        "## TUI on 1M lines (through a 160x48 pseudo-terminal, bench/tui_pty.py)",
        "",
        "| measure | median |",
        "|---|---|",
        f"| first frame (overview, loading) | {tui['first']:.0f} ms |",
        f"| dataset loaded | {tui['loaded']:.0f} ms |",
        f"| segments at K=4 on screen | {tui['segments']:.0f} ms |",
        f"| EDA tables ready | {tui['eda']:.0f} ms |",
        f"| trends ready | {tui['trends']:.0f} ms |",
        f"| customer lookup ready | {tui['index']:.0f} ms |",
        f"| Value pane ready (RFM and cohorts) | {tui['value']:.0f} ms |",
        f"| Value pane's lifetime-value fit on screen (BG/NBD + Gamma-Gamma) | {tui['clv']:.0f} ms |",
        f"| K change at 100k customers -> new profile drawn | {tui['k']:.0f} ms (max {tui['k_max']:.0f}) |",
        f"| navigation key -> frame drawn | {tui['key']:.2f} ms (max {tui['key_max']:.1f}) |",
        *[f"| bytes written per keypress: {name} | {statistics.median(x['median'] for x in v):.0f} B "
          f"(max {max(x['max'] for x in v)}) |" for name, v in nav_bytes.items()],
        f"| peak RSS | {tui['rss']:.0f} MB |",
        "",
        "## All-customer top-3 lookalikes, 100k customers",
        "",
        f"`segscope lookalike bench/data/1m --all --top 3`: {look[0]:.2f} s, {look[1]:.0f} MB "
        "(load and features included; exact, memory O(n·k)).",
        "",
        "## A slice of 1M lines (`eda --where region=Europe --from 2023-07-01 --to 2023-12-31`)",
        "",
        f"Every EDA table of the slice: {eda_slice[0]:.2f} s, {eda_slice[1]:.0f} MB (load and filter "
        f"included); of the whole data: {eda_all[0]:.2f} s, {eda_all[1]:.0f} MB.",
        "",
        "## Customer value on 1M lines / 100k customers (`--format csv`, whole process)",
        "",
        "Beyond the load: the run's time less its load phase (`SEGSCOPE_TIMINGS=1` prints both).",
        "",
        "| command | total s | beyond the load s |",
        "|---|---|---|",
        *value_rows,
        "",
        "## Kernels (criterion, `cargo bench --bench kernels`; 100k lines / ~10k customers)",
        "",
        "| kernel | median |",
        "|---|---|",
        *[f"| {n} | {t} |" for n, t in kern],
        "",
        "## Targets (issue #6)",
        "",
    ]
    targets = [
        (f"segment on 1M lines >= 10x faster than the script: {p1[0] / s1[0]:.1f}x", p1[0] / s1[0] >= 10),
        (f"segment on 1M lines <= 400 MB: {s1[1]:.0f} MB", s1[1] <= 400),
    ]
    if not QUICK:
        s10, _ = results[sets[2][0]]
        targets += [(f"segment on 10M lines <= 10 s: {s10[0]:.1f} s", s10[0] <= 10),
                    (f"segment on 10M lines <= 3 GB: {s10[1] / 1024:.2f} GB", s10[1] <= 3072)]
    nav_max = max(statistics.median(x["median"] for x in v) for k, v in nav_bytes.items() if "j/k" in k)
    targets += [
        (f"TUI first frame <= 0.5 s: {tui['first'] / 1000:.2f} s", tui["first"] <= 500),
        (f"TUI every pane ready <= 1.5 s: {tui['all'] / 1000:.2f} s", tui["all"] <= 1500),
        (f"TUI <= 300 MB: {tui['rss']:.0f} MB", tui["rss"] <= 300),
        (f"K change at 100k customers <= 300 ms: {tui['k']:.0f} ms", tui["k"] <= 300),
        (f"navigation key -> frame <= 16 ms: {tui['key']:.2f} ms", tui["key"] <= 16),
        (f"a slice's EDA tables at 1M lines <= 1.5 s (load included): {eda_slice[0]:.2f} s", eda_slice[0] <= 1.5),
        (f"navigation keypress <= 4 KB (row moves): {nav_max:.0f} B", nav_max <= 4096),
        (f"all-customer top-3 lookalikes at 100k <= 10 s: {look[0]:.1f} s", look[0] <= 10),
        *value_targets,
    ]
    lines += [f"- {status(ok)}: {text}" for text, ok in targets]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
