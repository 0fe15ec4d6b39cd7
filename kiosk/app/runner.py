"""Wires microphone, recogniser, dialog, speech output and button together.

The dialog decides; the runner carries out its actions (say, listen, stop, change voice,
count, end) and turns what happens (a transcript, silence, the button, speech finished) back
into dialog events. It owns the live loop's waiting and clocks:

- **No self-hearing.** A live microphone keeps recording while the kiosk speaks. What it
  captures then, and for :attr:`Limits.echo_tail_s` after, is never decoded as a question
  (unless voice barge-in is on, see below); silence timeouts count from the end of speech.
- **Voice barge-in** (:attr:`Limits.barge_in`, only with an echo-cancelled microphone): while
  the kiosk speaks, a voice-activity detector listens; 0.1 s of voice silences the reading at
  once, and voice that goes on once the kiosk's echo has died away confirms a visitor: what
  they say goes to the dialog as the next question or command. Voice that does not go on was
  the canceller leaking: the reading resumes at the start of its sentence (a resumed sentence
  turns wary, and one that leaks again and again deaf, to its end). What the dialog marks as not
  interruptible (the advice to see a doctor) is not listened to; the button stops it.
- **No hang, no mute kiosk.** A microphone that stops delivering is reopened with backoff and
  the kiosk exits (:class:`MicrophoneLost`) when it stays away for
  :attr:`Limits.mic_recover_s`; speech output that fails :attr:`Limits.speech_failures` times
  in a row (or hangs past a deadline scaled to the text) ends it with :class:`SpeechLost`.
  Both are :class:`KioskError` s, so ``kiosk run`` exits non-zero and systemd restarts it.

Every wait in here goes through :meth:`Runner._tick` (one loop tick, about every 0.1 s).
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
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
from kiosk.errors import KioskError
from kiosk.speech.audio_in import SAMPLE_RATE
from kiosk.speech.recognizer import Endpointing, EnergyVad, Final, NoSpeech, Recognizer, VoiceInWindow

log = logging.getLogger(__name__)

BLOCK_SECONDS = 0.1


class EndOfInput(Exception):
    """The audio source has nothing more (a test script or a file ran out)."""


class _Stopped(Exception):
    """:meth:`Runner.stop` was called: leave the loop at the next tick."""


class MicrophoneLost(KioskError):
    """The microphone delivered nothing and could not be reopened in time."""


class SpeechLost(KioskError):
    """Speech output failed several times in a row: a mute kiosk must not look healthy."""


class AudioSource(Protocol):
    def read(self, timeout: float | None = None) -> np.ndarray | None: ...


class SpeechOutput(Protocol):
    settings: Any

    @property
    def current_index(self) -> int | None:
        """The utterance being spoken, or last spoken (to go on from its start)."""

    @property
    def sounding(self) -> bool:
        """The last start has begun to play (synthesis is done for its first part)."""

    def start(self, utterances: Sequence[Any], start: int = 0) -> None: ...
    def wait(self, timeout: float | None = None) -> Any: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class Limits:
    """How the runner treats a live room (seconds unless named otherwise)."""

    #: Audio captured this long after the kiosk stopped speaking is its own echo: dropped.
    echo_tail_s: float = 0.3
    #: No audio block for this long means the microphone stopped delivering.
    no_audio_s: float = 3.0
    #: A microphone away this long ends the kiosk (exit non-zero, systemd restarts it).
    mic_recover_s: float = 60.0
    #: Longest wait between two attempts to reopen the microphone.
    mic_backoff_max_s: float = 2.0
    #: Speech output failures in a row that end the kiosk.
    speech_failures: int = 3
    #: Speaking may take this long per character (plus ``say_margin_s``) before it counts as
    #: hung; generous, as slow voices and long pauses are fine.
    say_s_per_char: float = 0.2
    say_margin_s: float = 10.0
    #: Listen while speaking and stop the reading when a visitor speaks (needs an
    #: echo-cancelled microphone, see systemd/README.md).
    barge_in: bool = False
    #: With barge-in: what the microphone hears in the first moments of speaking is not
    #: listened to (an echo canceller lets the first syllables through after a silence).
    #: Counted from the first sound, not from the start: synthesis comes first and takes
    #: longer on a busy machine, which used up the grace before a word was heard.
    barge_in_grace_s: float = 0.5
    #: With barge-in: this much voice in a row, louder than ``barge_in_level_db`` (dBFS),
    #: silences the reading at once (an onset); quieter sound is what the echo canceller
    #: lets through.
    barge_in_speech_s: float = 0.1
    barge_in_level_db: float = -35.0
    #: After an onset the reading is silent; what the microphone hears in the next
    #: ``barge_in_echo_s`` is still the kiosk's own echo on its way (loudspeaker, room,
    #: canceller, microphone blocks; 0.14-0.25 s measured in the room) and is not judged.
    #: Then ``barge_in_confirm_s`` of voice in a row within ``barge_in_window_s`` of the onset
    #: confirms a visitor; without it the onset was the canceller leaking (it does, in bursts
    #: as loud as the kiosk) and the reading goes on from the start of its sentence. A window
    #: of 0 takes every onset for a visitor.
    barge_in_echo_s: float = 0.35
    barge_in_confirm_s: float = 0.1
    barge_in_window_s: float = 0.9
    #: Unconfirmed onsets in one sentence after which (see ``barge_in_wary_after``) only
    #: ``barge_in_wary_speech_s`` of voice within ``barge_in_wary_window_s`` is an onset for the
    #: rest of that sentence (the canceller's leaks are bursts of 60-90 ms; a visitor talks
    #: longer). One more than this and the sentence is read to its end without listening (a
    #: canceller that leaks all the time must not keep a sentence from being finished). Each
    #: new sentence starts afresh. (A budget for the whole reading, as before, was used up in
    #: its first seconds, where the canceller leaks most, and left the rest of the reading
    #: deaf: the interruptions missed under load. docs/room.md has the rounds.)
    barge_in_max_resumes: int = 3
    #: Unconfirmed onsets in one sentence after which it is wary (at most
    #: ``barge_in_max_resumes``). One: a resumed sentence is the same audio again, and where
    #: the canceller leaked in it, it leaks again at the same point (measured on the hard echo
    #: path: the next onset 1.28 s after each resume, twice in a row), so a sentence paused,
    #: resumed and paused again in a loop, and a visitor who spoke during a pause or the grace
    #: after it was missed (docs/room.md, third round).
    barge_in_wary_after: int = 1
    barge_in_wary_speech_s: float = 0.25
    #: A wary onset counts ``barge_in_wary_speech_s`` of voiced 20 ms frames within this
    #: window, not in a row: a quiet visitor's voice dips below the level between syllables
    #: (and the canceller holds it down now and then while the kiosk still sounds), so a run
    #: of 0.25 s was seldom made; a leak of 60-90 ms still cannot fill it. 0: in a row.
    barge_in_wary_window_s: float = 0.4
    #: After a barge-in: how long the visitor may take to say their question.
    barge_in_listen_s: float = 8.0


def barge_in_enabled(requested: bool, input_device: int | str | None,
                     missing: Callable[[int | str | None], str | None] | None = None) -> bool:
    """Whether voice barge-in is on: asked for in the config *and* the microphone is
    echo-cancelled (``missing`` says why not; default :func:`echo_cancel_missing`). Logs
    which, and why it stays off; the button stops the reading either way."""
    if not requested:
        log.info("voice barge-in is off (config barge_in: false); the button stops a reading")
        return False
    if missing is None:
        from kiosk.speech.audio_in import echo_cancel_missing

        missing = echo_cancel_missing
    why = missing(input_device)
    if why is not None:
        log.info("voice barge-in stays off: %s. The button stops a reading.", why)
        return False
    log.info("voice barge-in is on (the microphone is echo-cancelled)")
    return True


class WavScriptSource:
    """Audio from WAV files, one per visitor turn, each followed by silence; then EndOfInput.

    Stands in for the microphone in whole-conversation runs (``kiosk run --script``) and tests.
    ``None`` in the list is a turn where the visitor says nothing. It is pull-based (the next
    block only when asked), so it is not ``live``: nothing is read from it while the kiosk
    speaks.
    """

    live = False

    def __init__(self, recordings: Iterable[np.ndarray | None], silence_s: float = 1.5):
        self.blocks: list[np.ndarray] = []
        block = int(SAMPLE_RATE * BLOCK_SECONDS)
        quiet = np.zeros(int(SAMPLE_RATE * silence_s), dtype=np.int16)
        for samples in recordings:
            audio = quiet if samples is None else np.concatenate([samples, quiet])
            self.blocks += [audio[i : i + block] for i in range(0, len(audio), block)]
        self.blocks.reverse()  # pop() from the end

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        if not self.blocks:
            raise EndOfInput
        return self.blocks.pop()


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
        on_event: Callable[[Event], None] = lambda event: None,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
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
        #: Every event handed to the dialog (for benchmarks and tests).
        self.on_event = on_event
        #: Called once per loop tick (about every 0.1 s) from every wait: a watchdog goes here.
        self.on_tick: Callable[[], None] = lambda: None
        self.limits = limits or Limits()
        self.clock = clock
        self.sleep = sleep
        self.live = bool(getattr(source, "live", True))
        self._last_audio = clock()
        self._speech_failures = 0
        self._stop_requested = False
        self._since_speech = 0  # samples of echo tail dropped since the kiosk last spoke
        #: Clock time of the last barge-in (the reading was stopped by a visitor's voice).
        self.barge_in_at: float | None = None
        #: Clock time the reading was silenced for the last barge-in (its onset).
        self.barge_in_onset_at: float | None = None
        #: Onsets that were not confirmed (the reading went on): a count for benchmarks.
        self.barge_in_resumed = 0
        #: What voice barge-in did in the last reading: (what, clock time, detail). Cleared
        #: when a reading starts, so it stays small; for benchmarks and the debug log.
        self.barge_in_trace: list[tuple[str, float, str]] = []

    # ---------------------------------------------------------------- the loop tick
    def _tick(self) -> None:
        """One tick of the live loop; every wait passes here about every 0.1 s."""
        if self._stop_requested:
            raise _Stopped
        self.on_tick()

    def stop(self) -> None:
        """Ask the loop to end at its next tick (from another thread or a signal handler)."""
        self._stop_requested = True

    # ---------------------------------------------------------------- inputs
    def _button_pressed(self) -> bool:
        try:
            self.buttons.get_nowait()
        except queue.Empty:
            return False
        return True

    def _read(self, timeout: float = BLOCK_SECONDS * 2) -> np.ndarray | None:
        """The next audio block, or None; a live microphone silent for
        :attr:`Limits.no_audio_s` is reopened (see :meth:`_recover_microphone`)."""
        self._tick()
        block = self.source.read(timeout=timeout)
        now = self.clock()
        if block is not None:
            self._last_audio = now
            return block
        if self.live and now - self._last_audio >= self.limits.no_audio_s:
            self._recover_microphone()
        return None

    def _recover_microphone(self) -> None:
        """Reopen the microphone with backoff until it delivers again; MicrophoneLost when it
        has been away for :attr:`Limits.mic_recover_s`."""
        lost_since = self._last_audio
        log.warning("the microphone sends no audio (nothing for %.1f s); reopening it",
                    self.clock() - lost_since)
        reopen = getattr(self.source, "reopen", None)
        wait, attempts = 0.25, 0
        while True:
            self._tick()
            if self.clock() - lost_since >= self.limits.mic_recover_s:
                raise MicrophoneLost(
                    f"the microphone has sent no audio for {self.limits.mic_recover_s:g} s "
                    f"and could not be reopened ({attempts} attempts); stopping so that the "
                    "service restarts")
            attempts += 1
            try:
                if reopen is not None:
                    reopen()
            except KioskError as err:
                log.debug("reopening the microphone failed: %s", err)
            else:
                # A new stream may take a moment to deliver its first block (1.8 s seen with
                # PortAudio -> ALSA -> pulse); wait for it before trying again.
                block = self._first_block(self.limits.no_audio_s + 1.0)
                if block is not None:
                    self._last_audio = self.clock()
                    log.warning("the microphone is back after %.1f s (%d attempts)",
                                self._last_audio - lost_since, attempts)
                    return
            self.sleep(wait)
            wait = min(wait * 2, self.limits.mic_backoff_max_s)

    def _first_block(self, within_s: float) -> np.ndarray | None:
        until = self.clock() + within_s
        while self.clock() < until:
            self._tick()
            block = self.source.read(timeout=0.1)
            if block is not None:
                return block
        return None

    def _discard(self, seconds: float) -> int:
        """Drop what the microphone has queued, then ``seconds`` of what comes next; the
        number of samples dropped after the flush."""
        flush = getattr(self.source, "flush", None)
        if flush is not None:
            flush()
        todo = dropped = int(seconds * SAMPLE_RATE)
        while todo > 0:
            block = self._read()
            if block is not None:
                todo -= len(block)
        return dropped - todo

    def _hear(self, timeout_s: float | None, started: bool = False) -> Event:
        """One utterance: Heard(text), Silence after ``timeout_s``, or Button if pressed.

        ``started``: the recogniser already holds the start of this utterance (barge-in)."""
        if not started:
            self.recognizer.reset()
        # The silence timeout counts from the end of speech, so the echo tail is part of it.
        fed, self._since_speech = self._since_speech, 0
        limit = None if timeout_s is None else int(timeout_s * SAMPLE_RATE)
        heard_something = started
        self.on_listening(started)
        while True:
            if self._button_pressed():
                return Button()
            chunk = self._read()
            if chunk is None:
                continue
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
    def _say_deadline(self, action: Say) -> float:
        chars = sum(len(getattr(u, "text", str(u))) for u in action.utterances)
        return self.limits.say_margin_s + self.limits.say_s_per_char * chars

    def _say(self, action: Say) -> Event | None:
        self.speech.start(list(action.utterances))
        self.barge_in_trace = []
        deadline = self.clock() + self._say_deadline(action)
        # The dialog says what voice may not cut off (the advice to see a doctor).
        barge_in = self.live and self.limits.barge_in and action.interruptible
        listen_from: float | None = None  # the grace ends (once the reading sounds)
        # Barge-in onset: voice in a row, louder than the echo canceller's steady leaks.
        onset = self._onset_vad(self.limits.barge_in_speech_s)
        recent: deque[np.ndarray] = deque(maxlen=40)  # the visitor's first words
        resumes: dict[int | None, int] = {}  # unconfirmed onsets per sentence
        wary_in: int | None = None  # the sentence where the canceller leaked (see Limits)
        deaf = False  # ... and leaked again: read to its end without listening
        while True:
            if self.live:
                block = self._read(timeout=0.02)
                if wary_in is not None and self.speech.current_index != wary_in:
                    wary_in, deaf = None, False  # the next sentence: listen as usual
                    onset = self._onset_vad(self.limits.barge_in_speech_s)
                    recent.clear()
                    self._trace("listening")
                if barge_in and listen_from is None and self.speech.sounding:
                    listen_from = self.clock() + self.limits.barge_in_grace_s
                if block is not None and barge_in and not deaf \
                        and listen_from is not None and self.clock() >= listen_from:
                    recent.append(block)
                    onset.process(block)
                    if onset.speech_started:
                        self._trace("onset", f"threshold {onset.threshold_db:.1f} dB, "
                                    f"{self._backlog()} blocks queued")
                        index = self.speech.current_index
                        event = self._onset(action, recent)
                        if event is not None:
                            return event
                        onset.reset()
                        recent.clear()
                        listen_from = None  # a new grace once it sounds again
                        count = resumes[index] = resumes.get(index, 0) + 1
                        if index is None and count >= self.limits.barge_in_max_resumes:
                            barge_in = False  # no sentence to wait for: to the end
                        elif count > self.limits.barge_in_max_resumes:
                            log.warning("the kiosk heard its own voice %d times in one "
                                        "sentence: reading it to its end without listening "
                                        "(echo cancellation?)", count)
                            self._trace("deaf", f"sentence {index}, {count} resumes")
                            deaf = True
                        elif count >= min(self.limits.barge_in_wary_after,
                                          self.limits.barge_in_max_resumes) \
                                and wary_in != index:
                            wary_in = index
                            onset = self._onset_vad(self.limits.barge_in_wary_speech_s,
                                                    self.limits.barge_in_wary_window_s)
                            self._trace("wary", f"sentence {index}, {count} resumes")
                result = self.speech.wait(timeout=0)
            else:
                self._tick()
                result = self.speech.wait(timeout=0.05)
            if self._button_pressed():
                self.speech.stop()
                self.speech.wait(timeout=2.0)
                return Button()
            if result is not None:
                break
            if self.clock() > deadline:
                self.speech.stop()
                self._speech_failed(f"speaking took more than {self._say_deadline(action):.0f} s")
                return SpeechFinished()
        if self.live:
            self._since_speech = self._discard(self.limits.echo_tail_s)
        error = getattr(result, "error", None) or (
            "synthesis failed" if getattr(result, "failed", None) else None)
        if error:
            self._speech_failed(str(error))
            return SpeechFinished()  # as far as the dialog goes, it is over
        self._speech_failures = 0
        return SpeechFinished() if getattr(result, "completed", True) else None

    def _onset_vad(self, speech_s: float, window_s: float = 0.0) -> EnergyVad | VoiceInWindow:
        """A detector of ``speech_s`` of voice above the barge-in level, in a row or (with a
        ``window_s`` longer than it) within that window (the onset, the wary onset and the
        confirmation all use it)."""
        settings = Endpointing(vad_threshold_db=self.limits.barge_in_level_db,
                               min_speech_s=speech_s)
        if window_s > speech_s:
            return VoiceInWindow(settings, speech_s, window_s)
        return EnergyVad(settings)

    def _trace(self, what: str, detail: str = "") -> None:
        self.barge_in_trace.append((what, self.clock(), detail))
        log.debug("barge-in: %s %s", what, detail)

    def _speech_failed(self, why: str) -> None:
        self._speech_failures += 1
        if self._speech_failures >= self.limits.speech_failures:
            raise SpeechLost(f"speech output failed {self._speech_failures} times in a row "
                             f"(last: {why}); stopping so that the service restarts")
        log.error("speech output failed (%s); %d more failures in a row end the kiosk",
                  why, self.limits.speech_failures - self._speech_failures)

    def _onset(self, action: Say, recent: deque[np.ndarray]) -> Event | None:
        """Voice during speech: silence the reading now, then confirm it was a visitor.

        Once the kiosk is silent its echo dies away within :attr:`Limits.barge_in_echo_s`,
        so voice after that is the room's, not the kiosk's: the barge-in event (see
        :meth:`_barged_in`). No voice: the echo canceller leaked; the reading is started again
        from the sentence it was in and None is returned."""
        limits = self.limits
        self.barge_in_onset_at = paused_at = self.clock()
        if limits.barge_in_window_s <= 0:  # no confirmation: the onset is the visitor
            return self._barged_in(recent)
        index = self.speech.current_index
        finished = self.speech.wait(timeout=0) is not None  # it had just ended by itself
        self.speech.stop()
        # Voice in a row, as the onset: a click or a bump in the room is shorter.
        confirm = self._onset_vad(limits.barge_in_confirm_s)
        judged = 0
        loudest = -120.0
        longest = 0.0
        # A voice that began near the end of the window is heard out (at most the confirming
        # run more): the reading does not resume over someone who is talking.
        last_call = paused_at + limits.barge_in_window_s + limits.barge_in_confirm_s + 0.1
        while self.clock() < paused_at + limits.barge_in_window_s or (
                confirm.run_s > 0 and self.clock() < last_call):
            if self._button_pressed():
                self.speech.wait(timeout=2.0)
                return Button()
            block = self._read(timeout=0.02)
            if block is None:
                continue
            recent.append(block)
            if self.clock() < paused_at + limits.barge_in_echo_s:
                continue
            confirm.process(block)
            judged += len(block)
            loudest = max(loudest, EnergyVad.level_db(block))
            longest = max(longest, confirm.run_s)
            if confirm.speech_started:
                self._trace("confirmed", f"after {self.clock() - paused_at:.2f} s")
                return self._barged_in(recent)
        self.barge_in_resumed += 1
        self._trace("resumed", f"judged {judged / SAMPLE_RATE:.2f} s, loudest block "
                    f"{loudest:.1f} dB, longest voice {longest:.2f} s, threshold "
                    f"{confirm.threshold_db:.1f} dB, {self._backlog()} blocks queued")
        log.info("a sound during speech was the kiosk's own echo: reading on")
        if not finished:
            self.speech.wait(timeout=2.0)
            self.speech.start(list(action.utterances), start=index or 0)
        return None

    def _backlog(self) -> int:
        """Blocks the microphone has queued that the runner has not read yet (0 if unknown)."""
        queued = getattr(self.source, "queue", None)
        return int(queued.qsize()) if queued is not None else 0

    def _barged_in(self, recent: Iterable[np.ndarray]) -> Event:
        """A visitor spoke during speech: stop the reading (if it still sounds), then hear them
        out as the next question or command (the recogniser starts with the audio since their
        onset)."""
        self._stop_reading()
        self.recognizer.reset()
        for block in recent:
            event = self.recognizer.feed(block)
            if isinstance(event, Final) and event.text.strip():
                return Heard(event.text)
        return self._hear(self.limits.barge_in_listen_s, started=True)

    def _stop_reading(self) -> None:
        self.speech.stop()
        self.barge_in_at = self.clock()
        log.info("a visitor spoke during speech: reading stopped")

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

    def _handle(self, event: Event) -> list[Action]:
        self.on_event(event)
        return self.dialog.handle(event)

    def run(self) -> None:
        """Serve visitors until the audio source ends; MicrophoneLost / SpeechLost when the
        kiosk cannot hear or speak any more."""
        pending: list[Action] = []
        try:
            while True:
                self._tick()
                if not pending:
                    pending = self._handle(self._wait_for_visit())
                    continue
                action = pending.pop(0)
                if isinstance(action, End):
                    self.on_action(action)
                    pending = []
                    continue
                event = self._do(action)
                if event is None:
                    continue
                reply = self._handle(event)
                if not isinstance(event, SpeechFinished):
                    pending = reply  # what happened replaces what was planned
        except EndOfInput:
            log.info("audio input ended")
        except _Stopped:
            log.info("stopped")
        finally:
            self.speech.stop()


def read_script(paths: Sequence[Path]) -> WavScriptSource:
    """A WavScriptSource from WAV files (any common rate, converted); '-' is a silent turn."""
    from kiosk.speech.audio_in import read_wav

    return WavScriptSource(None if str(p) == "-" else read_wav(p) for p in paths)
