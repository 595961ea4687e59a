"""Bad input at full size (issue 15, item 3): what each costs before it is refused or answered.

The unit tests (``tests/test_bad_input.py``) try every kind of bad input at a small size; this
script tries the sizes of the issue's defects, each in a fresh process so its peak RSS is its own:
a DOCX with a 1 GB compressible member, a DOCX of 3 million empty paragraphs, a PDF of 3,000
pages, a 24 MB Markdown file (synced into a collection that already holds a reading), a
100,000-character question and a 20,000-character earlier turn (answered from ``knowledge/``).

    python -m benchmarks.bad_input [--work DIR]

Prints one row per input: outcome (the message, shortened), seconds, peak RSS of the process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.common import KNOWLEDGE, ROOT

QUESTION = "Apa itu diplomasi siber? "


def _build(work: Path) -> dict[str, Path]:
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.fixtures_files import make_docx_with_big_member, make_docx_with_empty_paragraphs, make_pdf

    files = {
        "docx-1gb-member": work / "bom.docx",
        "docx-3m-empty-paragraphs": work / "kosong.docx",
        "pdf-3000-pages": work / "tebal.pdf",
        "markdown-24mb": work / "md" / "buku.md",
    }
    if not files["docx-1gb-member"].exists():
        make_docx_with_big_member(files["docx-1gb-member"], 1024)
    if not files["docx-3m-empty-paragraphs"].exists():
        make_docx_with_empty_paragraphs(files["docx-3m-empty-paragraphs"], 3_000_000)
    if not files["pdf-3000-pages"].exists():
        make_pdf(files["pdf-3000-pages"], [f"Halaman {i}: diplomasi siber dan kerja sama." for i in range(3000)])
    if not files["markdown-24mb"].exists():
        files["markdown-24mb"].parent.mkdir(parents=True, exist_ok=True)
        paragraph = (KNOWLEDGE / "diplomasi-siber-dan-liberalisme.md").read_text(encoding="utf-8")
        body = "\n\n".join([paragraph] * (24_000_000 // len(paragraph) + 1))
        files["markdown-24mb"].write_text(body[:24_000_000], encoding="utf-8")
    return files


def _load(path: str) -> str:
    from assistant.config import Settings
    from assistant.errors import IngestError
    from assistant.ingest.loaders import load_reading

    try:
        document = load_reading(Settings(), Path(path), Path(path).name)
    except IngestError as exc:
        return f"refused: {exc}"
    return f"loaded: {len(document.text):,} characters"


def _sync(folder: str, data: str) -> str:
    from assistant.config import Settings
    from assistant.index.sync import sync_collection

    settings = Settings(data_dir=Path(data), knowledge_dir=Path(folder), collection="besar")
    report = sync_collection(settings)
    failed = "; ".join(f"{f['path']}: {f['error']}" for f in report.failed)
    return f"refused: {failed}" if failed else f"indexed: {report.chunks} passages"


def _ask(question: str, history_turn: str | None, data: str) -> str:
    from assistant.config import Settings
    from assistant.index.sync import sync_collection
    from assistant.service import Assistant

    settings = Settings(data_dir=Path(data), knowledge_dir=KNOWLEDGE)
    sync_collection(settings)
    assistant = Assistant(settings)
    assistant.ask(QUESTION)  # warm: the figure is the long input's own cost
    started = time.perf_counter()
    answer = assistant.ask(question, history=[(history_turn, "")] if history_turn else None)
    seconds = time.perf_counter() - started
    notes = f", note: {answer.notes[0]}" if answer.notes else ""
    return f"answered in {seconds:.2f} s (query {len(answer.query):,} characters){notes}"


def _run(target, args, queue) -> None:
    started = time.perf_counter()
    outcome = target(*args)
    queue.put((outcome, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _measure(target, *args) -> tuple[str, float, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(target, args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None, help="folder for the generated files (default: temporary)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        files = _build(work)
        sizes = {name: path.stat().st_size for name, path in files.items()}
        rows = [(name, sizes[name], *_measure(_load, str(files[name]))) for name in list(files)[:3]]
        (files["markdown-24mb"].parent / "pendek.md").write_text("# Pendek\n\nSatu bacaan pendek.", encoding="utf-8")
        rows.append(
            (
                "markdown-24mb",
                sizes["markdown-24mb"],
                *_measure(_sync, str(files["markdown-24mb"].parent), str(work / "data")),
            )
        )
        long_question = QUESTION + "kata " * 20_000
        rows.append(
            ("question-100k-chars", len(long_question), *_measure(_ask, long_question, None, str(work / "data-ask")))
        )
        turn = QUESTION + "kata " * 4_000
        rows.append(("history-turn-20k-chars", len(turn), *_measure(_ask, "Mengapa?", turn, str(work / "data-ask"))))
    print("| input | size | outcome | seconds | peak RSS |")
    print("|---|---|---|---|---|")
    for name, size, outcome, seconds, rss in rows:
        short = outcome if len(outcome) <= 160 else outcome[:159] + "…"
        print(f"| {name} | {size:,} | {short} | {seconds:.1f} | {rss:,.0f} MB |")


if __name__ == "__main__":
    main()
