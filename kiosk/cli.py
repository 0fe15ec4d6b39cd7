"""The ``kiosk`` command line: one subcommand per module in :mod:`kiosk.commands`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from kiosk import __version__
from kiosk.errors import KioskError

#: Subcommand modules; each has ``register(subparsers)`` that adds its parser and sets
#: ``func=run(args) -> int`` on it. Kept as names so that one broken optional part (say, no
#: PortAudio) cannot stop ``kiosk check`` or ``kiosk ask`` from working.
COMMAND_MODULES = [
    "kiosk.commands.ask",
    "kiosk.commands.chat",
    "kiosk.commands.check",
    "kiosk.commands.bench",
    "kiosk.commands.listen",
    "kiosk.commands.models",
    "kiosk.commands.devices",
    "kiosk.commands.record",
    "kiosk.commands.speak",
    "kiosk.commands.triage",
    "kiosk.commands.run",
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
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a real missing dependency inside the module: show it
                raise
            continue  # not built yet
        module.register(subparsers)
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
