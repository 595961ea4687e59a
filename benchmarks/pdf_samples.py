"""PDFs as users have them: index every file of the py-pdf sample corpus and report, per file,
pages (as the corpus lists them), pages with text, characters and passages, or why it was refused.

The corpus is read where it lies (``--samples``, default ``../shared/data/pdf-samples`` beside the
repository) into a temporary data folder; nothing is copied into the repository.

    python -m benchmarks.pdf_samples [--samples DIR] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from benchmarks.common import DEFAULT_DATA

DEFAULT_SAMPLES = DEFAULT_DATA / "pdf-samples"


def listed_pages(samples: Path) -> dict[str, int | None]:
    """Page counts from the corpus's own ``files.json`` (None where it gives none), for the files
    that are there (the listing names one file the corpus does not ship)."""
    listing = json.loads((samples / "files.json").read_text(encoding="utf-8"))["data"]
    return {row["path"]: row.get("pages") for row in listing if (samples / row["path"]).is_file()}


def index_samples(samples: Path, data_dir: Path, cache_dir: Path | None = None):
    """Sync the corpus as one collection; returns (sync report, {source: chunks})."""
    from assistant.config import Settings
    from assistant.index.snapshots import CollectionPaths
    from assistant.index.sync import sync_collection

    settings = Settings(data_dir=data_dir, cache_dir=cache_dir, knowledge_dir=samples, collection="pdf-samples")
    report = sync_collection(settings)
    by_source = defaultdict(list)
    snapshot = CollectionPaths(settings, "pdf-samples").current_snapshot()
    for chunk in snapshot.chunks if snapshot else []:
        by_source[chunk.source].append(chunk)
    return report, dict(by_source)


def text_per_page(samples: Path, source: str) -> tuple[set[int], int]:
    """(pages with text, characters) of one PDF's cleaned text, as the index reads it."""
    from assistant.ingest.loaders import load_document

    document = load_document(samples / source, source)
    return {int(m.label) for m in document.pages}, len(document.text)


def table(samples: Path, report, by_source) -> str:
    failed = {row["path"]: row["error"] for row in report.failed}
    lines = ["| file | pages | pages with text | characters | passages | result |", "|---|---|---|---|---|---|"]
    for source, pages in sorted(listed_pages(samples).items()):
        chunks = by_source.get(source, [])
        if source in failed:
            lines.append(f"| `{source}` | {pages or '–'} | – | – | – | refused: {failed[source]} |")
            continue
        covered, characters = text_per_page(samples, source)
        lines.append(f"| `{source}` | {pages or '–'} | {len(covered)} | {characters:,} | {len(chunks)} | indexed |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pdf-samples-") as work:
        report, by_source = index_samples(args.samples, Path(work))
    text = table(args.samples, report, by_source)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
