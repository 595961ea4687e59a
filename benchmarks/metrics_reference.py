"""An evaluation run's retrieval figures recomputed with trec_eval (``pytrec_eval``): the rankings
of ``results.json`` judged quote by quote against the collection they were retrieved from, our
per-question scores set beside trec_eval's, and the set means of both.

recall@k is per gold quote (trec_eval's success@k of each quote, averaged over a question's
quotes); MRR@10 and nDCG@10 judge all the quotes' chunks together (recip_rank, ndcg_cut_10).

    python -m benchmarks.metrics_reference evals/reports/ci/results.json [--data-dir .assistant]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

KS = (1, 3, 5, 10)


def trec_scores(ranked: list[str], per_quote: list[set[str]]) -> dict[str, float]:
    import pytrec_eval

    run = {str(n): {doc: 1.0 / rank for rank, doc in enumerate(ranked, 1)} for n in range(len(per_quote) + 1)}
    union = set().union(*per_quote)
    qrels = {str(n): dict.fromkeys(ids, 1) for n, ids in enumerate([*per_quote, union]) if ids}
    measures = {"success.1,3,5,10", "recip_rank", "ndcg_cut.10"}
    got = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate({q: run[q] for q in qrels})
    quotes = [got.get(str(n), {}) for n in range(len(per_quote))]
    scores = {f"recall@{k}": statistics.mean(q.get(f"success_{k}", 0.0) for q in quotes) for k in KS}
    whole = got.get(str(len(per_quote)), {})
    return {**scores, "mrr@10": whole.get("recip_rank", 0.0), "ndcg@10": whole.get("ndcg_cut_10", 0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--data-dir", type=Path, default=None, help="the run's data folder (default: settings)")
    args = parser.parse_args()

    from assistant.config import Settings
    from assistant.evaluation.relevance import RelevanceJudge
    from assistant.retrieval.retriever import open_retriever

    data = json.loads(args.results.read_text(encoding="utf-8"))
    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    retriever = open_retriever(settings, data["summary"]["collection"])
    judge = RelevanceJudge(retriever.index.chunks.values())
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    worst = 0.0
    for question in data["questions"]:
        if not question["scores"]:
            continue
        ranked = [row["chunk_id"] for row in question["retrieved"]]
        reference = trec_scores(ranked, [judge.relevant_ids(q) for q in question["gold_quotes"]])
        for metric, value in question["scores"].items():
            ours.setdefault(metric, []).append(value)
            theirs.setdefault(metric, []).append(reference[metric])
            worst = max(worst, abs(value - reference[metric]))
    print(f"{len(ours['mrr@10'])} answerable questions; largest per-question difference {worst:.2e}")
    print("| metric | ours | trec_eval |\n|---|---|---|")
    for metric in ours:
        print(f"| {metric} | {statistics.mean(ours[metric]):.4f} | {statistics.mean(theirs[metric]):.4f} |")


if __name__ == "__main__":
    main()
