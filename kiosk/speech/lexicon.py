"""Pronunciation lexicon: written form -> spoken form, applied to text just before synthesis.

Loaded from ``content/lexicon.nl.yaml`` (pure: no I/O after loading). Matching is whole-word and
case-aware: a written form with a capital in it (``BMI``) matches exactly; an all-lower-case one
(``röntgenfoto``) matches any capitalisation and keeps a capital first letter. Longer entries win
over shorter ones that start at the same place (``2 kg/m2`` before ``kg/m2``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.core.schema import Items, Strict, Text, validate, validate_each
from kiosk.core.yamlfile import ContentError, load_yaml

#: File name of the lexicon inside a content directory.
LEXICON_FILE = "lexicon.nl.yaml"

ESPEAK_RAW_VALUES = ("wrong", "ok")


@dataclass(frozen=True)
class Entry:
    """One pronunciation fix; ``line`` is where it stands in the lexicon file."""

    written: str
    spoken: str
    why: str
    espeak_raw: str = "wrong"
    file: str = ""
    line: int = 0
    #: A phrase containing ``written`` in which the tests compare the sound (default: written).
    example: str = ""

    @property
    def test_phrase(self) -> str:
        return self.example or self.written

    @property
    def intended_phrase(self) -> str:
        """``test_phrase`` with the spoken form put in by hand: how it should sound."""
        return self.test_phrase.replace(self.written, self.spoken, 1)

    @property
    def case_sensitive(self) -> bool:
        return self.written != self.written.lower()


def _entry_pattern(entry: Entry) -> str:
    # Any run of white space in the written form matches any white space (line breaks too).
    body = r"\s+".join(re.escape(part) for part in entry.written.split())
    return body if entry.case_sensitive else f"(?i:{body})"


class Lexicon:
    """An ordered set of entries with one compiled whole-word regex."""

    def __init__(self, entries: Iterable[Entry] = ()):
        self.entries: tuple[Entry, ...] = tuple(entries)
        ordered = sorted(
            range(len(self.entries)), key=lambda i: len(self.entries[i].written), reverse=True
        )
        if ordered:
            alternatives = "|".join(f"(?P<e{i}>{_entry_pattern(self.entries[i])})" for i in ordered)
            self._regex: re.Pattern[str] | None = re.compile(
                rf"(?<!\w)(?:{alternatives})(?!\w)"
            )
        else:
            self._regex = None

    def __len__(self) -> int:
        return len(self.entries)

    def _replace(self, match: re.Match[str]) -> str:
        entry = self.entries[int(match.lastgroup[1:])]  # type: ignore[index]
        spoken = entry.spoken
        found = match.group(0)
        if not entry.case_sensitive and found[:1].isupper() and spoken[:1].islower():
            spoken = spoken[:1].upper() + spoken[1:]
        return spoken

    def apply(self, text: str) -> str:
        """The text as the voice should get it: every written form replaced by its spoken form."""
        if self._regex is None:
            return text
        return self._regex.sub(self._replace, text)

    def find_unhandled(self, texts: Iterable[str]) -> list[str]:
        """Abbreviations and symbols in ``texts`` that no entry covers (for ``kiosk check``).

        Looks for words with two or more capitals, ``/ % & +``, digits glued to letters
        (``overgewicht1-5``).
        Returns each token once, in order of first appearance.
        """
        seen: dict[str, None] = {}
        for text in texts:
            rest = self._regex.sub(" ", text) if self._regex is not None else text
            for match in _SUSPICIOUS.finditer(rest):
                token = match.group(0).strip().strip(".,;:!?\"'()")
                if token:
                    seen.setdefault(token, None)
        return list(seen)


_SUSPICIOUS = re.compile(
    r"""
      \b\w*[A-Z]\w*[A-Z][\w-]*            # two or more capitals: BMI, KNGF, eHealthNL
    | [^\s]*[/%&+][^\s]*                  # a slash, percent, ampersand or plus with its word
    | \b\w*(?:[^\W\d_]\d|\d[^\W\d_])\w*(?:-\d+)?  # digits glued to letters: overgewicht1-5, m2
    """,
    re.VERBOSE,
)


def find_unhandled(texts: Iterable[str], lexicon: Lexicon | None = None) -> list[str]:
    """Module-level form of :meth:`Lexicon.find_unhandled` (an empty lexicon when none given)."""
    return (lexicon or Lexicon()).find_unhandled(texts)


class _EntryShape(Strict):
    written: Text
    spoken: Text
    why: Text
    espeak_raw: Literal["wrong", "ok"] = "wrong"
    example: Text | None = None


class _LexiconShape(Strict):
    entries: Items


def parse_lexicon(data: object, file: str = "<lexicon>") -> Lexicon:
    """Build a Lexicon from loaded YAML; every problem names file and line."""
    items = validate(_LexiconShape, data, file).entries
    shapes, problems = validate_each(_EntryShape, items, file, "entries")
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for item, raw in zip(shapes, items, strict=False):
        if item is None:
            continue
        if item.written.lower() in seen:
            problems.append(raw.problem(f"{item.written!r} is already in the lexicon at line "
                                        f"{seen[item.written.lower()]}", "written"))
        elif item.example and item.written not in item.example:
            problems.append(raw.problem("example must contain the written form", "example"))
        else:
            seen[item.written.lower()] = raw.line_of("written")
            entries.append(Entry(item.written, item.spoken, item.why, item.espeak_raw, file,
                                 raw.line, item.example or ""))
    if problems:
        raise ContentError(sorted(problems, key=lambda p: p.line))
    return Lexicon(entries)


def load_lexicon(path: str | Path) -> Lexicon:
    """Load a lexicon file (or ``lexicon.nl.yaml`` inside a content directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / LEXICON_FILE
    return parse_lexicon(load_yaml(path), str(path))
