"""Scale: 1k / 10k / 100k-chunk collections (``benchmarks.scale_corpus``), embedded Chroma and a `chroma run` server.

For each size, in separate processes so that each peak RSS is its own:

1. *build*: ``sync_collection`` over the reading folder (vectors pre-filled in the vector cache, so nothing is
   embedded: the figures are reading, chunking, cache look-ups, Chroma writes and the BM25 snapshot; the time per
   phase is reported), peak RSS;
2. *re-sync*: ``assistant index`` again with nothing changed, wall clock of the whole process;
3. *serve*: an ``Assistant`` answering TyDi-id valid questions whose gold passage is in the collection: query
   embedding alone, search with the query vector ready (hybrid, top 20 as the answerer asks), the whole answer
   (extractive, whatever the service on main does), peak RSS;
4. with ``--server``: the same build and serve against a `chroma run` server on 127.0.0.1 (its RSS added).

Disk sizes are those of the data folder's parts. Everything is written under ``--work`` (default a temporary
folder, removed at the end unless ``--keep``). The 1-minute load average is recorded beside each figure.

    python -m benchmarks.scale [--data ../shared/data] [--sizes 1000,10000,100000] [--vectors CACHE] [--server]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_VECTORS = ROOT / ".assistant" / "bench-torch" / "cache" / "vectors.sqlite"
NAME = "scale"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settings_for(work: Path, port: int | None):
    from assistant.config import load_settings

    # Server mode has its own data folder (snapshots say which store holds their vectors); one vector cache.
    return load_settings(
        data_dir=work / ("data-server" if port else "data"),
        cache_dir=work / "data" / "cache",
        knowledge_dir=work / "readings",
        collection=NAME,
        chroma_host="127.0.0.1" if port else None,
        chroma_port=port or 8000,
    )


class PhaseClock:
    """A SyncProgress that times each phase."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._phase, self._since = None, time.perf_counter()

    def start(self, phase: str, total: int) -> None:
        self._close()
        self._phase = phase

    def _close(self) -> None:
        now = time.perf_counter()
        if self._phase:
            self.phases[self._phase] = round(self.phases.get(self._phase, 0) + now - self._since, 2)
        self._since = now

    def advance(self, n: int = 1) -> None: ...

    def message(self, text: str) -> None: ...


def child_build(work: Path, port: int | None) -> dict:
    from assistant.index.sync import sync_collection

    clock = PhaseClock()
    started = time.perf_counter()
    report = sync_collection(settings_for(work, port), NAME, work / "readings", progress=clock)
    clock.start("end", 0)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "phases": clock.phases,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "peak_rss_mb": round(peak_rss_mb()),
        "load_avg": os.getloadavg()[0],
    }


def child_serve(work: Path, port: int | None, questions: list[dict]) -> dict:
    from assistant.index.embeddings import clear_query_cache, embed_query
    from assistant.service import SIGNAL_DEPTH, Assistant

    started = time.perf_counter()
    assistant = Assistant(settings_for(work, port))
    retriever = assistant.retriever()
    assistant.ask(questions[0]["question"])  # warm-up: index, models, snapshot counts
    warm = time.perf_counter() - started
    embed_ms, search_ms, answer_ms, hits = [], [], [], 0
    for q in questions:
        clear_query_cache()
        t0 = time.perf_counter()
        embed_query(retriever.index.embedder, q["question"])
        t1 = time.perf_counter()
        found = retriever.search(q["question"], SIGNAL_DEPTH)
        t2 = time.perf_counter()
        embed_ms.append((t1 - t0) * 1000)
        search_ms.append((t2 - t1) * 1000)
        hits += any(p.chunk.text.find(q["gold_text"][:60]) >= 0 for p in found[:10])
    for q in questions:
        clear_query_cache()
        t0 = time.perf_counter()
        assistant.ask(q["question"])
        answer_ms.append((time.perf_counter() - t0) * 1000)

    def pct(xs, p):
        return round(float(np.percentile(xs, p)), 1)

    return {
        "open_and_first_answer_s": round(warm, 2),
        "chunks": len(retriever.index.chunks),
        "questions": len(questions),
        "gold_in_top10": round(hits / len(questions), 3),
        "query_embed_ms_p50": pct(embed_ms, 50),
        "query_embed_ms_p95": pct(embed_ms, 95),
        "search_ms_p50": pct(search_ms, 50),
        "search_ms_p95": pct(search_ms, 95),
        "answer_ms_p50": pct(answer_ms, 50),
        "answer_ms_p95": pct(answer_ms, 95),
        "peak_rss_mb": round(peak_rss_mb()),
        "load_avg": os.getloadavg()[0],
    }


def run_child(phase: str, work: Path, port: int | None, extra: list[str] = ()) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.scale", "--child", phase, "--work", str(work), *extra]
    if port:
        cmd += ["--port", str(port)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{phase} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def resync_cli(work: Path, port: int | None) -> dict:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(work / "data"), "ASSISTANT_CACHE_DIR": str(work / "data" / "cache")}
    if port:
        env.update(
            ASSISTANT_DATA_DIR=str(work / "data-server"),
            ASSISTANT_CHROMA_HOST="127.0.0.1",
            ASSISTANT_CHROMA_PORT=str(port),
        )
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--collection", NAME, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"re-sync failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "wall_s": round(wall, 2),
        "sync_s": out["seconds"],
        "embedded": out["embedded"],
        "load_avg": os.getloadavg()[0],
    }


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1) if path.exists() else 0.0


def gold_texts(data: Path) -> list[str]:
    """Texts of the TyDi-id valid questions' gold passages."""
    real = {}
    with (data / "tydiqa-id" / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            real[row["id"]] = row["text"]
    with (data / "tydiqa-id" / "queries_valid.jsonl").open(encoding="utf-8") as fh:
        ids = [g for line in fh for g in json.loads(line).get("gold_passage_ids", [])]
    return [real[g] for g in dict.fromkeys(ids) if g in real]


def questions_in(work: Path, data: Path, n: int) -> list[dict]:
    """TyDi-id valid questions whose gold passage is among the collection's real passages."""
    real = {}
    with (data / "tydiqa-id" / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            real[row["id"]] = row["text"]
    present = set(json.loads((work / "passages.json").read_text()))
    out = []
    with (data / "tydiqa-id" / "queries_valid.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            gold = [real[g] for g in q.get("gold_passage_ids", []) if g in real and real[g][:60] in present]
            if gold:
                out.append({"question": q["question"], "gold_text": gold[0]})
    return out[:n]


def start_server(path: Path) -> tuple[subprocess.Popen, int]:
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("chroma server did not start")


def make_collection(work: Path, data: Path, vectors: Path, chunks: int) -> dict:
    from assistant.config import load_settings
    from benchmarks import scale_corpus as sc

    started = time.perf_counter()
    passages = sc.tydi_passages(data)
    gold = set(gold_texts(data))  # the valid questions' passages first, so every size can be asked about
    passages = [p for p in passages if p in gold] + [p for p in passages if p not in gold]
    corpus = sc.Corpus(passages, sc.real_vectors(vectors, passages))
    settings = load_settings()
    made = sc.write_readings(corpus, work / "readings", chunks, settings.chunk_size, settings.chunk_overlap)
    real = [corpus.passage(i)[0][:60] for i in range(min(made["passages"], len(corpus.real)))]
    (work / "passages.json").write_text(json.dumps(real, ensure_ascii=False))
    filled = sc.prefill_cache(work / "data" / "cache" / "vectors.sqlite", made.pop("chunk_vectors"), vectors)
    return {**made, **filled, "real_passages": len(real), "seconds": round(time.perf_counter() - started, 1)}


def measure_size(args, size: int, root: Path) -> dict:
    work = root / f"c{size}"
    row = {"size": size, "corpus": make_collection(work, args.data, args.vectors, size)}
    print(f"[{size}] corpus {row['corpus']}", file=sys.stderr, flush=True)
    qs = ["--questions", str(args.questions), "--data", str(args.data)]
    row["embedded"] = {
        "build": run_child("build", work, None),
        "resync": resync_cli(work, None),
        "serve": run_child("serve", work, None, qs),
        "disk_mb": {p: disk_mb(work / "data" / p) for p in ("chroma", "collections", "cache")},
    }
    print(f"[{size}] embedded Chroma {row['embedded']}", file=sys.stderr, flush=True)
    if args.server:
        import psutil

        proc, port = start_server(work / "server")
        try:
            server = {
                "build": run_child("build", work, port),
                "resync": resync_cli(work, port),
                "serve": run_child("serve", work, port, qs),
            }
            server["server_rss_mb"] = round(psutil.Process(proc.pid).memory_info().rss / 2**20)
            server["server_disk_mb"] = disk_mb(work / "server")
        finally:
            proc.kill()
            proc.wait()
        row["server"] = server
        print(f"[{size}] server {row['server']}", file=sys.stderr, flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (holds tydiqa-id/)")
    ap.add_argument("--sizes", default="1000,10000,100000", help="chunks per collection")
    ap.add_argument("--vectors", type=Path, default=DEFAULT_VECTORS, help="a vector cache holding TyDi-id's vectors")
    ap.add_argument("--questions", type=int, default=100, help="TyDi-id valid questions asked per collection")
    ap.add_argument("--server", action="store_true", help="also measure against a `chroma run` server")
    ap.add_argument("--work", type=Path, help="where collections are built (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the built collections")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    from assistant.config import offline_environment

    offline_environment()
    if args.child:
        port = args.port
        out = (
            child_build(args.work, port)
            if args.child == "build"
            else child_serve(args.work, port, questions_in(args.work, args.data, args.questions))
        )
        print(json.dumps(out))
        return
    root = args.work or Path(tempfile.mkdtemp(prefix="scale-", dir=ROOT / ".assistant"))
    rows = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(measure_size(args, size, root))
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1) + "\n")
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
