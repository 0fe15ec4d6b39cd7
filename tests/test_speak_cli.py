"""``kiosk say`` and ``kiosk read`` through the real CLI entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import soundfile

from kiosk.cli import main

ROOT = Path(__file__).resolve().parent.parent
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")


@pytest.fixture
def no_sound_card(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sounddevice report no devices at all, as on a machine without a sound card."""
    sounddevice = pytest.importorskip("sounddevice", reason="PortAudio not installed")
    monkeypatch.setattr(sounddevice, "query_devices", lambda *a, **k: [])


@pytest.mark.slow
@needs_espeak
def test_say_writes_a_wav(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "say.wav"
    code = main(["say", "Het BMI daalt met 2 kg/m2. Dat helpt de knie.", "--out", str(out),
                 "--rate", "145", "--content", str(ROOT / "content")])
    assert code == 0
    data, rate = soundfile.read(str(out), dtype="int16")
    assert rate == 22050 and len(data) > 2 * rate
    assert "2 chunks" in capsys.readouterr().out


@pytest.mark.slow
@needs_espeak
def test_say_engine_choice(tmp_path: Path) -> None:
    out = tmp_path / "say.wav"
    assert main(["say", "Hallo.", "--out", str(out), "--engine", "espeak-ng"]) == 0
    assert out.stat().st_size > 1000


def test_say_without_out_and_without_sound_card_is_a_clear_error(
    no_sound_card: None, capsys: pytest.CaptureFixture
) -> None:
    assert main(["say", "Hallo daar."]) == 1
    err = capsys.readouterr().err
    assert "no sound output device" in err and "--out" in err and "Traceback" not in err


def test_missing_named_device_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    sounddevice = pytest.importorskip("sounddevice", reason="PortAudio not installed")
    monkeypatch.setattr(
        sounddevice, "query_devices",
        lambda *a, **k: [{"name": "bcm2835 Headphones", "max_output_channels": 2}],
    )
    assert main(["say", "Hallo.", "--device", "USB Speaker"]) == 1
    err = capsys.readouterr().err
    assert "'USB Speaker' not found" in err and "bcm2835 Headphones" in err


def test_bad_rate_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["say", "Hallo.", "--rate", "500", "--out", str(tmp_path / "x.wav")]) == 1
    assert "--rate must be between" in capsys.readouterr().err


def test_out_in_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["say", "Hallo.", "--out", str(tmp_path / "nope" / "x.wav")]) == 1
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.slow
@needs_espeak
def test_read_a_section_to_wav(tmp_path: Path) -> None:
    out = tmp_path / "afvallen.wav"
    assert main(["read", "afvallen", "--out", str(out), "--content", str(ROOT / "content")]) == 0
    data, rate = soundfile.read(str(out), dtype="int16")
    assert len(data) / rate > 5


def test_read_unknown_section(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["read", "knieschijf", "--out", str(tmp_path / "x.wav"),
                 "--content", str(ROOT / "content")])
    assert code == 1
    assert "no section 'knieschijf'" in capsys.readouterr().err
