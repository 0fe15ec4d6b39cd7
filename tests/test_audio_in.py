"""WAV reading and conversion, microphone input through a stream test double, device lookup."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from voice_fixtures import FakeInputStream, tone, write_wav

from kiosk.errors import KioskError
from kiosk.speech.audio_in import (
    SAMPLE_RATE,
    DeviceInfo,
    Microphone,
    list_devices,
    read_wav,
    resolve_input_device,
)

# --------------------------------------------------------------------------- read_wav


def test_16k_mono_int16_is_read_unchanged(tmp_path) -> None:
    data = (np.arange(-8000, 8000, 3) % 30000).astype(np.int16)
    path = tmp_path / "a.wav"
    import soundfile as sf

    sf.write(str(path), data, SAMPLE_RATE, subtype="PCM_16")
    out = read_wav(path)
    assert out.dtype == np.int16 and out.ndim == 1
    assert np.array_equal(out, data)


@pytest.mark.parametrize(
    "rate, channels, subtype",
    [(8000, 2, "PCM_16"), (44100, 1, "PCM_24"), (48000, 2, "FLOAT"), (22050, 1, "PCM_U8"),
     (16000, 2, "PCM_32")],
)
def test_common_formats_become_16k_mono_int16(tmp_path, rate, channels, subtype) -> None:
    path = write_wav(tmp_path / "x.wav", tone(1.0, rate=rate, channels=channels), rate, subtype)
    out = read_wav(path)
    assert out.dtype == np.int16 and out.ndim == 1
    assert abs(len(out) - SAMPLE_RATE) <= 2
    # the tone survives: level about 0.3 * 32767 / sqrt(2)
    rms = np.sqrt(np.mean(out[1000:-1000].astype(np.float64) ** 2))
    assert rms == pytest.approx(0.3 * 32767 / np.sqrt(2), rel=0.05)


def test_stereo_channels_are_averaged(tmp_path) -> None:
    left = tone(0.5, level=0.4)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    out = read_wav(write_wav(tmp_path / "s.wav", stereo))
    assert np.max(np.abs(out)) == pytest.approx(0.2 * 32767, rel=0.02)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(KioskError, match=r"nope\.wav: no such file"):
        read_wav(tmp_path / "nope.wav")


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(KioskError, match=r"empty\.wav: the file is empty"):
        read_wav(path)


def test_truncated_header(tmp_path) -> None:
    path = tmp_path / "cut.wav"
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00")
    with pytest.raises(KioskError, match=r"cut\.wav: truncated WAV header"):
        read_wav(path)


def test_damaged_header_after_44_bytes(tmp_path) -> None:
    path = tmp_path / "bad.wav"
    header = b"RIFF" + struct.pack("<I", 100) + b"WAVE" + b"junk" + struct.pack("<I", 200)
    path.write_bytes(header + b"\x00" * 40)
    with pytest.raises(KioskError, match=r"bad\.wav: (unsupported or damaged|truncated)"):
        read_wav(path)


def test_text_file_named_wav(tmp_path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("dit is geen geluid maar tekst\n", encoding="utf-8")
    with pytest.raises(KioskError, match=r"notes\.wav: not a WAV file \(it looks like text"):
        read_wav(path)


def test_wav_without_samples(tmp_path) -> None:
    path = write_wav(tmp_path / "none.wav", np.zeros(0, dtype=np.float32))
    with pytest.raises(KioskError, match="no audio samples"):
        read_wav(path)


def test_folder_instead_of_file(tmp_path) -> None:
    with pytest.raises(KioskError, match="is a folder"):
        read_wav(tmp_path)


# --------------------------------------------------------------------------- devices

DEVICES = [
    {"name": "HDA Intel: ALC887 Analog", "max_input_channels": 2, "max_output_channels": 2,
     "default_samplerate": 44100.0},
    {"name": "USB PnP Sound Device: Audio", "max_input_channels": 1, "max_output_channels": 0,
     "default_samplerate": 48000.0},
    {"name": "HDMI 0", "max_input_channels": 0, "max_output_channels": 8,
     "default_samplerate": 48000.0},
]


def fake_query():  # test double for sounddevice.query_devices
    return DEVICES


def test_list_devices_reads_what_portaudio_reports() -> None:
    devices = list_devices(fake_query)
    assert [d.index for d in devices] == [0, 1, 2]
    assert devices[1].is_input and not devices[1].is_output
    assert devices[2].is_output and not devices[2].is_input


def test_device_by_index_or_name() -> None:
    devices = list_devices(fake_query)
    assert resolve_input_device(1, devices) == 1
    assert resolve_input_device("1", devices) == 1
    assert resolve_input_device("usb", devices) == 1
    assert resolve_input_device(None, devices) == 0  # no default known: the first input


def test_device_errors_list_the_inputs() -> None:
    devices = list_devices(fake_query)
    with pytest.raises(KioskError, match=r"no input device with index 2.*USB PnP"):
        resolve_input_device(2, devices)
    with pytest.raises(KioskError, match="no input device named like 'blue yeti'"):
        resolve_input_device("blue yeti", devices)
    with pytest.raises(KioskError, match="matches several"):
        resolve_input_device("a", devices)
    with pytest.raises(KioskError, match="no microphone found"):
        resolve_input_device(None, [DeviceInfo(0, "HDMI", 0, 2, 48000.0)])


# --------------------------------------------------------------------------- microphone


def make_mic(**kwargs) -> Microphone:
    FakeInputStream.instances.clear()
    return Microphone(device="USB", stream_factory=FakeInputStream,
                      devices=list_devices(fake_query), **kwargs)


def test_microphone_opens_16k_mono_int16_and_delivers_blocks() -> None:
    with make_mic(block_seconds=0.05) as mic:
        stream = FakeInputStream.instances[-1]
        assert stream.started
        assert stream.kwargs["samplerate"] == 16000 and stream.kwargs["channels"] == 1
        assert stream.kwargs["dtype"] == "int16" and stream.kwargs["device"] == 1
        assert stream.kwargs["blocksize"] == 800
        stream.push(np.arange(800, dtype=np.int16))
        block = mic.read(timeout=0.1)
        assert block is not None and np.array_equal(block, np.arange(800, dtype=np.int16))
        assert mic.read(timeout=0.01) is None
    assert stream.closed


def test_blocks_end_in_a_clear_error_when_the_microphone_sends_nothing(monkeypatch) -> None:
    monkeypatch.setattr("kiosk.speech.audio_in.NO_AUDIO_TIMEOUT_S", 0.05)
    with make_mic() as mic:
        FakeInputStream.instances[-1].push(np.full(1600, 7, dtype=np.int16))
        blocks = mic.blocks()
        assert next(blocks)[0] == 7
        with pytest.raises(KioskError, match="sends no audio"):
            next(blocks)


def test_a_full_queue_drops_and_counts_without_blocking(caplog) -> None:
    mic = make_mic(queue_blocks=2).start()
    stream = FakeInputStream.instances[-1]
    for i in range(5):  # nobody reads: the callback must not block
        stream.push(np.full(1600, i, dtype=np.int16))
    assert mic.overflows == 3
    assert "queue full" in caplog.text
    assert mic.read(timeout=0.1)[0] == 0 and mic.read(timeout=0.1)[0] == 1
    stream.push(np.zeros(1600, dtype=np.int16), overflow=True)
    assert mic.driver_overflows == 1
    mic.stop()


def test_a_stream_that_cannot_open_is_a_clear_error() -> None:
    def broken_stream(**kwargs):  # test double: PortAudio refusing the settings
        raise RuntimeError("Invalid sample rate [PaErrorCode -9997]")

    mic = Microphone(device=1, stream_factory=broken_stream, devices=list_devices(fake_query))
    with pytest.raises(KioskError, match="cannot open microphone 1 at 16 kHz mono: Invalid sample"):
        mic.start()
