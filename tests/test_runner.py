"""The runner's live-loop rules with test doubles (fast): no self-hearing, silence counted from
the end of speech, a lost microphone, failing or hanging speech output, ``--out`` checked first.
The same rules in a real sound server: tests/test_room.py."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from kiosk.app.runner import Limits, MicrophoneLost, Runner, SpeechLost
from kiosk.core.dialog import Dialog, Heard, Listen, Say, Silence, SpeechFinished
from kiosk.core.utterance import Utterance
from kiosk.speech.recognizer import Final, Partial, Transcript

BLOCK = 1600  # 0.1 s


class ClockDouble:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class LiveRoomDouble:
    """A live microphone double: every read returns the next 0.1 s block and moves the clock;
    while ``speech.speaking`` the blocks carry the kiosk's voice (value 7), after it silence
    (0), or the visitor (value 3000, -21 dBFS) when ``visitor`` is set. ``echo_cancelled``: the kiosk's
    voice is taken out, so the visitor comes through while it speaks."""

    live = True

    def __init__(self, clock: ClockDouble) -> None:
        self.clock = clock
        self.speech: Any = None
        self.visitor = False
        self.echo_cancelled = False
        self.flushes = 0

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        self.clock.now += 0.1
        if self.speech is not None:
            self.speech.tick()
        speaking = self.speech is not None and self.speech.speaking
        value = 3000 if self.visitor and (self.echo_cancelled or not speaking) else (
            7 if speaking else 0)
        return np.full(BLOCK, value, dtype=np.int16)

    def flush(self) -> None:
        self.flushes += 1


class SpeechDouble:
    """Speaks for ``blocks`` reads of the microphone; results as the Speaker's."""

    current_index: int | None = None  # the Speaker's: the utterance being spoken

    @property
    def sounding(self) -> bool:  # the Speaker's: its first chunk is playing
        return self.speaking

    def __init__(self, blocks: int = 20, error: str | None = None, hang: bool = False):
        self.blocks, self.error, self.hang = blocks, error, hang
        self.left = 0
        self.speaking = False
        self.settings = None
        self.stops = 0

    def start(self, utterances, start=0):
        self.left, self.speaking = self.blocks, True

    def tick(self) -> None:
        if self.speaking and not self.hang:
            self.left -= 1
            self.speaking = self.left > 0

    def wait(self, timeout=None):
        if self.speaking:
            return None
        return type("Result", (), {"completed": True, "error": self.error, "failed": []})()

    def stop(self):
        self.stops += 1
        self.speaking = False


class RecordingRecognizerDouble:
    """Keeps every sample fed to it; never ends an utterance by itself, unless it is fed the
    visitor's voice (value 3000) for 0.5 s."""

    def __init__(self) -> None:
        self.fed: list[int] = []
        self.visitor = 0

    def feed(self, chunk):
        self.fed.extend(set(chunk.tolist()))
        self.visitor += int((chunk == 3000).sum())
        if self.visitor >= 8000:
            self.visitor = 0
            return Final(Transcript("wat is artrose"))
        return Partial("")

    def finish(self):
        return Partial("")

    def reset(self):
        self.visitor = 0


class DialogDouble(Dialog):
    """Not a real dialog: says one thing, then listens; records what it was told."""

    question_timeout_s = 1.0

    def __init__(self) -> None:
        self.events: list[Any] = []

    def handle(self, event):
        self.events.append(event)
        return []


def make(speech: SpeechDouble, **limits: Any):
    clock = ClockDouble()
    source = LiveRoomDouble(clock)
    source.speech = speech
    recognizer = RecordingRecognizerDouble()
    runner = Runner(DialogDouble(), recognizer, source, speech, limits=Limits(**limits),
                    clock=clock, sleep=clock.sleep)
    return runner, source, recognizer, clock


SAY = Say((Utterance("Welkom.", "kiosk:welcome"),))


def test_what_the_microphone_hears_while_the_kiosk_speaks_is_never_decoded():
    runner, source, recognizer, _clock = make(SpeechDouble(blocks=30), echo_tail_s=0.3)
    assert runner._do(SAY) == SpeechFinished()
    event = runner._do(Listen("question", 1.0))
    assert event == Silence()
    assert 7 not in recognizer.fed  # the kiosk's own voice never reached the recogniser
    assert source.flushes == 1


def test_the_silence_timeout_counts_from_the_end_of_speech_echo_tail_included():
    runner, _source, _recognizer, clock = make(SpeechDouble(blocks=30), echo_tail_s=0.3)
    runner._do(SAY)
    ended = clock.now - 0.3  # speech ended, then 0.3 s of echo tail was dropped
    runner._do(Listen("question", 2.0))
    assert clock.now - ended == pytest.approx(2.0, abs=0.11)


def test_a_visitor_is_heard_after_the_kiosk_has_spoken():
    runner, source, _recognizer, _clock = make(SpeechDouble(blocks=5))
    runner._do(SAY)
    source.visitor = True
    assert runner._do(Listen("question", 5.0)) == Heard("wat is artrose")


def test_with_barge_in_a_visitor_stops_the_reading_and_is_heard():
    speech = SpeechDouble(hang=True)  # reads on until stopped
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.visitor = source.echo_cancelled = True
    assert runner._do(SAY) == Heard("wat is artrose")
    assert speech.stops >= 1 and runner.barge_in_at is not None


def test_with_barge_in_a_quiet_echo_leak_does_not_stop_the_reading():
    speech = SpeechDouble(blocks=40)
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.echo_cancelled = True  # the kiosk's voice comes through at -73 dBFS only
    assert runner._do(SAY) == SpeechFinished()
    assert runner.barge_in_at is None and speech.stops == 0


def test_speech_failing_in_a_row_ends_the_kiosk_and_one_failure_is_one_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    runner, *_ = make(SpeechDouble(blocks=2, error="RuntimeError: no voice"), speech_failures=3)
    runner._do(SAY)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None and "no voice" in errors[0].message
    runner._do(SAY)
    with pytest.raises(SpeechLost, match="3 times in a row"):
        runner._do(SAY)


def test_a_success_resets_the_failure_count():
    speech = SpeechDouble(blocks=2, error="RuntimeError: no voice")
    runner, *_ = make(speech, speech_failures=2)
    runner._do(SAY)
    speech.error = None
    runner._do(SAY)
    speech.error = "RuntimeError: no voice"
    runner._do(SAY)  # one failure again, not two


def test_speech_that_hangs_counts_as_a_failure_after_a_deadline_scaled_to_the_text():
    speech = SpeechDouble(hang=True)
    runner, _source, _recognizer, clock = make(speech, speech_failures=1, say_margin_s=2.0,
                                             say_s_per_char=0.1)
    with pytest.raises(SpeechLost, match="took more than 3 s"):
        runner._do(SAY)  # "Welkom." is 7 characters: 2 + 0.7 s
    assert 2.7 <= clock.now <= 3.2 and speech.stops >= 1


class DeadMicrophoneDouble:
    """A live microphone that stopped delivering; reopening works ``comes_back_after``
    attempts later (never when None)."""

    live = True

    def __init__(self, clock: ClockDouble, comes_back_after: int | None) -> None:
        self.clock, self.comes_back_after = clock, comes_back_after
        self.reopens: list[float] = []

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        if self.comes_back_after is not None and len(self.reopens) >= self.comes_back_after:
            self.clock.now += 0.1
            return np.zeros(BLOCK, np.int16)
        self.clock.now += timeout or 0.0
        return None

    def reopen(self) -> None:
        self.reopens.append(self.clock.now)


def test_a_microphone_that_stays_silent_is_reopened_with_backoff_then_ends_the_kiosk(caplog):
    clock = ClockDouble()
    mic = DeadMicrophoneDouble(clock, comes_back_after=None)
    runner = Runner(DialogDouble(), RecordingRecognizerDouble(), mic, SpeechDouble(),
                    limits=Limits(no_audio_s=2.0, mic_recover_s=30.0), clock=clock,
                    sleep=clock.sleep)
    with pytest.raises(MicrophoneLost, match="no audio for 30 s"):
        for _ in range(10_000):
            runner._read()
    gaps = np.diff(mic.reopens)
    assert len(mic.reopens) >= 4 and gaps[-1] >= gaps[0]  # backoff
    assert "reopening" in caplog.text


def test_a_microphone_that_comes_back_is_used_again():
    clock = ClockDouble()
    mic = DeadMicrophoneDouble(clock, comes_back_after=3)
    runner = Runner(DialogDouble(), RecordingRecognizerDouble(), mic, SpeechDouble(),
                    limits=Limits(no_audio_s=2.0, mic_recover_s=60.0), clock=clock,
                    sleep=clock.sleep)
    while runner._read() is None:
        pass
    assert len(mic.reopens) == 3


def test_run_out_into_a_missing_folder_is_an_error_before_anything_starts(tmp_path, capsys):
    from kiosk.cli import main

    code = main(["run", "--script", "-", "--out", str(tmp_path / "nope" / "kiosk.wav")])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


def test_sink_events_do_not_grow_per_turn():
    from kiosk.speech.audio_out import EVENTS_KEPT, SilentSink

    sink = SilentSink()
    sink.open(16000)
    for n in range(EVENTS_KEPT * 3):
        sink.begin_chunk(n, "x")
        sink.write(np.zeros(10, np.int16))
        sink.end_chunk()
    assert len(sink.events) == EVENTS_KEPT


def test_the_room_bench_reports_the_contract_keys():
    """docs/contract.md: `kiosk bench --room --json` prints at least these keys (here from the
    measuring functions on an empty run; test_room.py runs the real thing)."""
    from kiosk.bench.live import RoomRecorder, _measure, _measure_barge_ins

    recorder = RoomRecorder.__new__(RoomRecorder)
    recorder.blocks, recorder.marks, recorder.total = [], [(0, 0.0), (1, 1.0)], 0
    result = _measure(recorder, [], [], 3.0)
    result.update(_measure_barge_ins(recorder, recorder, [], {}, "delayed", False))
    assert {"turns", "latency_p50_s", "latency_p95_s", "after_endpoint_p95_s", "self_triggers",
            "barge_ins", "barge_ins_detected", "barge_in_stop_p95_s"} <= set(result)
