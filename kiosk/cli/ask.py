"""`kiosk ask`: what the kiosk makes of one typed (or already transcribed) question."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from kiosk.cli._common import add_content_option, content_from_args, matcher_for

if TYPE_CHECKING:  # the matcher brings numpy: imported when the command runs, not for --help
    from kiosk.core.matching import Matcher


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("ask", help="match one question and show what would be said")
    parser.add_argument("question", nargs="?", help="the question, in Dutch")
    parser.add_argument("--batch", type=argparse.FileType("r", encoding="utf-8"),
                        help="a file with one question per line ('-' for stdin)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per question")
    add_content_option(parser)
    parser.set_defaults(func=run)


def answer(matcher: Matcher, question: str) -> dict[str, Any]:
    """Match ``question`` and run it through a fresh visit of the dialog."""
    from kiosk.core.dialog import Count, Dialog, Heard, Say, Wake

    started = time.perf_counter()
    match = matcher.match(question)
    matched = time.perf_counter()
    dialog = Dialog(matcher.content, matcher)  # every question stands alone
    dialog.handle(Wake())  # a visit has begun, as on the kiosk
    actions = dialog.handle(Heard(question))
    spoken = [
        {"text": u.text, "origin": u.origin}
        for action in actions if isinstance(action, Say) for u in action.utterances
    ]
    result = match.to_json()
    # The red flag the dialog acted on (it sent the visitor to the huisarts, whatever the intent).
    for action in actions:
        if isinstance(action, Count) and action.name == "red_flag":
            result["red_flag"] = action.key
    result["spoken"] = spoken
    result["timings"] = {"match_s": round(matched - started, 6)}
    return result


def run(args: argparse.Namespace) -> int:
    if (args.question is None) == (args.batch is None):
        print("kiosk ask: give a question or --batch FILE (not both)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    content = content_from_args(args)
    matcher = matcher_for(content)
    load_s = time.perf_counter() - started
    lines = [args.question] if args.question is not None else (raw.rstrip("\n") for raw in args.batch)
    for line in lines:
        result = answer(matcher, line)
        result["timings"]["load_s"] = round(load_s, 4)
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            intent = result["intent"]
            label = intent.get("id") or intent.get("name") or intent.get("value") or "none"
            print(f"{line}\n  -> {intent['kind']}: {label} (score {result['score']})")
            for extra in result.get("candidates", []):
                print(f"     or {extra.get('id')} (score {extra['score']})")
            for spoken in result["spoken"]:
                print(f"  [{spoken['origin']}] {spoken['text']}")
    return 0
