"""Words and tokens: the word pattern, stop words, Sastrawi stems (cached) and the token lists
BM25 and the answerer work from."""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
import uuid
from functools import lru_cache
from pathlib import Path

from cachetools import LRUCache

# The one word pattern: letters and digits, with inner apostrophes ("Indonesia's") and hyphens
# ("multi-pemangku", "negara-negara") kept inside the word. :func:`plain_words` splits at them.
WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*(?:-[^\W_]+)*", re.UNICODE)
_JOINERS = str.maketrans({"\u2019": "'", "-": "'"})


def plain_words(text: str) -> list[str]:
    """The words of ``text`` split at inner apostrophes and hyphens: runs of letters and digits."""
    return [part for word in WORD.findall(text) for part in word.translate(_JOINERS).split("'")]


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Indonesian (Sastrawi's list) and English (bm25s' list) stop words."""
    from bm25s.stopwords import STOPWORDS_EN
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return frozenset(StopWordRemoverFactory().get_stop_words()) | frozenset(STOPWORDS_EN)


# Process-wide stems, shared by the threads that answer and the one that syncs (which saves them):
# a bounded LRU, read and written only under the lock.
STEM_CACHE_SIZE = 200_000
_STEMS: LRUCache[str, str] = LRUCache(maxsize=STEM_CACHE_SIZE)
_STEMS_LOCK = threading.Lock()


def stem(word: str) -> str:
    """Indonesian stem of one lowercase word (memoised; Sastrawi is slow per call). Thread-safe."""
    if not word.isalpha() or len(word) <= 3:
        return word
    with _STEMS_LOCK:
        found = _STEMS.get(word)
    if found is None:
        found = _stemmer().stem(word) or word  # outside the lock: other threads keep going
        with _STEMS_LOCK:
            _STEMS[word] = found
    return found


def load_stem_cache(path: Path) -> None:
    """Merge stems saved by :func:`save_stem_cache` (a damaged file is ignored)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(saved, dict):
        with _STEMS_LOCK:
            _STEMS.update((k, v) for k, v in saved.items() if isinstance(k, str) and isinstance(v, str))


def save_stem_cache(path: Path) -> None:
    """Persist the stems computed so far, so the next process does not stem them again.

    Safe while other threads stem (a copy is taken under the lock) and when several threads save
    at once (each writes its own temporary file, then an atomic rename).
    """
    with _STEMS_LOCK:
        stems = dict(_STEMS.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(stems, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def tokenize(text: str) -> list[str]:
    """NFKC-normalise, lowercase, split into words, drop stop words, stem."""
    text = unicodedata.normalize("NFKC", text).lower()
    stops = stop_words()
    tokens = []
    for word in plain_words(text):
        if word not in stops:
            tokens.append(stem(word))
    return tokens


# Words that frame a question without saying what it is about.
FRAME_WORDS = frozenset(
    "apa apakah bagaimana mengapa kenapa siapa kapan mana dimana berapa jelaskan sebutkan menurut bacaan "
    "teks esai tulisan maksud arti pengertian disebut saja "
    "what which who whom whose when where why how explain describe define according reading readings "
    "text essay mean meaning say says said".split()
)
FUNCTION_WORDS = frozenset(
    "yang dan di ke dari untuk dengan pada dalam oleh atau ini itu adalah ialah merupakan sebagai juga "
    "tidak akan telah sudah bisa dapat ada para suatu sebuah se nya pun lah kah tersebut mereka kita kami "
    "the a an of to in on at by for with from and or is are was were be been being as that this these "
    "those it its do does did has have had can could should would will not no into about".split()
)


def content_tokens(text: str) -> set[str]:
    """Stemmed content words of ``text``: no function words and no question-framing words."""
    words = (w.lower() for w in plain_words(text))
    return {stem(w) for w in words if w not in FUNCTION_WORDS and w not in FRAME_WORDS and len(w) > 1}
