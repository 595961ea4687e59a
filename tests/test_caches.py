"""Process-wide caches under threads: the web app answers in threads while a sync saves the stem
cache, and every answer shares the query-vector cache."""

from __future__ import annotations

import json
import threading

QUESTIONS = [
    "Apa itu diplomasi siber?",
    "Bagaimana liberalisme memandang kerja sama siber?",
    "Apa peran BSSN dalam pengembangan kapasitas siber?",
    "What is the Budapest Convention?",
    "How do realists view cooperation in cyberspace?",
    "Mengapa negara-negara membangun kepercayaan di ruang siber?",
]


def _word(*numbers: int) -> str:
    """A new alphabetic word (stems are cached for words of letters only)."""
    return "mempersiapkan" + "q".join("".join(chr(ord("a") + int(d)) for d in str(n)) for n in numbers) + "an"


def _run_all(workers: list[threading.Thread], timeout: float = 600.0) -> None:
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
        assert not worker.is_alive(), f"{worker.name} did not finish"


def test_answers_in_threads_while_a_sync_saves_the_stem_cache(indexed_settings, make_settings, write, tmp_path):
    from assistant.index.sync import sync_collection
    from assistant.service import Assistant
    from assistant.text.tokens import save_stem_cache, stem

    assistant = Assistant(indexed_settings)
    assistant.ask(QUESTIONS[0])  # load the index and the models once, before the race
    folder = write.folder / "kuliah"
    settings = make_settings(collection="kuliah", knowledge_dir=folder)
    stems = tmp_path / "stems.json"
    start = threading.Barrier(5)
    answers, errors = [], []

    def answer(offset: int) -> None:
        start.wait()
        try:
            for i in range(3):
                answers.append(assistant.ask(QUESTIONS[(offset + i) % len(QUESTIONS)]))
                # new words, so the answering threads keep writing stems while the others save them
                [stem(_word(offset, i, n)) for n in range(40)]
        except Exception as exc:  # recorded: the assertion below names it
            errors.append(exc)

    def sync_and_save() -> None:
        start.wait()
        try:
            for i in range(2):
                write(
                    f"kuliah/catatan-{i}.md",
                    f"# Catatan {i}\n\nPelabuhan ke-{i} dibangun untuk perdagangan "
                    f"antarpulau dan pengembangan kapasitas siber.\n",
                )
                sync_collection(settings)  # saves the stem cache under its data folder
                for _ in range(10):
                    save_stem_cache(stems)
        except Exception as exc:
            errors.append(exc)

    workers = [threading.Thread(target=answer, args=(n,), name=f"answer-{n}") for n in range(3)]
    workers += [threading.Thread(target=sync_and_save, name=f"sync-{n}") for n in range(2)]
    _run_all(workers)
    assert not errors, errors
    assert len(answers) == 9 and all(a.citations or a.abstained for a in answers)
    save_stem_cache(stems)
    saved = json.loads(stems.read_text(encoding="utf-8"))
    assert saved[_word(2, 2, 39)] == stem(_word(2, 2, 39))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in saved.items())
    assert not list(tmp_path.glob(".stems.json.*.tmp")), "temporary files left behind"


def test_query_vector_cache_is_shared_and_bounded_under_threads(indexed_settings):
    import numpy as np

    from assistant.index.embeddings import QUERY_CACHE_SIZE, embed_query, load_embedder, query_cache_size

    embedder = load_embedder(indexed_settings.embedder)
    queries = [f"pertanyaan nomor {n} tentang diplomasi siber" for n in range(QUERY_CACHE_SIZE + 88)]
    start = threading.Barrier(4)
    found: dict[str, np.ndarray] = {}
    errors = []

    def work(part: int) -> None:
        start.wait()
        try:
            for text in queries[part::4]:
                found[text] = embed_query(embedder, text)
                embed_query(embedder, queries[0])  # a hot entry every thread reads while others evict
        except Exception as exc:
            errors.append(exc)

    _run_all([threading.Thread(target=work, args=(n,), name=f"query-{n}") for n in range(4)])
    assert not errors, errors
    assert query_cache_size() <= QUERY_CACHE_SIZE
    assert embed_query(embedder, queries[0]) is embed_query(embedder, queries[0])  # kept: used most recently
    for text in queries[::97]:
        assert np.allclose(found[text], embedder.embed_queries([text])[0], atol=1e-6)
