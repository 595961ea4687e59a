"""Cross-lingual retrieval: the glossary expansion on and off.

    assistant index                                  # once: the default collection
    python -m benchmarks.crosslingual                # key passages, eval sets, latency
    python -m benchmarks.crosslingual --variants     # also the dense variants compared on the dev set
    python -m benchmarks.crosslingual --tydi .assistant/bench   # check TyDi takes the plain path

Prints

1. the rank (top 20) of each reading's key passage for its Indonesian and English question
   (``knowledge/.readings-keys.json``), with and without expansion;
2. recall@1/5 and MRR@10 of ``evals/source.jsonl`` and ``evals/readings.jsonl`` per question
   language, from ``assistant eval`` run twice (``ASSISTANT_CROSSLINGUAL=false`` / ``true``), and
   the verdict counts, citation recall and abstention F1 of the same runs;
3. search latency with the query-vector memo cleared before every question (both query vectors
   embedded), p50 / p95 over the calibration questions;
4. with ``--variants``: the dense variants that were compared to choose the method, on the dev
   set (the 18 key questions and ``evals/calibration/knowledge-answerable.jsonl``), computed with
   exact cosines over the same candidate union as the retriever;
5. with ``--tydi DATA_DIR``: the languages of the TyDi benchmark collection and how many of its
   validation questions would be expanded (a collection in one language takes the plain path).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np

from benchmarks.common import EVALS, KNOWLEDGE, add_data_argument

KEYS = KNOWLEDGE / ".readings-keys.json"
SETS = [EVALS / "source.jsonl", EVALS / "readings.jsonl"]
DEV = EVALS / "calibration" / "knowledge-answerable.jsonl"
GROUPS = ["all", "all/id", "all/en", "source/id", "source/en", "readings/id", "readings/en"]


def key_ranks(retriever, depth: int = 20) -> list[tuple[str, str, int | None]]:
    keys = json.loads(KEYS.read_text(encoding="utf-8"))
    rows = []
    for name, key in keys.items():
        for lang in ("id", "en"):
            passages = retriever.search(key[f"question_{lang}"], depth)
            rank = next(
                (p.rank for p in passages if p.chunk.source == name and key["key_passage"] in p.chunk.text), None
            )
            rows.append((name, lang, rank))
    return rows


def print_key_ranks(settings) -> None:
    from assistant.retrieval.retriever import open_retriever

    on = key_ranks(open_retriever(settings))
    off = key_ranks(open_retriever(settings.model_copy(update={"crosslingual": False})))
    print("## Key passages: rank in the top 20 (– = not found)\n")
    print("| reading | question | without | with |")
    print("|---|---|---:|---:|")
    for (name, lang, with_), (_, _, without) in zip(on, off):
        print(f"| {name} | {lang} | {without or '–'} | {with_ or '–'} |")
    top5 = [sum(1 for *_, r in rows if r and r <= 5) for rows in (off, on)]
    print(f"\nin the top 5: {top5[0]}/{len(off)} without, {top5[1]}/{len(on)} with\n")


def run_eval(crosslingual: bool, out: Path) -> dict:
    env = {**os.environ, "ASSISTANT_CROSSLINGUAL": str(crosslingual).lower()}
    command = [sys.executable, "-m", "assistant", "eval", *map(str, SETS), "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"assistant eval failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads((out / "results.json").read_text(encoding="utf-8"))["summary"]


def print_eval() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        summaries = {flag: run_eval(flag, Path(tmp) / str(flag)) for flag in (False, True)}
    print("## Question sets (assistant eval, source + readings)\n")
    print("| group | R@1 without | R@1 with | R@5 without | R@5 with | MRR@10 without | MRR@10 with |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for group in GROUPS:
        a, b = summaries[False]["groups"][group], summaries[True]["groups"][group]
        cells = [f"{a[m]:.3f} | {b[m]:.3f}" for m in ("recall@1", "recall@5", "mrr@10")]
        print(f"| {group} | " + " | ".join(cells) + " |")
    print("\n| answers (all) | without | with |")
    print("|---|---:|---:|")
    a, b = summaries[False]["groups"]["all"], summaries[True]["groups"]["all"]
    for metric in ("citation_recall", "citation_precision", "abstention_f1", "ok_rate", "retrieve_p50", "total_p50"):
        print(f"| {metric} | {a[metric]:.3f} | {b[metric]:.3f} |")
    for flag in (False, True):
        print(f"verdicts {'with' if flag else 'without'}: {summaries[flag]['verdicts']}")
    print()


def print_latency(settings, rounds: int = 2) -> None:
    from assistant.index.embeddings import clear_query_cache
    from assistant.retrieval.retriever import open_retriever

    questions = [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    print("## Search latency (top 20, query vectors embedded every time)\n")
    print("| crosslingual | n | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for flag in (False, True):
        retriever = open_retriever(settings.model_copy(update={"crosslingual": flag}))
        for q in questions:  # warm: stems, lingua, Chroma
            retriever.search(q, 20)
        times = []
        for _ in range(rounds):
            for q in questions:
                clear_query_cache()
                started = time.perf_counter()
                retriever.search(q, 20)
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(
            f"| {'on' if flag else 'off'} | {len(times)} | {statistics.median(times):.1f} | "
            f"{times[min(len(times) - 1, int(0.95 * len(times)))]:.1f} |"
        )
    print()


# --- the variants compared to choose the method ---------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def dev_questions() -> list[dict]:
    rows = []
    for name, key in json.loads(KEYS.read_text(encoding="utf-8")).items():
        for lang in ("id", "en"):
            rows.append(
                {
                    "question": key[f"question_{lang}"],
                    "lang": lang,
                    "key": True,
                    "relevant": lambda c, n=name, k=key["key_passage"]: c.source == n and k in c.text,
                }
            )
    for line in DEV.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        gold = [_norm(q) for q in item["gold_quotes"]]
        rows.append(
            {
                "question": item["question"],
                "lang": item["lang"],
                "key": False,
                "relevant": lambda c, g=gold: any(q in _norm(c.text) for q in g),
            }
        )
    return rows


VARIANTS = [  # (name, dense combination, second query text)
    ("off (no expansion)", None, None),
    ("BM25 expansion only", "none", None),
    ("max(cos q, cos t) over all chunks, t = terms", "max", "terms"),
    ("max(cos q, cos t) over all chunks, t = rendering", "max", "rendering"),
    ("chunk's language picks q or t, t = terms", "perlang", "terms"),
    ("chunk's language picks q or t, t = rendering", "perlang", "rendering"),
    ("other-language chunks max(cos q, cos t), t = terms", "perlang-max", "terms"),
    ("**other-language chunks max(cos q, cos t), t = rendering (chosen)**", "perlang-max", "rendering"),
    ("averaged vector q + t, t = terms", "avg", "terms"),
    ("averaged vector q + t, t = rendering", "avg", "rendering"),
    ("z-score per query version, chunk's language picks, t = rendering", "zperlang", "rendering"),
    ("sum of the two z-scores, t = rendering", "zsum", "rendering"),
]


def variant_ranks(retriever, questions: list[dict], combine: str | None, text: str | None) -> list[int | None]:
    """Ranks of the first relevant chunk, scoring as ``Retriever.search`` with exact cosines."""
    from assistant.index.embeddings import embed_query
    from assistant.retrieval.fusion import zscores
    from assistant.text.query import refers_to_source

    index = retriever.index
    ids = list(index.chunks)
    got = index.collection.get(ids=ids, include=["embeddings"])
    vectors = dict(zip(got["ids"], (np.asarray(e, dtype=np.float32) for e in got["embeddings"])))
    matrix = np.stack([vectors[i] for i in ids])
    languages = np.array([index.chunks[i].metadata.get("language") for i in ids])
    source = np.array([index.chunks[i].metadata.get("kind") == "source" for i in ids], dtype=np.float32)
    n = retriever.candidates
    ranks = []
    for item in questions:
        query = item["question"]
        expansion = retriever.expansion(query) if combine else None
        lexical_query = f"{query} {expansion.terms}" if expansion else query
        raw = index.lexical.scores(lexical_query)
        b = np.array([index.lexical.score_of(raw, i) for i in ids], dtype=np.float32)
        dq = matrix @ embed_query(index.embedder, query)
        d = dq
        candidates = set(np.argsort(-dq, kind="stable")[:n]) | {
            i for i in np.argsort(-b, kind="stable")[:n] if b[i] > 0
        }
        if expansion and combine != "none":
            t = expansion.rendering if text == "rendering" else expansion.terms
            dt = matrix @ embed_query(index.embedder, t)
            candidates |= set(np.argsort(-dt, kind="stable")[:n])
            other = languages == expansion.target
            if combine == "max":
                d = np.maximum(dq, dt)
            elif combine == "perlang":
                d = np.where(other, dt, dq)
            elif combine == "perlang-max":
                d = np.where(other, np.maximum(dq, dt), dq)
            elif combine == "avg":
                v = embed_query(index.embedder, query) + embed_query(index.embedder, t)
                d = matrix @ (v / np.linalg.norm(v))
        chosen = sorted(candidates)
        if expansion and combine in ("zperlang", "zsum"):
            zq, zt = np.zeros_like(dq), np.zeros_like(dq)
            zq[chosen], zt[chosen] = zscores(dq[chosen]), zscores(dt[chosen])
            d = np.where(other, zt, zq) if combine == "zperlang" else zq + zt
        fused = np.full(len(ids), -np.inf, dtype=np.float32)
        fused[chosen] = retriever.dense_weight * zscores(d[chosen]) + (1 - retriever.dense_weight) * zscores(b[chosen])
        if retriever.source_boost and refers_to_source(query):
            fused = fused + retriever.source_boost * source
        order = np.argsort(-fused, kind="stable")[:20]
        ranks.append(next((r for r, i in enumerate(order, 1) if item["relevant"](index.chunks[ids[i]])), None))
    return ranks


def print_variants(settings) -> None:
    from assistant.retrieval.retriever import open_retriever

    retriever = open_retriever(settings)
    questions = dev_questions()
    print("## Dense variants on the dev set (18 key questions; 40 calibration questions)\n")
    print("| variant | keys in top 5 | calib. R@1 id / en | calib. R@5 id / en | calib. MRR@10 id / en |")
    print("|---|---:|---:|---:|---:|")
    for name, combine, text in VARIANTS:
        ranks = variant_ranks(retriever, questions, combine, text)
        keys = sum(1 for q, r in zip(questions, ranks) if q["key"] and r and r <= 5)
        cells = []
        for metric in ("r1", "r5", "mrr"):
            parts = []
            for lang in ("id", "en"):
                rs = [r for q, r in zip(questions, ranks) if not q["key"] and q["lang"] == lang]
                value = {"r1": lambda r: r == 1, "r5": lambda r: r <= 5, "mrr": lambda r: 1 / r if r <= 10 else 0}[
                    metric
                ]
                parts.append(f"{sum(value(r) for r in rs if r) / len(rs):.3f}")
            cells.append(" / ".join(parts))
        print(f"| {name} | {keys}/18 | " + " | ".join(cells) + " |")
    print()


def print_tydi(data_dir: Path, queries: Path) -> None:
    from assistant.config import load_settings
    from assistant.retrieval.retriever import CollectionIndex, Retriever

    settings = load_settings(data_dir=data_dir)
    collections = sorted(p.name for p in settings.collections_dir.iterdir() if p.name.startswith("bench-tydiqa"))
    if not collections:
        print(f"no TyDi collection under {settings.collections_dir} (run benchmarks/retrieval.py first)")
        return
    index = CollectionIndex(settings, collections[0])
    retriever = Retriever(index, settings.candidates, settings.dense_weight)
    expanded = None
    if queries.exists():
        questions = [
            json.loads(line)["question"] for line in queries.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        expanded = sum(retriever.expansion(q) is not None for q in questions)
    print(
        f"## TyDi ({collections[0]}): {len(index.chunks)} chunks, chunk languages {sorted(index.languages) or 'none'}; "
        f"questions expanded: {expanded if expanded is not None else 'queries not found'}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", action="store_true", help="also compare the dense variants on the dev set")
    parser.add_argument("--tydi", type=Path, metavar="DATA_DIR", help="data folder holding the TyDi collection")
    add_data_argument(parser)
    parser.add_argument(
        "--tydi-queries",
        type=Path,
        default=None,
        help="TyDi validation questions (third-party data, read in place; default: DATA/tydiqa-id/queries_valid.jsonl)",
    )
    parser.add_argument("--no-eval", action="store_true", help="skip the two assistant eval runs")
    args = parser.parse_args()
    args.tydi_queries = args.tydi_queries or args.data / "tydiqa-id/queries_valid.jsonl"
    from assistant.config import load_settings, offline_environment

    offline_environment()
    settings = load_settings(crosslingual=True)
    print_key_ranks(settings)
    if not args.no_eval:
        print_eval()
    print_latency(settings)
    if args.variants:
        print_variants(settings)
    if args.tydi:
        print_tydi(args.tydi, args.tydi_queries)


if __name__ == "__main__":
    main()
