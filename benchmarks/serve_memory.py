"""Serving memory: the resident set of one answering process, stage by stage (the same ``Assistant`` that ``serve``
and ``ask`` use), on an indexed collection.

Stages: Python with the assistant's core imported; the collection opened (snapshot, BM25, Chroma); the first question
answered (query engine, tokenizer, reader and its word table loaded); ``--questions`` more answered. Current RSS
(``/proc/self/status`` VmRSS) after each stage and the peak (``ru_maxrss``); CPU seconds of the process beside them.
Memory figures do not depend on the machine's load; the 1-minute load average is printed anyway.

    python -m benchmarks.serve_memory [--questions 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

QUESTIONS = [
    "Apa itu diplomasi siber?",
    "What is the Budapest Convention?",
    "Apa peran BSSN dalam pengembangan kapasitas siber?",
    "How do realists view cooperation in cyberspace?",
    "Bagaimana kerja sama siber ASEAN?",
    "What did the UN GGE recommend?",
]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(questions: int) -> dict:
    stages: list[dict] = []

    def mark(stage: str) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        stages.append(
            {
                "stage": stage,
                "rss_mb": round(rss_mb()),
                "peak_rss_mb": round(usage.ru_maxrss / 1024),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            }
        )

    mark("python")
    from assistant.config import load_settings, offline_environment
    from assistant.service import Assistant

    offline_environment()
    mark("core imported")
    assistant = Assistant(load_settings())
    assistant.retriever()
    mark("collection open")
    started = time.perf_counter()
    assistant.ask(QUESTIONS[0])
    first = time.perf_counter() - started
    mark("first answer")
    for question in (QUESTIONS * 10)[1 : questions + 1]:
        assistant.ask(question)
    mark(f"{questions} more answers")
    return {"stages": stages, "first_answer_s": round(first, 2), "load_avg": os.getloadavg()[0]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=5)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    out = measure(args.questions)
    print("| stage | RSS | peak RSS | CPU s |")
    print("|---|---|---|---|")
    for s in out["stages"]:
        print(f"| {s['stage']} | {s['rss_mb']} MB | {s['peak_rss_mb']} MB | {s['cpu_s']} |")
    print(f"first answer {out['first_answer_s']} s wall; load average {out['load_avg']:.1f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
