"""Audio sinks: WAV file, silent test double, and the sound-card sink with a fake stream."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from kiosk.errors import KioskError
from kiosk.speech.audio_out import (
    ChunkEvent,
    SilentSink,
    SpeakerSink,
    WavFileSink,
    resolve_output_device,
)

DEVICES = [
    {"name": "USB Microphone", "max_input_channels": 1, "max_output_channels": 0},
    {"name": "bcm2835 Headphones", "max_input_channels": 0, "max_output_channels": 2},
    {"name": "USB Speaker: Audio (hw:2,0)", "max_input_channels": 0, "max_output_channels": 2},
]


class FakeStream:
    """A named stand-in for sounddevice.OutputStream that records what happens to it."""

    def __init__(self, **kwargs: object):
        self.kwargs = kwargs
        self.calls: list[str] = []
        self.written: list[np.ndarray] = []
        self.latency = 0.01

    def start(self) -> None:
        self.calls.append("start")

    def write(self, data: np.ndarray) -> None:
        self.calls.append("write")
        self.written.append(data.copy())

    def abort(self) -> None:
        self.calls.append("abort")

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make_speaker_sink(device: object = None, clock: FakeClock | None = None) -> tuple[SpeakerSink, list]:
    streams: list[FakeStream] = []

    def factory(**kwargs: object) -> FakeStream:
        streams.append(FakeStream(**kwargs))
        return streams[-1]

    sink = SpeakerSink(
        device, stream_factory=factory, query_devices=lambda: DEVICES, clock=clock or FakeClock()
    )
    return sink, streams


def tone(n: int, value: int = 1000) -> np.ndarray:
    return np.full(n, value, dtype=np.int16)


# --- events measured in samples -----------------------------------------------------------


def test_silent_sink_records_blocks_and_events_in_samples() -> None:
    seen: list[ChunkEvent] = []
    sink = SilentSink(on_event=seen.append)
    sink.open(1000)
    sink.begin_chunk(0, "eerste", utterance=3)
    sink.write(tone(500))
    sink.write(tone(250))
    sink.end_chunk()
    sink.write(np.zeros(250, np.int16))
    sink.begin_chunk(1, "tweede")
    sink.write(tone(1000))
    sink.end_chunk()
    assert list(sink.events) == seen == [
        ChunkEvent(0, "eerste", 0.0, 0.75, 3),
        ChunkEvent(1, "tweede", 1.0, 2.0, -1),
    ]
    assert len(sink.samples) == 2000


def test_sink_refuses_a_second_sample_rate() -> None:
    sink = SilentSink()
    sink.open(22050)
    sink.open(22050)
    with pytest.raises(KioskError, match="22050"):
        sink.open(16000)


def test_wav_file_sink_writes_a_readable_wav(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    with WavFileSink(path) as sink:
        sink.open(22050)
        sink.begin_chunk(0, "hallo")
        sink.write(tone(22050))
        sink.end_chunk()
    data, rate = soundfile.read(str(path), dtype="int16")
    assert rate == 22050 and len(data) == 22050 and data[0] == 1000
    assert list(sink.events) == [ChunkEvent(0, "hallo", 0.0, 1.0)]


def test_wav_file_sink_in_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "nope" / "out.wav")
    with pytest.raises(KioskError, match="does not exist"):
        sink.open(22050)


# --- the sound card, through a fake stream --------------------------------------------------


def test_device_by_name_index_and_default() -> None:
    assert resolve_output_device("usb speaker", DEVICES) == 2
    assert resolve_output_device("bcm2835 Headphones", DEVICES) == 1
    assert resolve_output_device(2, DEVICES) == 2
    assert resolve_output_device("1", DEVICES) == 1
    assert resolve_output_device(None, DEVICES, default=2) == 2
    assert resolve_output_device(None, DEVICES) == 1  # first device that can play


@pytest.mark.parametrize("device", ["HDMI", 0, 7])
def test_missing_device_is_a_clear_error_listing_the_outputs(device: object) -> None:
    with pytest.raises(KioskError, match=r"not found.*bcm2835 Headphones"):
        resolve_output_device(device, DEVICES)


def test_no_output_device_at_all() -> None:
    with pytest.raises(KioskError, match=r"no sound output device.*--out"):
        SpeakerSink(stream_factory=FakeStream, query_devices=lambda: DEVICES[:1])


def test_speaker_sink_plays_int16_mono_on_the_chosen_device() -> None:
    sink, streams = make_speaker_sink("USB Speaker")
    sink.open(22050)
    sink.write(tone(441))
    sink.drain()
    (stream,) = streams
    assert stream.kwargs["device"] == 2 and stream.kwargs["samplerate"] == 22050
    assert stream.kwargs["channels"] == 1 and stream.kwargs["dtype"] == "int16"
    assert stream.written[0].shape == (441, 1)
    assert stream.calls == ["start", "write", "stop"]


def test_speaker_sink_abort_drops_queued_audio_and_restarts_on_next_write() -> None:
    sink, streams = make_speaker_sink()
    sink.open(22050)
    sink.write(tone(100))
    sink.abort()
    sink.write(tone(100))
    sink.close()
    assert streams[0].calls == ["start", "write", "abort", "start", "write", "abort", "close"]


def test_speaker_sink_events_use_its_clock_plus_latency() -> None:
    clock = FakeClock()
    sink, _ = make_speaker_sink(clock=clock)
    sink.open(22050)
    clock.t += 0.5
    sink.begin_chunk(0, "hallo")
    clock.t += 2.0
    sink.end_chunk()
    (event,) = sink.events
    assert event.started_s == pytest.approx(0.51) and event.finished_s == pytest.approx(2.51)


def test_unopenable_stream_is_a_clear_error() -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("Invalid sample rate")

    sink = SpeakerSink(1, stream_factory=broken, query_devices=lambda: DEVICES)
    with pytest.raises(KioskError, match="cannot open sound device 'bcm2835 Headphones' at 22050 Hz"):
        sink.open(22050)
