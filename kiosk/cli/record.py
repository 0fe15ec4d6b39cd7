"""`kiosk record`: staff read the labelled questions aloud on the kiosk, for `kiosk bench --audio`.

The simulated recogniser errors of ``kiosk bench --questions --wer`` are a stand-in; how well
the kiosk understands people is measured on recordings made where it stands, with its own
microphone, and then ``kiosk bench --audio DIR --labels DIR/labels.tsv`` with the Dutch model.

Each question is shown; Enter records it (the take ends after a second of silence), ``s``
skips it, ``q`` stops. Every take is written at once as ``q<line>.wav`` with its label in
``labels.tsv``, so stopping loses nothing and the next run goes on where this one stopped.
The recordings are of staff reading test questions, never of visitors, and stay on the device.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kiosk.bench.text import LabelledQuestion, load_questions
from kiosk.errors import KioskError

if TYPE_CHECKING:  # sound modules bring numpy and PortAudio: imported when a command runs
    from kiosk.speech.audio_in import Microphone
    from kiosk.speech.recognizer import Endpointing

DESCRIPTION = """\
Record the labelled questions, read aloud by staff at the kiosk with its own microphone, to
measure recogniser and matcher together on real voices:
    kiosk record --questions tests/data/questions.nl.tsv --out ~/opnames --limit 40 --shuffle
    kiosk bench --audio ~/opnames --labels ~/opnames/labels.tsv

Each question is shown; Enter records it (the take ends after a second of silence), s skips
it, q stops. Every take is saved at once, so stopping loses nothing and the next run goes on
where this one stopped. The recordings stay on this device; delete the folder when done."""

LABELS_FILE = "labels.tsv"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "record", help="record the labelled questions, read aloud, for `kiosk bench --audio`",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--questions", type=Path, required=True,
                        help="labelled questions: question<TAB>expected "
                        "(e.g. tests/data/questions.nl.tsv)")
    parser.add_argument("--out", type=Path, required=True,
                        help="folder for the recordings and labels.tsv (made if missing)")
    parser.add_argument("--device", help="input device: index or part of its name "
                        "(default: the config's, else the system's default input)")
    parser.add_argument("--limit", type=int, help="record at most this many in this run")
    parser.add_argument("--shuffle", action="store_true",
                        help="a mixed order (seeded: the same every run), so that a --limit "
                        "sample covers every kind of question")
    parser.add_argument("--config", type=Path,
                        help="config file (for the input device and the listening limits)")
    parser.set_defaults(func=run)


def take_name(question: LabelledQuestion) -> str:
    """The recording's file name: the question's line in the questions file."""
    return f"q{question.line:04d}.wav"


def _append_label(labels: Path, question: LabelledQuestion, name: str) -> None:
    new = not labels.exists()
    with labels.open("a", encoding="utf-8") as out:
        if new:
            out.write("file\texpected\n")
        out.write(f"# line {question.line}: {question.text}\n")
        out.write(f"{name}\t{'|'.join(question.expected)}\n")


def record_set(
    questions: list[LabelledQuestion], folder: Path, make_mic: Callable[[], Microphone],
    ask: Callable[[str], str] = input, out: TextIO = sys.stdout,
    limits: Endpointing | None = None, limit: int | None = None,
) -> dict[str, int]:
    """Record every question not yet in ``folder``; returns how many were recorded, skipped
    and already there. ``limits``: how a take ends (default: the recogniser's defaults)."""
    from kiosk.speech.audio_in import write_wav
    from kiosk.speech.recognizer import Endpointing
    from kiosk.speech.recording import take_utterance

    limits = limits or Endpointing()
    folder.mkdir(parents=True, exist_ok=True)
    labels = folder / LABELS_FILE
    todo = [q for q in questions if not (folder / take_name(q)).exists()]
    counts = {"recorded": 0, "skipped": 0, "already": len(questions) - len(todo)}
    if counts["already"]:
        out.write(f"{counts['already']} of {len(questions)} questions are recorded already\n")
    if limit is not None:
        todo = todo[:limit]
    for number, question in enumerate(todo, start=1):
        expected = "|".join(question.expected)
        out.write(f"\n[{number}/{len(todo)}] line {question.line} ({expected}):\n"
                  f"    {question.text}\n")
        while True:
            try:
                answer = ask("Enter = record, s = skip, q = stop: ").strip().lower()
            except EOFError:
                answer = "q"
            if answer in ("q", "s"):
                break
            out.write("    recording... speak now\n")
            with make_mic() as mic:
                take = take_utterance(mic.blocks(), limits)
            if take is None:
                out.write(f"    heard nothing in {limits.no_speech_s:.0f} s; try again\n")
                continue
            write_wav(folder / take_name(question), take.samples)
            _append_label(labels, question, take_name(question))
            counts["recorded"] += 1
            cut = (" (cut off at the limit: speak a little shorter)"
                   if take.ended_by == "max-length" else "")
            out.write(f"    saved {take_name(question)}, {take.seconds:.1f} s{cut}\n")
            break
        if answer == "q":
            break
        if answer == "s":
            counts["skipped"] += 1
    out.write(f"\n{counts['recorded']} recorded, {counts['skipped']} skipped; measure with:\n"
              f"    kiosk bench --audio {folder} --labels {labels}\n")
    return counts


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise KioskError("--limit must be 1 or more")
    questions = load_questions(args.questions)
    if args.shuffle:
        random.Random("kiosk-record").shuffle(questions)
    from kiosk.app.config import load_config
    from kiosk.speech.audio_in import Microphone
    from kiosk.speech.recognizer import Endpointing

    config = load_config(args.config)
    device = args.device if args.device is not None else config.input_device
    limits = Endpointing(max_utterance_s=config.max_utterance_s,
                         no_speech_s=config.question_timeout_s)  # as the kiosk listens
    record_set(questions, args.out, lambda: Microphone(device), limits=limits, limit=args.limit)
    return 0
