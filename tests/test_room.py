"""The kiosk in the virtual waiting room: a real PulseAudio, the real Microphone and
SpeakerSink through PortAudio -> ALSA -> pulse, real espeak-ng and real libvosk (the Korean
test model). Few and short: the figures with targets come from ``kiosk bench --room``."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from kiosk.app.runner import Limits, MicrophoneLost, Runner
from kiosk.bench.room import SoundServer
from kiosk.core.dialog import Dialog
from kiosk.speech.audio_in import Microphone, write_wav
from kiosk.speech.audio_out import SpeakerSink

pytestmark = [pytest.mark.room, pytest.mark.slow]


class SilentSpeechDouble:
    """Test double for the Speaker: says nothing, finishes at once (these tests are about the
    microphone)."""

    settings = None

    def start(self, utterances, start=0):
        pass

    def wait(self, timeout=None):
        return type("Result", (), {"completed": True, "error": None, "failed": []})()

    def stop(self):
        pass


class UnusedMatcherDouble:
    """Test double: these runners only read the microphone; nothing is matched."""

    def match(self, text):
        raise AssertionError("not used")


def _runner(content, mic, **limits) -> Runner:
    from voice_fixtures import FakeRecognizer

    return Runner(Dialog(content, UnusedMatcherDouble()), FakeRecognizer([]), mic,
                  SilentSpeechDouble(), limits=Limits(**limits))


def _level(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_the_microphone_hears_a_visitor_in_the_room(room: SoundServer, tmp_path):
    tone = (8000 * np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000)).astype(np.int16)
    wav = write_wav(tmp_path / "tone.wav", tone)
    with Microphone() as mic:
        assert mic.read(timeout=5.0) is not None, "the room's monitor delivers no audio"
        mic.flush()
        quiet = np.concatenate([mic.read(timeout=1.0) for _ in range(3)])
        room.play(wav).wait(timeout=10)
        heard = np.concatenate([mic.read(timeout=1.0) for _ in range(15)])
    assert _level(quiet) < 50
    assert _level(heard) > 1000


def test_the_speaker_plays_into_the_room(room: SoundServer):
    with Microphone() as mic:
        assert mic.read(timeout=5.0) is not None
        sink = SpeakerSink()
        sink.open(16000)
        mic.flush()
        for _ in range(10):
            sink.write(np.full(1600, 6000, dtype=np.int16))
        sink.drain()
        heard = np.concatenate([b for b in (mic.read(timeout=1.0) for _ in range(15))
                                if b is not None])
        sink.close()
    assert np.abs(heard).max() > 3000


def test_a_lost_sound_server_is_waited_for_and_the_microphone_reopened(
        room: SoundServer, content, caplog):
    caplog.set_level(logging.WARNING)
    with Microphone() as mic:
        runner = _runner(content, mic, no_audio_s=0.5, mic_recover_s=30)
        assert runner._first_block(5.0) is not None
        room.kill()
        back: list[float] = []

        def restart() -> None:
            time.sleep(1.5)
            room.start()
            back.append(time.monotonic())

        thread = threading.Thread(target=restart)
        thread.start()
        got_after = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if runner._read() is not None and back:
                got_after = time.monotonic() - back[0]
                break
        thread.join()
    assert got_after is not None and got_after < 5.0
    assert "reopening" in caplog.text and "is back after" in caplog.text


def test_a_microphone_that_stays_away_ends_the_kiosk(room: SoundServer, content):
    with Microphone() as mic:
        runner = _runner(content, mic, no_audio_s=0.5, mic_recover_s=2.0)
        assert runner._first_block(5.0) is not None
        room.remove_room()  # the microphone's source (the room's monitor) disappears
        try:
            started = time.monotonic()
            with pytest.raises(MicrophoneLost, match="no audio"):
                while time.monotonic() - started < 15:
                    runner._read()
            assert time.monotonic() - started < 6
        finally:
            room.restore_room()
        runner._last_audio = time.monotonic()
        runner.limits = Limits(no_audio_s=0.5, mic_recover_s=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and runner._read() is None:
            pass
        assert time.monotonic() < deadline, "the microphone did not come back with the room"


def test_the_kiosk_does_not_hear_itself_and_times_out_from_the_end_of_its_speech(
        room: SoundServer, content, matcher):
    """Four listening turns in real time, two of them silent: the kiosk's own voice in the room
    is never heard as a question, every spoken turn is answered, and silence is reported after
    the configured timeout counted from the end of the kiosk's speech."""
    from kiosk.bench.live import run_room_bench

    result = run_room_bench(content, matcher, turns=4, question_timeout_s=2.0, server=room)
    assert result["error"] is None
    assert result["self_triggers"] == 0
    assert result["answered_turns"] == result["spoken_turns"] == 2
    # generous: a shared, busy machine; the bench reports the figures
    assert 1.4 < result["silence_timeout_measured_min_s"] <= result[
        "silence_timeout_measured_max_s"] < 2.8



def test_a_speaker_that_loses_its_sound_server_fails_clearly_and_opens_again(
        room: SoundServer):
    from kiosk.errors import KioskError

    sink = SpeakerSink()
    sink.open(16000)
    sink.write(np.zeros(1600, dtype=np.int16))
    room.kill()
    try:
        with pytest.raises(KioskError, match="failed"):
            for _ in range(100):  # the stream notices within its buffer
                sink.write(np.zeros(1600, dtype=np.int16))
    finally:
        room.start()
    sink.open(16000)  # a new stream on the server that came back
    sink.write(np.zeros(1600, dtype=np.int16))
    sink.close()
