"""`kiosk chat`: the kiosk's conversation, typed in a terminal instead of spoken.

Each line typed is what the visitor says; an empty line is silence; ``/knop`` presses the
button; end of input ends the session. What the kiosk would say is printed, one sentence a
line, the kiosk's own sentences marked with ``*``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from kiosk.cli._common import add_content_option, content_from_args, matcher_for

if TYPE_CHECKING:  # the dialog brings the matcher and numpy: imported when the command runs
    from kiosk.core.dialog import Action, Dialog, Event

BUTTON = "/knop"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("chat", help="have the kiosk conversation by typing")
    add_content_option(parser)
    parser.set_defaults(func=run)


def show(actions: list[Action], out: TextIO) -> bool:
    """Print what the actions would do; True when the visit ended."""
    from kiosk.core.dialog import ApplyVoice, Count, End, Listen, Say, StopSpeaking

    ended = False
    for action in actions:
        if isinstance(action, Say):
            for u in action.utterances:
                out.write(f"{'*' if u.is_kiosk_own else ' '} {u.text}\n")
        elif isinstance(action, Listen):
            expect = {"question": "vraag", "choice": "keuze"}.get(action.expect, "ja of nee")
            out.write(f"[luistert: {expect}]\n")
        elif isinstance(action, ApplyVoice):
            out.write(f"[stem: {action.settings.rate_wpm} woorden per minuut, "
                      f"volume {action.settings.volume:.2f}]\n")
        elif isinstance(action, StopSpeaking):
            out.write("[stopt met praten]\n")
        elif isinstance(action, End):
            out.write("[einde bezoek: druk op de knop (/knop) of typ een vraag]\n")
            ended = True
        elif isinstance(action, Count):
            pass
    out.flush()
    return ended


def converse(dialog: Dialog, lines: TextIO, out: TextIO) -> None:
    """Drive ``dialog`` from typed lines until end of input."""
    from kiosk.core.dialog import Button, Heard, Silence, SpeechFinished

    show(dialog.handle(Button()), out)
    for raw in lines:
        line = raw.strip()
        dialog.handle(SpeechFinished())  # typed: everything printed has been "said"
        event: Event
        if line == BUTTON:
            event = Button()
        elif not line:
            event = Silence()
        else:
            if dialog.state == "idle":  # typing a question starts a new visit
                show(dialog.handle(Button()), out)
                dialog.handle(SpeechFinished())
            event = Heard(line)
        show(dialog.handle(event), out)


def run(args: argparse.Namespace) -> int:
    from kiosk.core.dialog import Dialog

    content = content_from_args(args)
    if sys.stdin.isatty():
        print("Typ wat een bezoeker zegt. Lege regel = stilte, /knop = de knop, Ctrl-D = stoppen.")
    converse(Dialog(content, matcher_for(content)), sys.stdin, sys.stdout)
    return 0
