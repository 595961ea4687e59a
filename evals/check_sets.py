"""Check the evaluation question sets against the cleaned knowledge collection.

Usage::

    python evals/check_sets.py                      # every evals/*.jsonl against knowledge/
    python evals/check_sets.py evals/source.jsonl   # selected sets
    python evals/check_sets.py --knowledge DIR SET.jsonl ...

Every document is loaded with :func:`assistant.ingest.loaders.load_document`, so the quotes are
checked against the same cleaned text the indexer chunks (stray ``Â``, non-breaking spaces and other
mojibake removed), not against the raw files. Each line is read and checked against the format by
the loader ``assistant eval`` uses (:func:`assistant.evaluation.sets.parse_entry`), and a quote
matches after the normalisation the evaluation's relevance uses
(:func:`assistant.evaluation.relevance.normalize`: NFKC, case-folding, whitespace collapsed).

Checks (errors make the exit code 1):

* every line passes the loader: a JSON object with an ``id``, ``lang`` ``id`` or ``en``, a
  non-empty ``question``, a bool ``answerable``, ``gold_quotes`` for answerable items only and a
  string ``reference_answer`` when given; ids are unique across all the sets checked;
* each gold quote is a verbatim substring of some cleaned document;
* optional fields have the right type: ``sources`` (list of file names in the collection),
  ``paragraph`` (1-based paragraph number of the cleaned source), ``resolved_question`` and
  ``note`` (str);
* when ``sources`` is given, each quote occurs in one of the listed files and each listed file
  holds at least one quote; when ``paragraph`` is given, each quote lies in that paragraph;
* every paragraph of the source essay has at least one question in ``source.jsonl``;
* conversation items (``turns``) have at least two turns, each checked like a question.

Quotes shorter than 5 or longer than 30 words are reported as warnings, not errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import SetError
from assistant.evaluation.relevance import normalize as norm
from assistant.evaluation.sets import parse_entry, set_lines
from assistant.index.sync import scan_folder
from assistant.ingest.loaders import load_document

ROOT = Path(__file__).resolve().parent.parent
SOURCE_NAME = "diplomasi-siber-dan-liberalisme.md"
TOP_FIELDS = {"id", "question", "lang", "answerable", "gold_quotes", "reference_answer", "sources", "paragraph", "note"}
CONV_FIELDS = {"id", "lang", "turns", "note", "sources"}
TURN_FIELDS = {"question", "answerable", "gold_quotes", "reference_answer", "resolved_question", "sources", "note"}


@dataclass
class Report:
    """Errors, warnings and per-set counts collected while checking."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=dict)


def load_collection(folder: Path) -> dict[str, str]:
    """Cleaned, normalised text of every file the indexer would read, by relative path."""
    found, _ignored = scan_folder(folder)
    return {rel: load_document(path, source=rel).text for rel, path in found.items()}


def source_paragraphs(texts: dict[str, str]) -> list[str]:
    """Normalised paragraphs of the source essay (blank-line separated in the cleaned text)."""
    text = texts.get(SOURCE_NAME, "")
    return [norm(p) for p in text.split("\n\n") if p.strip()]


def check_quotes(where: str, item: dict, docs: dict[str, str], paras: list[str], rep: Report) -> None:
    """Check gold_quotes, sources and paragraph of one question or turn."""
    if not item.get("answerable"):
        return
    quotes = item["gold_quotes"]  # the loader checked them: a non-empty list of strings
    sources = item.get("sources")
    if sources is not None:
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            rep.errors.append(f"{where}: sources must be a list of file names")
            sources = None
        else:
            for s in sources:
                if s not in docs:
                    rep.errors.append(f"{where}: source {s!r} is not in the collection")
    used: set[str] = set()
    for q in quotes:
        nq = norm(q)
        words = len(q.split())
        if not 5 <= words <= 30:
            rep.warnings.append(f"{where}: quote has {words} words: {q[:60]!r}")
        hits = [name for name, text in docs.items() if nq in text]
        if not hits:
            rep.errors.append(f"{where}: quote not found in any cleaned document: {q!r}")
            continue
        if sources:
            inside = [h for h in hits if h in sources]
            if not inside:
                rep.errors.append(f"{where}: quote found only in {hits}, not in sources {sources}: {q[:60]!r}")
            used.update(inside)
        if "paragraph" in item:
            n = item["paragraph"]
            if not isinstance(n, int) or not 1 <= n <= len(paras):
                rep.errors.append(f"{where}: paragraph must be 1..{len(paras)}, got {n!r}")
            elif nq not in paras[n - 1]:
                where_found = [i + 1 for i, p in enumerate(paras) if nq in p]
                rep.errors.append(f"{where}: quote not in paragraph {n} (found in {where_found}): {q[:60]!r}")
    for s in sources or []:
        if s in docs and s not in used:
            rep.errors.append(f"{where}: listed source {s} holds none of the gold quotes")


def check_question(
    where: str, item: dict, allowed: set[str], docs: dict[str, str], paras: list[str], rep: Report
) -> None:
    """Field and quote checks for one question (a top-level item or a conversation turn) the loader
    has accepted."""
    extra = set(item) - allowed
    if extra:
        rep.warnings.append(f"{where}: unknown fields {sorted(extra)}")
    for key in ("resolved_question", "note"):
        if key in item and not isinstance(item[key], str):
            rep.errors.append(f"{where}: {key} must be a string")
    check_quotes(where, item, docs, paras, rep)


def check_set(path: Path, docs: dict[str, str], paras: list[str], seen: set[str], rep: Report) -> None:
    """Check every line of one JSONL set and count its questions by language and answerability."""
    counts: Counter = Counter()
    covered: set[int] = set()
    for place, line in set_lines(path):
        where = f"{path.name}:{place.rsplit(':', 1)[1]}"
        try:
            parse_entry(line, where, path.stem)  # the format, as `assistant eval` reads it
        except SetError as exc:
            rep.errors.append(str(exc))
            continue
        item = json.loads(line)
        qid, lang = item["id"], item.get("lang")
        if qid in seen:
            rep.errors.append(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        where = f"{where} [{qid}]"
        if "turns" in item:
            check_conversation(where, item, docs, paras, rep, counts)
            continue
        check_question(where, item, TOP_FIELDS, docs, paras, rep)
        if isinstance(item.get("paragraph"), int):
            covered.add(item["paragraph"])
        elif path.name == "source.jsonl" and item.get("answerable"):
            rep.errors.append(f"{where}: answerable source questions need a paragraph number")
        counts[(lang, "question", "answerable" if item.get("answerable") else "unanswerable")] += 1
    rep.counts[path.name] = counts
    if path.name == "source.jsonl":
        missing = sorted(set(range(1, len(paras) + 1)) - covered)
        if missing:
            rep.errors.append(f"{path.name}: source paragraphs without a question: {missing}")


def check_conversation(
    where: str, item: dict, docs: dict[str, str], paras: list[str], rep: Report, counts: Counter
) -> None:
    """A conversation has at least two turns, each checked like a question."""
    lang, turns = item.get("lang"), item["turns"]
    if set(item) - CONV_FIELDS:
        rep.warnings.append(f"{where}: unknown fields {sorted(set(item) - CONV_FIELDS)}")
    if len(turns) < 2:
        rep.errors.append(f"{where}: a conversation needs at least two turns")
        return
    for i, turn in enumerate(turns, 1):
        check_question(f"{where} turn {i}", turn, TURN_FIELDS, docs, paras, rep)
        counts[(lang, "turn", "answerable" if turn.get("answerable") else "unanswerable")] += 1
    counts[(lang, "conversation", "")] += 1


def print_summary(rep: Report, ndocs: int) -> None:
    """Counts per set (language x answerable), then warnings and errors."""
    print(f"collection: {ndocs} cleaned documents")
    for name, counts in rep.counts.items():
        parts = [f"{lang}/{kind}{'/' + ans if ans else ''}={n}" for (lang, kind, ans), n in sorted(counts.items())]
        print(f"{name}: " + ", ".join(parts))
    for w in rep.warnings:
        print(f"warning: {w}")
    for e in rep.errors:
        print(f"ERROR: {e}")
    print("OK: all checks passed" if not rep.errors else f"FAILED: {len(rep.errors)} error(s)")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", type=Path, help="JSONL sets (default: evals/*.jsonl)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge", help="collection folder")
    args = parser.parse_args(argv)
    texts = load_collection(args.knowledge)
    docs = {name: norm(text) for name, text in texts.items()}
    paras = source_paragraphs(texts)
    sets = args.sets or sorted((ROOT / "evals").glob("*.jsonl"))
    rep = Report()
    seen: set[str] = set()
    for path in sets:
        check_set(path, docs, paras, seen, rep)
    print_summary(rep, len(docs))
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
