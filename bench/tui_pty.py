"""Measures the TUI through a real pseudo-terminal, as an analyst over SSH would see it.

Runs `segscope DATA` in a 160x48 pty with SEGSCOPE_TIMINGS pointing at a log, waits for every
pane to be ready, then presses navigation keys (counting the bytes the app writes to the
terminal for each) and changes K in the Segments pane. Prints one JSON object:
first frame, each pane's ready time and the last of them (ms since start), key-to-frame times
(ms, measured in the app from key receipt to the end of the frame), bytes per keypress (from
the pty), K-change-to-profile times (ms), and peak RSS (MB).

    python bench/tui_pty.py target/release/segscope bench/data/1m
Standard library only.
"""
import fcntl
import json
import os
import pty
import re
import select
import statistics
import struct
import sys
import tempfile
import termios
import time

COLS, ROWS = 160, 48
READY = ["tui eda ready", "tui trends ready", "tui index ready", "tui segments ready",
         "tui value ready"]
# Awaited too, but not a pane: the Value pane's lifetime-value fit, which follows its RFM.
LATER = ["tui clv ready"]


def read_quiet(fd, quiet=0.25, limit=30.0):
    """Reads until nothing arrives for `quiet` seconds; returns the bytes."""
    out = b""
    end = time.time() + limit
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], quiet)
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def log_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def main():
    binary, data = sys.argv[1], sys.argv[2]
    log = tempfile.NamedTemporaryFile(prefix="segscope-tui-", suffix=".log", delete=False).name
    os.unlink(log)
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, TERM="xterm-256color", SEGSCOPE_TIMINGS=log)
        env.pop("NO_COLOR", None)
        os.execve(binary, [binary, data], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    # Every pane ready (or 120 s), then quiet.
    deadline = time.time() + 120
    while time.time() < deadline:
        read_quiet(fd, 0.1, 0.5)
        text = "\n".join(log_lines(log))
        if all(r in text for r in READY + LATER):
            break
    read_quiet(fd, 1.5, 30)

    def press(keys, settle=0.3):
        os.write(fd, keys.encode())
        return len(read_quiet(fd, settle, 10))

    nav = {}
    # EDA pane: move through the table list and a table.
    press("2", 0.5)
    nav["eda j/k"] = [press(k) for k in "jjjkjjkk"]
    # Trends and lookup: rows.
    press("3", 0.5)
    nav["trends j/k"] = [press(k) for k in "jjkj"]
    # Pane switches redraw most of the screen.
    nav["pane switch (Tab)"] = [press("\t", 0.5) for _ in range(5)]
    # K changes in the Segments pane (100k customers at 1M lines); the metrics follow.
    press("4", 1.0)
    for k in "5634":
        press(k, 2.5)
    os.write(fd, b"q")
    read_quiet(fd, 0.5, 10)
    os.waitpid(pid, 0)

    lines = log_lines(log)
    os.unlink(log)

    def since(name):
        for line in lines:
            m = re.match(rf"timing {re.escape(name)}: ([0-9.]+) ms since start", line)
            if m:
                return float(m.group(1))
        return None

    keys = [float(m.group(1)) for l in lines if (m := re.match(r"timing tui key frame: ([0-9.]+) ms", l))]
    kchanges = [float(m.group(1)) for l in lines if (m := re.match(r"timing tui K change frame: ([0-9.]+) ms", l))]
    peak = [int(m.group(1)) for l in lines if (m := re.match(r"timing tui peak RSS: ([0-9]+) MB", l))]
    ready = {r.replace("tui ", ""): since(r) for r in READY}
    print(json.dumps({
        "first_frame_ms": since("tui first frame"),
        "loaded_ms": since("tui loaded"),
        "ready_ms": ready,
        "clv_ready_ms": since("tui clv ready"),
        "all_ready_ms": max(v for v in ready.values() if v is not None) if all(ready.values()) else None,
        "key_frame_ms": {"median": statistics.median(keys), "max": max(keys)} if keys else None,
        "bytes_per_key": {name: {"median": statistics.median(v), "max": max(v)} for name, v in nav.items()},
        "k_change_ms": {"median": statistics.median(kchanges), "max": max(kchanges)} if kchanges else None,
        "peak_rss_mb": peak[0] if peak else None,
    }))


if __name__ == "__main__":
    main()
