"""`kiosk triage`: one yes/no triage flow as a terminal conversation.

Each line read from standard input is what the visitor answers ("ja hoor", "weet ik niet",
"herhaal", "terug", "stop"); an empty line is silence, and so is the end of input, until the
flow ends. Each line is checked for red flags first (whatever the question: "nee ik kan niet
meer staan" is a red flag), then read with the answer lexicon (an answer is expected), then
with the kiosk's matcher for commands, as the dialog does. What the kiosk
would say is printed one sentence a line, its own sentences marked with ``*``; the last line
names the outcome, as the statistics would count it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TextIO

from kiosk.cli._common import add_content_option, content_from_args, matcher_for
from kiosk.core.content import FLOWS, Content
from kiosk.core.triage import Step, TriageSession, path_table
from kiosk.errors import KioskError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "triage", help="answer the kiosk's yes/no questions in the terminal",
        description="Run one triage flow: type ja / nee / weet ik niet (or herhaal, terug, "
                    "stop); an empty line or end of input is silence.",
    )
    parser.add_argument("--paths", action="store_true",
                        help="print every question and answer path of every flow (Markdown) "
                             "instead; docs/triage-paths.md is this table")
    parser.add_argument("--flow", choices=FLOWS, default="stap",
                        help="stap: welke stap past bij mij (default); beweger: wat voor beweger ben ik")
    add_content_option(parser)
    parser.set_defaults(func=run)


def show(step: Step, out: TextIO) -> None:
    for u in step.utterances:
        out.write(f"{'*' if u.is_kiosk_own else ' '} {u.text}\n")
    if step.expects_answer:
        out.write("[luistert: ja of nee]\n")
    elif step.outcome is not None:
        o = step.outcome
        out.write(f"[outcome: {o.id}; sections: {', '.join(o.section_ids) or '-'}; "
                  f"offer: {', '.join(o.offer_more) or '-'}]\n")
    out.flush()


def reply(session: TriageSession, heard: str, interpret: Callable[[str], tuple[str, Any]]) -> Step:
    """One line from the visitor -> the session's next step (as the dialog does it)."""
    if not heard.strip():
        return session.on_silence()
    kind, key = interpret(heard)
    if kind == "red-flag":
        return session.on_red_flag(key)
    if kind == "answer":
        return session.on_answer(key)
    if kind == "command":
        return session.on_command(key)
    return session.on_unclear()  # a topic or nothing: ask again


def converse(content: Content, flow: str, lines: TextIO, out: TextIO) -> Step:
    """Run ``flow`` on lines of input until it ends; returns the last step."""
    if content.triage is None:
        raise KioskError(f"no triage flows: {content.directory / 'triage.nl.yaml'} is missing")
    if flow not in content.triage.flows:
        raise KioskError(f"unknown flow {flow!r}; the triage file has: {', '.join(content.triage.flows)}")
    matcher = matcher_for(content)

    def interpret(text: str) -> tuple[str, Any]:
        # Red flags first, in every answer. Then, as a yes/no answer is expected, the answer
        # lexicon: "ja, ik heb veel pijn" is an answer here, not a question about pain.
        # Commands come from the matcher.
        flag = content.red_flags.detect(text) if content.red_flags is not None else None
        if flag is not None:
            return "red-flag", flag
        answer = content.answers.classify(text) if content.answers is not None else None
        if answer is not None:
            return "answer", answer.value
        intent = matcher.match(text).intent
        return intent.kind, intent.key

    session: TriageSession = content.triage.session(flow, disclaimer=content.prompts.say("disclaimer"))
    step = session.start()
    show(step, out)
    while not step.done:
        line = lines.readline()
        step = reply(session, line, interpret)  # end of input reads as "" = silence
        show(step, out)
    return step


def run(args: argparse.Namespace) -> int:
    content = content_from_args(args)
    if args.paths:
        if content.triage is None:
            raise KioskError(f"no triage flows: {content.directory / 'triage.nl.yaml'} is missing")
        sys.stdout.write(path_table(content.triage))
        return 0
    if sys.stdin.isatty():
        print("Antwoord met ja, nee of weet ik niet (ook: herhaal, terug, stop). Lege regel = stilte.")
    converse(content, args.flow, sys.stdin, sys.stdout)
    return 0
