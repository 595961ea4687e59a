"""Start-up and first-answer latency of the web app (`assistant serve`).

For each run: start ``python -m assistant serve`` on a free port, measure the time until the
page is served (HTTP 200 on ``/``), then ask questions through the ``/ask`` API endpoint with
``gradio_client`` (extractive answerer) and record each answer's latency as the client sees it.
The first answer should be about as fast as the tenth: models, index and warm-up happen at
start-up, not on the first request.

Usage (the collection must be indexed first, e.g. ``assistant index``)::

    python -m benchmarks.serve_startup --data-dir .assistant --runs 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.common import KNOWLEDGE

QUESTIONS = [  # the warm-up question ("Apa itu diplomasi siber?") comes last, so it cannot flatter the first
    "Apa peran BSSN dalam pengembangan kapasitas siber?",
    "Bagaimana liberalisme memandang kerja sama siber?",
    "What is the Budapest Convention?",
    "Apa itu langkah-langkah membangun kepercayaan di ruang siber?",
    "How do realists view cooperation in cyberspace?",
    "Apa isi Konvensi PBB tentang kejahatan siber?",
    "What is multistakeholder internet governance?",
    "Bagaimana kerja sama siber ASEAN?",
    "What did the UN GGE recommend?",
    "Apa itu diplomasi siber?",
]


def one_run(settings, questions: list[str]) -> dict:
    from gradio_client import Client

    from tests.ui_server import start_server

    server = start_server(settings)
    try:
        server.wait_ready(timeout=600)
        client = Client(server.url, verbose=False)
        latencies = []
        for question in questions:
            started = time.perf_counter()
            result = client.predict(question, api_name="/ask")
            latencies.append(time.perf_counter() - started)
            assert result["question"] == question
        return {"page_seconds": server.ready_seconds, "answer_seconds": latencies}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".assistant"))
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--json", action="store_true", help="Print the raw figures as JSON.")
    args = parser.parse_args()

    from assistant.config import Settings

    cache_dir = args.cache_dir.resolve() if args.cache_dir else None  # the server runs in another folder
    settings = Settings(data_dir=args.data_dir.resolve(), cache_dir=cache_dir, knowledge_dir=KNOWLEDGE)
    runs = [one_run(settings, QUESTIONS[: args.questions]) for _ in range(args.runs)]
    if args.json:
        print(json.dumps(runs, indent=1))
    pages = [r["page_seconds"] for r in runs]
    firsts = [r["answer_seconds"][0] for r in runs]
    rest = [s for r in runs for s in r["answer_seconds"][1:]]
    tenth = [r["answer_seconds"][-1] for r in runs]
    print(f"runs: {len(runs)}, questions per run: {args.questions}")
    print(
        f"serve -> first page:      median {statistics.median(pages):6.2f} s  (min {min(pages):.2f}, max {max(pages):.2f})"
    )
    print(
        f"first answer (extractive): median {statistics.median(firsts):6.3f} s  (min {min(firsts):.3f}, max {max(firsts):.3f})"
    )
    if rest:
        print(
            f"answers 2..n:              median {statistics.median(rest):6.3f} s  (min {min(rest):.3f}, max {max(rest):.3f})"
        )
        print(f"last answer:               median {statistics.median(tenth):6.3f} s")


if __name__ == "__main__":
    main()
