"""Dependency audit that works without internet: a lock file's pins against an advisory database on disk.

pip-audit needs PyPI's per-release JSON API or OSV, and neither is reachable from this machine (only the package
registry is). The offline equivalent: PyUp's free advisory database as the ``safety-db`` package publishes it
(``insecure_full.json``: per package, the vulnerable version specifiers and their advisories), matched against
every ``name==version`` pin of the lock file with ``packaging``'s specifiers. Its last release is 2021.7.17, so
advisories after July 2021 are unknown to it: run ``pip-audit -r docs/requirements-lock.txt`` on a machine with
internet before a release.

Usage::

    .venv/bin/pip freeze --exclude-editable > docs/requirements-lock.txt     # the lock file audited
    python -m venv /tmp/audit && /tmp/audit/bin/pip install safety-db        # the database, outside the project
    python -m benchmarks.dependency_audit docs/requirements-lock.txt --db /tmp/audit   # exit 1 on a match
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def read_pins(lock: Path) -> dict[str, Version]:
    """``name == version`` pins of a pip-freeze style file (comments, options and unpinned lines skipped)."""
    pins: dict[str, Version] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        exact = [s.version for s in req.specifier if s.operator == "=="]
        if len(exact) == 1:
            try:
                pins[canonicalize_name(req.name)] = Version(exact[0])
            except InvalidVersion:
                continue
    return pins


def find_database(where: Path) -> Path:
    """``insecure_full.json`` in ``where``: the file itself, a folder holding it, or a venv with safety-db."""
    if where.is_file():
        return where
    found = sorted(where.glob("**/safety_db/insecure_full.json")) or sorted(where.glob("insecure_full.json"))
    if not found:
        raise SystemExit(f"no safety_db/insecure_full.json under {where}: `pip install safety-db` into that venv")
    return found[0]


def audit(pins: dict[str, Version], database: dict) -> list[dict]:
    """Every (pin, advisory) whose vulnerable-version specifier contains the pinned version."""
    entries: dict[str, list[dict]] = {canonicalize_name(k): v for k, v in database.items() if not k.startswith("$")}
    matches = []
    for name, version in sorted(pins.items()):
        for advisory in entries.get(name, []):
            for spec in advisory.get("specs") or [advisory.get("v", "")]:
                try:
                    hit = version in SpecifierSet(spec.replace(" ", ""), prereleases=True)
                except InvalidSpecifier:
                    continue
                if hit:
                    matches.append(
                        {
                            "package": name,
                            "version": str(version),
                            "spec": spec,
                            "id": advisory.get("id"),
                            "cve": advisory.get("cve"),
                            "advisory": " ".join(str(advisory.get("advisory", "")).split())[:200],
                        }
                    )
                    break
    return matches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lock", type=Path, help="pip-freeze style lock file")
    parser.add_argument("--db", type=Path, required=True, help="insecure_full.json, or a venv with safety-db")
    parser.add_argument("--json", action="store_true", help="print the matches as JSON")
    args = parser.parse_args(argv)
    pins = read_pins(args.lock)
    path = find_database(args.db)
    database = json.loads(path.read_text(encoding="utf-8"))
    stamp = database.get("$meta", {}).get("timestamp")
    matches = audit(pins, database)
    if args.json:
        print(json.dumps(matches, indent=2))
    else:
        known = datetime.fromtimestamp(stamp, UTC).date().isoformat() if stamp else "unknown"
        print(f"{len(pins)} pinned packages against {len(database) - 1} packages of {path} (advisories up to {known})")
        for m in matches:
            print(f"{m['package']}=={m['version']}: {m['spec']} [{m['id']}] {m['cve'] or ''} {m['advisory']}")
        print(f"{len(matches)} match{'es' if len(matches) != 1 else ''}")
    return 1 if matches else 0


if __name__ == "__main__":
    sys.exit(main())
