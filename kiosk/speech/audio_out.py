"""Where synthesised speech goes: the sound card, a WAV file, or nowhere (tests).

Every sink takes int16 mono blocks through :meth:`AudioSink.write` and reports when each chunk
of speech started and finished as :class:`ChunkEvent` s. File and silent sinks measure time in
samples written; only :class:`SpeakerSink` (the sound card) uses a clock.

:class:`SpeakerSink` opens its sounddevice stream through an injectable factory, so it is tested
without a sound card.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.errors import KioskError

logger = logging.getLogger(__name__)

#: How many chunk events a sink keeps (the Speaker collects its own per call).
EVENTS_KEPT = 64

NO_DEVICE_HINT = "Connect a speaker (and check `kiosk devices`), or write to a file with --out FILE.wav."


@dataclass(frozen=True)
class ChunkEvent:
    """One chunk of speech as played: ``index`` counts chunks within one ``speak`` call and
    ``utterance`` is the index of the utterance it belongs to. Times are seconds since the sink
    was opened."""

    index: int
    text: str
    started_s: float
    finished_s: float
    utterance: int = -1


class AudioSink:
    """Base class: counts samples, records chunk events; subclasses do the actual output."""

    def __init__(self, on_event: Callable[[ChunkEvent], None] | None = None):
        self.sample_rate = 0
        self.frames_written = 0
        #: The latest chunk events (bounded: a kiosk speaks for months).
        self.events: collections.deque[ChunkEvent] = collections.deque(maxlen=EVENTS_KEPT)
        self.on_event = on_event
        self._chunk: tuple[int, str, float, int] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self, sample_rate: int) -> None:
        """Get ready for audio at ``sample_rate``; calling it again at the same rate is a no-op."""
        if self.sample_rate and self.sample_rate != sample_rate:
            raise KioskError(
                f"audio output was opened at {self.sample_rate} Hz, cannot switch to {sample_rate} Hz"
            )
        if not self.sample_rate:
            self._open(sample_rate)
            self.sample_rate = sample_rate

    def write(self, block: np.ndarray) -> None:
        """Play (or store) one block of int16 mono samples; may block like a sound card."""
        if not self.sample_rate:
            raise RuntimeError("sink written before open()")
        self._write(block)
        self.frames_written += len(block)

    def abort(self) -> None:
        """Silence now: drop whatever is still queued for playback."""

    def drain(self) -> None:
        """Wait until everything written has been played."""

    def close(self) -> None:
        """Release the device or finish the file."""

    def __enter__(self) -> AudioSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- chunk events ------------------------------------------------------------------------
    def begin_chunk(self, index: int, text: str, utterance: int = -1) -> None:
        self._chunk = (index, text, self.now(), utterance)

    def end_chunk(self) -> ChunkEvent | None:
        if self._chunk is None:
            return None
        index, text, started, utterance = self._chunk
        self._chunk = None
        event = ChunkEvent(index, text, started, self.now(), utterance)
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def now(self) -> float:
        """Seconds of audio since open, measured in samples."""
        return self.frames_written / self.sample_rate if self.sample_rate else 0.0

    # -- for subclasses ----------------------------------------------------------------------
    def _open(self, sample_rate: int) -> None:
        pass

    def _write(self, block: np.ndarray) -> None:
        pass


class SilentSink(AudioSink):
    """A test double: plays nothing, keeps every block it got and counts aborts."""

    def __init__(self, on_event: Callable[[ChunkEvent], None] | None = None):
        super().__init__(on_event)
        self.blocks: list[np.ndarray] = []
        self.aborts = 0
        self.drains = 0
        self.closed = False

    def _write(self, block: np.ndarray) -> None:
        self.blocks.append(np.array(block, dtype=np.int16, copy=True))

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.int16)

    def abort(self) -> None:
        self.aborts += 1

    def drain(self) -> None:
        self.drains += 1

    def close(self) -> None:
        self.closed = True


class PacedSilentSink(SilentSink):
    """A test double for benchmarks: silent, but each write takes as long as its audio would
    take on a sound card. Records the clock time of the last write and of each abort."""

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__()
        self.clock = clock
        self.sleep = sleep
        self.first_write_at: float | None = None
        self.last_write_at: float | None = None
        self.aborted_at: float | None = None

    def _write(self, block: np.ndarray) -> None:
        if self.first_write_at is None:
            self.first_write_at = self.clock()
        super()._write(block)
        self.sleep(len(block) / self.sample_rate)
        self.last_write_at = self.clock()

    def abort(self) -> None:
        super().abort()
        self.aborted_at = self.clock()


class WavFileSink(AudioSink):
    """Writes everything to one 16-bit mono WAV file (pauses included), finished on close."""

    def __init__(self, path: str | Path, on_event: Callable[[ChunkEvent], None] | None = None):
        super().__init__(on_event)
        self.path = Path(path)
        self._file: Any = None

    def _open(self, sample_rate: int) -> None:
        import soundfile

        if not self.path.parent.is_dir():
            raise KioskError(f"cannot write {self.path}: folder {self.path.parent} does not exist")
        try:
            self._file = soundfile.SoundFile(
                str(self.path), mode="w", samplerate=sample_rate, channels=1, subtype="PCM_16"
            )
        except (OSError, RuntimeError) as err:  # soundfile raises LibsndfileError(RuntimeError)
            raise KioskError(f"cannot write {self.path}: {err}") from None

    def _write(self, block: np.ndarray) -> None:
        self._file.write(np.asarray(block, dtype=np.int16))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# --- the sound card ----------------------------------------------------------------------------


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as err:  # PortAudio library missing
        raise KioskError(
            f"cannot use the sound card: {err}. Install PortAudio: sudo apt-get install libportaudio2"
        ) from None
    return sounddevice


def output_devices(devices: Sequence[dict[str, Any]]) -> list[tuple[int, str]]:
    """(index, name) of every device that can play sound."""
    return [
        (index, str(dev.get("name", "")))
        for index, dev in enumerate(devices)
        if int(dev.get("max_output_channels", 0)) > 0
    ]


def resolve_output_device(
    device: int | str | None, devices: Sequence[dict[str, Any]], default: int | None = None
) -> int:
    """The index of the output device named by ``device`` (index, or part of its name).

    ``None`` means the system default (``default``, or the first output device).
    A missing device is a :class:`KioskError` that lists the ones there are.
    """
    outputs = output_devices(devices)
    if not outputs:
        raise KioskError(f"no sound output device found. {NO_DEVICE_HINT}")
    listing = "; ".join(f"{i}: {name}" for i, name in outputs)
    if device is None or device == "":
        if default is not None and any(i == default for i, _ in outputs):
            return default
        return outputs[0][0]
    if isinstance(device, int) or str(device).strip().isdigit():
        index = int(device)
        if any(i == index for i, _ in outputs):
            return index
        raise KioskError(f"sound output device {index} not found. Output devices: {listing}")
    wanted = str(device).strip().lower()
    exact = [i for i, name in outputs if name.lower() == wanted]
    partial = [i for i, name in outputs if wanted in name.lower()]
    if exact or partial:
        return (exact or partial)[0]
    raise KioskError(f"sound output device {device!r} not found. Output devices: {listing}")


class SpeakerSink(AudioSink):
    """Plays through the sound card with sounddevice.

    ``device`` is an index or part of a device name (``None``: the system default).
    ``stream_factory`` (default ``sounddevice.OutputStream``) and ``query_devices``
    (default ``sounddevice.query_devices``) are injectable for tests. Event times come from
    ``clock`` plus the stream's output latency.
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        stream_factory: Callable[..., Any] | None = None,
        query_devices: Callable[[], Sequence[dict[str, Any]]] | None = None,
        default_device: int | None = None,
        latency: str | float = "low",
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[ChunkEvent], None] | None = None,
    ):
        super().__init__(on_event)
        if stream_factory is None or query_devices is None:
            sd = _sounddevice()
            stream_factory = stream_factory or sd.OutputStream
            if query_devices is None:
                query_devices = sd.query_devices
                if default_device is None:
                    default_device = _default_output(sd)
        try:
            devices = list(query_devices())
        except Exception as err:  # PortAudio errors when no audio system at all
            raise KioskError(f"cannot list sound devices: {err}. {NO_DEVICE_HINT}") from None
        self.device_index = resolve_output_device(device, devices, default_device)
        self.device_name = str(devices[self.device_index].get("name", self.device_index))
        self._factory = stream_factory
        self._latency = latency
        self._clock = clock
        self._stream: Any = None
        self._running = False
        self._opened_at = 0.0

    def _open(self, sample_rate: int) -> None:
        try:
            self._stream = self._factory(
                samplerate=sample_rate,
                channels=1,
                dtype="int16",
                device=self.device_index,
                latency=self._latency,
            )
        except Exception as err:
            raise KioskError(
                f"cannot open sound device {self.device_name!r} at {sample_rate} Hz: {err}"
            ) from None
        self._opened_at = self._clock()
        logger.info("playing on %r at %d Hz", self.device_name, sample_rate)

    def _write(self, block: np.ndarray) -> None:
        try:
            if not self._running:
                self._stream.start()
                self._running = True
            self._stream.write(np.ascontiguousarray(block, dtype=np.int16).reshape(-1, 1))
        except Exception as err:  # PortAudio errors are plain Exceptions
            self._lost()
            raise KioskError(f"the sound device {self.device_name!r} failed: {err}") from None

    def _lost(self) -> None:
        """Forget a stream that failed; the next :meth:`open` opens a new one."""
        stream, self._stream, self._running, self.sample_rate = self._stream, None, False, 0
        try:
            stream.abort()
            stream.close()
        except Exception as err:
            logger.debug("closing the failed output stream: %s", err)

    def now(self) -> float:
        latency = getattr(self._stream, "latency", 0.0) or 0.0
        return self._clock() - self._opened_at + float(latency)

    def abort(self) -> None:
        if self._stream is not None and self._running:
            try:
                self._stream.abort()  # drops queued buffers, unlike stop()
            except Exception:
                self._lost()
            self._running = False

    def drain(self) -> None:
        if self._stream is not None and self._running:
            try:
                self._stream.stop()  # returns when queued audio has been played
            except Exception as err:  # PortAudio errors are plain Exceptions
                self._lost()
                raise KioskError(f"the sound device {self.device_name!r} failed: {err}") from None
            self._running = False

    def close(self) -> None:
        if self._stream is not None:
            self.abort()
            self._stream.close()
            self._stream = None
            self.sample_rate = 0


def _default_output(sd: Any) -> int | None:
    try:
        default = sd.default.device[1]
    except Exception:
        return None
    return int(default) if default is not None and int(default) >= 0 else None
