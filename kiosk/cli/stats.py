"""`kiosk stats`: the anonymous counters as a table, JSON (``--json``) or an HTML page
(``--html FILE``), from the config's statistics file or ``--file``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from kiosk.errors import KioskError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "stats", help="show the anonymous counters: visits, topics, misses, per week",
        description="Show what the kiosk counted: visits, the topics read most, questions not "
                    "understood, guesses asked, outcomes of the yes/no tests, visitors sent to "
                    "the huisarts by a red flag, complaints and questions the leaflet does not "
                    "answer, per week.")
    parser.add_argument("--config", type=Path, help="config file naming stats_file")
    parser.add_argument("--file", type=Path, help="statistics file (default: the config's)")
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD",
                        help="only days from this date on")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="write a page with a chart per week (opens in any browser)")
    parser.add_argument("--top", type=int, default=10, help="how many topics to list")
    parser.set_defaults(func=run)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-12-01: {text!r}") from None


def run(args: argparse.Namespace) -> int:
    from kiosk.app.stats import load
    from kiosk.app.stats_report import html_page, summarize, text_table

    path = args.file
    if path is None:
        from kiosk.app.config import read_config

        loaded = read_config(args.config)
        if loaded.config.stats_file is None:
            raise KioskError(f"no stats_file in the config ({loaded.file or 'none found'}); "
                             f"name the statistics file with --file")
        path = loaded.config.stats_file
    summary = summarize(load(path), args.since)
    if args.html:
        args.html.write_text(html_page(summary, str(path), args.top), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        print(json.dumps({"file": str(path), "since": args.since and args.since.isoformat(),
                          **summary.to_json()}, indent=1))
    elif not args.html:
        sys.stdout.write(text_table(summary, str(path), args.top))
    return 0
