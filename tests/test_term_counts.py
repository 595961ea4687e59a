"""Per-snapshot work moved to index time: content-token counts saved beside BM25, and BM25 top-k without a full
sort of the collection."""

from __future__ import annotations

import numpy as np

from assistant.answering.terms import TermWeights
from assistant.index.lexical import LexicalIndex, load_term_counts
from assistant.index.snapshots import CollectionPaths
from assistant.index.sync import sync_collection
from assistant.retrieval.retriever import open_retriever
from assistant.service import Assistant


def test_term_counts_are_saved_at_index_time_and_used(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder)
    write("a.txt", "Norma siber adalah aturan perilaku negara yang bertanggung jawab di ruang siber.")
    write("b.txt", "Konvensi Budapest mengatur kerja sama melawan kejahatan siber.\n\nNegara anggota meratifikasinya.")
    sync_collection(settings)
    snapshot = CollectionPaths(settings, "knowledge").current_snapshot()
    n, df = load_term_counts(snapshot.folder / "lexical")
    computed = TermWeights([c.text for c in snapshot.chunks])
    assert n == len(snapshot.chunks) and df == computed.df and df["siber"] == len(snapshot.chunks)
    weights = Assistant(settings).term_weights(open_retriever(settings))
    assert weights.df == computed.df and weights.weight("budapest") == computed.weight("budapest")


def test_lexical_top_matches_a_full_sort():
    texts = [f"siber {'norma ' * (i % 7)} negara {'hukum ' * (i % 3)} dokumen {i}" for i in range(300)]
    index = LexicalIndex.build([f"c{i}" for i in range(300)], texts)
    scores = index.scores("norma hukum")
    full = [(index.ids[i], float(scores[i])) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
    assert index.top("norma hukum", 10) == full[:10]
    assert index.top("norma hukum", 1000) == full
