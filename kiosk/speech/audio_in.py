"""Audio in: WAV files and the microphone, always as 16 kHz mono int16 samples.

``read_wav`` converts any common WAV (rate, channels, bit depth) with soundfile + soxr and turns
every way a file can be wrong into a :class:`KioskError` that names the file.
``Microphone`` wraps a sounddevice input stream; the stream factory is injected so that it can
be tested without a sound card (see ``FakeInputStream`` in the tests).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

#: The sample rate every part of the kiosk works in (what the Vosk models expect).
SAMPLE_RATE = 16000
#: A microphone that delivers no block for this long is broken, not quiet (seconds).
NO_AUDIO_TIMEOUT_S = 2.0

_RIFF_MAGICS = (b"RIFF", b"RIFX", b"RF64")
_MIN_WAV_HEADER = 44  # RIFF header + fmt chunk + data chunk header


def read_wav(path: str | Path) -> np.ndarray:
    """Read a WAV file as 16 kHz mono int16 samples (channels averaged, rate converted).

    Raises :class:`KioskError` naming the file when it is missing, empty, has a truncated
    header, is not audio at all, holds no samples, or is in a format libsndfile cannot read.
    """
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise KioskError(f"{path}: no such file")
    if path.is_dir():
        raise KioskError(f"{path}: is a folder, not a WAV file")
    size = path.stat().st_size
    if size == 0:
        raise KioskError(f"{path}: the file is empty (0 bytes); record it again")
    with path.open("rb") as fh:
        head = fh.read(_MIN_WAV_HEADER)
    is_riff = head[:4] in _RIFF_MAGICS and head[8:12] == b"WAVE"
    if head[:4] in _RIFF_MAGICS and len(head) < _MIN_WAV_HEADER:
        raise KioskError(f"{path}: truncated WAV header ({size} bytes); the file is damaged")
    try:
        info = sf.info(str(path))
        if info.frames == 0:
            raise KioskError(f"{path}: the WAV file contains no audio samples")
        if info.samplerate == SAMPLE_RATE and info.channels == 1:
            data = sf.read(str(path), dtype="int16", always_2d=False)[0]
            return np.ascontiguousarray(data, dtype=np.int16)
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except KioskError:
        raise
    except (RuntimeError, ValueError, OSError) as err:  # soundfile.LibsndfileError is a RuntimeError
        if not is_riff and head[:4] not in _RIFF_MAGICS:
            kind = "text" if _looks_like_text(head) else "data"
            raise KioskError(
                f"{path}: not a WAV file (it looks like {kind}; expected a RIFF/WAVE header)"
            ) from None
        if is_riff:
            raise KioskError(
                f"{path}: unsupported or damaged WAV file ({_short(err)}); "
                "save it as 16-bit PCM WAV"
            ) from None
        raise KioskError(f"{path}: truncated or damaged WAV header ({_short(err)})") from None
    return to_16k_mono(data, rate)


def write_wav(path: str | Path, samples: np.ndarray) -> Path:
    """Write 16 kHz mono int16 ``samples`` as a 16-bit PCM WAV, atomically: a file that is
    there is whole (written under a temporary name, then renamed)."""
    import soundfile as sf

    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        sf.write(str(partial), np.asarray(samples, dtype=np.int16), SAMPLE_RATE,
                 subtype="PCM_16", format="WAV")
        os.replace(partial, path)
    except (RuntimeError, OSError) as err:
        partial.unlink(missing_ok=True)
        raise KioskError(f"{path}: cannot write the recording ({_short(err)})") from None
    return path


def to_16k_mono(data: np.ndarray, rate: int) -> np.ndarray:
    """Float samples in [-1, 1], shape (frames,) or (frames, channels) -> 16 kHz mono int16."""
    import soxr

    mono = data.mean(axis=1) if data.ndim == 2 else data
    mono = np.asarray(mono, dtype=np.float32)
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
    samples: np.ndarray = (np.clip(mono, -1.0, 1.0) * 32767.0).round().astype(np.int16)
    return samples


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _short(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


# --------------------------------------------------------------------------- devices


@dataclass(frozen=True)
class DeviceInfo:
    """One sound device as PortAudio reports it."""

    index: int
    name: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False

    @property
    def is_input(self) -> bool:
        return self.max_input_channels > 0

    @property
    def is_output(self) -> bool:
        return self.max_output_channels > 0


def list_devices(query: Callable[[], Any] | None = None) -> list[DeviceInfo]:
    """All sound devices (inputs and outputs). ``query`` defaults to sounddevice's."""
    default_in = default_out = -1
    if query is None:
        sd = _sounddevice()
        query = sd.query_devices
        with contextlib.suppress(TypeError, ValueError):
            default_in, default_out = (int(x) for x in sd.default.device)
    try:
        raw = query()
    except Exception as err:  # PortAudio errors are plain Exceptions
        raise KioskError(f"cannot list sound devices: {_short(err)}") from None
    devices = []
    for i, dev in enumerate(list(raw)):
        index = int(dev.get("index", i))
        devices.append(
            DeviceInfo(
                index=index,
                name=str(dev["name"]),
                max_input_channels=int(dev.get("max_input_channels", 0)),
                max_output_channels=int(dev.get("max_output_channels", 0)),
                default_samplerate=float(dev.get("default_samplerate", 0.0)),
                is_default_input=index == default_in,
                is_default_output=index == default_out,
            )
        )
    return devices


def resolve_input_device(
    device: int | str | None, devices: Sequence[DeviceInfo]
) -> int | None:
    """Device index for ``device`` (an index, a digit string, or part of a name).

    ``None`` means the system default input, which must exist. Raises :class:`KioskError`
    listing the input devices when nothing (or more than one device) matches.
    """
    inputs = [d for d in devices if d.is_input]
    names = "; ".join(f"{d.index}: {d.name}" for d in inputs) or "none found"
    if not inputs:
        raise KioskError(
            "no microphone found (no input devices); plug in the USB microphone and run "
            "'kiosk devices' to check"
        )
    if device is None or device == "":
        if any(d.is_default_input for d in inputs):
            return None
        return inputs[0].index
    if isinstance(device, int) or (isinstance(device, str) and device.strip().isdigit()):
        index = int(device)
        for d in inputs:
            if d.index == index:
                return index
        raise KioskError(f"no input device with index {index}; input devices: {names}")
    wanted = str(device).casefold()
    exact = [d for d in inputs if d.name.casefold() == wanted]
    matches = exact or [d for d in inputs if wanted in d.name.casefold()]
    if len(matches) == 1:
        return matches[0].index
    if not matches:
        raise KioskError(f"no input device named like {device!r}; input devices: {names}")
    raise KioskError(
        f"{device!r} matches several input devices ({', '.join(d.name for d in matches)}); "
        "use the index from 'kiosk devices'"
    )


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as err:  # PortAudio library missing
        raise KioskError(f"sound support is not available: {_short(err)}") from None
    return sounddevice


#: The echo-cancelled source systemd/README.md sets up ("Voice barge-in").
ECHO_CANCEL_SOURCE = "kiosk_mic"


def echo_cancel_missing(input_device: int | str | None,
                        pactl: Callable[[list[str]], str] | None = None) -> str | None:
    """Why the microphone is not echo-cancelled, or None when it is.

    Voice barge-in needs the sound server's echo canceller between the microphone and the
    kiosk: the default source must come from PulseAudio's ``module-echo-cancel`` (or be
    named ``kiosk_mic``, as systemd/README.md sets up, e.g. with PipeWire) and the kiosk must
    record from the default device. ``pactl`` runs ``pactl ARGS`` and returns its output
    (injectable for tests)."""
    if input_device not in (None, "", "default", "pulse"):
        return (f"input_device is {input_device!r}; barge-in needs the default device, the "
                "sound server's echo-cancelled source")
    run = pactl or _pactl
    try:
        info = run(["info"])
        sources = run(["list", "short", "sources"])
    except (OSError, RuntimeError) as err:
        return f"cannot ask the sound server which source is the default ({_short(err)})"
    default = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                    if line.startswith("Default Source:")), "")
    if not default:
        return "the sound server names no default source"
    for line in sources.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1] == default:
            if "echo-cancel" in parts[2] or default == ECHO_CANCEL_SOURCE:
                return None
            return (f"the default source {default!r} is not echo-cancelled (driver "
                    f"{parts[2]}); see systemd/README.md, 'Voice barge-in'")
    return f"the default source {default!r} is not in the sound server's list of sources"


def _pactl(args: list[str]) -> str:
    import subprocess

    try:
        result = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        raise RuntimeError("pactl did not answer within 5 s") from None
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"pactl exited {result.returncode}")
    return result.stdout


class Microphone:
    """16 kHz mono int16 microphone input through a bounded queue.

    The audio callback never blocks: it puts each block with ``put_nowait`` and counts (and
    logs) blocks dropped because the consumer fell behind. Use as a context manager::

        with Microphone(device="USB") as mic:
            chunk = mic.read(timeout=0.5)   # int16 ndarray, or None on timeout

    ``stream_factory`` builds the stream (default ``sounddevice.RawInputStream``) and gets the
    keyword arguments samplerate, channels, dtype, blocksize, device, latency, callback.
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        block_seconds: float = 0.1,
        queue_blocks: int = 50,
        stream_factory: Callable[..., Any] | None = None,
        devices: Sequence[DeviceInfo] | None = None,
    ) -> None:
        self.device_request = device
        self.blocksize = int(SAMPLE_RATE * block_seconds)
        self.queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=queue_blocks)
        self.overflows = 0  # blocks dropped because the queue was full
        self.driver_overflows = 0  # blocks PortAudio flagged as input overflow
        self._stream_factory = stream_factory
        self._devices = devices
        self._stream: Any = None

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.driver_overflows += 1
        block = np.frombuffer(bytes(indata), dtype=np.int16).copy()
        try:
            self.queue.put_nowait(block)
        except queue.Full:
            self.overflows += 1
            if self.overflows == 1 or self.overflows % 100 == 0:
                log.warning(
                    "microphone queue full: %d audio blocks dropped so far", self.overflows
                )

    def start(self) -> Microphone:
        factory = self._stream_factory
        devices = self._devices
        if factory is None:
            sd = _sounddevice()
            factory = sd.RawInputStream
        if devices is None:
            devices = list_devices()
        index = resolve_input_device(self.device_request, devices)
        try:
            self._stream = factory(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=self.blocksize,
                device=index,
                latency="low",
                callback=self._callback,
            )
            self._stream.start()
        except KioskError:
            raise
        except Exception as err:
            raise KioskError(
                f"cannot open microphone {self.device_request!r} at 16 kHz mono: {_short(err)}"
            ) from None
        log.info("microphone open (device %s, %d-sample blocks)", index, self.blocksize)
        return self

    #: A live source keeps recording while the kiosk speaks (see kiosk.app.runner).
    live = True

    def reopen(self) -> None:
        """Close the stream (if any) and open it again, as after the device went away;
        :class:`KioskError` when it cannot be opened now."""
        try:
            self.stop()
        except Exception as err:  # PortAudio errors are plain Exceptions; the stream is gone
            log.debug("closing the lost microphone stream failed: %s", _short(err))
            self._stream = None
        self.flush()
        self.start()

    def flush(self) -> int:
        """Drop every queued block (audio captured before now); how many were dropped."""
        dropped = 0
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return dropped
            dropped += 1

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        """The next block of samples, or ``None`` if none arrived within ``timeout`` s."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def blocks(self) -> Iterator[np.ndarray]:
        """Blocks as they arrive, without end; :class:`KioskError` when none arrives within
        ``NO_AUDIO_TIMEOUT_S``."""
        while True:
            block = self.read(timeout=NO_AUDIO_TIMEOUT_S)
            if block is None:
                raise KioskError(
                    f"the microphone sends no audio (nothing for {NO_AUDIO_TIMEOUT_S:g} s)")
            yield block

    def stop(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            finally:
                self._stream = None
            if self.overflows or self.driver_overflows:
                log.warning(
                    "microphone closed; %d blocks dropped (queue full), %d driver overflows",
                    self.overflows,
                    self.driver_overflows,
                )

    def __enter__(self) -> Microphone:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
