"""The ``kiosk`` command line: one subcommand per module in :mod:`kiosk.cli`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from kiosk import __version__
from kiosk.errors import KioskError

#: Subcommand modules; each has ``register(subparsers)`` that adds its parser and sets
#: ``func=run(args) -> int`` on it. A module that fails to import is an error, never a silently
#: missing command; modules import their heavy dependencies (numpy, scipy, vosk, sounddevice)
#: only when their command runs.
COMMAND_MODULES = [
    "kiosk.cli.ask",
    "kiosk.cli.chat",
    "kiosk.cli.check",
    "kiosk.cli.config",
    "kiosk.cli.bench",
    "kiosk.cli.listen",
    "kiosk.cli.models",
    "kiosk.cli.devices",
    "kiosk.cli.record",
    "kiosk.cli.speak",
    "kiosk.cli.triage",
    "kiosk.cli.stats",
    "kiosk.cli.run",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Offline Dutch voice guide to the KNGF knee and hip osteoarthritis leaflet.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except KioskError as err:
        print(f"kiosk: error: {err}", file=sys.stderr)
        return 1
