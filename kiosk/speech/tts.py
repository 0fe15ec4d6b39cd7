"""Dutch speech output: engines that turn text into samples, and a Speaker that plays utterances.

* :class:`SpeechEngine` is the interface (``sample_rate``, ``synthesize(text, settings)``).
  :class:`Pyttsx3Engine` (pyttsx3's espeak-ng driver, in-process) and :class:`EspeakNgEngine`
  (``espeak-ng --stdout`` subprocess) implement it; :func:`make_engine` picks one by name, and
  another engine (Piper, say) only needs an entry in :data:`ENGINES`.
* :class:`Speaker` applies the pronunciation lexicon, splits long sentences at clause
  boundaries, synthesises chunk N+1 on a worker thread while chunk N plays, inserts the pauses,
  and plays small blocks through a sink so that :meth:`Speaker.stop` is heard at once.

Engines apply ``settings.rate_wpm``; the Speaker applies ``settings.volume`` as a gain on the
samples, the same for every engine.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from kiosk.core.utterance import Utterance
from kiosk.core.voice_settings import VoiceSettings
from kiosk.errors import KioskError
from kiosk.speech.audio_out import AudioSink, ChunkEvent
from kiosk.speech.lexicon import Lexicon

logger = logging.getLogger(__name__)

LANGUAGE = "nl"
INSTALL_HINT = "Install espeak-ng with its Dutch voice: sudo apt-get install espeak-ng"


class SpeechEngine(Protocol):
    """Text in, int16 mono samples out. ``synthesize`` may be slow; it is never called from two
    threads at once by the Speaker, but engines should be safe if it is."""

    name: str
    sample_rate: int

    def synthesize(self, text: str, settings: VoiceSettings) -> np.ndarray: ...


# --- helpers shared by the engines --------------------------------------------------------------


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def trim_trailing_silence(
    samples: np.ndarray, sample_rate: int, threshold: int = 64, keep_s: float = 0.02
) -> np.ndarray:
    """Cut the engine's own end-of-text pause: the Speaker inserts the pauses it wants."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    if len(loud) == 0:
        return samples[:0]
    end = min(len(samples), int(loud[-1]) + 1 + int(keep_s * sample_rate))
    return samples[:end]


def apply_volume(samples: np.ndarray, volume: float) -> np.ndarray:
    """Linear gain 0..1 (clipped) on int16 samples."""
    if volume >= 0.999:
        return samples
    scaled = samples.astype(np.float32) * max(0.0, float(volume))
    louder: np.ndarray = np.clip(scaled, -32768, 32767).astype(np.int16)
    return louder


def parse_wav_bytes(data: bytes) -> tuple[int, np.ndarray]:
    """(sample rate, int16 samples) of a 16-bit mono WAV in memory. libsndfile reads the
    bogus length fields that ``espeak-ng --stdout`` writes (it cannot seek back to fill them
    in) as "to the end of the stream"."""
    import soundfile

    try:
        info = soundfile.info(io.BytesIO(data))
        samples, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=False)
    except (RuntimeError, TypeError, ValueError) as err:  # LibsndfileError is a RuntimeError
        raise ValueError(f"not a WAV stream ({err})") from None
    if info.channels != 1 or info.subtype != "PCM_16":
        raise ValueError(f"expected 16-bit mono audio, got {info.channels} ch {info.subtype}")
    return int(rate), np.asarray(samples, dtype=np.int16)


def choose_voice(voices: Iterable[Any], language: str = LANGUAGE) -> str:
    """The id of the best voice for ``language`` from an engine's voice list.

    Voices are objects with ``id`` and ``languages`` (pyttsx3's ``Voice``). An exact language
    match beats a regional one (``nl`` before ``nl-be``); MBROLA voices (``mb/...``) come last
    because they need extra packages.
    """
    candidates = []
    for voice in voices:
        langs = [str(lang).lower().lstrip("\x05") for lang in (getattr(voice, "languages", None) or [])]
        vid = str(getattr(voice, "id", ""))
        exact = language in langs
        regional = any(lang.startswith(language + "-") or lang.startswith(language + "_") for lang in langs)
        if exact or regional:
            candidates.append((0 if exact else 1, 1 if "mb-" in vid or vid.startswith("mb/") else 0, vid))
    if not candidates:
        raise KioskError(f"no Dutch ({language}) voice found for speech output. {INSTALL_HINT}")
    return sorted(candidates)[0][2]


# --- engines ------------------------------------------------------------------------------------

#: One lock for everything that goes through libespeak-ng in this process (it is not re-entrant).
_ESPEAK_LOCK = threading.Lock()


class Pyttsx3Engine:
    """pyttsx3 with its espeak-ng driver: one ``save_to_file`` into a temp WAV per chunk.

    Not the default (see :func:`make_engine`): rate changes are not reliably applied.

    pyttsx3's own playback is never used (on Linux it blocks in ``aplay`` and cannot be
    stopped). Its driver prints "Audio saved to ..." on stdout; that is swallowed here.
    """

    name = "pyttsx3"
    #: pyttsx3's espeak driver always writes 22050 Hz WAVs.
    sample_rate = 22050

    def __init__(self, language: str = LANGUAGE, init: Callable[[], Any] | None = None):
        try:
            if init is None:
                import pyttsx3

                init = pyttsx3.init
            self._engine = init()
            voices = self._engine.getProperty("voices")
        except (ImportError, OSError, RuntimeError) as err:
            raise KioskError(f"cannot start pyttsx3 speech: {err}. {INSTALL_HINT}") from None
        self.voice_id = choose_voice(voices, language)
        self._tmpdir = tempfile.mkdtemp(prefix="kiosk-tts-")
        self._count = 0
        # Warm up: pyttsx3 2.99's first save_to_file may return before the file is written
        # (seen here at slow rates); better to meet that now than on a visitor's first sentence.
        self.synthesize("a", VoiceSettings())

    def synthesize(self, text: str, settings: VoiceSettings) -> np.ndarray:
        if not has_words(text):  # pyttsx3 waits forever when given nothing to say
            return np.zeros(0, dtype=np.int16)
        import soundfile

        with _ESPEAK_LOCK:
            self._count += 1
            path = os.path.join(self._tmpdir, f"chunk{self._count}.wav")
            engine = self._engine
            engine.setProperty("voice", self.voice_id)
            engine.setProperty("rate", int(settings.rate_wpm))
            engine.setProperty("volume", 1.0)
            for _attempt in range(2):
                with contextlib.redirect_stdout(io.StringIO()):
                    engine.save_to_file(text, path)
                    engine.runAndWait()
                if os.path.exists(path):
                    break
                logger.warning("pyttsx3 returned before writing its WAV file; trying again")
            else:
                raise RuntimeError("pyttsx3 returned twice without writing the WAV file")
            try:
                samples, rate = soundfile.read(path, dtype="int16")
            finally:
                with contextlib.suppress(OSError):
                    os.remove(path)
        if rate != self.sample_rate:
            raise RuntimeError(f"pyttsx3 wrote {rate} Hz, expected {self.sample_rate} Hz")
        return trim_trailing_silence(np.asarray(samples, dtype=np.int16).reshape(-1), rate)

    def close(self) -> None:
        shutil.rmtree(self._tmpdir, ignore_errors=True)


def _espeak_voices(executable: str, language: str) -> list[Any]:
    """espeak-ng's voice list for ``language`` as objects with ``id`` and ``languages``."""
    out = subprocess.run(
        [executable, f"--voices={language}"], capture_output=True, text=True, timeout=10
    ).stdout
    voices = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5:
            voices.append(_Voice(id=parts[4], languages=[parts[1]]))
    return voices


@dataclass
class _Voice:
    id: str
    languages: list[str] = field(default_factory=list)


class EspeakNgEngine:
    """``espeak-ng -v <voice> -s <wpm> --stdout`` as a subprocess per chunk (the fallback)."""

    name = "espeak-ng"

    def __init__(
        self, language: str = LANGUAGE, executable: str = "espeak-ng", timeout_s: float = 5.0,
        timeout_s_per_char: float = 0.05,
    ):
        path = shutil.which(executable)
        if path is None:
            raise KioskError(f"{executable} not found. {INSTALL_HINT}")
        self.executable = path
        #: A run may take ``timeout_s`` + ``timeout_s_per_char`` per character before it
        #: counts as hung and is killed (espeak-ng makes a long sentence in well under 1 s).
        self.timeout_s = timeout_s
        self.timeout_s_per_char = timeout_s_per_char
        self.voice_id = choose_voice(_espeak_voices(path, language), language)
        rate, _ = parse_wav_bytes(self._run("a", 175))
        self.sample_rate = rate

    def _run(self, text: str, rate_wpm: int) -> bytes:
        timeout = self.timeout_s + self.timeout_s_per_char * len(text)
        try:
            result = subprocess.run(
                [self.executable, "-v", self.voice_id, "-s", str(int(rate_wpm)), "-b", "1",
                 "--stdout"],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"espeak-ng hung (no result after {timeout:.1f} s for {len(text)} characters)"
            ) from None
        if result.returncode != 0:
            raise RuntimeError(
                f"espeak-ng failed ({result.returncode}): {result.stderr.decode(errors='replace')}"
            )
        return result.stdout

    def synthesize(self, text: str, settings: VoiceSettings) -> np.ndarray:
        if not has_words(text):
            return np.zeros(0, dtype=np.int16)
        rate, samples = parse_wav_bytes(self._run(text, settings.rate_wpm))
        if rate != self.sample_rate:
            raise RuntimeError(f"espeak-ng wrote {rate} Hz, expected {self.sample_rate} Hz")
        return trim_trailing_silence(samples, rate)


#: Engine name -> factory(language). Add Piper (or any other) here; nothing else changes.
ENGINES: dict[str, Callable[[str], SpeechEngine]] = {
    "pyttsx3": Pyttsx3Engine,
    "espeak-ng": EspeakNgEngine,
}
DEFAULT_ENGINE = "auto"


def make_engine(name: str = DEFAULT_ENGINE, language: str = LANGUAGE) -> SpeechEngine:
    """The engine called ``name``.

    ``"auto"`` is the espeak-ng program, falling back to pyttsx3. pyttsx3 2.99 is not the
    default because here it proved unreliable: its first ``save_to_file`` sometimes returned
    before the WAV was written, and rate changes between chunks were sometimes ignored (its
    espeak driver runs libespeak-ng asynchronously and reuses one global engine).
    """
    if name == "auto":
        try:
            return ENGINES["espeak-ng"](language)
        except KioskError as err:
            logger.warning("espeak-ng program unavailable (%s); trying pyttsx3", err)
            return ENGINES["pyttsx3"](language)
    if name not in ENGINES:
        raise KioskError(
            f"unknown speech engine {name!r}; choose one of: auto, {', '.join(sorted(ENGINES))}"
        )
    return ENGINES[name](language)


# --- chunking -----------------------------------------------------------------------------------

#: Split points inside a long sentence: after , ; : or before a dash between spaces.
_CLAUSE_SPLIT = re.compile(r"(?<=[,;:])\s+|\s+(?=[–—-]\s)")


#: A clause longer than this, with no boundary in it, is split between words.
HARD_MAX_CHARS = 240


def split_clauses(text: str, max_chars: int = 160) -> list[str]:
    """Split ``text`` at clause boundaries into pieces of at most ``max_chars`` where possible.

    Pieces are merged greedily, so short clauses stay together. A clause without a boundary
    is only split between words when it is longer than :data:`HARD_MAX_CHARS`.
    """
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    for clause in _CLAUSE_SPLIT.split(text):
        while len(clause) > max(max_chars, HARD_MAX_CHARS):
            max_chars_here = max(max_chars, HARD_MAX_CHARS)
            cut = clause.rfind(" ", 0, max_chars_here)
            cut = cut if cut > 0 else max_chars_here
            pieces.append(clause[:cut])
            clause = clause[cut:].strip()
        if clause:
            pieces.append(clause)
    merged: list[str] = []
    for piece in pieces:
        if merged and len(merged[-1]) + 1 + len(piece) <= max_chars:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


@dataclass(frozen=True)
class Chunk:
    """One piece of audio to synthesise: ``text`` is what the engine gets (after the lexicon)."""

    utterance: int
    text: str
    pause_after: float


def plan_chunks(
    utterances: Sequence[Utterance],
    lexicon: Lexicon | None = None,
    *,
    start: int = 0,
    max_chars: int = 160,
    first_max_chars: int = 80,
    clause_pause_s: float = 0.15,
) -> list[Chunk]:
    """The chunks for ``utterances[start:]``. The very first chunk is kept short
    (``first_max_chars``) so that the first sound comes quickly."""
    chunks: list[Chunk] = []
    for index in range(start, len(utterances)):
        utterance = utterances[index]
        spoken = lexicon.apply(utterance.text) if lexicon is not None else utterance.text
        if not chunks:
            head = split_clauses(spoken, first_max_chars)
            pieces = head[:1] + split_clauses(" ".join(head[1:]), max_chars) if head else []
        else:
            pieces = split_clauses(spoken, max_chars)
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            chunks.append(Chunk(index, piece, utterance.pause_after if last else clause_pause_s))
    return chunks


# --- the speaker --------------------------------------------------------------------------------


@dataclass
class SpeakResult:
    """How a ``speak`` call ended: ``completed`` is False when stopped; ``failed`` lists the
    utterance indices whose synthesis failed (skipped, logged once each, without traceback)."""

    completed: bool
    events: list[ChunkEvent]
    failed: list[int]
    last_index: int | None
    #: Why speaking failed (synthesis or the sound device), or None.
    error: str | None = None


_DONE = object()


class Speaker:
    """Speaks utterances through a sink; ``stop()`` from any thread silences it within a block.

    ``current_index`` is the utterance now being spoken (or last spoken): to repeat the current
    sentence, ``stop()`` and ``speak(utterances, start=speaker.current_index)``. Change
    ``speaker.settings`` at any time: volume applies from the next chunk played, rate from the
    next chunk synthesised.
    """

    def __init__(
        self,
        engine: SpeechEngine,
        sink: AudioSink,
        lexicon: Lexicon | None = None,
        settings: VoiceSettings | None = None,
        *,
        block_s: float = 0.02,
        max_chunk_chars: int = 160,
        first_chunk_chars: int = 80,
        clause_pause_s: float = 0.15,
        lookahead: int = 2,
    ):
        self.engine = engine
        self.sink = sink
        self.lexicon = lexicon
        self.settings = settings or VoiceSettings()
        self.block_s = block_s
        self.max_chunk_chars = max_chunk_chars
        self.first_chunk_chars = first_chunk_chars
        self.clause_pause_s = clause_pause_s
        self.lookahead = lookahead
        self._stop_event = threading.Event()
        self._current: int | None = None
        self._thread: threading.Thread | None = None
        self._result: SpeakResult | None = None
        self._speaking = threading.Event()
        self._sounding = False

    @property
    def current_index(self) -> int | None:
        return self._current

    @property
    def sounding(self) -> bool:
        """The last start has begun to play: its first chunk reached the sink (synthesis
        takes a moment first, longer on a busy machine)."""
        return self._sounding

    @property
    def is_speaking(self) -> bool:
        return self._speaking.is_set()

    def stop(self) -> None:
        """Silence now (thread-safe); ``speak`` returns with ``completed=False``."""
        self._stop_event.set()

    # -- blocking ----------------------------------------------------------------------------
    def speak(self, utterances: Sequence[Utterance], start: int = 0) -> SpeakResult:
        """Say ``utterances[start:]``; returns when done or stopped."""
        stop = threading.Event()
        self._stop_event = stop
        self._speaking.set()
        self._sounding = False
        try:
            return self._speak(utterances, start, stop)
        finally:
            self._speaking.clear()

    def _speak(self, utterances: Sequence[Utterance], start: int, stop: threading.Event) -> SpeakResult:
        chunks = plan_chunks(
            utterances,
            self.lexicon,
            start=start,
            max_chars=self.max_chunk_chars,
            first_max_chars=self.first_chunk_chars,
            clause_pause_s=self.clause_pause_s,
        )
        sink = self.sink
        sink.open(self.engine.sample_rate)
        events: list[ChunkEvent] = []
        errors: list[str] = []
        ready: queue.Queue[Any] = queue.Queue(maxsize=max(1, self.lookahead))
        worker = threading.Thread(
            target=self._synthesise_all, args=(chunks, ready, stop, errors), name="kiosk-tts",
            daemon=True
        )
        worker.start()
        failed: list[int] = []
        block = max(1, int(self.block_s * self.engine.sample_rate))
        stopped = False
        for number in range(len(chunks)):
            item = self._next(ready, stop)
            if item is None or item is _DONE:
                stopped = item is None
                break
            chunk, samples = item
            if samples is None:
                failed.append(chunk.utterance)
                continue
            self._current = chunk.utterance
            self._sounding = True
            samples = apply_volume(samples, self.settings.volume)
            sink.begin_chunk(number, chunk.text, chunk.utterance)
            stopped = not self._play(samples, block, stop)
            event = sink.end_chunk()
            if event is not None:
                events.append(event)
            if stopped:
                break
            if number < len(chunks) - 1 and chunk.pause_after > 0:
                silence = np.zeros(int(chunk.pause_after * self.engine.sample_rate), np.int16)
                if not self._play(silence, block, stop):
                    stopped = True
                    break
        stopped = stopped or stop.is_set()
        if stopped:
            sink.abort()
        else:
            sink.drain()
        return SpeakResult(not stopped, events, failed, self._current,
                           errors[0] if errors else None)

    def _play(self, samples: np.ndarray, block: int, stop: threading.Event) -> bool:
        """Write in small blocks; False as soon as ``stop`` is set."""
        for begin in range(0, len(samples), block):
            if stop.is_set():
                return False
            self.sink.write(samples[begin : begin + block])
        return not stop.is_set()

    @staticmethod
    def _next(ready: queue.Queue[Any], stop: threading.Event) -> Any:
        while not stop.is_set():
            try:
                return ready.get(timeout=0.01)
            except queue.Empty:
                continue
        return None

    def _synthesise_all(self, chunks: list[Chunk], ready: queue.Queue[Any], stop: threading.Event,
                        errors: list[str]) -> None:
        for chunk in chunks:
            if stop.is_set():
                return
            try:
                samples: np.ndarray | None = self.engine.synthesize(chunk.text, self.settings)
            except Exception as err:  # one bad chunk must not silence the kiosk
                errors.append(f"{type(err).__name__}: {err}")
                logger.error("speech synthesis failed for %r (%s); skipping it",
                             chunk.text[:60], errors[-1])
                samples = None
            if not self._put(ready, (chunk, samples), stop):
                return
        self._put(ready, _DONE, stop)

    @staticmethod
    def _put(ready: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.01)
                return True
            except queue.Full:
                continue
        return False

    # -- in the background -------------------------------------------------------------------
    def start(self, utterances: Sequence[Utterance], start: int = 0) -> None:
        """Like :meth:`speak` on a background thread; stops whatever is being said first."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            if self._thread.is_alive():  # stuck in the sound device: leave it, start afresh
                logger.error("the previous speech did not stop within 5 s; starting anew")
        self._result = None
        self._sounding = False
        self._stop_event = threading.Event()  # so a stop() right after start() is not lost
        stop = self._stop_event

        def run() -> None:
            self._speaking.set()
            try:
                self._result = self._speak(utterances, start, stop)
            except Exception as err:  # a background thread must log, not vanish
                error = f"{type(err).__name__}: {err}"
                logger.error("speaking failed: %s", error)
                with contextlib.suppress(Exception):
                    self.sink.abort()
                self._result = SpeakResult(False, [], [], self._current, error)
            finally:
                self._speaking.clear()

        self._speaking.set()
        self._thread = threading.Thread(target=run, name="kiosk-speaker", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> SpeakResult | None:
        """The result of the last :meth:`start`, or None if still speaking after ``timeout``."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return None
        return self._result
