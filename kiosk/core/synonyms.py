"""Visitors' words for the leaflet's words (``content/synonyms.nl.yaml``).

A visitor says "kinesitherapie", "symptomen" or "gonartrose"; the leaflet says
"fysiotherapeut", "klachten" and "knieartrose". The table maps a word or a short phrase, as the
matcher normalises it, to the leaflet's word(s); the matcher applies it to what it heard before
scoring, so a question in the visitor's words finds the paragraph in the leaflet's words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from kiosk.core.normalize import tokens
from kiosk.core.yamlfile import LineDict, Problem

#: Longest phrase (in words) a synonym may be.
MAX_PHRASE_WORDS = 4


@dataclass(frozen=True)
class Synonyms:
    """(visitor words) -> leaflet words, longest phrases first."""

    table: dict[tuple[str, ...], tuple[str, ...]]
    file: str = ""

    def apply(self, words: list[str]) -> list[str]:
        """``words`` with every known visitor word or phrase replaced by the leaflet's."""
        if not self.table:
            return words
        starts = self._first_words
        out: list[str] = []
        i = 0
        while i < len(words):
            if words[i] not in starts:  # no phrase starts here (most words)
                out.append(words[i])
                i += 1
                continue
            for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                replacement = self.table.get(tuple(words[i:i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    @cached_property
    def _first_words(self) -> frozenset[str]:
        return frozenset(phrase[0] for phrase in self.table)


EMPTY = Synonyms({})


def validate(data: object, file: str, known_words: Iterable[str]) -> tuple[Synonyms | None, list[Problem]]:
    """The table and every problem: a key or value that is no text, a phrase too long, a key
    listed twice, or a replacement none of whose words the content knows (it would match
    nothing)."""
    if not isinstance(data, LineDict) or not isinstance(data.get("synonyms"), LineDict):
        return None, [Problem(file, getattr(data, "line", 0), "expected a mapping 'synonyms:'")]
    known = set(known_words)
    node = data["synonyms"]
    problems: list[Problem] = []
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in node.items():
        source = tuple(tokens(str(key)))
        target = tuple(tokens(value)) if isinstance(value, str) else ()
        if not source or not target:
            problems.append(node.problem(f"synonym {key!r} needs a word and the leaflet's word(s)", key))
            continue
        if len(source) > MAX_PHRASE_WORDS:
            problems.append(node.problem(
                f"synonym {key!r} is longer than {MAX_PHRASE_WORDS} words", key))
            continue
        if source in table:
            problems.append(node.problem(f"synonym {key!r} is listed twice (after normalising)", key))
            continue
        if known and known.isdisjoint(target):
            problems.append(node.problem(
                f"synonym {key!r}: none of {value!r} occurs in the leaflet or the content's phrasings",
                key))
            continue
        table[source] = target
    return Synonyms(table, file), problems
