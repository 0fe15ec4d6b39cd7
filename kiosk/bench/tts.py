"""``kiosk bench --tts``: how quickly the kiosk starts and stops speaking, on this machine.

For each engine: time from a speak request to the first audio sample handed to the sink, for a
typical sentence and for the longest section; the real-time factor of synthesis (synthesis
time / audio duration) over the longest section; and the time from ``stop()`` to silence,
measured with a silent sink that takes real time per block like a sound card
(:class:`~kiosk.speech.audio_out.PacedSilentSink`). A real sound card adds its own output latency
(``latency="low"``: typically 10-30 ms) to the first-audio figure.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from kiosk.core.utterance import Utterance
from kiosk.core.voice_settings import VoiceSettings
from kiosk.errors import KioskError
from kiosk.speech.audio_out import PacedSilentSink, SilentSink
from kiosk.speech.lexicon import LEXICON_FILE, Lexicon, load_lexicon
from kiosk.speech.tts import Speaker, SpeechEngine, make_engine, plan_chunks

TARGET_FIRST_AUDIO_S = 0.15
TARGET_STOP_S = 0.1
TYPICAL_SECTION = "afvallen"
FALLBACK_SENTENCE = "De knieën en heupen dragen bij iedere stap het volledige lichaamsgewicht."


class _FirstAudioSink(SilentSink):
    """A silent test double that notes when the first sample arrives, then stops the speaker."""

    def __init__(self) -> None:
        super().__init__()
        self.first_at: float | None = None
        self.speaker: Speaker | None = None

    def _write(self, block: np.ndarray) -> None:
        if self.first_at is None:
            self.first_at = time.perf_counter()
            if self.speaker is not None:
                self.speaker.stop()


def first_audio_s(engine: SpeechEngine, utterances: Sequence[Utterance], lexicon: Lexicon | None,
                  settings: VoiceSettings) -> float:
    """Seconds from ``speak()`` to the first sample reaching the sink."""
    sink = _FirstAudioSink()
    speaker = Speaker(engine, sink, lexicon, settings)
    sink.speaker = speaker
    started = time.perf_counter()
    speaker.speak(utterances)
    if sink.first_at is None:
        raise KioskError("the speech engine produced no audio")
    return sink.first_at - started


def synthesis_rtf(engine: SpeechEngine, utterances: Sequence[Utterance], lexicon: Lexicon | None,
                  settings: VoiceSettings) -> tuple[float, float]:
    """(real-time factor, seconds of audio) of synthesising every chunk of ``utterances``."""
    busy, samples = 0.0, 0
    for chunk in plan_chunks(utterances, lexicon):
        started = time.perf_counter()
        audio = engine.synthesize(chunk.text, settings)
        busy += time.perf_counter() - started
        samples += len(audio)
    seconds = samples / engine.sample_rate
    return (busy / seconds if seconds else float("nan")), seconds


def stop_to_silence_s(engine: SpeechEngine, utterances: Sequence[Utterance],
                      lexicon: Lexicon | None, settings: VoiceSettings,
                      after_s: float = 0.5) -> float:
    """Seconds from ``stop()`` to the sink being silenced, after ``after_s`` of real playback."""
    sink = PacedSilentSink()
    speaker = Speaker(engine, sink, lexicon, settings)
    playing = threading.Event()
    speaker.start(utterances)
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        if sink.sample_rate and sink.frames_written >= after_s * sink.sample_rate:
            playing.set()
            break
        time.sleep(0.005)
    if not playing.is_set():
        speaker.stop()
        raise KioskError("speech did not start within 30 s")
    asked = time.perf_counter()
    speaker.stop()
    speaker.wait(30)
    silent_at = sink.aborted_at if sink.aborted_at is not None else sink.last_write_at
    return max(0.0, (silent_at or asked) - asked)


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 4), "max": round(max(values), 4)}


def run_tts_bench(content: Any = None, engines: Sequence[str] = ("espeak-ng", "pyttsx3"),
                  repeats: int = 5, settings: VoiceSettings | None = None) -> dict[str, Any]:
    """Measure every engine in ``engines`` on the content's sections (see module doc)."""
    settings = settings or VoiceSettings()
    lexicon: Lexicon | None = None
    typical = [Utterance(FALLBACK_SENTENCE, "leaflet:afvallen")]
    longest_id, longest = "afvallen", typical
    if content is not None:
        path = content.directory / LEXICON_FILE
        lexicon = load_lexicon(path) if path.exists() else None
        if TYPICAL_SECTION in content.sections:
            typical = content.section_utterances(TYPICAL_SECTION)[:1]
        longest_id = max(content.sections, key=lambda sid: sum(
            len(u.text.split()) for u in content.section_utterances(sid)))
        longest = content.section_utterances(longest_id)
    result: dict[str, Any] = {
        "settings": {"rate_wpm": settings.rate_wpm, "volume": settings.volume},
        "typical_sentence": typical[0].text,
        "longest_section": longest_id,
        "repeats": repeats,
        "targets": {"first_audio_s": TARGET_FIRST_AUDIO_S, "stop_s": TARGET_STOP_S},
        "engines": {},
    }
    for name in engines:
        started = time.perf_counter()
        try:
            engine = make_engine(name)
        except KioskError as err:
            result["engines"][name] = {"error": str(err)}
            continue
        init_s = time.perf_counter() - started
        first_typical = [first_audio_s(engine, typical, lexicon, settings) for _ in range(repeats)]
        first_long = [first_audio_s(engine, longest, lexicon, settings) for _ in range(repeats)]
        rtf, audio_s = synthesis_rtf(engine, longest, lexicon, settings)
        stops = [stop_to_silence_s(engine, longest, lexicon, settings) for _ in range(repeats)]
        result["engines"][name] = {
            "init_s": round(init_s, 4),
            "first_audio_sentence_s": _summary(first_typical),
            "first_audio_longest_s": _summary(first_long),
            "synthesis_rtf": round(rtf, 4),
            "longest_audio_s": round(audio_s, 1),
            "stop_to_silence_s": _summary(stops),
            "meets_targets": max(first_typical + first_long) <= TARGET_FIRST_AUDIO_S
            and max(stops) <= TARGET_STOP_S,
        }
        close = getattr(engine, "close", None)
        if close is not None:
            close()
    return result


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of :func:`run_tts_bench`'s result (medians, with maxima in brackets)."""
    lines = [
        f"speech output at {result['settings']['rate_wpm']} wpm; longest section: "
        f"{result['longest_section']}; {result['repeats']} runs each",
        f"targets: first audio <= {result['targets']['first_audio_s']} s, "
        f"stop <= {result['targets']['stop_s']} s",
        "",
        f"{'engine':<10} {'init s':>7} {'1st audio sentence s':>21} {'1st audio longest s':>20} "
        f"{'synth RTF':>9} {'stop->silence s':>16}  ok",
    ]
    for name, row in result["engines"].items():
        if "error" in row:
            lines.append(f"{name:<10} not available: {row['error']}")
            continue

        def cell(key: str, row: dict[str, Any] = row) -> str:
            return f"{row[key]['median']:.3f} ({row[key]['max']:.3f})"

        lines.append(
            f"{name:<10} {row['init_s']:>7.3f} {cell('first_audio_sentence_s'):>21} "
            f"{cell('first_audio_longest_s'):>20} {row['synthesis_rtf']:>9.3f} "
            f"{cell('stop_to_silence_s'):>16}  {'yes' if row['meets_targets'] else 'NO'}"
        )
    return "\n".join(lines)
