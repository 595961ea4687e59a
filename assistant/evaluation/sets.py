"""Question sets: JSONL files in the format of ``evals/README.md``, read and checked.

Entries with ``"turns"`` are conversations whose turns run in order, each with the earlier
turns as history.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answering.questions import QuestionError, check_question
from assistant.errors import SetError
from assistant.text.language import LANGUAGES


@dataclass
class EvalItem:
    """One question to ask: a plain entry, or one turn of a conversation (``turn`` from 1)."""

    id: str
    question: str
    lang: str
    answerable: bool
    gold_quotes: list[str] = field(default_factory=list)
    reference_answer: str | None = None
    set_name: str = ""
    conversation: str | None = None
    turn: int | None = None
    where: str = ""  # file:line (and turn) of the entry, for messages


@dataclass
class QuestionSet:
    """A loaded set: ``cases`` are lists of items asked in order with history (one item per plain
    question, one per turn for a conversation)."""

    name: str
    path: Path
    cases: list[list[EvalItem]]

    @property
    def items(self) -> list[EvalItem]:
        return [item for case in self.cases for item in case]


def _item(raw: dict, where: str, set_name: str, lang: str | None = None, **extra) -> EvalItem:
    question = raw.get("question")
    if not isinstance(question, str):
        raise SetError(f"{where}: 'question' must be a non-empty string, got {type(question).__name__}")
    try:
        question, _ = check_question(question, len(question))  # control characters out, nothing visible refused
    except QuestionError:
        raise SetError(f"{where}: 'question' must be a non-empty string (it is empty or only spaces)") from None
    lang = raw.get("lang", lang)
    if lang not in LANGUAGES:
        raise SetError(f"{where}: 'lang' must be 'id' or 'en', got {lang!r}")
    answerable = raw.get("answerable")
    if not isinstance(answerable, bool):
        raise SetError(f"{where}: 'answerable' must be true or false")
    quotes = raw.get("gold_quotes") or []
    if not isinstance(quotes, list) or not all(isinstance(q, str) and q.strip() for q in quotes):
        raise SetError(f"{where}: 'gold_quotes' must be a list of non-empty strings, got {json.dumps(quotes)[:60]}")
    if answerable and not quotes:
        raise SetError(f"{where}: an answerable question needs 'gold_quotes'")
    if not answerable and quotes:
        raise SetError(f"{where}: an unanswerable question has no 'gold_quotes'")
    reference = raw.get("reference_answer")
    if reference is not None and not isinstance(reference, str):
        raise SetError(f"{where}: 'reference_answer' must be a string")
    return EvalItem(
        question=question,
        lang=lang,
        answerable=answerable,
        gold_quotes=quotes,
        reference_answer=reference or None,
        set_name=set_name,
        where=where,
        **extra,
    )


def _case(raw: Any, where: str, set_name: str) -> list[EvalItem]:
    if not isinstance(raw, dict):
        raise SetError(f"{where}: each line must be a JSON object")
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid.strip():
        raise SetError(f"{where}: 'id' must be a non-empty string")
    if "turns" not in raw:
        return [_item(raw, where, set_name, id=cid)]
    turns = raw["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) for t in turns):
        raise SetError(f"{where}: 'turns' must be a non-empty list of objects")
    return [
        _item(t, f"{where} turn {i}", set_name, raw.get("lang"), id=f"{cid}/{i}", conversation=cid, turn=i)
        for i, t in enumerate(turns, 1)
    ]


def set_lines(path: Path) -> list[tuple[str, str]]:
    """The non-blank lines of a set file, each with its place (``file:line``) for messages.

    Raises
    ------
    SetError
        When the file cannot be read.
    """
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise SetError(f"{path}:{line}: not UTF-8 text ({exc.reason}): save the question set as UTF-8") from exc
    except OSError as exc:
        raise SetError(f"cannot read question set {path}: {exc.strerror or exc}") from exc
    return [(f"{path}:{number}", line) for number, line in enumerate(lines, 1) if line.strip()]


def parse_entry(line: str, where: str, set_name: str) -> list[EvalItem]:
    """The items of one line of a set (one question, or each turn of a conversation), checked
    against the format (the checker ``evals/check_sets.py`` uses this too).

    Raises
    ------
    SetError
        For invalid JSON or an entry that breaks the format; the message starts with ``where``.
    """
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SetError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno}): one JSON object per line") from exc
    return _case(raw, where, set_name)


def load_question_set(path: str | Path) -> QuestionSet:
    """Read and check a JSONL question set.

    Parameters
    ----------
    path : str or Path
        The ``.jsonl`` file; its stem names the set in reports.

    Raises
    ------
    SetError
        For a missing file, invalid JSON, a broken entry or a repeated id.
    """
    path = Path(path)
    cases, seen = [], set()
    for where, line in set_lines(path):
        case = parse_entry(line, where, path.stem)
        for item in case:
            if item.id in seen:
                raise SetError(f"{where}: id {item.id!r} is repeated")
            seen.add(item.id)
        cases.append(case)
    if not cases:
        raise SetError(f"{path}: no questions")
    return QuestionSet(path.stem, path, cases)


def load_question_sets(paths: Sequence[str | Path]) -> list[QuestionSet]:
    """Load several sets; set names (file stems) and item ids must be unique across them."""
    sets = [load_question_set(p) for p in paths]
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        raise SetError(f"question sets need distinct file names, got {names}")
    ids: dict[str, str] = {}
    for qs in sets:
        for item in qs.items:
            if item.id in ids:
                raise SetError(f"id {item.id!r} is in both {ids[item.id]} and {qs.name}")
            ids[item.id] = qs.name
    return sets


def quote_places(sets: Sequence[QuestionSet]) -> dict[str, list[str]]:
    """Each gold quote of ``sets`` with the places (``file:line``) of the entries that give it."""
    places: dict[str, list[str]] = {}
    for qs in sets:
        for item in qs.items:
            for quote in item.gold_quotes:
                places.setdefault(quote, []).append(item.where)
    return places
