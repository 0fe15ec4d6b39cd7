"""A loaded recogniser plus the content's matcher: one recording in, the ``kiosk listen``
JSON out. Used by ``kiosk listen`` and by the audio benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kiosk.app.classifier_store import cached_train
from kiosk.core.content import Content, load_content
from kiosk.core.matching import Matcher
from kiosk.errors import KioskError
from kiosk.speech.audio_in import SAMPLE_RATE, read_wav
from kiosk.speech.models import find_model
from kiosk.speech.recognizer import GRAMMAR, MODES, VoskRecognizer, check_model_dir, load_model


def _load_content(content: Any) -> Content:
    """A Content object from a Content, a folder, or None (the bundled content)."""
    if isinstance(content, Content):
        return content
    return load_content(content) if content is not None else load_content()


def resolve_model_path(model_path: str | Path | None) -> Path:
    """The model folder: the given one (checked), else :func:`kiosk.speech.models.find_model`."""
    if model_path:
        return check_model_dir(model_path)
    return find_model()


def read_phrases(path: str | Path) -> list[str]:
    """One grammar phrase per line (blank lines and ``#`` comments skipped)."""
    path = Path(path)
    if not path.is_file():
        raise KioskError(f"{path}: no such phrase file")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class Pipeline:
    """A loaded recogniser plus the content's matcher: recording in, result dict out."""

    def __init__(
        self,
        recognizer: VoskRecognizer,
        matcher: Any = None,
        *,
        load_seconds: float = 0.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.recognizer = recognizer
        self.matcher = matcher
        self.load_seconds = load_seconds
        self._clock = clock

    @classmethod
    def create(
        cls,
        model_path: str | Path | None = None,
        mode: str = GRAMMAR,
        content: Any = None,
        phrases: Iterable[str] | None = None,
    ) -> Pipeline:
        """Load content, model and recogniser. ``phrases`` overrides the content's grammar
        phrases (for a model in another language, e.g. the Korean test model)."""
        if mode not in MODES:
            raise KioskError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        content_obj = _load_content(content)
        if phrases is None and mode == GRAMMAR:
            phrases = content_obj.recognizer_phrases()
        path = resolve_model_path(model_path)
        model, load_s = load_model(path)
        recognizer = VoskRecognizer(model, mode=mode, phrases=phrases, load_seconds=load_s)
        return cls(recognizer, Matcher(content_obj, trainer=cached_train), load_seconds=load_s)

    def match(self, text: str) -> tuple[dict[str, Any], float]:
        """``(match json, match seconds)``; without a matcher the intent is ``none``."""
        start = self._clock()
        if self.matcher is None:
            out: dict[str, Any] = {"intent": {"kind": "none"}, "score": 0.0}
        else:
            out = dict(self.matcher.match(text).to_json())
        return out, self._clock() - start

    def listen_file(self, path: str | Path, samples: Any = None) -> dict[str, Any]:
        """The ``kiosk listen --json`` object for one recording (``samples``: already read
        16 kHz mono int16 audio of ``path``)."""
        if samples is None:
            samples = read_wav(path)
        transcript = self.recognizer.transcribe(samples)
        matched, match_s = self.match(transcript.text)
        result: dict[str, Any] = {
            "file": str(path),
            "heard": transcript.text,
            "intent": matched.get("intent", {"kind": "none"}),
            "score": matched.get("score", 0.0),
        }
        for optional in ("candidates", "guess"):
            if matched.get(optional):
                result[optional] = matched[optional]
        result["confidence"] = round(transcript.confidence, 4)
        result["words"] = transcript.to_json()["words"]
        audio_s = len(samples) / SAMPLE_RATE
        result["timings"] = {
            "load_s": round(self.load_seconds, 4),
            "decode_s": round(transcript.decode_seconds, 4),
            "audio_s": round(audio_s, 4),
            "rtf": round(transcript.decode_seconds / audio_s, 4) if audio_s else 0.0,
            "match_s": round(match_s, 6),
        }
        return result
