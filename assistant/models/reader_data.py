"""SQuAD-format data for the reader: loading (with span checks), and training windows with start/end labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .reader import ReaderConfig, Window, build_windows
from .tokenizer import E5Tokenizer


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]  # (text, answer_start); empty when unanswerable

    @property
    def impossible(self) -> bool:
        return not self.answers


def _checked_answer(context: str, text: str, start: int) -> tuple[str, int] | None:
    """The answer if ``context[start:]`` starts with it, else its nearest occurrence, else None (noisy span)."""
    text = text.strip()
    if not text:
        return None
    if context.startswith(text, start):
        return text, start
    hits = [i for i in range(len(context)) if context.startswith(text, i)] if text in context else []
    return (text, min(hits, key=lambda i: abs(i - start))) if hits else None


def load_squad(path: Path | str, check_spans: bool = False) -> tuple[list[Example], int]:
    """Examples of a SQuAD-like file (a list of {context, qas}); returns (examples, dropped answerable questions).

    With ``check_spans`` an answerable question whose answers all fail ``_checked_answer`` is dropped.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass --data-dir pointing at the IDK-MRC folder")
    raw = json.loads(path.read_text(encoding="utf-8"))
    paragraphs = raw["data"] if isinstance(raw, dict) else raw
    out, dropped = [], 0
    for para in paragraphs:
        ctx = para["context"]
        for qa in para["qas"]:
            answers = [] if qa.get("is_impossible") else [(a["text"], int(a["answer_start"])) for a in qa["answers"]]
            if check_spans and answers:
                answers = [a for a in (_checked_answer(ctx, t, s) for t, s in answers) if a]
                if not answers:
                    dropped += 1
                    continue
            out.append(Example(str(qa["id"]), qa["question"], ctx, tuple(answers)))
    return out, dropped


@dataclass(frozen=True)
class TrainWindow:
    ids: list[int]
    ctx_from: int  # first passage token position
    ctx_to: int  # one past the last passage token position
    start: int  # label positions (0, 0) = no answer in this window
    end: int


def _label(window: Window, answer: tuple[str, int] | None) -> tuple[int, int]:
    if answer is None:
        return 0, 0
    a = answer[1]
    b = a + len(answer[0])
    spans = [(i, s) for i, s in enumerate(window.spans) if s is not None]
    first, last = spans[0][1], spans[-1][1]
    if a < first[0] or b > last[1]:
        return 0, 0
    i = next(p for p, s in spans if s[1] > a)
    j = max(p for p, s in spans if s[0] < b)
    return (i, j) if j >= i else (0, 0)


def training_windows(tok: E5Tokenizer, examples: list[Example], cfg: ReaderConfig) -> list[TrainWindow]:
    """Every window of every example with its labels (the first answer is the target)."""
    encodings: dict[str, object] = {}
    out = []
    for ex in examples:
        if ex.context not in encodings:
            encodings[ex.context] = tok.encode(ex.context)
        for w in build_windows(tok, ex.question, [ex.context], cfg, encodings=[encodings[ex.context]]):
            pos = [i for i, s in enumerate(w.spans) if s is not None]
            if not pos:
                continue
            start, end = _label(w, ex.answers[0] if ex.answers else None)
            out.append(TrainWindow(w.ids, pos[0], pos[-1] + 1, start, end))
    return out


def knowledge_examples(files: list[Path], knowledge_dir: Path) -> tuple[list[Example], int]:
    """Questions written for this project about the readings of ``knowledge_dir`` (JSON Lines: ``reading``,
    ``question``, ``answerable``, ``answer``, ``evidence``), as examples over the chunk holding the evidence, cut
    as the index cuts it (default chunk size); returns (examples, lines dropped because the evidence or the answer
    is not in any chunk)."""
    from assistant.index.chunking import chunk_document
    from assistant.ingest.loaders import load_document

    chunks: dict[str, list[str]] = {}
    out, dropped = [], 0
    for path in files:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["reading"] not in chunks:
                document = load_document(knowledge_dir / row["reading"])
                chunks[row["reading"]] = [chunk.text for chunk in chunk_document(document)]
            example = _knowledge_example(row, chunks[row["reading"]], f"{Path(path).stem}-{number}")
            dropped += example is None
            out += [example] if example else []
    return out, dropped


def _knowledge_example(row: dict, texts: list[str], example_id: str) -> Example | None:
    """The example of one written question: the first chunk holding its evidence sentence (and answer)."""
    evidence, answer = " ".join(row["evidence"].split()), " ".join(row.get("answer", "").split())
    for text in texts:
        at = text.find(evidence)
        if at < 0:
            continue
        if not row["answerable"]:
            return Example(example_id, row["question"], text, ())
        start = text.find(answer, at)
        if answer and 0 <= start < at + len(evidence):
            return Example(example_id, row["question"], text, ((answer, start),))
    return None
