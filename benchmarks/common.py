"""What the benchmarks share: the repository's folders, the shared data folder, JSONL reading.

Run every benchmark from the repository root as a module, ``python -m benchmarks.<name>``. The
third-party data (TyDi QA, IDK-MRC) is read from ``--data`` (default ``../shared/data`` beside the
repository) and never copied into it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository (benchmarks are not package code)
KNOWLEDGE = ROOT / "knowledge"
EVALS = ROOT / "evals"
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """``--data DIR``: the shared data folder (TyDi QA, IDK-MRC)."""
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="shared data folder with tydiqa-id/ and idk-mrc/ (default: ../shared/data beside the repository)",
    )


def tydi_passages(
    corpus: Path, n: int | None = None, hint: str = "--data pointing at the shared data folder"
) -> list[str]:
    """The texts of the first ``n`` (all when None) passages of a TyDi-id ``corpus.jsonl``."""
    if not corpus.exists():
        raise SystemExit(f"{corpus} not found: pass {hint}")
    out: list[str] = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            if n is not None and len(out) >= n:
                break
            if line.strip():
                out.append(json.loads(line)["text"])
    return out


def read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of a JSONL file (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
