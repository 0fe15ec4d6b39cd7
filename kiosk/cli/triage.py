"""`kiosk triage`: one yes/no triage flow as a terminal conversation.

Each line read from standard input is what the visitor answers ("ja hoor", "weet ik niet",
"herhaal", "stop"); an empty line is silence, and so is the end of input, until the flow ends.
Answers are read with the answer lexicon first (an answer is expected), then the kiosk's
matcher for commands. What the kiosk
would say is printed one sentence a line, its own sentences marked with ``*``; the last line
names the outcome, as the statistics would count it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, TextIO

from kiosk.cli._common import add_content_option, content_from_args, matcher_for
from kiosk.core.content import FLOWS, Content
from kiosk.core.triage import Step, TriageSession
from kiosk.errors import KioskError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "triage", help="answer the kiosk's yes/no questions in the terminal",
        description="Run one triage flow: type ja / nee / weet ik niet (or herhaal, stop); an "
                    "empty line or end of input is silence.",
    )
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


def reply(session: TriageSession, heard: str, interpret: Callable[[str], tuple[str, str]]) -> Step:
    """One line from the visitor -> the session's next step (as the dialog does it)."""
    if not heard.strip():
        return session.on_silence()
    kind, key = interpret(heard)
    if kind == "answer":
        return session.on_answer(key)
    if kind == "command" and key == "herhaal":
        return session.on_repeat()
    if kind == "command" and key == "stop":
        return session.on_stop()
    return session.on_unclear()  # a topic, another command or nothing: ask again


def converse(content: Content, flow: str, lines: TextIO, out: TextIO) -> Step:
    """Run ``flow`` on lines of input until it ends; returns the last step."""
    if content.triage is None:
        raise KioskError(f"no triage flows: {content.directory / 'triage.nl.yaml'} is missing")
    if flow not in content.triage.flows:
        raise KioskError(f"unknown flow {flow!r}; the triage file has: {', '.join(content.triage.flows)}")
    matcher = matcher_for(content)

    def interpret(text: str) -> tuple[str, str]:
        # A yes/no answer is expected, so the answer lexicon goes first: "ja, ik heb veel pijn"
        # is an answer here, not a question about pain. Commands come from the matcher.
        answer = content.answers.classify(text) if content.answers is not None else None
        if answer is not None:
            return "answer", answer.value
        intent = matcher.match(text).intent
        return intent.kind, intent.key

    session = content.triage.session(flow, disclaimer=content.prompts.say("disclaimer"))
    step = session.start()
    show(step, out)
    while not step.done:
        line = lines.readline()
        step = reply(session, line, interpret)  # end of input reads as "" = silence
        show(step, out)
    return step


def run(args: argparse.Namespace) -> int:
    content = content_from_args(args)
    if sys.stdin.isatty():
        print("Antwoord met ja, nee of weet ik niet (ook: herhaal, stop). Lege regel = stilte.")
    converse(content, args.flow, sys.stdin, sys.stdout)
    return 0
