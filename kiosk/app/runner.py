"""Wires microphone, recogniser, dialog, speech output and button together.

The only module with threads and waiting: the dialog decides, the runner carries out its
actions (say, listen, stop, change voice, count, end) and turns what happens (a transcript,
silence, the button, speech finished) back into dialog events.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kiosk.core.dialog import (
    Action,
    ApplyVoice,
    Button,
    Count,
    Dialog,
    End,
    Event,
    Heard,
    Listen,
    Say,
    Silence,
    SpeechFinished,
    StopSpeaking,
    Wake,
)
from kiosk.core.normalize import normalize
from kiosk.speech.recognizer import Final, NoSpeech, Recognizer

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
BLOCK_SECONDS = 0.1
#: The watchdog hears from a Say for this long at most: speech that never ends is a hang.
MAX_SPEECH_S = 600.0


class EndOfInput(Exception):
    """The audio source has nothing more (a test script or a file ran out)."""


class AudioSource(Protocol):
    def read(self, timeout: float | None = None) -> np.ndarray | None: ...


class SpeechOutput(Protocol):
    settings: Any

    def start(self, utterances: Sequence[Any], start: int = 0) -> None: ...
    def wait(self, timeout: float | None = None) -> Any: ...
    def stop(self) -> None: ...


class WavScriptSource:
    """Audio from WAV files, one per visitor turn, each followed by silence; then EndOfInput.

    Stands in for the microphone in whole-conversation runs (``kiosk run --script``) and tests.
    ``None`` in the list is a turn where the visitor says nothing.
    """

    def __init__(self, recordings: Iterable[np.ndarray | None], silence_s: float = 1.5):
        self.blocks: list[np.ndarray] = []
        block = int(SAMPLE_RATE * BLOCK_SECONDS)
        quiet = np.zeros(int(SAMPLE_RATE * silence_s), dtype=np.int16)
        for samples in recordings:
            audio = quiet if samples is None else np.concatenate([samples, quiet])
            self.blocks += [audio[i : i + block] for i in range(0, len(audio), block)]
        self.turn_ends: list[int] = []

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        if not self.blocks:
            raise EndOfInput
        return self.blocks.pop(0)


class Runner:
    """Runs the kiosk until the audio source ends (or forever, on a real microphone)."""

    def __init__(
        self,
        dialog: Dialog,
        recognizer: Recognizer,
        source: AudioSource,
        speech: SpeechOutput,
        *,
        count: Callable[[str, str], None] = lambda name, key: None,
        wake_phrases: Iterable[str] = (),
        buttons: queue.Queue[object] | None = None,
        on_action: Callable[[Action], None] = lambda action: None,
        on_listening: Callable[[bool], None] = lambda hearing: None,
        heartbeat: Callable[[], None] = lambda: None,
    ):
        self.dialog = dialog
        self.recognizer = recognizer
        self.source = source
        self.speech = speech
        self.count = count
        self.wake_phrases = tuple(normalize(p) for p in wake_phrases if p.strip())
        self.buttons = buttons or queue.Queue()
        self.on_action = on_action
        #: Called with False when listening starts and True once speech is heard: a cue for
        #: a light or a screen. It never gets the words (nothing a visitor says is kept).
        self.on_listening = on_listening
        #: Called whenever the loop made progress (audio arrived, speech went on): the
        #: watchdog's life sign (kiosk.app.watchdog.Heartbeat). A stuck loop stops calling it.
        self.heartbeat = heartbeat

    # ---------------------------------------------------------------- inputs
    def _button_pressed(self) -> bool:
        try:
            self.buttons.get_nowait()
        except queue.Empty:
            return False
        return True

    def _hear(self, timeout_s: float | None) -> Event:
        """One utterance: Heard(text), Silence after ``timeout_s``, or Button if pressed."""
        self.recognizer.reset()
        fed, limit = 0, None if timeout_s is None else int(timeout_s * SAMPLE_RATE)
        heard_something = False
        self.on_listening(False)
        while True:
            if self._button_pressed():
                return Button()
            chunk = self.source.read(timeout=BLOCK_SECONDS * 2)
            if chunk is None:
                continue
            self.heartbeat()
            fed += len(chunk)
            event = self.recognizer.feed(chunk)
            if isinstance(event, Final):
                return Heard(event.text) if event.text.strip() else Silence()
            if isinstance(event, NoSpeech):
                return Silence()
            if not heard_something and str(getattr(event, "text", "")):
                heard_something = True
                self.on_listening(True)
            if limit is not None and fed >= limit and not heard_something:
                final = self.recognizer.finish()
                if isinstance(final, Final) and final.text.strip():
                    return Heard(final.text)
                return Silence()

    def _wait_for_visit(self) -> Event:
        """Idle: the button, or an utterance that contains a wake phrase."""
        while True:
            event = self._hear(None)
            if isinstance(event, Button):
                return event
            if isinstance(event, Heard) and self.wake_phrases:
                heard = f" {normalize(event.text)} "
                if any(f" {phrase} " in heard for phrase in self.wake_phrases):
                    return Wake()

    # ---------------------------------------------------------------- actions
    def _say(self, action: Say) -> Event | None:
        self.speech.start(list(action.utterances))
        started = time.monotonic()
        while True:
            result = self.speech.wait(timeout=0.05)
            if time.monotonic() - started < MAX_SPEECH_S:
                self.heartbeat()
            if self._button_pressed():
                self.speech.stop()
                self.speech.wait()
                return Button()
            if result is not None:
                return SpeechFinished() if getattr(result, "completed", True) else None

    def _do(self, action: Action) -> Event | None:
        """Carry out one action; an event when something happened that the dialog must hear."""
        self.on_action(action)
        if isinstance(action, Say):
            return self._say(action)
        if isinstance(action, Listen):
            return self._hear(action.timeout_s)
        if isinstance(action, StopSpeaking):
            self.speech.stop()
        elif isinstance(action, ApplyVoice):
            self.speech.settings = action.settings
        elif isinstance(action, Count):
            self.count(action.name, action.key)
        return None

    def run(self) -> None:
        """Serve visitors until the audio source ends."""
        pending: list[Action] = []
        try:
            while True:
                if not pending:
                    pending = self.dialog.handle(self._wait_for_visit())
                    continue
                action = pending.pop(0)
                if isinstance(action, End):
                    self.on_action(action)  # the visit is over (statistics are saved)
                    pending = []
                    continue
                event = self._do(action)
                if event is None:
                    continue
                reply = self.dialog.handle(event)
                if not isinstance(event, SpeechFinished):
                    pending = reply  # what happened replaces what was planned
        except EndOfInput:
            log.info("audio input ended")
        finally:
            self.speech.stop()


def read_script(paths: Sequence[Path]) -> WavScriptSource:
    """A WavScriptSource from WAV files (any common rate, converted); '-' is a silent turn."""
    from kiosk.speech.audio_in import read_wav

    return WavScriptSource(None if str(p) == "-" else read_wav(p) for p in paths)
