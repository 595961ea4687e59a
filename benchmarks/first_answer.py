"""The first answer on a freshly added reading against a warm one: a new 20-page PDF (``benchmarks.swap``'s, with a
run-specific number in every sentence so it is really embedded) added to a copy of the default collection.

- warm service (as the web app): ``add_documents`` (check, copy, sync: passages and their sentences embedded),
  then the question (first ask), then the same question again with the query-vector memo cleared (warm ask),
  then upload -> first cited answer;
- cold processes (as the command line): ``assistant add``, ``assistant ask``, ``assistant ask`` again.

    python -m benchmarks.first_answer [--runs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.common import KNOWLEDGE
from benchmarks.swap import QUESTION, make_pdf, run_cli


def warm_service(settings, work: Path) -> dict:
    from assistant.index.embeddings import clear_query_cache
    from assistant.library.documents import add_documents, remove_documents
    from assistant.service import Assistant

    assistant = Assistant(settings)
    assistant.ask("Apa itu diplomasi siber?")  # a running web app has answered before
    nonce = uuid.uuid4().hex[:8]
    pdf = make_pdf(work / f"kajian-{nonce}.pdf", nonce)
    t0 = time.perf_counter()
    report = add_documents(settings, [pdf])
    t1 = time.perf_counter()
    first = assistant.ask(QUESTION)
    t2 = time.perf_counter()
    clear_query_cache()
    assistant.ask(QUESTION)
    t3 = time.perf_counter()
    stored = report.added[0]["stored"]
    remove_documents(settings, [stored])
    return {
        "add_s": round(t1 - t0, 2),
        "first_ask_s": round(t2 - t1, 3),
        "warm_ask_s": round(t3 - t2, 3),
        "ratio": round((t2 - t1) / (t3 - t2), 2),
        "upload_to_cited_answer_s": round(t2 - t0, 2),
        "cited": any(c.source == stored for c in first.citations),
        "passages_embedded": report.sync.embedded,
        "load_avg": os.getloadavg()[0],
    }


def cold_processes(settings, work: Path) -> dict:
    nonce = uuid.uuid4().hex[:8]
    pdf = make_pdf(work / f"kajian-cli-{nonce}.pdf", nonce)
    add_s, added = run_cli(settings, "add", str(pdf))
    first_s, first = run_cli(settings, "ask", QUESTION)
    second_s, _ = run_cli(settings, "ask", QUESTION)
    stored = added["added"][0]["stored"]
    run_cli(settings, "remove", stored)
    return {
        "add_wall_s": round(add_s, 2),
        "first_ask_wall_s": round(first_s, 2),
        "second_ask_wall_s": round(second_s, 2),
        "first_ask_answer_s": first["seconds"],
        "cited": any(c["source"] == stored for c in first["citations"]),
        "load_avg": os.getloadavg()[0],
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    from assistant.config import Settings, offline_environment
    from assistant.index.sync import sync_collection

    offline_environment()
    work = Path(tempfile.mkdtemp(prefix="first-answer-"))
    try:
        shutil.copytree(KNOWLEDGE, work / "knowledge")
        settings = Settings(data_dir=work / "data", knowledge_dir=work / "knowledge")
        sync_collection(settings)
        rows = [
            {"warm": warm_service(settings, work), "cold": cold_processes(settings, work)} for _ in range(args.runs)
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for row in rows:
        print(json.dumps(row), file=sys.stderr)

    def med(part: str, key: str) -> float:
        return statistics.median(r[part][key] for r in rows)

    print(
        f"warm service: add {med('warm', 'add_s')} s, first ask {med('warm', 'first_ask_s')} s, warm ask "
        f"{med('warm', 'warm_ask_s')} s (ratio {med('warm', 'ratio')}), upload -> cited answer "
        f"{med('warm', 'upload_to_cited_answer_s')} s"
    )
    print(
        f"cold processes: add {med('cold', 'add_wall_s')} s, first ask {med('cold', 'first_ask_wall_s')} s, "
        f"second ask {med('cold', 'second_ask_wall_s')} s"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
