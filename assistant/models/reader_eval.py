"""Reader evaluation on SQuAD 2.0-style data: HasAns EM/F1, NoAns accuracy, overall, and a tuned no-answer threshold."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .reader import Reader, Span, build_windows, decode
from .reader_data import Example


@dataclass(frozen=True)
class Prediction:
    example: Example
    span: Span


def predict(reader: Reader, examples: list[Example], batch: int = 16) -> tuple[list[Prediction], float]:
    """One span per example (its gold passage read alone); returns predictions and seconds per passage."""
    out = []
    t0 = time.perf_counter()
    for k in range(0, len(examples), batch):
        group = examples[k : k + batch]
        windows, owners = [], []
        for n, ex in enumerate(group):
            ws = build_windows(reader.tokenizer, ex.question, [ex.context], reader.config)
            windows += ws
            owners += [n] * len(ws)
        logits = reader.logits(windows)
        for n, ex in enumerate(group):
            mine = [i for i, o in enumerate(owners) if o == n]
            span = decode([windows[i] for i in mine], [logits[i] for i in mine], [ex.context], reader.config)[0]
            out.append(Prediction(ex, span))
    return out, (time.perf_counter() - t0) / max(len(examples), 1)


def _em(pred: str, golds) -> float:
    from assistant.evaluation.metrics import answer_tokens  # the project's answer normalisation (one copy)

    return float(any(answer_tokens(pred) == answer_tokens(g) for g, _ in golds))


def _f1(pred: str, golds) -> float:
    from assistant.evaluation.metrics import token_f1

    return max(token_f1(pred, g) for g, _ in golds)


def scores(preds: list[Prediction], threshold: float) -> dict[str, float]:
    """SQuAD 2.0 figures at ``threshold``: a question is answered when its margin exceeds it."""
    has = [p for p in preds if not p.example.impossible]
    no = [p for p in preds if p.example.impossible]
    answered = lambda p: bool(p.span.text) and p.span.margin > threshold  # noqa: E731
    has_em = [(_em(p.span.text, p.example.answers) if answered(p) else 0.0) for p in has]
    has_f1 = [(_f1(p.span.text, p.example.answers) if answered(p) else 0.0) for p in has]
    no_ok = [float(not answered(p)) for p in no]
    return {
        "threshold": threshold,
        "HasAns_exact": float(np.mean(has_em)) if has else 0.0,
        "HasAns_f1": float(np.mean(has_f1)) if has else 0.0,
        "HasAns_answered": float(np.mean([answered(p) for p in has])) if has else 0.0,
        "HasAns_span_f1_forced": float(np.mean([_f1(p.span.text, p.example.answers) for p in has])) if has else 0.0,
        "NoAns_accuracy": float(np.mean(no_ok)) if no else 0.0,
        "overall_exact": float(np.mean(has_em + no_ok)),
        "overall_f1": float(np.mean(has_f1 + no_ok)),
        "n_has": len(has),
        "n_no": len(no),
    }


def tune_threshold(preds: list[Prediction]) -> float:
    """The margin threshold with the best overall F1 (tuned on the same data: an in-sample figure)."""
    margin = np.array([p.span.margin if p.span.text else -np.inf for p in preds])
    gain_yes = np.array([0.0 if p.example.impossible else _f1(p.span.text, p.example.answers) for p in preds])
    gain_no = np.array([1.0 if p.example.impossible else 0.0 for p in preds])
    finite = np.sort(margin[np.isfinite(margin)])
    if not len(finite):
        return 0.0
    cands = np.concatenate([[finite[0] - 1.0], (finite[1:] + finite[:-1]) / 2, [finite[-1] + 1.0]])
    totals = [np.where(margin > t, gain_yes, gain_no).sum() for t in cands]
    best = max(range(len(cands)), key=lambda k: (totals[k], -abs(cands[k])))
    return float(cands[best])
