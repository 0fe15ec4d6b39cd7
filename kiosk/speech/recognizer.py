"""Speech to text with Vosk: model loading, grammar or free-form decoding, endpointing.

Two ways in:

- :meth:`VoskRecognizer.transcribe` decodes a whole recording (16 kHz mono int16 samples);
- :meth:`VoskRecognizer.feed` is the streaming, utterance-level API the runner drives from the
  microphone. Each call returns an event: :class:`Partial` (still listening), :class:`Final`
  (the utterance ended; its :class:`Transcript`) or :class:`NoSpeech` (nobody spoke before the
  give-up limit). After ``Final``/``NoSpeech`` the recogniser is reset and the next ``feed``
  starts a new utterance; audio after the end inside the same chunk is discarded.

Time is counted in samples fed, never read from a clock, so endpointing is deterministic and
does not depend on how the caller cuts the audio into chunks: input is processed in fixed
blocks of :attr:`Endpointing.block_seconds`. The end of an utterance comes from

1. Vosk's own endpoint (``AcceptWaveform`` returns true after the trailing silence in the
   model's conf/model.conf; vosk 0.3.45 cannot change those delays), if
   :attr:`Endpointing.model_endpoint` is on; otherwise Vosk's segments are joined;
2. our energy VAD: :attr:`Endpointing.trailing_silence_s` of silence after speech, or in
   grammar mode only :attr:`Endpointing.phrase_silence_s` once the hypothesis is a whole
   phrase of the grammar (nothing longer is likely to follow, so waiting only adds latency);
3. :attr:`Endpointing.max_utterance_s` of audio in total;
4. :attr:`Endpointing.no_speech_s` without any speech: :class:`NoSpeech`.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from kiosk.errors import KioskError
from kiosk.speech.audio_in import SAMPLE_RATE
from kiosk.speech.grammar import Grammar, build_grammar

log = logging.getLogger(__name__)

GRAMMAR = "grammar"
FREE = "free"
MODES = (GRAMMAR, FREE)


# --------------------------------------------------------------------------- results


class Word(NamedTuple):
    """One recognised word: ``(word, conf, start, end)``, times in s from utterance start.

    After a ``Reset`` Vosk's clock is only frame-exact, so times may be a frame or two
    (30-60 ms) off; fine for showing, not for cutting audio."""

    word: str
    conf: float
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What was heard in one utterance.

    ``confidence`` is the mean word confidence (0.0 when nothing was heard);
    ``audio_seconds`` is the audio decoded, ``decode_seconds`` the processing time spent on it.
    """

    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 0.0
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0
    end_reason: str = ""

    @property
    def min_confidence(self) -> float:
        return min((w.conf for w in self.words), default=0.0)

    @property
    def rtf(self) -> float:
        return self.decode_seconds / self.audio_seconds if self.audio_seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [
                {"word": w.word, "conf": round(w.conf, 4), "start": round(w.start, 3),
                 "end": round(w.end, 3)}
                for w in self.words
            ],
            "confidence": round(self.confidence, 4),
            "audio_s": round(self.audio_seconds, 4),
            "decode_s": round(self.decode_seconds, 4),
        }


@dataclass(frozen=True)
class Partial:
    """Still listening; ``text`` is the partial hypothesis so far (may be empty)."""

    text: str = ""


@dataclass(frozen=True)
class Final:
    """The utterance ended with speech; ``reason`` is one of ``END_REASONS``."""

    transcript: Transcript

    @property
    def text(self) -> str:
        return self.transcript.text


@dataclass(frozen=True)
class NoSpeech:
    """The utterance ended without anything heard (give-up silence, or only noise)."""

    reason: str = "no-speech"


Event = Partial | Final | NoSpeech

#: Why an utterance ended (``Transcript.end_reason``).
END_REASONS = ("model-endpoint", "complete-phrase", "trailing-silence", "max-length", "finish",
               "file-end")


class Recognizer(Protocol):
    """What the runner needs from a recogniser (:class:`VoskRecognizer`, or a test double)."""

    def feed(self, chunk: np.ndarray) -> Event:
        """Take 16 kHz mono int16 samples; say whether the utterance goes on or ended."""
        ...

    def finish(self) -> Event:
        """End the current utterance now (button released, kiosk interrupted)."""
        ...

    def reset(self) -> None:
        """Forget the current utterance."""
        ...

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """Decode a whole recording as one utterance."""
        ...


# --------------------------------------------------------------------------- endpointing


@dataclass(frozen=True)
class Endpointing:
    """Limits for one utterance, in seconds of audio.

    The energy VAD calls a 20 ms frame speech when its level (dBFS) is above both
    ``vad_threshold_db`` and the tracked noise floor + ``vad_margin_db``; the noise floor falls
    at once to a quieter frame and rises slowly (so steady room noise is not speech).
    ``min_speech_s`` of speech frames in a row starts speech (a click does not).
    In grammar mode an utterance whose hypothesis is a whole phrase ends after
    ``phrase_silence_s`` of silence (None: only after ``trailing_silence_s``).
    """

    max_utterance_s: float = 12.0
    no_speech_s: float = 5.0
    trailing_silence_s: float = 1.0
    phrase_silence_s: float | None = 0.3
    model_endpoint: bool = True
    min_speech_s: float = 0.1
    vad_threshold_db: float = -45.0
    vad_margin_db: float = 12.0
    block_seconds: float = 0.1

    def __post_init__(self) -> None:
        for name in ("max_utterance_s", "no_speech_s", "trailing_silence_s", "block_seconds"):
            if not getattr(self, name) > 0:
                raise KioskError(f"endpointing: {name} must be more than 0 seconds")
        if self.phrase_silence_s is not None and not self.phrase_silence_s > 0:
            raise KioskError("endpointing: phrase_silence_s must be more than 0 seconds")


class EnergyVad:
    """A small energy-based voice-activity detector over 20 ms frames (pure, sample-counted)."""

    FRAME = SAMPLE_RATE // 50  # 20 ms

    def __init__(self, settings: Endpointing) -> None:
        self.s = settings
        self.reset()

    def reset(self) -> None:
        self.noise_db = self.s.vad_threshold_db - self.s.vad_margin_db
        self.run = 0  # speech frames in a row
        self.speech_started = False
        self.last_speech_end = 0  # sample index (from utterance start) after the last speech frame
        self.samples = 0
        self._rest = np.zeros(0, dtype=np.int16)

    @property
    def run_s(self) -> float:
        """Seconds of speech frames in a row up to now (0 after a quiet frame)."""
        return self.run * self.FRAME / SAMPLE_RATE

    @property
    def threshold_db(self) -> float:
        """The level (dBFS) above which a frame now counts as voice: the set level, or the
        noise floor plus the margin when the room is louder."""
        return max(self.s.vad_threshold_db, self.noise_db + self.s.vad_margin_db)

    @staticmethod
    def level_db(frame: np.ndarray) -> float:
        if frame.size == 0:
            return -120.0
        rms = math.sqrt(float(np.mean(np.square(frame.astype(np.float64)))))
        return 20.0 * math.log10(max(rms, 1e-6) / 32768.0)

    def process(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._rest, samples]) if self._rest.size else samples
        n_frames = data.size // self.FRAME
        min_run = max(1, round(self.s.min_speech_s * 50))
        for i in range(n_frames):
            frame = data[i * self.FRAME:(i + 1) * self.FRAME]
            db = self.level_db(frame)
            threshold = self.threshold_db
            end = self.samples + (i + 1) * self.FRAME
            if db > threshold:
                self.run += 1
                if self.run >= min_run:
                    self.speech_started = True
                    self.last_speech_end = end
                self.noise_db += 0.002 * (db - self.noise_db)
            else:
                self.run = 0
                if db < self.noise_db:
                    self.noise_db = db
                else:
                    self.noise_db += 0.02 * (db - self.noise_db)
        self.samples += n_frames * self.FRAME
        self._rest = data[n_frames * self.FRAME:].copy()


class VoiceInWindow:
    """Voice counted within a window: ``speech_started`` once ``need_s`` of the last
    ``window_s`` were voiced 20 ms frames (each judged as :class:`EnergyVad` judges it: the
    same level, the same noise floor). Same interface as the in-a-row detector the runner
    uses (``process``, ``speech_started``, ``run_s``, ``reset``)."""

    def __init__(self, settings: Endpointing, need_s: float, window_s: float) -> None:
        self.vad = EnergyVad(settings)
        self.need = max(1, round(need_s / 0.02))
        self.frames: deque[bool] = deque(maxlen=max(self.need, round(window_s / 0.02)))
        self.reset()

    def reset(self) -> None:
        self.vad.reset()
        self.frames.clear()
        self.speech_started = False
        self._rest = np.zeros(0, dtype=np.int16)

    @property
    def run_s(self) -> float:
        """Seconds voiced within the window up to now."""
        return sum(self.frames) * 0.02

    @property
    def threshold_db(self) -> float:
        return self.vad.threshold_db

    def process(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._rest, samples]) if self._rest.size else samples
        size = EnergyVad.FRAME
        whole = data.size // size
        for i in range(whole):
            self.vad.process(data[i * size:(i + 1) * size])
            self.frames.append(self.vad.run > 0)  # this frame was voice
            if sum(self.frames) >= self.need:
                self.speech_started = True
        self._rest = data[whole * size:].copy()



# --------------------------------------------------------------------------- Vosk


def check_model_dir(path: str | Path) -> Path:
    """Raise :class:`KioskError` unless ``path`` looks like an unpacked Vosk model folder."""
    path = Path(path)
    if not path.exists():
        raise KioskError(f"no voice model at {path}: the folder does not exist")
    if not path.is_dir():
        raise KioskError(f"voice model {path} is a file; give the unpacked model folder")
    if not (path / "am" / "final.mdl").is_file() and not (path / "final.mdl").is_file():
        raise KioskError(
            f"{path} is not a Vosk model folder (no am/final.mdl); "
            "give the folder that holds am/, conf/ and graph/"
        )
    return path


_MODEL_CACHE: dict[str, Any] = {}


def load_model(path: str | Path, *, clock: Callable[[], float] = time.perf_counter) -> tuple[Any, float]:
    """Load (once per process and folder) a Vosk model; returns ``(model, load_seconds)``.

    A cached model reports the load time it took the first time.
    """
    path = check_model_dir(path).resolve()
    key = str(path)
    if key in _MODEL_CACHE:
        cached: tuple[Any, float] = _MODEL_CACHE[key]
        return cached
    from kiosk.speech.offline_vosk import import_vosk  # slow, and opens no socket

    vosk = import_vosk()

    vosk.SetLogLevel(-1)
    start = clock()
    try:
        model = vosk.Model(key)
    except Exception as err:  # vosk raises a bare Exception("Failed to create a model")
        raise KioskError(f"cannot load the voice model in {path}: {err}") from None
    seconds = clock() - start
    log.info("voice model %s loaded in %.2f s", path.name, seconds)
    _MODEL_CACHE[key] = (model, seconds)
    return model, seconds


class VoskRecognizer:
    """Vosk decoding with the kiosk's endpointing. Load the model once; reuse per utterance.

    ``mode`` is ``"grammar"`` (decode only the words of ``phrases``, built with
    :func:`kiosk.speech.grammar.build_grammar`) or ``"free"`` (the model's full vocabulary).
    """

    def __init__(
        self,
        model: Any,
        *,
        mode: str = GRAMMAR,
        phrases: Iterable[str] | None = None,
        endpointing: Endpointing | None = None,
        load_seconds: float = 0.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if mode not in MODES:
            raise KioskError(f"recogniser mode must be 'grammar' or 'free', not {mode!r}")
        self.model = model
        self.mode = mode
        self.load_seconds = load_seconds
        self.endpointing = endpointing or Endpointing()
        self._clock = clock
        self.grammar: Grammar | None = None
        if mode == GRAMMAR:
            if phrases is None:
                raise KioskError("grammar mode needs phrases (from content/); or use mode 'free'")
            self.grammar = build_grammar(phrases, model)
            if not self.grammar.phrases:
                raise KioskError(
                    "none of the grammar's words is in the voice model: is it the right "
                    "language? Use mode 'free' or another model"
                )
        self._whole_phrases = frozenset(self.grammar.phrases) if self.grammar else frozenset()
        self._rec = self._new_kaldi()
        self._stream_offset = 0  # samples fed to this KaldiRecognizer before this utterance
        self.vad = EnergyVad(self.endpointing)
        self._begin()

    @classmethod
    def from_path(
        cls, path: str | Path, **kwargs: Any
    ) -> VoskRecognizer:
        model, seconds = load_model(path)
        return cls(model, load_seconds=seconds, **kwargs)

    def _new_kaldi(self) -> Any:
        from kiosk.speech.offline_vosk import import_vosk

        vosk = import_vosk()

        if self.grammar is not None:
            rec = vosk.KaldiRecognizer(self.model, SAMPLE_RATE, self.grammar.to_json())
        else:
            rec = vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        rec.SetWords(True)
        return rec

    # ------------------------------------------------------------ utterance state

    def _begin(self) -> None:
        self.vad.reset()
        self._pending = np.zeros(0, dtype=np.int16)
        self._fed = 0  # samples of this utterance given to Vosk
        self._segments: list[dict[str, Any]] = []
        self._partial = ""
        self._decode_seconds = 0.0

    def reset(self) -> None:
        """Forget the current utterance (Vosk ``Reset``); the next feed starts a new one."""
        self._rec.Reset()
        self._stream_offset += self._fed
        self._begin()

    def _accept(self, block: np.ndarray) -> bool:
        start = self._clock()
        endpoint = bool(self._rec.AcceptWaveform(block.tobytes()))
        self._fed += block.size
        if endpoint:
            self._segments.append(self._parse(self._rec.Result()))
            self._partial = ""
        else:
            self._partial = json.loads(self._rec.PartialResult()).get("partial", "")
        self._decode_seconds += self._clock() - start
        return endpoint

    def _parse(self, raw: str) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(raw)
        return parsed

    def _heard_anything(self) -> bool:
        return bool(self._partial) or any(seg.get("text") for seg in self._segments)

    def _close(self, reason: str) -> Event:
        start = self._clock()
        self._segments.append(self._parse(self._rec.FinalResult()))
        self._decode_seconds += self._clock() - start
        transcript = self._transcript(reason)
        self.reset()
        if not transcript.text:
            return NoSpeech(reason="no-speech" if reason != "max-length" else "only-noise")
        return Final(transcript)

    def _transcript(self, reason: str) -> Transcript:
        offset = self._stream_offset / SAMPLE_RATE
        words: list[Word] = []
        texts: list[str] = []
        for seg in self._segments:
            if seg.get("text"):
                texts.append(seg["text"])
            for w in seg.get("result", []):
                words.append(
                    Word(str(w["word"]), float(w.get("conf", 0.0)),
                         round(max(0.0, float(w["start"]) - offset), 3),
                         round(max(0.0, float(w["end"]) - offset), 3))
                )
        text = " ".join(" ".join(texts).split())
        conf = sum(w.conf for w in words) / len(words) if words else 0.0
        return Transcript(
            text=text,
            words=tuple(words),
            confidence=conf,
            audio_seconds=self._fed / SAMPLE_RATE,
            decode_seconds=self._decode_seconds,
            end_reason=reason,
        )

    # ------------------------------------------------------------ streaming

    def feed(self, chunk: np.ndarray) -> Event:
        """Take the next samples of the current utterance (16 kHz mono int16)."""
        chunk = _as_int16(chunk)
        data = np.concatenate([self._pending, chunk]) if self._pending.size else chunk
        block = max(1, int(SAMPLE_RATE * self.endpointing.block_seconds))
        ep = self.endpointing
        pos = 0
        while data.size - pos >= block:
            piece = data[pos:pos + block]
            pos += block
            self.vad.process(piece)
            endpoint = self._accept(piece)
            if endpoint and ep.model_endpoint and self._segments[-1].get("text"):
                return self._close("model-endpoint")
            event = self._check_limits()
            if event is not None:
                return event
        self._pending = data[pos:].copy()
        return Partial(self._current_text())

    def _check_limits(self) -> Event | None:
        ep = self.endpointing
        fed = self._fed
        speech = self.vad.speech_started or self._heard_anything()
        if fed >= ep.max_utterance_s * SAMPLE_RATE:
            return self._close("max-length")
        if not speech and fed >= ep.no_speech_s * SAMPLE_RATE:
            self.reset()
            return NoSpeech("no-speech")
        if speech:
            last = self.vad.last_speech_end if self.vad.speech_started else 0
            if fed - last >= ep.trailing_silence_s * SAMPLE_RATE and (
                self.vad.speech_started or not self._partial
            ):
                return self._close("trailing-silence")
            if (ep.phrase_silence_s is not None and self.vad.speech_started
                    and fed - last >= ep.phrase_silence_s * SAMPLE_RATE
                    and self._current_text() in self._whole_phrases):
                return self._close("complete-phrase")
        return None

    def _current_text(self) -> str:
        done = " ".join(seg["text"] for seg in self._segments if seg.get("text"))
        return " ".join(f"{done} {self._partial}".split())

    def finish(self) -> Event:
        """End the utterance now: decode what is buffered and return Final or NoSpeech."""
        if self._pending.size:
            self.vad.process(self._pending)
            self._accept(self._pending)
            self._pending = np.zeros(0, dtype=np.int16)
        return self._close("finish")

    # ------------------------------------------------------------ whole files

    def transcribe(self, samples: np.ndarray, chunk_seconds: float = 0.5) -> Transcript:
        """Decode a whole recording as one utterance (no endpointing; Vosk segments joined)."""
        self.reset()
        samples = _as_int16(samples)
        step = max(1, int(SAMPLE_RATE * chunk_seconds))
        for pos in range(0, samples.size, step):
            self._accept(samples[pos:pos + step])
        start = self._clock()
        self._segments.append(self._parse(self._rec.FinalResult()))
        self._decode_seconds += self._clock() - start
        transcript = self._transcript("file-end")
        self.reset()
        return transcript


def _as_int16(chunk: Any) -> np.ndarray:
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(chunk), dtype=np.int16)
    arr = np.asarray(chunk)
    if arr.dtype != np.int16:
        raise KioskError(f"audio must be 16-bit samples (int16), not {arr.dtype}")
    return arr.reshape(-1)


__all__ = [
    "FREE",
    "GRAMMAR",
    "Endpointing",
    "EnergyVad",
    "Event",
    "Final",
    "NoSpeech",
    "Partial",
    "Recognizer",
    "Transcript",
    "VoskRecognizer",
    "Word",
    "check_model_dir",
    "load_model",
]
