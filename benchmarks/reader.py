"""The reader alone on IDK-MRC valid gold passages, and its latency on 5 chunks of the default collection.

Quality: each valid.json question is read with its own passage; HasAns EM/F1 (a has-answer question the reader declines
scores 0), the span F1 if it were forced to answer, NoAns accuracy and overall EM/F1, at the shipped threshold and at the
threshold tuned here (both tuned on valid.json: in-sample). Latency: ``Reader.read(question, 5 passages)`` with the top
chunks of knowledge/ (length like the answerer's), p50/p95 over ``--repeats`` calls, fp32 and dynamic int8.

    python -m benchmarks.reader [--data-dir ../shared/data/idk-mrc] [--weights assistant/models/weights] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def noans_threshold(preds, share: float = 0.80) -> float:
    """The lowest threshold that still declines ``share`` of the NoAns questions of ``preds``."""
    no_margins = sorted(p.span.margin for p in preds if p.example.impossible)
    return no_margins[int(share * len(no_margins))]


def cross_fitted(preds, choose) -> dict:
    """Held-out figures for a threshold rule: the paragraphs are split in two folds; each fold is scored
    at the threshold ``choose`` picks on the other fold, and the two folds' questions are pooled."""
    from assistant.models.reader_eval import Prediction, scores

    contexts = sorted({p.example.context for p in preds})
    fold_of = {c: i % 2 for i, c in enumerate(contexts)}
    folds: list[list[Prediction]] = [[p for p in preds if fold_of[p.example.context] == k] for k in (0, 1)]
    parts = [scores(folds[k], choose(folds[1 - k])) for k in (0, 1)]
    pooled = {}
    for key in ("HasAns_exact", "HasAns_f1", "HasAns_answered", "NoAns_accuracy", "overall_exact", "overall_f1"):
        weight = "n_no" if key.startswith("NoAns") else "n_has"
        if key.startswith("overall"):
            total = sum(p["n_has"] + p["n_no"] for p in parts)
            pooled[key] = sum(p[key] * (p["n_has"] + p["n_no"]) for p in parts) / total
        else:
            pooled[key] = sum(p[key] * p[weight] for p in parts) / sum(p[weight] for p in parts)
    pooled["thresholds"] = [p["threshold"] for p in parts]
    return pooled


def quality(reader, valid) -> dict:
    from assistant.models.reader_eval import predict, scores, tune_threshold

    preds, per_passage = predict(reader, valid)
    return {
        "shipped_threshold": scores(preds, reader.config.threshold),
        "retuned_threshold": scores(preds, tune_threshold(preds)),
        "noans_0.80_threshold": scores(preds, noans_threshold(preds)),
        "held_out_best_f1_rule": cross_fitted(preds, tune_threshold),
        "held_out_noans_0.80_rule": cross_fitted(preds, noans_threshold),
        "seconds_per_passage_batched": per_passage,
        "load_avg": os.getloadavg()[0],
    }


def latency(reader, questions: list[str], passages: list[str], repeats: int) -> dict:
    reader.read(questions[0], passages[:5])  # warm-up
    times = []
    for k in range(repeats):
        group = [passages[(5 * k + j) % len(passages)] for j in range(5)]
        t0 = time.perf_counter()
        reader.read(questions[k % len(questions)], group)
        times.append(time.perf_counter() - t0)
    times.sort()
    return {
        "read_5_passages_p50_ms": 1000 * statistics.median(times),
        "read_5_passages_p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
        "per_passage_ms": 1000 * statistics.median(times) / 5,
        "load_avg": os.getloadavg()[0],
    }


def main(argv=None) -> None:
    from assistant.models.reader import WEIGHTS_DIR, load_reader
    from assistant.models.reader_data import load_squad
    from benchmarks.encoder_conversion import knowledge_chunks

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "idk-mrc")
    ap.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--precisions", nargs="+", default=["fp32", "int8"], choices=["fp32", "int8"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    valid, _ = load_squad(args.data_dir / "valid.json")
    chunks = knowledge_chunks(ROOT / "knowledge")
    questions = [ex.question for ex in valid[:50]]
    report = {}
    for precision in args.precisions:
        reader = load_reader(args.weights, int8=precision == "int8")
        report[precision] = {**quality(reader, valid), **latency(reader, questions, chunks, args.repeats)}
        print_row(precision, report[precision])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def print_row(name: str, r: dict) -> None:
    for key in ("shipped_threshold", "retuned_threshold", "noans_0.80_threshold"):
        s = r[key]
        print(
            f"{name} {key} (t={s['threshold']:.3f}, in-sample): HasAns EM {s['HasAns_exact']:.3f} "
            f"F1 {s['HasAns_f1']:.3f} (forced-span F1 {s['HasAns_span_f1_forced']:.3f}, answered "
            f"{s['HasAns_answered']:.3f}) | NoAns acc {s['NoAns_accuracy']:.3f} | overall EM {s['overall_exact']:.3f} "
            f"F1 {s['overall_f1']:.3f} | n {s['n_has']}+{s['n_no']}"
        )
    for key in ("held_out_best_f1_rule", "held_out_noans_0.80_rule"):
        s = r[key]
        print(
            f"{name} {key} (two folds by paragraph, thresholds {s['thresholds'][0]:.3f} / {s['thresholds'][1]:.3f}, "
            f"held out): HasAns EM {s['HasAns_exact']:.3f} F1 {s['HasAns_f1']:.3f} (answered {s['HasAns_answered']:.3f})"
            f" | NoAns acc {s['NoAns_accuracy']:.3f} | overall EM {s['overall_exact']:.3f} F1 {s['overall_f1']:.3f}"
        )
    print(
        f"{name} latency: read(q, 5 chunks) p50 {r['read_5_passages_p50_ms']:.0f} ms, p95 "
        f"{r['read_5_passages_p95_ms']:.0f} ms ({r['per_passage_ms']:.0f} ms/passage); batched valid "
        f"{1000 * r['seconds_per_passage_batched']:.0f} ms/passage; load avg {r['load_avg']:.1f}"
    )


if __name__ == "__main__":
    main()
