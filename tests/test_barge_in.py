"""Voice barge-in rules with test doubles (fast): an onset silences the reading at once, voice
after the echo has died away confirms a visitor, a leak of the echo canceller resumes the
sentence, and barge-in stays off (logged) without an echo-cancelled microphone. The same in a
real sound server with a real echo canceller: tests/test_room_barge_in.py."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from test_runner import BLOCK, SAY, SpeechDouble, make

from kiosk.app.runner import barge_in_enabled
from kiosk.core.dialog import Button, Heard, Say, SpeechFinished
from kiosk.speech.audio_in import echo_cancel_missing


class ResumingSpeechDouble(SpeechDouble):
    """Records every start (and from which utterance); ``current_index`` as the Speaker's."""

    current_index = 2

    def __init__(self, blocks: int) -> None:
        super().__init__(blocks=blocks)
        self.starts: list[int] = []

    def start(self, utterances, start=0):
        self.starts.append(start)
        super().start(utterances, start)


def _loud_at(source, reads: set[int], dip_every: int = 0) -> None:
    """The blocks of these reads come through loud (-21 dBFS): the kiosk's voice leaking
    through the echo canceller, or a visitor. With ``dip_every`` n, every n-th read stays as it
    was: a quiet voice that dips below the level."""
    plain = source.read
    count = [0]

    def read(timeout=None):
        block = plain(timeout)
        count[0] += 1
        dips = dip_every and count[0] % dip_every == 0
        return np.full(BLOCK, 3000, np.int16) if count[0] in reads and not dips else block

    source.read = read


def _leak_at(source, reads: set[int]) -> None:
    """The echo canceller lets the kiosk's voice through, loud, on these reads."""
    _loud_at(source, reads)


def test_a_burst_of_echo_silences_the_reading_and_it_resumes_at_its_sentence():
    speech = ResumingSpeechDouble(blocks=40)
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.echo_cancelled = True
    _leak_at(source, {10, 11})  # 0.2 s of leak, then the canceller holds again
    assert runner._do(SAY) == SpeechFinished()
    assert speech.stops == 1 and speech.starts == [0, 2]
    assert runner.barge_in_at is None and runner.barge_in_resumed == 1


def test_voice_that_goes_on_after_the_echo_died_away_is_a_visitor():
    speech = ResumingSpeechDouble(blocks=40)
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.echo_cancelled = True
    _leak_at(source, set(range(10, 30)))  # 2 s of voice: the visitor
    assert runner._do(SAY) == Heard("wat is artrose")
    assert runner.barge_in_at is not None and speech.starts == [0]
    assert runner.barge_in_onset_at is not None and runner.barge_in_onset_at < runner.barge_in_at


def test_a_canceller_that_keeps_leaking_does_not_keep_a_sentence_from_its_end(caplog):
    caplog.set_level(logging.WARNING)
    speech = ResumingSpeechDouble(blocks=60)  # one sentence (index 2) all along
    runner, source, _recognizer, _clock = make(speech, barge_in=True, barge_in_max_resumes=3)
    source.echo_cancelled = True
    _leak_at(source, {n for n in range(8, 400) if n % 16 in (0, 1, 2)})  # 0.3 s bursts
    assert runner._do(SAY) == SpeechFinished()
    # three resumes, one more while wary, then deaf to the end of the sentence
    assert runner.barge_in_resumed == 4 and len(speech.starts) == 5
    assert "reading it to its end without listening" in caplog.text
    assert [what for what, _, _ in runner.barge_in_trace][-2:] == ["resumed", "deaf"]


class SentencesSpeechDouble(ResumingSpeechDouble):
    """Speaks sentence after sentence, each ``per_sentence`` reads long; a restart goes back to
    the start of the sentence it names."""

    def __init__(self, blocks: int, per_sentence: int) -> None:
        super().__init__(blocks=blocks)
        self.per_sentence = per_sentence
        self.spoken = 0

    def start(self, utterances, start=0):
        super().start(utterances, start)
        self.spoken = start * self.per_sentence
        self.left = self.blocks - self.spoken

    def tick(self) -> None:
        super().tick()
        self.spoken += 1

    @property
    def current_index(self):
        return self.spoken // self.per_sentence


def test_after_leaks_in_one_sentence_a_visitor_is_still_heard_in_it():
    """Two resumes in a sentence make the kiosk wary, not deaf: short bursts no longer pause
    it, a visitor who goes on talking still does."""
    speech = SentencesSpeechDouble(blocks=160, per_sentence=100)
    runner, source, _recognizer, _clock = make(speech, barge_in=True, barge_in_max_resumes=2,
                                               barge_in_wary_after=2)
    source.echo_cancelled = True
    _leak_at(source, {8, 9, 25, 26, 42, 43} | set(range(60, 90)))
    assert runner._do(SAY) == Heard("wat is artrose")
    assert runner.barge_in_resumed == 2
    kinds = [what for what, _, _ in runner.barge_in_trace]
    assert kinds == ["onset", "resumed", "onset", "resumed", "wary", "onset", "confirmed"]


def test_after_leaks_in_one_sentence_a_visitor_is_still_heard_in_a_later_one():
    """A sentence that was wary does not make the next one wary."""
    speech = SentencesSpeechDouble(blocks=160, per_sentence=40)
    runner, source, _recognizer, _clock = make(speech, barge_in=True, barge_in_max_resumes=2,
                                               barge_in_wary_after=2)
    source.echo_cancelled = True
    # The canceller leaks in the first sentence (each restart leaks again), then a visitor
    # speaks in the third (reads 90-120; the first sentence ends about read 75).
    _leak_at(source, {8, 9, 25, 26, 45, 46, 60, 61} | set(range(90, 120)))
    assert runner._do(SAY) == Heard("wat is artrose")
    assert runner.barge_in_resumed == 2 and speech.starts == [0, 0, 0]
    kinds = [what for what, _, _ in runner.barge_in_trace]
    assert kinds[-4:] == ["wary", "listening", "onset", "confirmed"]


class SlowStartSpeechDouble(SpeechDouble):
    """Synthesis takes ``silent`` reads of the microphone before the first sound."""

    def __init__(self, blocks: int, silent: int) -> None:
        super().__init__(blocks=blocks)
        self.silent = silent
        self.ticks = 0

    def tick(self) -> None:
        super().tick()
        self.ticks += 1

    @property
    def sounding(self) -> bool:
        return self.ticks >= self.silent


def test_the_grace_counts_from_the_first_sound_not_from_the_start():
    """On a busy machine synthesis took longer than the grace, so the canceller's leak at the
    first syllables stopped the reading; the grace now starts with the sound."""
    speech = SlowStartSpeechDouble(blocks=40, silent=8)
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.echo_cancelled = True
    _leak_at(source, {9, 10})  # the first syllables leak through
    assert runner._do(SAY) == SpeechFinished()
    assert runner.barge_in_resumed == 0 and speech.stops == 0


def test_voice_does_not_cut_what_the_dialog_marks_not_interruptible_but_the_button_does():
    speech = SpeechDouble(blocks=40)
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.visitor = source.echo_cancelled = True  # a visitor talks all through it
    advice = Say(SAY.utterances, interruptible=False)
    assert runner._do(advice) == SpeechFinished()
    assert runner.barge_in_onset_at is None and speech.stops == 0
    runner.buttons.put(object())
    assert runner._do(advice) == Button() and speech.stops == 1


def _pactl(default: str, driver: str):
    def run(args):
        if args == ["info"]:
            return f"Server Name: pulseaudio\nDefault Source: {default}\n"
        return (f"0\troom.monitor\tmodule-null-sink.c\ts16le 1ch 16000Hz\tRUNNING\n"
                f"1\t{default}\t{driver}\tfloat32le 1ch 16000Hz\tRUNNING\n")
    return run


def test_the_echo_cancelled_default_source_is_recognised():
    assert echo_cancel_missing(None, _pactl("mic_ec", "module-echo-cancel.c")) is None
    assert echo_cancel_missing(None, _pactl("kiosk_mic", "PipeWire")) is None


def test_without_an_echo_cancelled_source_the_reason_is_given():
    assert "not echo-cancelled" in echo_cancel_missing(None, _pactl("usb", "module-alsa-card.c"))
    assert "default device" in echo_cancel_missing("USB Mic", _pactl("x", "module-echo-cancel.c"))

    def broken(args):
        raise OSError("No such file or directory: 'pactl'")

    assert "cannot ask the sound server" in echo_cancel_missing(None, broken)


def test_barge_in_stays_off_without_echo_cancellation_and_the_log_says_why(caplog):
    caplog.set_level(logging.INFO)
    assert barge_in_enabled(True, None, lambda device: "the default source is plain") is False
    assert "voice barge-in stays off: the default source is plain" in caplog.text
    assert barge_in_enabled(True, None, lambda device: None) is True
    assert barge_in_enabled(False, None, lambda device: None) is False


def _frames(pattern: str) -> np.ndarray:
    """20 ms frames: 'v' voice at -21 dBFS, '.' silence."""
    return np.concatenate([np.full(320, 3000 if c == "v" else 0, np.int16) for c in pattern])


def test_voice_within_a_window_counts_a_visitor_whose_voice_dips_but_not_a_short_leak():
    from kiosk.speech.recognizer import Endpointing, EnergyVad, VoiceInWindow

    settings = Endpointing(vad_threshold_db=-35.0, min_speech_s=0.25)
    dipping = _frames("vvvvvvvv..vvvvvvvv..vvvvvvvv..")  # 0.16 s syllables, 40 ms dips
    in_a_row = EnergyVad(settings)
    in_a_row.process(dipping)
    assert not in_a_row.speech_started  # never 0.25 s in a row
    window = VoiceInWindow(settings, 0.25, 0.4)
    window.process(dipping)
    assert window.speech_started
    leaks = VoiceInWindow(settings, 0.25, 0.4)
    leaks.process(_frames("vvvv...."))  # an 80 ms burst of echo
    assert leaks.run_s == pytest.approx(0.08)
    leaks.process(_frames("." * 12 + "vvvv" + "." * 16 + "vvvv"))  # and more, 0.4 s apart
    assert not leaks.speech_started
    leaks.reset()
    assert leaks.run_s == 0 and not leaks.speech_started


def _dipping_visitor_at(source, reads: set[int]) -> None:
    """A quiet visitor whose voice dips below the level every third 0.1 s block."""
    _loud_at(source, reads, dip_every=3)


def test_a_wary_sentence_hears_a_visitor_whose_voice_dips_and_did_not_before():
    """After three leaks a sentence is wary; a visitor who never makes 0.25 s in a row (0.2 s
    of voice, a dip, 0.2 s ...) is still heard: voice is counted within 0.4 s."""
    outcomes = {}
    for window in (0.4, 0.0):
        speech = SentencesSpeechDouble(blocks=160, per_sentence=100)
        runner, source, _recognizer, _clock = make(speech, barge_in=True,
                                                   barge_in_wary_window_s=window)
        source.echo_cancelled = True
        _leak_at(source, {8, 9, 25, 26, 42, 43})
        _dipping_visitor_at(source, set(range(60, 90)))
        outcomes[window] = (runner._do(SAY), [what for what, _, _ in runner.barge_in_trace])
    event, kinds = outcomes[0.4]
    assert event == Heard("wat is artrose")
    assert kinds[-3:] == ["wary", "onset", "confirmed"]
    event, kinds = outcomes[0.0]  # in a row, as before: read to its end
    assert event == SpeechFinished() and "confirmed" not in kinds


def test_the_reading_does_not_resume_over_a_voice_that_began_at_the_end_of_the_window():
    """A leak paused the reading; a visitor began to talk in the last 40 ms of the 0.9 s
    window: their voice is heard out (0.1 s in a row) instead of read over."""
    speech = ResumingSpeechDouble(blocks=60)
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.echo_cancelled = True
    plain = source.read
    count = [0]
    tail = np.zeros(BLOCK, np.int16)
    tail[-640:] = 3000  # the visitor's first 40 ms

    def read(timeout=None):
        block = plain(timeout)
        count[0] += 1
        if count[0] == 10:
            return np.full(BLOCK, 3000, np.int16)  # the canceller leaks: an onset
        if count[0] == 19:  # the window's last read
            return tail
        return np.full(BLOCK, 3000, np.int16) if count[0] >= 20 else block

    source.read = read
    assert runner._do(SAY) == Heard("wat is artrose")
    assert runner.barge_in_resumed == 0 and speech.starts == [0]


def test_the_bench_sets_up_the_echo_canceller_as_the_pi_instructions_say():
    """The room bench measures the canceller a practice sets up: systemd/README.md's
    load-module line has the same engine and aec_args as kiosk/bench/room.py."""
    import re
    from pathlib import Path

    from kiosk.bench.room import AEC_ARGS

    readme = (Path(__file__).resolve().parents[1] / "systemd" / "README.md").read_text()
    lines = [line for line in readme.splitlines() if "load-module module-echo-cancel" in line]
    assert len(lines) == 1, "one load-module line for the echo canceller in systemd/README.md"
    assert "aec_method=webrtc" in lines[0]
    found = re.search(r'aec_args="([^"]*)"', lines[0])
    assert found is not None and found.group(1) == AEC_ARGS


def test_a_resumed_sentence_is_wary_so_the_same_leak_does_not_pause_it_again():
    """The canceller leaks at the same point of a sentence each time it is read again: after
    one resume a short burst no longer pauses it (no loop of pauses); a visitor still does."""
    speech = SentencesSpeechDouble(blocks=200, per_sentence=150)
    runner, source, _recognizer, _clock = make(speech, barge_in=True)
    source.echo_cancelled = True
    # 0.2 s bursts: the first pauses the reading, the same burst after the restart does not.
    _leak_at(source, {10, 11, 28, 29, 46, 47} | set(range(70, 100)))
    assert runner._do(SAY) == Heard("wat is artrose")
    assert runner.barge_in_resumed == 1 and speech.starts == [0, 0]
    kinds = [what for what, _, _ in runner.barge_in_trace]
    assert kinds == ["onset", "resumed", "wary", "onset", "confirmed"]
