"""Speech output: chunking, the Speaker (pipelining, pauses, stop, repeat, failures), engines."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile

from kiosk.core.utterance import Utterance
from kiosk.core.voice_settings import VoiceSettings
from kiosk.errors import KioskError
from kiosk.speech.audio_out import SilentSink, WavFileSink
from kiosk.speech.lexicon import Entry, Lexicon, load_lexicon
from kiosk.speech.tts import (
    EspeakNgEngine,
    Pyttsx3Engine,
    Speaker,
    apply_volume,
    choose_voice,
    make_engine,
    parse_wav_bytes,
    plan_chunks,
    split_clauses,
    trim_trailing_silence,
)

ROOT = Path(__file__).resolve().parent.parent
RATE = 1000  # samples per second of the fake engines: easy arithmetic


class ToneEngine:
    """A test double for an engine: 10 samples of a constant tone per character of text."""

    name = "tone"
    sample_rate = RATE

    def __init__(self) -> None:
        self.calls: list[tuple[str, VoiceSettings]] = []

    def synthesize(self, text: str, settings: VoiceSettings) -> np.ndarray:
        self.calls.append((text, settings))
        return np.full(10 * len(text), 10000, dtype=np.int16)


class FailingEngine(ToneEngine):
    """A test double for an engine that raises on any text containing "kapot"."""

    name = "failing"

    def synthesize(self, text: str, settings: VoiceSettings) -> np.ndarray:
        if "kapot" in text:
            raise RuntimeError("synthesiser crashed")
        return super().synthesize(text, settings)


class CallbackSink(SilentSink):
    """A silent test double that calls ``on_write(n)`` after its n-th write."""

    def __init__(self, on_write) -> None:
        super().__init__()
        self.on_write = on_write

    def _write(self, block: np.ndarray) -> None:
        super()._write(block)
        self.on_write(len(self.blocks))


def utts(*texts: str, pause: float = 0.5) -> list[Utterance]:
    return [Utterance(t, "kiosk:test", pause) for t in texts]


# --- chunking -------------------------------------------------------------------------------


def test_short_text_is_one_chunk() -> None:
    assert split_clauses("  Artrose is   geen slijtage. ") == ["Artrose is geen slijtage."]
    assert split_clauses("") == []


def test_long_text_splits_at_clause_boundaries_and_merges_short_clauses() -> None:
    text = (
        "Als u weinig klachten ervaart in uw dagelijks leven, heeft u wellicht genoeg aan de "
        "informatie van deze folder, en kunt u daar zelfstandig mee aan de slag."
    )
    pieces = split_clauses(text, max_chars=80)
    assert pieces == [
        "Als u weinig klachten ervaart in uw dagelijks leven,",
        "heeft u wellicht genoeg aan de informatie van deze folder,",
        "en kunt u daar zelfstandig mee aan de slag.",
    ]
    assert " ".join(pieces) == text
    assert split_clauses(text, max_chars=200) == [text]


def test_a_long_clause_without_boundaries_is_split_between_words_only_when_very_long() -> None:
    words = " ".join(["woord"] * 60)  # 359 characters, no comma
    pieces = split_clauses(words, max_chars=80)
    assert len(pieces) == 2 and all(len(p) <= 240 for p in pieces)
    assert " ".join(pieces) == words


def test_plan_applies_lexicon_and_pauses() -> None:
    lexicon = Lexicon([Entry("BMI", "bee-em-ie", "test")])
    chunks = plan_chunks(
        utts("Het BMI daalt, en dat is goed voor de knie, zegt men.", "Tweede zin."),
        lexicon, first_max_chars=30, clause_pause_s=0.1,
    )
    assert [(c.utterance, c.text, c.pause_after) for c in chunks] == [
        (0, "Het bee-em-ie daalt,", 0.1),
        (0, "en dat is goed voor de knie, zegt men.", 0.5),
        (1, "Tweede zin.", 0.5),
    ]


def test_plan_starts_at_the_given_utterance() -> None:
    chunks = plan_chunks(utts("een.", "twee.", "drie."), start=1)
    assert [c.utterance for c in chunks] == [1, 2]


# --- the speaker ----------------------------------------------------------------------------


def test_speaker_plays_every_chunk_with_pauses_between() -> None:
    sink = SilentSink()
    result = Speaker(ToneEngine(), sink, block_s=0.05).speak(utts("abc.", "defgh.", pause=0.2))
    assert result.completed and result.failed == [] and result.last_index == 1
    # 40 samples speech, 200 pause, 60 speech; no pause after the last chunk
    assert len(sink.samples) == 40 + 200 + 60
    assert [(e.index, e.text, e.started_s, e.finished_s, e.utterance) for e in result.events] == [
        (0, "abc.", 0.0, 0.04, 0),
        (1, "defgh.", 0.24, 0.30, 1),
    ]
    assert sink.drains == 1 and sink.aborts == 0


def test_speaker_writes_small_blocks() -> None:
    sink = SilentSink()
    Speaker(ToneEngine(), sink, block_s=0.02).speak(utts("x" * 30))
    assert max(len(b) for b in sink.blocks) == 20


def test_rate_goes_to_the_engine_and_volume_is_a_gain() -> None:
    engine, sink = ToneEngine(), SilentSink()
    speaker = Speaker(engine, sink, settings=VoiceSettings(rate_wpm=125, volume=0.5))
    speaker.speak(utts("hallo."))
    assert engine.calls[0][1].rate_wpm == 125
    assert int(sink.samples.max()) == 5000


def test_stop_silences_within_one_block_and_reports_where() -> None:
    speaker: Speaker
    stop_after = 11 + 50 + 3  # "eerste zin." is 11 blocks, then 0.5 s pause = 50 blocks

    def on_write(count: int) -> None:
        if count == stop_after:
            speaker.stop()

    sink = CallbackSink(on_write)
    speaker = Speaker(ToneEngine(), sink, block_s=0.01)
    result = speaker.speak(utts("eerste zin.", "tweede zin is langer.", "derde."))
    assert not result.completed
    assert len(sink.blocks) == stop_after  # nothing written after stop()
    assert sink.aborts == 1 and sink.drains == 0
    assert speaker.current_index == result.last_index == 1
    assert [(e.utterance, e.finished_s - e.started_s) for e in result.events] == [
        (0, pytest.approx(0.11)), (1, pytest.approx(0.03))
    ]


def test_repeat_the_current_sentence() -> None:
    sink = SilentSink()
    engine = ToneEngine()
    speaker = Speaker(engine, sink)
    sentences = utts("een.", "twee.", "drie.")
    speaker.speak(sentences)
    engine.calls.clear()
    result = speaker.speak(sentences, start=1)
    assert [text for text, _ in engine.calls] == ["twee.", "drie."]
    assert [e.utterance for e in result.events] == [1, 2]


def test_failing_engine_is_logged_and_speech_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    sink = SilentSink()
    with caplog.at_level(logging.ERROR, logger="kiosk.speech.tts"):
        result = Speaker(FailingEngine(), sink).speak(utts("goed.", "dit is kapot.", "weer goed."))
    assert result.completed and result.failed == [1]
    assert [e.text for e in result.events] == ["goed.", "weer goed."]
    assert "synthesis failed" in caplog.text and "dit is kapot." in caplog.text


def test_nothing_to_say() -> None:
    result = Speaker(ToneEngine(), SilentSink()).speak([])
    assert result.completed and result.events == []


def test_start_in_the_background_and_stop_from_another_thread() -> None:
    started, gate = threading.Event(), threading.Event()

    def on_write(count: int) -> None:
        started.set()
        gate.wait(30)  # hold the "sound card" until the test has called stop()

    sink = CallbackSink(on_write)
    speaker = Speaker(ToneEngine(), sink, block_s=0.01)
    speaker.start(utts("een lange zin om te onderbreken."))
    assert started.wait(30)
    assert speaker.is_speaking
    speaker.stop()
    gate.set()
    result = speaker.wait(30)
    assert result is not None and not result.completed
    assert len(sink.blocks) == 1 and not speaker.is_speaking


class HeldEngine(ToneEngine):
    """A test double for a slow synthesiser: returns only once ``gate`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def synthesize(self, text: str, settings: VoiceSettings) -> np.ndarray:
        self.gate.wait(30)
        return super().synthesize(text, settings)


def test_sounding_only_once_the_first_chunk_plays_and_again_after_each_start() -> None:
    engine = HeldEngine()
    speaker = Speaker(engine, SilentSink())
    speaker.start(utts("een."))
    time.sleep(0.05)
    assert speaker.is_speaking and not speaker.sounding  # still synthesising
    engine.gate.set()
    assert speaker.wait(30) is not None and speaker.sounding
    engine.gate.clear()
    speaker.start(utts("twee."))
    assert not speaker.sounding
    engine.gate.set()
    assert speaker.wait(30) is not None and speaker.sounding


def test_background_speech_runs_to_the_end() -> None:
    speaker = Speaker(ToneEngine(), SilentSink())
    speaker.start(utts("een.", "twee."))
    result = speaker.wait(30)
    assert result is not None and result.completed and len(result.events) == 2


# --- helpers and voice choice ---------------------------------------------------------------


def test_volume_gain_clips_and_keeps_int16() -> None:
    samples = np.array([-32768, -100, 0, 100, 32767], dtype=np.int16)
    assert apply_volume(samples, 1.0) is samples
    assert apply_volume(samples, 0.5).tolist() == [-16384, -50, 0, 50, 16383]
    assert apply_volume(samples, 0.5).dtype == np.int16


def test_trailing_silence_is_trimmed() -> None:
    samples = np.concatenate([np.zeros(10), np.full(100, 5000), np.zeros(500)]).astype(np.int16)
    trimmed = trim_trailing_silence(samples, 1000, keep_s=0.02)
    assert len(trimmed) == 110 + 20
    assert len(trim_trailing_silence(np.zeros(50, np.int16), 1000)) == 0


def test_parse_wav_bytes_accepts_espeak_stdout_with_bogus_length() -> None:
    header = (
        b"RIFF" + (0x7FFFF024).to_bytes(4, "little") + b"WAVE"
        + b"fmt " + (16).to_bytes(4, "little") + (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little") + (22050).to_bytes(4, "little")
        + (44100).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
        + b"data" + (0x7FFFF000).to_bytes(4, "little")
    )
    rate, samples = parse_wav_bytes(header + np.array([1, -2, 3], dtype="<i2").tobytes())
    assert rate == 22050 and samples.tolist() == [1, -2, 3]
    with pytest.raises(ValueError):
        parse_wav_bytes(b"not a wav")


def voice(vid: str, lang: str) -> SimpleNamespace:
    return SimpleNamespace(id=vid, languages=[lang])


def test_dutch_voice_is_chosen_by_language_not_by_id() -> None:
    voices = [voice("gmw/en", "en"), voice("mb/mb-nl2", "nl"), voice("x/vlaams", "nl-be"),
              voice("gmw/nl", "nl")]
    assert choose_voice(voices) == "gmw/nl"
    assert choose_voice(voices[:3]) == "mb/mb-nl2"
    assert choose_voice(voices[:1] + voices[2:3]) == "x/vlaams"


def test_no_dutch_voice_says_how_to_install_it() -> None:
    with pytest.raises(KioskError, match="apt-get install espeak-ng"):
        choose_voice([voice("gmw/en", "en")])


def test_pyttsx3_without_dutch_voice_is_a_clear_error() -> None:
    class FakePyttsx3:
        """A named stand-in for a pyttsx3 engine that only knows English."""

        def getProperty(self, name: str) -> list:
            return [voice("gmw/en", "en")]

    with pytest.raises(KioskError, match=r"no Dutch.*apt-get install espeak-ng"):
        Pyttsx3Engine(init=FakePyttsx3)


def test_missing_espeak_program_says_how_to_install_it() -> None:
    with pytest.raises(KioskError, match=r"not found.*apt-get install espeak-ng"):
        EspeakNgEngine(executable="espeak-ng-that-is-not-there")


def test_unknown_engine_name() -> None:
    with pytest.raises(KioskError, match="unknown speech engine 'piper'"):
        make_engine("piper")


# --- real engines (espeak-ng) ---------------------------------------------------------------

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
SENTENCE = "De knieën en heupen dragen bij iedere stap het volledige lichaamsgewicht."


@pytest.mark.slow
@needs_espeak
def test_espeak_ng_engine_speaks_dutch_and_follows_the_rate() -> None:
    engine = EspeakNgEngine()
    assert engine.voice_id.endswith("nl") and engine.sample_rate == 22050
    slow = engine.synthesize(SENTENCE, VoiceSettings(rate_wpm=105))
    fast = engine.synthesize(SENTENCE, VoiceSettings(rate_wpm=225))
    assert slow.dtype == np.int16 and np.abs(slow).max() > 1000
    assert len(slow) > 1.5 * len(fast)
    assert len(engine.synthesize("  ...  ", VoiceSettings())) == 0


@pytest.mark.slow
@needs_espeak
def test_pyttsx3_engine_speaks_dutch() -> None:
    engine = Pyttsx3Engine()
    try:
        assert engine.voice_id.endswith("nl")
        samples = engine.synthesize(SENTENCE, VoiceSettings())
        assert samples.dtype == np.int16 and len(samples) > engine.sample_rate  # over a second
        assert np.abs(samples).max() > 1000
        assert len(engine.synthesize("", VoiceSettings())) == 0  # pyttsx3 would hang on ""
    finally:
        engine.close()


@pytest.mark.slow
@needs_espeak
def test_every_section_renders_to_a_wav_of_plausible_length(tmp_path: Path) -> None:
    from kiosk.core.content import load_content

    content = load_content(ROOT / "content")
    lexicon = load_lexicon(ROOT / "content")
    engine = EspeakNgEngine()
    settings = VoiceSettings()
    for section_id in content.sections:
        utterances = content.section_utterances(section_id)
        path = tmp_path / f"{section_id}.wav"
        with WavFileSink(path) as sink:
            result = Speaker(engine, sink, lexicon, settings).speak(utterances)
        assert result.completed and result.failed == [], section_id
        data, rate = soundfile.read(str(path), dtype="int16")
        seconds = len(data) / rate
        words = sum(len(lexicon.apply(u.text).split()) for u in utterances)
        pauses = sum(u.pause_after for u in utterances[:-1])
        expected = words / settings.rate_wpm * 60
        assert 0.6 * expected < seconds - pauses < 1.8 * expected + 1, (section_id, seconds, expected)


@pytest.mark.slow
@needs_espeak
def test_tts_bench_reports_every_figure() -> None:
    import json

    from kiosk.bench.tts import format_table, run_tts_bench

    result = run_tts_bench(None, engines=("espeak-ng", "no-such-engine"), repeats=1)
    row = result["engines"]["espeak-ng"]
    for key in ("first_audio_sentence_s", "first_audio_longest_s", "stop_to_silence_s"):
        assert row[key]["median"] >= 0
    assert row["synthesis_rtf"] > 0 and row["longest_audio_s"] > 1
    assert "error" in result["engines"]["no-such-engine"]
    json.dumps(result)  # the --json output must serialise
    table = format_table(result)
    assert "espeak-ng" in table and "not available" in table


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_parse_wav_bytes_reads_real_espeak_stdout() -> None:
    """The real thing: espeak-ng --stdout writes 0x7FFFFFxx as RIFF and data sizes."""
    data = subprocess.run(["espeak-ng", "-v", "nl", "--stdout", "goedemorgen"],
                          capture_output=True, check=True).stdout
    assert int.from_bytes(data[4:8], "little") > len(data)  # the bogus size is there
    rate, samples = parse_wav_bytes(data)
    assert rate == 22050 and len(samples) == (len(data) - 44) // 2
    assert np.abs(samples).max() > 1000


def _hanging_espeak(tmp_path: Path) -> Path:
    """A stand-in espeak-ng program (a test double) that answers the voice list and the
    warm-up like the real one, then hangs on the next text."""
    real = shutil.which("espeak-ng")
    script = tmp_path / "espeak-ng"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$1" in --voices=*) exec {real} "$@";; esac\n'
        f'if [ -e "{tmp_path}/warm" ]; then sleep 60; fi\n'
        f'touch "{tmp_path}/warm"; exec {real} "$@"\n')
    script.chmod(0o755)
    return script


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_a_hanging_espeak_is_killed_after_a_time_scaled_to_the_text(tmp_path: Path) -> None:
    engine = EspeakNgEngine(executable=str(_hanging_espeak(tmp_path)), timeout_s=0.5,
                            timeout_s_per_char=0.01)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"hung .* 100 characters"):
        engine.synthesize("a" * 100, VoiceSettings())
    assert 1.4 < time.monotonic() - started < 5


def test_a_failing_engine_is_logged_once_without_traceback(caplog) -> None:
    class BrokenEngineDouble:
        name, sample_rate = "broken", 16000

        def synthesize(self, text, settings):
            raise RuntimeError("no voice")

    caplog.set_level(logging.DEBUG)
    result = Speaker(BrokenEngineDouble(), SilentSink()).speak([Utterance("Hallo.", "kiosk:x")])
    assert result.error == "RuntimeError: no voice" and result.failed == [0]
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1 and records[0].exc_info is None
