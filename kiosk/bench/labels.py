"""Labels of the benchmarks and evaluations, as the evaluation contract (docs/contract.md) defines them.

An expected answer is a section id, ``command:NAME``, ``answer:VALUE``, ``flow:NAME`` or
``none``; several acceptable ones are separated by ``|``. ``text:WORDS`` (an extension for
checking a recogniser alone) is right when exactly WORDS were heard. Shared by the text
benchmark (:mod:`kiosk.bench.text`) and the audio one (:mod:`kiosk.bench.audio`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

LABEL_KINDS = ("command", "answer", "flow", "text")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def labelled_lines(path: str | Path, header: str, what: str) -> Iterator[tuple[int, str, str, str]]:
    """The lines of a ``text<TAB>expected`` file as ``(line number, text, tab, expected)``:
    blank lines, ``#`` comments and a first line whose text is ``header`` are skipped. A missing
    or non-UTF-8 file is a :class:`KioskError` that names it (``what``: the kind of file)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise KioskError(f"{path}: no such {what}") from None
    except UnicodeDecodeError:
        raise KioskError(f"{path}: not UTF-8 text") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        text, tab, expected = line.partition("\t")
        if number == 1 and text.strip().lower() == header:
            continue
        yield number, text, tab, expected


def parse_expected(text: str, where: str = "") -> tuple[str, ...]:
    """``"stap-1|flow:stap"`` -> ``("stap-1", "flow:stap")``; KioskError if malformed."""
    options = tuple(part.strip() for part in text.split("|") if part.strip())
    if not options:
        raise KioskError(f"{where}: no expected answer (use 'none' for out-of-domain audio)")
    for option in options:
        kind, sep, value = option.partition(":")
        if sep:
            if kind not in LABEL_KINDS or not value.strip():
                raise KioskError(
                    f"{where}: {option!r} is not a label; use a section id, command:NAME, "
                    "answer:VALUE, flow:NAME, text:WORDS or none"
                )
        elif not _ID.match(option):
            raise KioskError(
                f"{where}: {option!r} is not a label (a section id, command:NAME, answer:VALUE, "
                "flow:NAME or none); for a transcripts file use --all-none"
            )
    return options


def intent_label(intent: dict[str, Any] | None) -> str:
    """An intent dict (``{"kind": "topic", "id": ...}``) in label form (``afvallen``,
    ``command:stop``, ``none``)."""
    if not intent or intent.get("kind") in (None, "none"):
        return "none"
    kind = intent["kind"]
    if kind == "topic":
        return str(intent.get("id"))
    value = intent.get("name", intent.get("value"))
    return f"{kind}:{value}"


def _norm_text(text: str) -> str:
    return " ".join(text.casefold().split())


def is_correct(expected: Sequence[str], heard: str, intent: dict[str, Any] | None) -> bool:
    """True when the intent (or, for ``text:`` labels, the transcript) is one of ``expected``."""
    got = intent_label(intent)
    for option in expected:
        if option.startswith("text:"):
            if _norm_text(option[5:]) == _norm_text(heard):
                return True
        elif option == got:
            return True
    return False


def right_after_confirming(expected: Sequence[str], result: dict[str, Any]) -> bool:
    """Right at once, or nothing matched but the guess the kiosk asks about ("bedoelt u X?")
    is one of ``expected``: right after the visitor says yes."""
    return result["correct"] or (
        asked_about_a_guess(result) and intent_label(result["guess"]) in expected)


def asked_about_a_guess(result: dict[str, Any]) -> bool:
    """Nothing matched, but the kiosk asks "bedoelt u X?" instead of "not understood"."""
    return intent_label(result.get("intent")) == "none" and bool(result.get("guess"))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]
