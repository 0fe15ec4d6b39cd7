"""``kiosk say "tekst"`` and ``kiosk read SECTION_ID``: speak through the kiosk's own voice path.

Both go through the same Speaker the kiosk uses (lexicon, chunking, pauses), to the sound card
or, with ``--out``, to a WAV file. Handy for a listen-through after editing the lexicon.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli._common import content_dir_from_args
from kiosk.core.utterance import KIOSK, Utterance
from kiosk.core.voice_settings import MAX_RATE_WPM, MIN_RATE_WPM, VoiceSettings
from kiosk.errors import KioskError
from kiosk.speech.lexicon import Lexicon, load_lexicon

if TYPE_CHECKING:  # sound modules bring numpy and PortAudio: imported when a command runs
    from kiosk.speech.audio_out import AudioSink
    from kiosk.speech.tts import SpeakResult

#: Speech engines of :data:`kiosk.speech.tts.ENGINES`, and "auto" (a test keeps them equal).
ENGINE_CHOICES = ("auto", "espeak-ng", "pyttsx3")

logger = logging.getLogger(__name__)

#: Pause after each sentence of ``kiosk say`` text.
SAY_PAUSE_S = 0.35


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="write a WAV file instead of playing it")
    parser.add_argument(
        "--rate", type=int, default=None,
        help=f"words per minute, {MIN_RATE_WPM}-{MAX_RATE_WPM} (default {VoiceSettings().rate_wpm})",
    )
    parser.add_argument(
        "--volume", type=float, default=None,
        help=f"gain 0.0-1.0 (default {VoiceSettings().volume})",
    )
    parser.add_argument(
        "--device", help="output device: index or part of its name (default: the config's, "
        "else the system default)",
    )
    parser.add_argument(
        "--engine", default="auto", choices=ENGINE_CHOICES,
        help="speech engine (default: auto = the espeak-ng program, else pyttsx3)",
    )
    parser.add_argument("--content", type=Path, default=None,
                        help="content folder with lexicon.nl.yaml (default: the config's)")


def register(subparsers: Any) -> None:
    say = subparsers.add_parser(
        "say", help="speak Dutch text (with the pronunciation lexicon)",
        description="Speak Dutch text as the kiosk would: lexicon, chunking and pauses.",
    )
    say.add_argument("text", help="the text, in quotes")
    _common_options(say)
    say.set_defaults(func=run_say)

    read = subparsers.add_parser(
        "read", help="read one leaflet section aloud",
        description="Read one section of the leaflet as the kiosk would (ids: docs/sections.md).",
    )
    read.add_argument("section_id", help="section id, e.g. afvallen or stap-2")
    _common_options(read)
    read.set_defaults(func=run_read)


def _config(args: argparse.Namespace) -> Any:
    from kiosk.app.config import load_config

    return load_config(getattr(args, "config", None))


def _settings(args: argparse.Namespace) -> VoiceSettings:
    settings = VoiceSettings()
    rate = settings.rate_wpm if args.rate is None else args.rate
    volume = settings.volume if args.volume is None else args.volume
    if not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
        raise KioskError(f"--rate must be between {MIN_RATE_WPM} and {MAX_RATE_WPM} words per minute")
    if not 0.0 <= volume <= 1.0:
        raise KioskError("--volume must be between 0.0 and 1.0")
    return VoiceSettings(rate_wpm=rate, volume=volume)


def make_sink(args: argparse.Namespace) -> AudioSink:
    """A WAV file sink for --out, else the sound card (a clear error when there is none)."""
    from kiosk.speech.audio_out import SpeakerSink, WavFileSink

    if args.out is not None:
        return WavFileSink(args.out)
    device = args.device if args.device is not None else _config(args).output_device
    return SpeakerSink(device)


def speak(args: argparse.Namespace, utterances: list[Utterance], lexicon: Lexicon) -> int:
    from kiosk.speech.tts import Speaker, make_engine

    settings = _settings(args)
    sink = make_sink(args)  # first: a missing sound card is the likeliest problem
    try:
        engine = make_engine(args.engine)
        result = Speaker(engine, sink, lexicon, settings).speak(utterances)
    finally:
        sink.close()
    return _report(args, result)


def _report(args: argparse.Namespace, result: SpeakResult) -> int:
    seconds = result.events[-1].finished_s if result.events else 0.0
    where = f"wrote {args.out}" if args.out is not None else "played"
    print(f"{where}: {seconds:.1f} s of speech in {len(result.events)} chunks")
    if result.failed:
        print(f"warning: {len(result.failed)} sentence(s) could not be synthesised (see the log)")
        return 1
    return 0


def run_say(args: argparse.Namespace) -> int:
    from kiosk.core.leaflet import split_sentences

    sentences = split_sentences(args.text)
    if not sentences:
        raise KioskError("nothing to say: give some text in quotes")
    lexicon = load_lexicon(content_dir_from_args(args))
    utterances = [Utterance(s, f"{KIOSK}:say", SAY_PAUSE_S) for s in sentences]
    return speak(args, utterances, lexicon)


def run_read(args: argparse.Namespace) -> int:
    from kiosk.core.content import load_content

    directory = content_dir_from_args(args)
    content = load_content(directory)
    if args.section_id not in content.sections:
        known = ", ".join(content.sections)
        raise KioskError(f"no section {args.section_id!r}. Sections: {known}")
    lexicon = load_lexicon(directory)
    return speak(args, content.section_utterances(args.section_id), lexicon)
