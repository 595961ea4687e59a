"""Whether to answer: the calibrated probability that the passages answer the question, and
the reply that declines (listing the closest passages)."""

from __future__ import annotations

import math

from assistant.answering.signals import Signals
from assistant.types import Answer, Passage

# Logistic-regression weights fitted by benchmarks/abstention.py (see docs/benchmarks.md, "The reader's margin
# on factoid questions"): on knowledge/'s calibration set, evals/source, evals/readings and 150 + 150 TyDi-id /
# IDK-MRC validation questions; evals/holdout, evals/students and evals/students2 are never fitted on. The last
# signal is the reader's margin on factoid questions (0 on others).
WEIGHTS = [-6.54, -7.23, 23.31, 0.2, 2.69, -2.26, -2.93, -1.34, 0.35, -0.79, 0.75, 5.02]
BIAS = -15.11


def answerable_probability(signals: Signals, weights: list[float] | None = None, bias: float | None = None) -> float:
    """Calibrated probability that the passages answer the question (logistic model)."""
    w = WEIGHTS if weights is None else weights
    b = BIAS if bias is None else bias
    x = signals.vector()
    if len(w) != len(x):
        raise ValueError(f"{len(w)} abstention weights for {len(x)} signals: refit with benchmarks.abstention")
    z = b + sum(wi * xi for wi, xi in zip(w, x))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


ABSTAIN = {
    "id": "Bacaan yang tersedia tidak menjawab pertanyaan ini. Bagian bacaan yang paling dekat "
    "tercantum di bawah ini agar Anda dapat memeriksanya sendiri.",
    "en": "The readings don't answer this question. The closest passages are listed below "
    "so you can check for yourself.",
}
ABSTAIN_SOURCE = {
    "id": "Teks sumber tidak menjawab pertanyaan ini. Bagian yang paling dekat, termasuk dari bacaan lain, "
    "tercantum di bawah ini agar Anda dapat memeriksanya sendiri.",
    "en": "The source text doesn't answer this question. The closest passages, including any from the other "
    "readings, are listed below so you can check for yourself.",
}


def abstention(
    question: str, language: str, passages: list[Passage], confidence: float | None = None, scoped: bool = False
) -> Answer:
    """An answer that declines, listing the closest passages (``scoped``: the question asked what
    the source text says, and the source does not say it)."""
    text = (ABSTAIN_SOURCE if scoped else ABSTAIN)[language]
    return Answer(
        text=text, abstained=True, language=language, passages=passages, question=question, confidence=confidence
    )
