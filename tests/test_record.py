"""`kiosk record`: cutting takes out of microphone audio, saving them with their labels, and
benchmarking what was recorded. The microphone is the test double FakeInputStream."""

from __future__ import annotations

import io

import numpy as np
import pytest
from voice_fixtures import (  # noqa: F401 (ko_model_path is a fixture)
    FakeInputStream,
    espeak_available,
    ko_model_path,
    silence,
    speak_samples,
    tone,
)

from kiosk import cli
from kiosk.bench.audio import load_labels, run_audio_bench
from kiosk.bench.text import LabelledQuestion
from kiosk.cli import record
from kiosk.errors import KioskError
from kiosk.speech.audio_in import SAMPLE_RATE, Microphone, list_devices, read_wav, write_wav
from kiosk.speech.recognizer import Endpointing
from kiosk.speech.recording import LEAD_S, TAIL_S, take_utterance

BLOCK = SAMPLE_RATE // 10
DEVICES = list_devices(lambda: [{"name": "USB mic", "max_input_channels": 1,
                                 "max_output_channels": 0, "default_samplerate": 16000.0}])
QUESTIONS = [
    LabelledQuestion("wat is artrose", ("intro",), 2),
    LabelledQuestion("hoe laat gaat de bus", ("none",), 3),
    LabelledQuestion("mag ik wel bewegen", ("misverstand-bewegen", "gezond-bewegen"), 4),
]


def loud(seconds: float) -> np.ndarray:
    return (tone(seconds) * 32767).astype(np.int16)


def blocks(*parts: np.ndarray) -> list[np.ndarray]:
    audio = np.concatenate(parts)
    return [audio[i:i + BLOCK] for i in range(0, audio.size, BLOCK)]


# --------------------------------------------------------------------------- takes


def test_a_take_is_the_speech_with_a_little_room_either_side():
    take = take_utterance(blocks(silence(1.0), loud(1.0), silence(2.0)))
    assert take is not None and take.ended_by == "silence"
    # the lead is counted from the block where speech began, so within a block of LEAD_S
    assert 1.0 + TAIL_S <= take.seconds <= 1.0 + LEAD_S + TAIL_S + 0.1
    assert np.abs(take.samples[-int(TAIL_S * SAMPLE_RATE) // 2:]).max() == 0  # ends in silence


def test_nobody_speaking_gives_no_take():
    assert take_utterance(blocks(silence(6.0)), Endpointing(no_speech_s=5.0)) is None
    assert take_utterance(blocks(silence(1.0))) is None  # the audio ran out first


def test_a_long_take_is_cut_at_the_limit():
    take = take_utterance(blocks(loud(20.0)), Endpointing(max_utterance_s=3.0))
    assert take is not None and take.ended_by == "max-length"
    assert take.seconds == pytest.approx(3.0, abs=0.15)


# --------------------------------------------------------------------------- record_set


def speaking_mic(*audio: np.ndarray):
    """A microphone (test double) that delivers ``audio`` as soon as it is opened."""

    class SpeakingStream(FakeInputStream):
        def start(self) -> None:
            super().start()
            for block in blocks(*audio):
                self.push(block)

    return lambda: Microphone("usb", stream_factory=SpeakingStream, devices=DEVICES,
                              queue_blocks=1000)


def answers(*said: str):
    replies = iter(said)
    return lambda prompt: next(replies)


def test_takes_are_saved_with_labels_that_the_audio_bench_reads(tmp_path):
    out = io.StringIO()
    mic = speaking_mic(silence(0.5), loud(1.0), silence(1.5))
    counts = record.record_set(QUESTIONS, tmp_path, mic, answers("", "s", "q"), out)
    assert counts == {"recorded": 1, "skipped": 1, "already": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.tsv", "q0002.wav"]
    assert 1.0 < read_wav(tmp_path / "q0002.wav").size / SAMPLE_RATE < 2.0
    [label] = load_labels(tmp_path / "labels.tsv", tmp_path)
    assert label.file.name == "q0002.wav" and label.expected == ("intro",)
    assert "# line 2: wat is artrose" in (tmp_path / "labels.tsv").read_text(encoding="utf-8")
    assert "kiosk bench --audio" in out.getvalue()


def test_a_second_run_goes_on_where_the_first_stopped(tmp_path):
    mic = speaking_mic(silence(0.5), loud(1.0), silence(1.5))
    record.record_set(QUESTIONS, tmp_path, mic, answers("", "q"), io.StringIO())
    out = io.StringIO()
    counts = record.record_set(QUESTIONS, tmp_path, mic, answers("", ""), out)
    assert counts == {"recorded": 2, "skipped": 0, "already": 1}
    assert "1 of 3 questions are recorded already" in out.getvalue()
    labels = load_labels(tmp_path / "labels.tsv", tmp_path)
    assert [lab.file.name for lab in labels] == ["q0002.wav", "q0003.wav", "q0004.wav"]
    assert labels[2].expected == ("misverstand-bewegen", "gezond-bewegen")


def test_silence_is_not_saved_and_the_question_is_asked_again(tmp_path):
    out = io.StringIO()
    counts = record.record_set(QUESTIONS, tmp_path, speaking_mic(silence(6.0)),
                               answers("", "q"), out)
    assert counts["recorded"] == 0 and "heard nothing in 5 s" in out.getvalue()
    assert not any(tmp_path.iterdir())


def test_a_limit_and_end_of_input_stop_cleanly(tmp_path):
    mic = speaking_mic(silence(0.5), loud(1.0), silence(1.5))
    counts = record.record_set(QUESTIONS, tmp_path, mic, answers("", ""), io.StringIO(), limit=1)
    assert counts["recorded"] == 1

    def closed_stdin(prompt: str) -> str:
        raise EOFError

    counts = record.record_set(QUESTIONS, tmp_path, mic, closed_stdin, io.StringIO())
    assert counts == {"recorded": 0, "skipped": 0, "already": 1}


def test_a_microphone_that_sends_nothing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("kiosk.speech.audio_in.NO_AUDIO_TIMEOUT_S", 0.05)
    with pytest.raises(KioskError, match="sends no audio"):
        record.record_set(QUESTIONS, tmp_path, speaking_mic(silence(0.0)), answers(""),
                          io.StringIO())


def test_bad_arguments_are_clear_errors(tmp_path, capsys):
    assert cli.main(["record", "--questions", str(tmp_path / "nope.tsv"),
                     "--out", str(tmp_path)]) == 1
    assert "no such question file" in capsys.readouterr().err
    assert cli.main(["record", "--questions", "x", "--out", str(tmp_path), "--limit", "0"]) == 1
    assert "--limit must be 1 or more" in capsys.readouterr().err


def test_write_wav_is_atomic_and_says_why_it_failed(tmp_path):
    samples = loud(0.2)
    path = write_wav(tmp_path / "a.wav", samples)
    assert np.array_equal(read_wav(path), samples)
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]  # no partial file left
    with pytest.raises(KioskError, match="cannot write the recording"):
        write_wav(tmp_path / "missing-folder" / "b.wav", samples)


@pytest.mark.slow
@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")
def test_a_recorded_set_runs_through_the_audio_bench(tmp_path, ko_model_path):  # noqa: F811
    """Record (espeak-ng's Dutch voice through the microphone test double), then bench with the
    real libvosk. The Korean model cannot understand Dutch, so this proves the path from
    recording to figures, not the figures: those need the Dutch model."""
    spoken = speak_samples("wat is artrose", tmp_path, voice="nl")
    folder = tmp_path / "opnames"
    record.record_set(QUESTIONS[:2], folder, speaking_mic(silence(0.5), spoken, silence(1.5)),
                      answers("", ""), io.StringIO())
    result = run_audio_bench(folder, folder / "labels.tsv", ko_model_path, "free")
    assert [f["file"] for f in result["files"]] == ["q0002.wav", "q0003.wav"]
    assert result["summary"]["n"] == 2 and result["summary"]["audio_s"] > 1.0
