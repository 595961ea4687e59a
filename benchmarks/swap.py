"""Swapping readings in: time to make a new 20-page PDF answerable, and re-sync time when nothing changed.

Parts (``--part``, repeatable; default ``default``):

``default``
    The default collection (a copy of ``knowledge/`` in a work folder). Measures a re-sync with
    nothing changed (in a warm process, and as a ``python -m assistant index`` process), then
    adds a generated 20-page PDF the way the web app does (a warm :class:`Assistant`, then
    ``add_documents`` and ``Assistant.ask``) and as ``python -m assistant add`` + ``ask`` processes.
``tydi``
    The TyDi QA corpus as a collection: every passage written as one ``.txt`` file into the work
    folder, indexed once (vectors come from ``--cache`` when it already holds them), then the same
    re-sync and PDF measurements on a collection of 4,650 files.

Every sentence of a PDF carries a run-specific number, so its passages are really embedded on every
run; the first PDF is removed (timed) before the CLI one is added, so the answer must cite the new one.
The last stdout line is one JSON object with every figure (``--json`` prints only that).

Usage::

    python -m benchmarks.swap --part default --part tydi --cache .assistant/bench/cache
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

from assistant.config import Settings, offline_environment
from assistant.index.sync import sync_collection
from assistant.library.documents import add_documents, remove_documents
from benchmarks.common import KNOWLEDGE, add_data_argument

TOPICS = [
    "pelabuhan",
    "perikanan",
    "navigasi",
    "mangrove",
    "terumbu karang",
    "garis pantai",
    "kapal penumpang",
    "logistik",
    "cuaca laut",
    "diplomasi maritim",
]
QUESTION = "Berapa panjang dermaga apung Teluk Wiyata yang dibangun oleh Dinas Kelautan?"
ANSWER_FACT = (
    "Dermaga apung Teluk Wiyata yang dibangun oleh Dinas Kelautan memiliki panjang 412 meter dan "
    "mulai beroperasi pada bulan Maret."
)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def page_text(page: int, nonce: str) -> str:
    """About 2,400 characters of plausible report text; page 13 holds the fact asked about."""
    topic = TOPICS[page % len(TOPICS)]
    sentences = [f"Kajian nomor {nonce} halaman {page} membahas {topic} di wilayah pesisir Teluk Wiyata."]
    for n in range(1, 22):
        sentences.append(
            f"Pengamatan ke-{n} tentang {topic} menunjukkan perubahan musiman yang dicatat oleh tim "
            f"peneliti pada stasiun {nonce}-{page}-{n}."
        )
        if page == 13 and n == 11:
            sentences.append(ANSWER_FACT)
    return " ".join(sentences)


def make_pdf(path: Path, nonce: str, pages: int = 20) -> Path:
    """A real 20-page PDF with a text layer (reportlab), title and author set."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(f"Kajian Pesisir Teluk Wiyata {nonce}")
    pdf.setAuthor("Tim Kajian Pesisir")
    for page in range(1, pages + 1):
        y = 800
        for line in textwrap.wrap(page_text(page, nonce), 95):
            pdf.drawString(40, y, line)
            y -= 13
        pdf.showPage()
    pdf.save()
    return path


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(settings.data_dir),
        ASSISTANT_CACHE_DIR=str(settings.vector_cache_dir),
        ASSISTANT_KNOWLEDGE_DIR=str(settings.knowledge_dir),
        ASSISTANT_COLLECTION=settings.collection,
    )
    return env


def run_cli(settings: Settings, *args: str) -> tuple[float, dict]:
    """Wall time of one ``python -m assistant ... --json`` process and its JSON."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", *args, "--json"],
        env=env_for(settings),
        capture_output=True,
        text=True,
        cwd=settings.data_dir.parent,
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"assistant {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds, json.loads(proc.stdout.strip().splitlines()[-1])


def resync_figures(settings: Settings, name: str, repeats: int = 3) -> dict:
    """Re-sync with nothing changed: warm in-process median, and one CLI process."""
    warm = []
    for _ in range(repeats):
        report = sync_collection(settings, name)
        assert not (report.added or report.updated or report.removed), report.to_json()
        warm.append(report.seconds)
    cli_seconds, data = run_cli(settings, "index", "--collection", name)
    return {
        "warm_seconds_median": round(statistics.median(warm), 3),
        "warm_seconds": [round(s, 3) for s in warm],
        "cli_wall_seconds": round(cli_seconds, 2),
        "cli_reported_seconds": data["seconds"],
        "files": data["unchanged"],
        "chunks": data["chunks"],
    }


def pdf_to_answer(settings: Settings, name: str, work: Path) -> dict:
    """Upload a fresh 20-page PDF into a warm service and time it to the first cited answer."""
    from assistant.service import Assistant

    assistant = Assistant(settings)
    assistant.ask("Apa itu diplomasi siber?", collection=name)  # warm, like a running web app
    nonce = uuid.uuid4().hex[:8]
    pdf = make_pdf(work / f"kajian-{nonce}.pdf", nonce)
    started = time.perf_counter()
    report = add_documents(settings, [pdf], name)
    added = time.perf_counter()
    answer = assistant.ask(QUESTION, collection=name)
    done = time.perf_counter()
    stored = report.added[0]["stored"] if report.added else None
    cited = [c for c in answer.citations if c.source == stored]
    result = {
        "pages": 20,
        "pdf_bytes": pdf.stat().st_size,
        "chunks": sum(1 for _ in _chunks_of(settings, name, stored)),
        "embedded": report.sync.embedded if report.sync else 0,
        "add_seconds": round(added - started, 2),
        "sync_seconds": round(report.sync.seconds, 2) if report.sync else None,
        "first_answer_seconds": round(done - added, 2),
        "upload_to_cited_answer_seconds": round(done - started, 2),
        "cited": bool(cited),
        "cited_location": cited[0].location if cited else None,
        "answer": answer.text[:200],
    }
    removed = remove_documents(settings, [stored], name) if stored else None
    result["remove_seconds"] = round(removed.seconds, 2) if removed else None
    result["cli"] = pdf_to_answer_cli(settings, name, work)
    return result


def pdf_to_answer_cli(settings: Settings, name: str, work: Path) -> dict:
    """The same with cold processes: ``assistant add`` then ``assistant ask``."""
    nonce = uuid.uuid4().hex[:8]
    pdf = make_pdf(work / f"kajian-cli-{nonce}.pdf", nonce)
    add_seconds, added = run_cli(settings, "add", str(pdf), "--collection", name)
    ask_seconds, answer = run_cli(settings, "ask", QUESTION, "--collection", name)
    stored = added["added"][0]["stored"]
    return {
        "add_wall_seconds": round(add_seconds, 2),
        "ask_wall_seconds": round(ask_seconds, 2),
        "total_wall_seconds": round(add_seconds + ask_seconds, 2),
        "embedded": added["sync"]["embedded"],
        "cited": any(c["source"] == stored for c in answer["citations"]),
    }


def _chunks_of(settings: Settings, name: str, source: str | None):
    from assistant.index.snapshots import CollectionPaths

    snapshot = CollectionPaths(settings, name).current_snapshot()
    return (c for c in snapshot.chunks if c.source == source) if snapshot else iter(())


def part_default(work: Path, cache: Path | None) -> dict:
    folder = work / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    settings = Settings(data_dir=work / "data", cache_dir=cache or work / "cache", knowledge_dir=folder)
    log("default: indexing the copy of knowledge/")
    first = sync_collection(settings)
    log(f"default: {first.chunks} chunks, embedded {first.embedded} in {first.seconds:.1f} s")
    result = {
        "collection": settings.collection,
        "initial": {"seconds": round(first.seconds, 1), "embedded": first.embedded, "chunks": first.chunks},
    }
    result["resync_unchanged"] = resync_figures(settings, settings.collection)
    log(f"default: re-sync {result['resync_unchanged']}")
    result["pdf_20_pages"] = pdf_to_answer(settings, settings.collection, work)
    log(f"default: pdf {result['pdf_20_pages']}")
    return result


def write_tydi(corpus: Path, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                (folder / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")
                n += 1
    return n


def part_tydi(work: Path, cache: Path | None, corpus: Path) -> dict:
    folder = work / "tydi"
    count = write_tydi(corpus, folder)
    settings = Settings(
        data_dir=work / "data", cache_dir=cache or work / "cache", knowledge_dir=work / "knowledge", collection="tydi"
    )
    log(f"tydi: indexing {count} passage files (cache {settings.vector_cache_dir})")
    first = sync_collection(settings, "tydi", folder)
    log(f"tydi: {first.chunks} chunks, embedded {first.embedded} in {first.seconds:.1f} s")
    result = {
        "collection": "tydi",
        "files": count,
        "initial": {"seconds": round(first.seconds, 1), "embedded": first.embedded, "chunks": first.chunks},
    }
    result["resync_unchanged"] = resync_figures(settings, "tydi")
    log(f"tydi: re-sync {result['resync_unchanged']}")
    result["pdf_20_pages"] = pdf_to_answer(settings, "tydi", work)
    log(f"tydi: pdf {result['pdf_20_pages']}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", action="append", choices=["default", "tydi"])
    parser.add_argument(
        "--cache", type=Path, default=None, help="vector cache folder to reuse (e.g. .assistant/bench/cache)"
    )
    add_data_argument(parser)
    parser.add_argument("--corpus", type=Path, default=None, help="default: DATA/tydiqa-id/corpus.jsonl")
    parser.add_argument("--work", type=Path, default=None, help="work folder, kept (default: a temporary one, deleted)")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    offline_environment()
    corpus = args.corpus or args.data / "tydiqa-id/corpus.jsonl"
    if args.work is not None:
        return run(args, args.work, corpus)
    with tempfile.TemporaryDirectory(prefix="swap-bench-") as tmp:
        return run(args, Path(tmp), corpus)


def run(args: argparse.Namespace, work: Path, corpus: Path) -> int:
    """Run the chosen parts in ``work`` and print the figures."""
    cache = args.cache.resolve() if args.cache and args.cache.exists() else None
    result = {"machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}, "cache": str(cache)}
    for part in args.part or ["default"]:
        sub = work / part
        sub.mkdir(parents=True, exist_ok=True)
        result[part] = part_default(sub, cache) if part == "default" else part_tydi(sub, cache, corpus)
    result["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    if not args.json:
        log(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
