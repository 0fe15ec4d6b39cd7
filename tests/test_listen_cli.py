"""``kiosk listen``, ``kiosk devices``/``mic-test`` and the audio bench (kiosk/bench/audio.py).

Recognition runs on the real libvosk with the Korean test model and espeak-ng Korean audio, so
``--phrases`` gives a Korean grammar (the content's Dutch phrases are unknown to that model);
the intent is then always ``none``, which the Dutch matcher rightly says of Korean words.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from voice_fixtures import (  # noqa: F401  (fixtures)
    KOREAN_PHRASES,
    FakeInputStream,
    ko_audio,
    ko_model,
    ko_model_path,
    speak,
    write_wav,
)

from kiosk import cli
from kiosk.bench.audio import (
    format_table,
    intent_label,
    is_correct,
    load_labels,
    percentile,
    run_audio_bench,
    synth_korean_set,
)
from kiosk.bench.labels import asked_about_a_guess, right_after_confirming
from kiosk.cli.devices import level_bar, mic_test
from kiosk.errors import KioskError
from kiosk.speech.audio_in import SAMPLE_RATE, Microphone, list_devices

REPO = Path(__file__).resolve().parents[1]
SHARED_AUDIO = next((p for p in (REPO.parent / "shared" / "audio", Path("/work/shared/audio"))
                     if p.is_dir()), None)
slow = pytest.mark.slow


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def phrases_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("phrases") / "phrases.txt"
    path.write_text("# Korean test grammar\n" + "\n".join(KOREAN_PHRASES) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- kiosk listen


@slow
def test_listen_json_on_8k_stereo_recording(capsys, tmp_path, ko_model_path, ko_audio,  # noqa: F811
                                            phrases_file) -> None:
    import soxr

    mono = ko_audio["안녕하세요"].astype(np.float32) / 32768
    low = soxr.resample(mono, SAMPLE_RATE, 8000)
    path = write_wav(tmp_path / "phone.wav", np.stack([low, low], axis=1), 8000)
    code, out, err = run_cli(capsys, "listen", str(path), "--json", "--model", str(ko_model_path),
                             "--phrases", str(phrases_file))
    assert code == 0, err
    result = json.loads(out)
    assert result["file"] == str(path)
    assert result["heard"] == "안녕하세요"
    assert result["intent"] == {"kind": "none"}
    assert isinstance(result["score"], (int, float))
    assert set(result["timings"]) == {"load_s", "decode_s", "audio_s", "rtf", "match_s"}
    assert result["timings"]["audio_s"] == pytest.approx(len(mono) / SAMPLE_RATE, abs=0.01)
    assert result["confidence"] > 0.5 and result["words"][0]["word"] == "안녕하세요"


@slow
def test_listen_plain_text_and_free_mode(capsys, tmp_path, ko_model_path) -> None:  # noqa: F811
    path = speak("감사합니다", tmp_path / "k.wav")
    code, out, err = run_cli(capsys, "listen", str(path), "--model", str(ko_model_path),
                             "--mode", "free")
    assert code == 0, err
    assert out.startswith("heard:") and "intent: none" in out and "RTF" in out


@slow
def test_listen_dutch_grammar_on_a_korean_model_says_why(capsys, tmp_path, ko_model_path) -> None:  # noqa: F811
    path = speak("감사합니다", tmp_path / "k.wav")
    code, _out, err = run_cli(capsys, "listen", str(path), "--model", str(ko_model_path))
    assert code == 1
    assert "right language" in err and "Traceback" not in err


def _bad_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.wav"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    elif kind == "text":
        path.write_text("hallo, dit is tekst\n")
    return path  # "missing": not created


@pytest.mark.parametrize("kind, message", [
    ("empty", "the file is empty"), ("truncated", "truncated WAV header"),
    ("text", "not a WAV file"), ("missing", "no such file"),
])
def test_listen_bad_files_fail_clearly_before_loading_a_model(capsys, tmp_path, kind, message) -> None:
    path = _bad_file(tmp_path, kind)
    code, out, err = run_cli(capsys, "listen", str(path), "--json", "--model",
                             str(tmp_path / "no-model"))
    assert code == 1 and out == ""
    assert err.startswith("kiosk: error: ") and str(path) in err and message in err
    assert "Traceback" not in err


def test_listen_missing_model_folder(capsys, tmp_path, monkeypatch) -> None:
    from voice_fixtures import silence

    path = write_wav(tmp_path / "ok.wav", silence(0.5))
    code, _out, err = run_cli(capsys, "listen", str(path), "--model", str(tmp_path / "gone"))
    assert code == 1 and "gone: the folder does not exist" in err and "Traceback" not in err
    empty = tmp_path / "empty-model"
    empty.mkdir()
    code, _out, err = run_cli(capsys, "listen", str(path), "--model", str(empty))
    assert code == 1 and "not a Vosk model folder" in err
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty vosk cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, _out, err = run_cli(capsys, "listen", str(path))
    assert code == 1 and "kiosk: error:" in err and "Traceback" not in err


# --------------------------------------------------------------------------- devices


def test_devices_command_runs_without_a_sound_card(capsys) -> None:
    code, out, _err = run_cli(capsys, "devices")
    assert code == 0 and out.strip()


def test_mic_test_without_a_microphone_is_a_clear_error(capsys, monkeypatch) -> None:
    monkeypatch.setattr("kiosk.speech.audio_in.list_devices", lambda query=None: [])
    code, _out, err = run_cli(capsys, "mic-test", "--seconds", "1")
    assert code == 1 and "no microphone found" in err and "Traceback" not in err


def test_mic_test_draws_levels_from_a_stream_test_double() -> None:
    devices = list_devices(lambda: [{"name": "USB mic", "max_input_channels": 1,
                                     "max_output_channels": 0, "default_samplerate": 16000.0}])

    class FeedingStream(FakeInputStream):  # test double: delivers 0.3 s of a loud tone on start
        def start(self) -> None:
            super().start()
            t = np.arange(1600) / SAMPLE_RATE
            for _ in range(3):
                self.push((np.sin(2 * np.pi * 300 * t) * 10000).astype(np.int16))

    mic = Microphone(device="usb", stream_factory=FeedingStream, devices=devices)
    out = io.StringIO()
    levels = mic_test(mic, 0.3, out)
    # a sine of peak 10000/32768 has an RMS level of 20*log10(0.305/sqrt(2)) = -13.3 dBFS
    assert levels["loudest_db"] == pytest.approx(-13.3, abs=0.3)
    assert "#" in out.getvalue() and "0 blocks dropped" in out.getvalue()
    assert level_bar(-60.0).count("#") == 0 and level_bar(0.0).count("#") == 40


# --------------------------------------------------------------------------- bench: labels


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"x")


def test_labels_accept_ids_without_wav_suffix_headers_and_comments(tmp_path) -> None:
    _touch(tmp_path, "a.wav", "b c.wav")
    tsv = tmp_path / "l.tsv"
    tsv.write_text("file\texpected\n# note\n\na\tafvallen|meer-afvallen\nb c.wav\tnone\n",
                   encoding="utf-8")
    labels = load_labels(tsv, tmp_path)
    assert [(lab.file.name, lab.expected, lab.line) for lab in labels] == [
        ("a.wav", ("afvallen", "meer-afvallen"), 4), ("b c.wav", ("none",), 5)]


def test_transcript_files_need_all_none(tmp_path) -> None:
    _touch(tmp_path, "doe de lamp uit.wav")
    tsv = tmp_path / "transcripts.tsv"
    tsv.write_text("doe de lamp uit.wav\tdoe de lamp uit\n", encoding="utf-8")
    with pytest.raises(KioskError, match=r"transcripts\.tsv:1: 'doe de lamp uit' is not a label"
                                         r".*--all-none"):
        load_labels(tsv, tmp_path)
    assert load_labels(tsv, tmp_path, all_none=True)[0].expected == ("none",)


@pytest.mark.parametrize("line, message", [
    ("a.wav\tcommand:", "not a label"), ("a.wav\tkleur:rood", "not a label"),
    ("a.wav", "found no tab"), ("zz.wav\tnone", "no recording 'zz.wav'"), ("a.wav\t|", "no expected"),
])
def test_bad_label_lines_name_file_and_line(tmp_path, line, message) -> None:
    _touch(tmp_path, "a.wav")
    tsv = tmp_path / "l.tsv"
    tsv.write_text("a.wav\tnone\n" + line + "\n", encoding="utf-8")
    with pytest.raises(KioskError, match=rf"l\.tsv:2: .*{message}"):
        load_labels(tsv, tmp_path)


def test_correctness_rules() -> None:
    assert intent_label({"kind": "topic", "id": "stap-1"}) == "stap-1"
    assert intent_label({"kind": "command", "name": "stop"}) == "command:stop"
    assert intent_label({"kind": "answer", "value": "ja"}) == "answer:ja"
    assert intent_label({"kind": "flow", "name": "stap"}) == "flow:stap"
    assert intent_label({"kind": "none"}) == "none" and intent_label(None) == "none"
    assert is_correct(("stap-1", "flow:stap"), "", {"kind": "flow", "name": "stap"})
    assert not is_correct(("none",), "", {"kind": "command", "name": "stop"})
    assert is_correct(("text:오늘  좋네요",), "오늘 좋네요", {"kind": "none"})


def test_a_guess_counts_only_after_confirming_and_only_when_nothing_matched() -> None:
    guessed = {"correct": False, "intent": {"kind": "none"},
               "guess": {"kind": "topic", "id": "afvallen", "score": 0.4}}
    assert right_after_confirming(("afvallen", "meer-afvallen"), guessed)
    assert not right_after_confirming(("medicatie",), guessed)
    assert asked_about_a_guess(guessed)
    wrong = {"correct": False, "intent": {"kind": "topic", "id": "medicatie"},
             "guess": {"kind": "topic", "id": "afvallen"}}
    assert not right_after_confirming(("afvallen",), wrong) and not asked_about_a_guess(wrong)
    declined = {"correct": True, "intent": {"kind": "none"}}
    assert right_after_confirming(("none",), declined) and not asked_about_a_guess(declined)


def test_percentiles_are_nearest_rank() -> None:
    values = [0.1 * i for i in range(1, 11)]
    assert percentile(values, 50) == pytest.approx(0.5)
    assert percentile(values, 90) == pytest.approx(0.9)
    assert percentile([], 50) == 0.0


# --------------------------------------------------------------------------- bench: real runs


@slow
def test_audio_bench_on_espeak_korean(tmp_path, ko_model_path) -> None:  # noqa: F811
    labels, phrases = synth_korean_set(tmp_path, ["감사합니다", "안녕하세요", "네"], repeats=1)
    from kiosk.app.pipeline import read_phrases

    result = run_audio_bench(tmp_path, labels, ko_model_path, "grammar",
                             phrases=read_phrases(phrases))
    s = result["summary"]
    assert s["n"] == 3 and s["accuracy"] == 1.0
    assert s["rtf"] > 0 and s["load_s"] > 0 and s["peak_rss_mb"] > 50
    assert 0 < s["latency_s"]["p50"] <= s["latency_s"]["p90"] <= s["latency_s"]["max"]
    assert [f["file"] for f in result["files"]] == ["ko_00_0.wav", "ko_01_0.wav", "ko_02_0.wav"]
    table = format_table(result)
    assert "accuracy      3/3" in table and "peak RSS" in table


@slow
@pytest.mark.skipif(SHARED_AUDIO is None, reason="the shared Dutch test audio (shared/audio) is not here")
def test_audio_bench_counts_false_accepts_on_out_of_domain_audio(tmp_path, ko_model_path,  # noqa: F811
                                                                 phrases_file) -> None:
    folder = SHARED_AUDIO / "nl_ood"
    lines = (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines()[:4]
    tsv = tmp_path / "transcripts.tsv"
    tsv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from kiosk.app.pipeline import read_phrases

    result = run_audio_bench(folder, tsv, ko_model_path, "grammar", all_none=True,
                             phrases=read_phrases(phrases_file))
    s = result["summary"]
    assert s["n"] == 4 and s["none_expected"] == 4
    assert s["false_accepts"] == 0 and s["accuracy"] == 1.0  # Korean words never match Dutch
    assert all(f["expected"] == "none" for f in result["files"])
