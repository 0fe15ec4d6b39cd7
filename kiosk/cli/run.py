"""`kiosk run`: the voice kiosk (microphone, Vosk, speech, button); typed when there is no model.

``--script A.wav B.wav ...`` plays recordings instead of the microphone (one per visitor turn,
``-`` for a turn of silence), starting with the button pressed, and writes what the kiosk
says to ``--out`` (a WAV): a whole conversation from files, for checking a set-up without a
visitor.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.app.config import Config, load_config
from kiosk.cli._common import add_content_option, matcher_for
from kiosk.core.content import load_content
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.app.runner import Runner
    from kiosk.app.stats import Stats

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="start the kiosk (voice; typed without a model)")
    parser.add_argument("--config", type=Path, help="config file (default: see kiosk/app/config.py)")
    parser.add_argument("--typed", action="store_true", help="the typed conversation, no audio")
    parser.add_argument("--model", type=Path, help="Vosk model folder (overrides the config)")
    parser.add_argument("--script", type=Path, nargs="+", metavar="WAV",
                        help="recordings to play instead of the microphone ('-' = silence)")
    parser.add_argument("--out", type=Path, help="with --script: write the speech to this WAV")
    parser.add_argument("--engine", default="auto", help="speech engine: auto, espeak-ng, pyttsx3")
    add_content_option(parser)
    parser.set_defaults(func=run)


def _keyboard_button(buttons: queue.Queue[object]) -> None:
    """Enter on the terminal stands in for the big button (for set-up and demos)."""
    for _ in sys.stdin:
        buttons.put(object())


def _terminal_cue(hearing: bool) -> None:
    """The "listening..." cue on a terminal (the words themselves are never shown)."""
    sys.stderr.write("\r[ik hoor u...]   " if hearing else "\r[ik luister...]  ")
    sys.stderr.flush()


def _gpio_button(pin: int, buttons: queue.Queue[object]) -> object:
    try:
        from gpiozero import Button as GpioButton
    except ImportError:
        raise KioskError(
            "button_gpio is set but gpiozero is not installed: pip install gpiozero"
        ) from None
    button = GpioButton(pin, bounce_time=0.05)
    button.when_pressed = lambda: buttons.put(object())
    return button


def build_runner(config: Config, content_dir: Path | None, model: Path | None, engine: str,
                 script: list[Path] | None, out: Path | None) -> tuple[Runner, Stats]:
    """Everything the voice kiosk needs, from the config; raises KioskError when a part is
    missing (model, sound device, Dutch voice) with what to do about it."""
    from kiosk.app.runner import Limits, Runner, barge_in_enabled, read_script
    from kiosk.app.stats import Stats
    from kiosk.core.dialog import Dialog, Timeouts
    from kiosk.speech.audio_in import Microphone
    from kiosk.speech.audio_out import SpeakerSink, WavFileSink
    from kiosk.speech.lexicon import load_lexicon
    from kiosk.speech.models import find_model
    from kiosk.speech.recognizer import Endpointing, VoskRecognizer
    from kiosk.speech.tts import Speaker, make_engine

    content = load_content(content_dir or config.content_dir)
    model_path = find_model(model or config.model_path, name=config.model_name)
    phrases = content.recognizer_phrases() + list(config.wake_phrases)
    timeouts = Timeouts(question_s=config.question_timeout_s, answer_s=config.answer_timeout_s)
    # The dialog's Listen timeouts decide when silence is reported; the recogniser's own
    # no-speech limit only backs them up, so it is the longest of them.
    endpointing = Endpointing(max_utterance_s=config.max_utterance_s,
                              no_speech_s=timeouts.longest_s,
                              phrase_silence_s=config.phrase_silence_s)
    recognizer = VoskRecognizer.from_path(model_path, mode=config.recognizer_mode,
                                          phrases=phrases, endpointing=endpointing)
    barge_in = not script and barge_in_enabled(config.barge_in, config.input_device)
    # With barge-in, smaller blocks: a visitor's voice reaches the detector sooner.
    source = read_script(script) if script else Microphone(
        config.input_device, block_seconds=0.05 if barge_in else 0.1).start()
    sink = WavFileSink(out) if out else SpeakerSink(config.output_device)
    speaker = Speaker(make_engine(engine), sink, load_lexicon(content.directory))
    stats = Stats()
    dialog = Dialog(content, matcher_for(content), timeouts=timeouts)
    limits = Limits(echo_tail_s=config.echo_tail_s, mic_recover_s=config.mic_recover_s,
                    barge_in=barge_in, barge_in_listen_s=timeouts.question_s)
    runner = Runner(dialog, recognizer, source, speaker, count=stats.count,
                    wake_phrases=config.wake_phrases, limits=limits)
    return runner, stats


def _check_out(script: list[Path] | None, out: Path | None) -> None:
    """``--out`` is checked before anything starts: a wrong folder is not found out after a
    whole scripted conversation."""
    if out is None:
        return
    if not script:
        raise KioskError("--out works with --script only (the live kiosk plays on the speaker)")
    if out.is_dir():
        raise KioskError(f"--out {out}: is a folder; give a file name ending in .wav")
    if not out.parent.is_dir():
        raise KioskError(f"--out {out}: folder {out.parent} does not exist")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    _check_out(args.script, args.out)
    if args.typed:
        return _typed(args, config)
    from kiosk.app.stats import StatsFile
    from kiosk.app.watchdog import Notifier, Stopped, stop_on_sigterm

    # Checked before the slow start: a corrupt file is moved aside, an unwritable one stops us.
    stats_file = StatsFile.open(config.stats_file) if config.stats_file else None
    notifier = Notifier()
    # Entered before any thread starts; systemctl stop: finally blocks run, exit status 0.
    try:
        with stop_on_sigterm(notifier):
            return _voice(args, config, stats_file, notifier)
    except Stopped:
        # Everything is saved and the sound is closed: end now, without the second or more
        # that freeing the voice model and the matcher would take.
        log.info("stopped")
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)


def _voice(args: argparse.Namespace, config: Config, stats_file: Any, notifier: Any) -> int:
    from kiosk.app.watchdog import Heartbeat
    from kiosk.core.dialog import End
    from kiosk.speech.models import ModelNotFound

    notifier.status("starting: voice model, matcher (trained now if the content changed)")
    try:
        runner, stats = build_runner(config, args.content, args.model, args.engine,
                                     args.script, args.out)
    except ModelNotFound as err:
        if args.script or not sys.stdin.isatty():
            raise
        log.warning("%s", err)
        log.warning("no voice model: starting the typed conversation instead")
        return _typed(args, config)
    gpio = None  # kept referenced while the kiosk runs
    if args.script:
        runner.buttons.put(object())  # a scripted visit begins with the button
    else:
        if config.button_gpio is not None:
            gpio = _gpio_button(config.button_gpio, runner.buttons)
        if sys.stdin.isatty():
            threading.Thread(target=_keyboard_button, args=(runner.buttons,), daemon=True).start()
            runner.on_listening = _terminal_cue
            log.info("press Enter for the button")
    if stats_file is not None:  # saved at the end of every visit
        runner.on_action = lambda action: stats_file.add(stats) if isinstance(action, End) else None
    runner.on_tick = Heartbeat(notifier)  # from every wait of the loop: a hang stops it
    try:
        log.info("kiosk ready%s", " (GPIO button)" if gpio else "")
        notifier.ready()
        runner.run()
    finally:
        _stop_speech_and_close(runner.speech)
        if stats_file is not None:
            stats_file.add(stats)  # the visit in progress, if any
    return 0


def _stop_speech_and_close(speech: Any, timeout_s: float = 1.0) -> None:
    """Stop the speech, wait until its thread has let go of the sound device, close it.

    Closing the device under a thread that is still writing to it crashes PortAudio.

    Polls ``is_speaking()``: after a join interrupted by an exception (SIGTERM raises in the
    main thread), Python 3.11's Thread.is_alive() wrongly says False while the thread runs on.
    """
    speech.stop()
    deadline = time.monotonic() + timeout_s
    while speech.is_speaking:  # a property
        if time.monotonic() > deadline:
            log.warning("speech did not stop within %.1f s; leaving the sound device open",
                        timeout_s)
            return
        time.sleep(0.01)
    speech.sink.close()


def _typed(args: argparse.Namespace, config: Config) -> int:
    from kiosk.cli.chat import converse
    from kiosk.core.dialog import Dialog

    content = load_content(args.content or config.content_dir)
    if sys.stdin.isatty():
        print("Typ wat een bezoeker zegt. Lege regel = stilte, /knop = de knop, Ctrl-D = stoppen.")
    converse(Dialog(content, matcher_for(content)), sys.stdin, sys.stdout)
    return 0
