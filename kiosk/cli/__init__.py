"""The ``kiosk`` command line: one small module per subcommand."""

from kiosk.cli.main import main

__all__ = ["main"]
