"""Warm extractive answer latency on the default collection.

Indexes knowledge/ into a data folder (reusing it when already indexed), warms the assistant
up, answers every question once (cold: sentence vectors not cached yet), then times a second
pass (warm: models loaded, sentence vectors cached). Prints p50/p95 of both passes.

    python -m benchmarks.answer_latency [--data-dir DIR] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.common import EVALS, KNOWLEDGE


def questions() -> list[str]:
    """~30 questions: the calibration sets' first 20 answerable and 10 unanswerable."""
    cal = EVALS / "calibration"
    read = lambda name: [json.loads(x)["question"] for x in (cal / name).read_text().splitlines() if x.strip()]  # noqa: E731
    return read("knowledge-answerable.jsonl")[:20] + read("knowledge-unanswerable.jsonl")[:10]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed_pass(assistant, qs: list[str]) -> list[float]:
    times = []
    for q in qs:
        started = time.perf_counter()
        assistant.ask(q, llm="extractive")
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(".assistant/bench/answer-latency"))
    parser.add_argument("--rounds", type=int, default=1, help="Warm passes to time.")
    args = parser.parse_args()
    from assistant.config import Settings, offline_environment

    offline_environment()
    from assistant.index.embeddings import clear_query_cache
    from assistant.index.sync import sync_collection
    from assistant.service import Assistant

    settings = Settings(data_dir=args.data_dir, knowledge_dir=KNOWLEDGE)
    sync_collection(settings)
    assistant = Assistant(settings)
    assistant.warm_up()
    qs = questions()
    cold = timed_pass(assistant, qs)
    warm = []
    for _ in range(args.rounds):
        clear_query_cache()  # each warm question embeds its query again, like a new question
        warm.extend(timed_pass(assistant, qs))
    repeat = timed_pass(assistant, qs)
    for name, times in (
        ("first pass (sentence vectors embedded)", cold),
        ("warm", warm),
        ("repeated question (query vector memoised)", repeat),
    ):
        print(
            f"{name:<40} n={len(times):<3} p50={statistics.median(times) * 1000:7.0f} ms  "
            f"p95={percentile(times, 0.95) * 1000:7.0f} ms  max={max(times) * 1000:7.0f} ms"
        )


if __name__ == "__main__":
    main()
