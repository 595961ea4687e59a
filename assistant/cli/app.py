"""The ``assistant`` command line: a thin layer over the core functions.

Exit codes: 0 success; 2 usage or configuration error; 3 finished with skipped inputs.
Each command group lives in its own module and is added here.
"""

from __future__ import annotations

import typer

from assistant.cli import answer, evaluate, index, library, serve

app = typer.Typer(
    help="Reading assistant: cited answers from your readings.", no_args_is_help=True, add_completion=False
)


def main() -> None:
    app()


for group in (index, answer, library, serve, evaluate):
    group.register(app)
