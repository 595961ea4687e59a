"""The ``assistant`` command line (typer): the app and one module per command group."""
