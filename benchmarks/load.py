"""A class at once: concurrent users of the web app (``gradio_client``) and of the OpenAI-compatible API
(the ``openai`` package) against one ``assistant serve`` on 127.0.0.1, with a re-sync during the load.

Phases:

1. A copy of ``knowledge/`` is indexed (``python -m assistant index``) in a work folder and served.
2. Baseline: every question once, one at a time (the answers of the current snapshot).
3. Load: ``--users`` gradio_client users and ``--api-users`` API users ask varied questions (the
   question sets' questions, each user in its own order) for ``--seconds``. A third of the way in,
   another process adds a reading to the folder, removes another and re-syncs the collection
   (``python -m assistant index``); the server swaps to the new snapshot while answering. The first
   two questions are about those two readings, so their answers differ between the snapshots.
4. After: every question once more (the answers of the new snapshot).
5. Burst: ``--burst`` users of each interface send one question at the same instant; past the queue
   (``concurrency_limit`` answering, ``queue_size`` waiting) a request must be refused with a message
   (Gradio's "queue is full", the API's HTTP 503), never fail otherwise; the server must still answer.

A load answer is *wrong* when its text is neither the snapshot-before answer nor the snapshot-after
answer of its question (a half-swapped index would give a third one), or a quote is not verbatim in
its passage. Printed: requests, failures (must be 0), wrong answers (must be 0), p50/p95 latency,
answers per second, the server's peak RSS, the load average; the last stdout line is one JSON object.

Usage::

    python -m benchmarks.load                       # 30 + 30 users for 60 s, burst of 100 + 100
    python -m benchmarks.load --users 3 --api-users 3 --seconds 20 --burst 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import OFFLINE_ENVIRONMENT
from benchmarks.common import EVALS, KNOWLEDGE, ROOT, read_jsonl

NEW_READING = """---
title: Terumbu Karang Teluk Wiyata
language: id
---
Survei terumbu karang Teluk Wiyata tahun 2024 mencatat tutupan karang hidup sebesar 38 persen di
sisi utara teluk. Pemantauan dilakukan oleh tim peneliti kelautan setiap musim kemarau dengan metode
transek garis sepanjang 50 meter. Pemutihan karang paling parah terjadi setelah gelombang panas laut.
"""


CLIENT_TIMEOUT = 900.0  # seconds a user waits for an answer (a queued request on a loaded laptop waits long)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# Questions whose answers the re-sync changes: one about the reading it adds, one about the reading it removes.
# With them the judge sees which snapshot served each answer across the swap, not only that none broke.
ABOUT_ADDED = "Berapa persen tutupan karang hidup di sisi utara Teluk Wiyata?"
ABOUT_REMOVED = "Siapa yang memperkenalkan istilah kekuatan lunak, dan dalam buku apa?"
REMOVED_READING = "kekuatan-lunak-dalam-diplomasi-siber.md"


def questions(limit: int = 40) -> list[str]:
    """Varied questions: answerable and unanswerable, Indonesian and English, from the question sets,
    after the two whose answers the re-sync changes (:data:`ABOUT_ADDED`, :data:`ABOUT_REMOVED`)."""
    rows = read_jsonl(EVALS / "source.jsonl") + read_jsonl(EVALS / "readings.jsonl")
    picked = [r["question"] for r in rows if r.get("question")]
    random.Random(7).shuffle(picked)
    return [ABOUT_ADDED, ABOUT_REMOVED, *picked][: max(limit, 2)]


@dataclass
class Served:
    """The work folder and the running server."""

    work: Path
    env: dict[str, str]
    url: str
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def alive(self) -> bool:
        return self.process.poll() is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def index(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m assistant index`` of the work folder (another process than the server)."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--json"], env=env, cwd=cwd, capture_output=True, text=True
    )


def serve(work: Path, cache: Path | None, extra_env: dict[str, str] | None = None, timeout: float = 600) -> Served:
    """Copy the readings into ``work``, index them, start ``assistant serve`` and wait until it answers."""
    folder = work / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(OFFLINE_ENVIRONMENT)
    env.update(ASSISTANT_DATA_DIR=str(work / "data"), ASSISTANT_KNOWLEDGE_DIR=str(folder))
    if cache is not None:
        env["ASSISTANT_CACHE_DIR"] = str(cache)
    env.update(extra_env or {})
    done = index(env, work)
    if done.returncode != 0:
        raise RuntimeError(f"indexing failed: {done.stderr}")
    port = _free_port()
    log_path = work / "server.log"
    with open(log_path, "wb") as fh:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            env=env,
            cwd=work,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    served = Served(work, env, f"http://127.0.0.1:{port}/", process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not served.alive():
            raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(served.url, timeout=5) as response:
                if response.status == 200:
                    return served
        except OSError:
            time.sleep(0.5)
    served.stop()
    raise TimeoutError(f"server not ready after {timeout:.0f} s: {log_path.read_text(errors='replace')[-2000:]}")


# ----------------------------------------------------------------------------- asking


def gradio_user(url: str):
    """A function asking one question through ``/ask``; returns the answer JSON object."""
    from gradio_client import Client

    client = Client(url, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT})
    return lambda question: client.predict(question, "", "", 0, api_name="/ask")


def api_user(url: str):
    """A function asking one question through ``/v1/chat/completions``; returns the answer JSON object."""
    from openai import OpenAI

    client = OpenAI(base_url=url + "v1", api_key="unused", max_retries=0, timeout=CLIENT_TIMEOUT)

    def ask(question: str) -> dict:
        reply = client.chat.completions.create(model="knowledge", messages=[{"role": "user", "content": question}])
        return (reply.model_extra or {})["answer"]

    return ask


def baseline(url: str, asked: list[str]) -> dict[str, str]:
    """Each question's answer text, asked one at a time."""
    ask = gradio_user(url)
    return {question: ask(question)["answer"] for question in asked}


def contract_broken(answer: dict) -> bool:
    """True when a quote is not verbatim in its passage."""
    return any(not c.get("quote") or c["quote"] not in c.get("text", "") for c in answer.get("citations", []))


@dataclass
class Record:
    kind: str
    question: str
    started: float
    seconds: float
    answer: dict | None = None
    error: str | None = None


@dataclass
class Load:
    """What the load phase saw."""

    records: list[Record] = field(default_factory=list)
    resync: dict = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)


def user_loop(kind: str, make, url: str, asked: list[str], seed: int, until: list[float], load: Load, ready) -> None:
    """One user: its own client, the questions in its own order, until the deadline ``until[0]``
    (read once every client is connected)."""
    try:
        ask = make(url)
    except Exception as exc:  # noqa: BLE001 (a client that cannot connect is a failure of the server)
        load.add(Record(kind, "", time.monotonic(), 0.0, error=f"connect: {type(exc).__name__}: {exc}"))
        ready.wait()
        return
    ready.wait()
    order = asked[:]
    random.Random(seed).shuffle(order)
    n = 0
    while time.monotonic() < until[0]:
        question = order[n % len(order)]
        n += 1
        started = time.monotonic()
        try:
            answer = ask(question)
            load.add(Record(kind, question, started, time.monotonic() - started, answer=answer))
        except Exception as exc:  # noqa: BLE001 (every failure is counted and reported)
            load.add(Record(kind, question, started, time.monotonic() - started, error=f"{type(exc).__name__}: {exc}"))


def sample_rss(pid: int, stop: threading.Event, load: Load) -> None:
    """The server's resident memory (with its children), every half second."""
    import psutil

    process = psutil.Process(pid)
    while not stop.is_set():
        try:
            rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.Error:
            break
        load.peak_rss_mb = max(load.peak_rss_mb, rss / 2**20)
        stop.wait(0.5)


def resync_later(served: Served, delay: float, load: Load) -> None:
    """After ``delay`` seconds, another process adds a reading, removes another and re-syncs the collection."""
    time.sleep(delay)  # a point in the load phase, not a synchronisation
    started = time.monotonic()
    (served.work / "knowledge" / "terumbu-karang-teluk-wiyata.md").write_text(NEW_READING, encoding="utf-8")
    (served.work / "knowledge" / REMOVED_READING).unlink()
    done = index(served.env, served.work)
    load.resync = {
        "started": started,
        "seconds": round(time.monotonic() - started, 2),
        "exit_code": done.returncode,
        "summary": done.stdout.strip()[-400:],
    }


def run_load(
    served: Served,
    asked: list[str],
    users: int,
    api_users: int,
    seconds: float,
    resync: bool,
    during: Callable[[Load], None] | None = None,
) -> Load:
    """The load phase: every user in its own thread, the RSS sampler and, run in this thread once the users
    are asking, optionally the re-sync by another process (``resync``) or ``during(load)`` (a re-sync of
    the caller's own, such as the Library tab's button; it fills ``load.resync``)."""
    load = Load()
    kinds = [("gradio", gradio_user)] * users + [("api", api_user)] * api_users
    ready = threading.Barrier(len(kinds) + 1)
    until = [0.0]
    threads = []
    for seed, (kind, make) in enumerate(kinds):
        thread = threading.Thread(
            target=user_loop,
            args=(kind, make, served.url, asked, seed, until, load, ready),
            daemon=True,
        )
        threads.append(thread)
    for thread in threads:
        thread.start()
    stop = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(served.process.pid, stop, load), daemon=True)
    sampler.start()
    log(f"connecting {len(kinds)} users…")
    until[0] = time.monotonic() + seconds  # the clients' connect time counts into the phase
    ready.wait()
    if resync:  # in this thread, while the users ask in theirs
        resync_later(served, seconds / 3, load)
    if during is not None:
        during(load)
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()
    return load


# ----------------------------------------------------------------------------- burst


REFUSALS = ("queue is full", "server is busy", "503", "429", "too many")


def burst(url: str, users: int, question: str) -> dict[str, int]:
    """``users`` users of each interface send one question at once: answered, refused with a
    message (queue full / 503), or failed otherwise."""
    outcomes: dict[str, int] = {"answered": 0, "refused": 0, "failed": 0}
    examples: dict[str, str] = {}
    lock = threading.Lock()
    makers = [gradio_user] * users + [api_user] * users
    clients: list = [None] * len(makers)
    gate = threading.Barrier(len(makers))

    def one(i: int) -> None:
        try:
            clients[i] = makers[i](url)
        except Exception as exc:  # noqa: BLE001
            clients[i] = exc
        gate.wait()
        try:
            if isinstance(clients[i], Exception):
                raise clients[i]
            clients[i](question)
            kind = "answered"
        except Exception as exc:  # noqa: BLE001
            text = f"{type(exc).__name__}: {exc}"
            kind = "refused" if any(r in text.lower() for r in REFUSALS) else "failed"
            examples.setdefault(kind, text[:200])
        with lock:
            outcomes[kind] += 1

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(makers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**outcomes, "examples": examples}  # type: ignore[dict-item]


# ----------------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def judge(load: Load, before: dict[str, str], after: dict[str, str]) -> dict:
    """Failures, wrong answers and latency per interface."""
    figures: dict = {}
    for kind in ("gradio", "api", "all"):
        rows = [r for r in load.records if kind in ("all", r.kind)]
        ok = [r for r in rows if r.error is None and r.answer is not None]
        wrong = [
            r
            for r in ok
            if r.answer["answer"] not in (before.get(r.question), after.get(r.question)) or contract_broken(r.answer)
        ]
        span = (max(r.started + r.seconds for r in rows) - min(r.started for r in rows)) if rows else 0.0
        latencies = [r.seconds for r in ok]
        figures[kind] = {
            "requests": len(rows),
            "failed": len(rows) - len(ok),
            "wrong": len(wrong),
            "p50_s": round(percentile(latencies, 50) or 0.0, 2),
            "p95_s": round(percentile(latencies, 95) or 0.0, 2),
            "answers_per_s": round(len(ok) / span, 2) if span else 0.0,
        }
        if rows and len(rows) > len(ok):
            figures[kind]["first_error"] = next(r.error for r in rows if r.error)[:300]
        if wrong:
            figures[kind]["first_wrong"] = wrong[0].question
    during = [r for r in load.records if load.resync and r.started + r.seconds >= load.resync["started"]]
    figures["answered_after_resync_started"] = sum(r.error is None for r in during)
    figures["changed_by_resync"] = sum(before[q] != after[q] for q in before if q in after)
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=30, help="gradio_client users (default 30)")
    parser.add_argument("--api-users", type=int, default=30, help="OpenAI-API users (default 30)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load phase (default 60)")
    parser.add_argument("--burst", type=int, default=100, help="users of each interface in the burst (0: none)")
    parser.add_argument("--no-resync", action="store_true", help="no re-sync during the load")
    parser.add_argument("--questions", type=int, default=40, help="distinct questions (default 40)")
    parser.add_argument(
        "--cache", type=Path, default=ROOT / ".assistant" / "cache", help="vector cache (default .assistant/cache)"
    )
    parser.add_argument("--ready-timeout", type=float, default=1800.0, help="seconds to wait for the server to start")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="load-"))
    asked = questions(args.questions)
    result: dict = {"load_average_before": os.getloadavg(), "cpus": os.cpu_count()}
    started = time.monotonic()
    served = serve(work, args.cache, timeout=args.ready_timeout)
    result["ready_seconds"] = round(time.monotonic() - started, 1)
    log(f"server ready after {result['ready_seconds']} s (index and start-up)")
    try:
        log("baseline…")
        before = baseline(served.url, asked)
        log(f"load: {args.users} gradio_client + {args.api_users} API users for {args.seconds:g} s")
        load = run_load(served, asked, args.users, args.api_users, args.seconds, not args.no_resync)
        result["load_average_during"] = os.getloadavg()
        after = baseline(served.url, asked)
        result.update(judge(load, before, after), resync=load.resync, peak_rss_mb=round(load.peak_rss_mb))
        if args.burst:
            log(f"burst: {args.burst} + {args.burst} users at once")
            result["burst"] = burst(served.url, args.burst, asked[0])
            result["alive_after_burst"] = served.alive() and bool(gradio_user(served.url)(asked[1])["answer"])
    finally:
        served.stop()
        shutil.rmtree(work, ignore_errors=True)
    result.update(users=args.users, api_users=args.api_users, seconds=args.seconds, questions=len(asked))
    result["load_average_after"] = os.getloadavg()
    if not args.json:
        report(result)
    print(json.dumps(result), flush=True)
    return result


def report(result: dict) -> None:
    for kind in ("gradio", "api", "all"):
        f = result[kind]
        print(
            f"{kind:6} requests {f['requests']:5}  failed {f['failed']}  wrong {f['wrong']}  "
            f"p50 {f['p50_s']} s  p95 {f['p95_s']} s  {f['answers_per_s']} answers/s"
        )
    if result.get("resync"):
        r = result["resync"]
        print(
            f"re-sync: exit {r['exit_code']} in {r['seconds']} s; {result['answered_after_resync_started']} answers after it began"
        )
    print(
        f"peak RSS {result['peak_rss_mb']} MB; load average before/during/after {result['load_average_before']} / "
        f"{result['load_average_during']} / {result['load_average_after']}"
    )
    if "burst" in result:
        print(f"burst: {result['burst']}; server alive after: {result['alive_after_burst']}")


if __name__ == "__main__":
    main()
