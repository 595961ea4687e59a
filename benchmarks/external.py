"""External benchmark: the full assistant (retrieval + answerer + abstention) over the TyDi-id corpus.

The 4,650 TyDi-id passages become one collection (one chunk per passage, ids kept) through
``benchmarks/retrieval.py``'s :func:`index_corpus`, so the passage vectors come from the same
vector cache (``--data-dir``, default ``.assistant/bench``) and nothing is embedded twice. Then:

- every TyDi-id validation question (answerable, one gold passage) is asked through
  :class:`~assistant.service.Assistant` exactly as a user would; retrieval is scored on a separate
  top-10 search of the same query (Recall@1/3/5/10, MRR@10, nDCG@10), the answer on whether it
  answered, whether a citation points at the gold passage, and whether the gold answer string
  occurs in the answer text;
- every IDK-MRC validation question (unanswerable, written against the same passages) is asked
  the same way; the right outcome is to abstain.

Abstention precision/recall/F1 take "abstained on an unanswerable question" as the positive
class over both sets together. Questions run in a seeded random order (both sets mixed) and rows
are appended to ``--out/rows.jsonl`` as they are produced; a rerun with the same ``--out`` skips
the questions already there, and the summary covers the rows present.

Usage::

    python -m benchmarks.external --out .assistant/bench/external [--sample N] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from benchmarks.common import add_data_argument, read_jsonl


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument("--corpus", type=Path, default=None, help="default: DATA/tydiqa-id/corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=None, help="default: DATA/tydiqa-id/queries_valid.jsonl")
    parser.add_argument(
        "--unanswerable", type=Path, default=None, help="default: DATA/idk-mrc/unanswerable_valid.jsonl"
    )
    parser.add_argument("--data-dir", type=Path, default=Path(".assistant/bench"), help="index and vector cache")
    parser.add_argument("--out", type=Path, default=Path(".assistant/bench/external"), help="rows.jsonl, summary.json")
    parser.add_argument("--llm", default="extractive")
    parser.add_argument("--sample", type=int, default=None, help="a seeded random sample of N questions per set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-new", type=int, default=None, help="ask at most N new questions (0: only summarise)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the summary")
    args = parser.parse_args(argv)
    args.corpus = args.corpus or args.data / "tydiqa-id/corpus.jsonl"
    args.queries = args.queries or args.data / "tydiqa-id/queries_valid.jsonl"
    args.unanswerable = args.unanswerable or args.data / "idk-mrc/unanswerable_valid.jsonl"
    return args


def questions(args: argparse.Namespace) -> list[dict]:
    """TyDi answerable and IDK-MRC unanswerable questions, tagged, optionally sampled, shuffled."""
    answerable = [{**q, "answerable": True} for q in read_jsonl(args.queries) if q.get("gold_passage_ids")]
    unanswerable = [{**q, "answerable": False} for q in read_jsonl(args.unanswerable)]
    rng = random.Random(args.seed)
    if args.sample:
        answerable = rng.sample(answerable, min(args.sample, len(answerable)))
        unanswerable = rng.sample(unanswerable, min(args.sample, len(unanswerable)))
    mixed = answerable + unanswerable
    rng.shuffle(mixed)  # a run stopped early has still scored a random sample of both sets
    return mixed


def contains(text: str, answer: str | None) -> bool:
    from assistant.evaluation.relevance import normalize

    return bool(answer) and normalize(answer) in normalize(text)


def ask_row(assistant, collection: str, q: dict, llm: str) -> dict:
    """Ask one question and score it (retrieval against ``gold_passage_ids`` when answerable)."""
    from assistant.evaluation.metrics import exact_match, recall_at_k, retrieval_metrics, token_f1

    answer = assistant.ask(q["question"], collection=collection, llm=llm)
    ranking = [p.chunk.id for p in assistant.retriever(collection).search(answer.query, 10)]
    gold = set(q.get("gold_passage_ids") or [])
    row = {
        "id": q["id"],
        "answerable": q["answerable"],
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "timings": answer.timings,
        "ranking": ranking,
        "cited": [c.chunk_id for c in answer.citations],
    }
    if q["answerable"]:
        row["scores"] = {**retrieval_metrics(ranking, gold), "recall@3": recall_at_k(ranking, gold, 3)}
        row["cites_gold"] = bool(gold & set(row["cited"]))
        row["answer_found"] = contains(answer.text, q.get("answer"))
        # The short answer (the reader's span) when there is one, else the whole reply; a decline scores 0.
        prediction = "" if answer.abstained else (answer.short_answer or answer.text)
        row["short_answer"] = answer.short_answer
        row["exact_match"] = exact_match(prediction, q.get("answer") or "") if q.get("answer") else None
        row["token_f1"] = token_f1(prediction, q.get("answer") or "") if q.get("answer") else None
    return row


def summarize(rows: list[dict]) -> dict:
    """Retrieval means (answerable), answer rates, abstention scores and latency percentiles."""
    from assistant.evaluation.metrics import RETRIEVAL_METRICS, abstention_scores, percentile

    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    mean = lambda values: round(sum(values) / len(values), 4) if values else None  # noqa: E731
    summary = {"answerable": len(ans), "unanswerable": len(una)}
    summary.update({m: mean([r["scores"][m] for r in ans]) for m in RETRIEVAL_METRICS})
    summary.update(
        answered_rate=mean([not r["abstained"] for r in ans]),
        cites_gold_rate=mean([r["cites_gold"] for r in ans]),
        answer_string_rate=mean([r["answer_found"] for r in ans]),
        idk_abstention_rate=mean([r["abstained"] for r in una]),
        short_answer_rate=mean([bool(r.get("short_answer")) for r in ans if "short_answer" in r]),
        exact_match=mean([r["exact_match"] for r in ans if r.get("exact_match") is not None]),
        token_f1=mean([r["token_f1"] for r in ans if r.get("token_f1") is not None]),
    )
    scores = abstention_scores([r["answerable"] for r in rows], [r["abstained"] for r in rows])
    summary.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items()})
    for stage in ("retrieve", "answer", "total"):
        values = [r["timings"][stage] for r in rows]
        summary[f"{stage}_p50"] = round(percentile(values, 50) or 0, 3)
        summary[f"{stage}_p95"] = round(percentile(values, 95) or 0, 3)
    return summary


def main(argv: list[str] | None = None) -> int:
    from assistant.config import load_settings, offline_environment
    from assistant.service import Assistant
    from benchmarks.retrieval import index_corpus

    args = parse_args(argv)
    offline_environment()
    settings = load_settings(data_dir=args.data_dir)
    collection, build = index_corpus(settings, args.corpus)
    print(f"collection {collection}: {build}", file=sys.stderr, flush=True)
    assistant = Assistant(settings)
    args.out.mkdir(parents=True, exist_ok=True)
    rows_path = args.out / "rows.jsonl"
    rows = read_jsonl(rows_path) if rows_path.exists() else []
    done = {r["id"] for r in rows}
    todo = [q for q in questions(args) if q["id"] not in done][: args.max_new]
    started = time.perf_counter()
    with open(rows_path, "a", encoding="utf-8") as fh:
        for i, q in enumerate(todo, 1):
            row = ask_row(assistant, collection, q, args.llm)
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            rows.append(row)
            if i % 20 == 0 or i == len(todo):
                print(f"{i}/{len(todo)} {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    wanted = {q["id"] for q in questions(args)}
    summary = {
        "collection": collection,
        "llm": args.llm,
        "embedder": settings.embedder,
        **summarize([r for r in rows if r["id"] in wanted]),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    for key, value in summary.items():
        print(f"{key:<22} {value}")
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
