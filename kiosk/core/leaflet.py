"""The leaflet itself: its section ids, its sentences and the checks of spoken text against
its words (:class:`LeafletSource`). Used by the content, the triage trees and the red flags,
so none of them needs another to load."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from kiosk.core.normalize import fold_accents

#: Section ids (docs/sections.md): stable, tests and evaluations refer to them.
SECTION_IDS = (
    "intro", "misverstanden", "misverstand-slijtage", "misverstand-ouderen",
    "misverstand-nieuw-gewricht", "misverstand-bewegen", "misverstand-pijn", "beweegtypes",
    "te-weinig-bewegen", "overbelasten", "gezond-bewegen", "stapsgewijze-aanpak", "stap-1",
    "stap-2", "stap-3", "operatie", "tips", "zorgen", "hulpmiddelen", "medicatie", "afvallen",
    "meer-geen-slijtage", "meer-operatie", "meer-zorgen", "meer-afvallen",
)

#: Pauses (seconds) after a sentence, a paragraph, and a list item.
SENTENCE_PAUSE = 0.35
PARAGRAPH_PAUSE = 0.8
ITEM_PAUSE = 0.6

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'‘(]?[A-Z0-9ÀÁÂÄÈÉÊËÍÎÏÓÔÖÚÛÜ])")


def split_sentences(text: str) -> list[str]:
    """Split running text at sentence ends ('. ', '? ', '! ' before a capital or digit)."""
    text = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(text) if s]


# --------------------------------------------------------------------------- leaflet source
def normalize_source(text: str) -> str:
    """The form in which leaflet and content are compared: lower case, accents folded, every
    run of whitespace and punctuation one space. Nothing else is forgiven: a spelling fix, a
    dropped footnote number or an added word must be declared (see :class:`Adaptation`)."""
    text = fold_accents(text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Adaptation:
    """An intended change for the ear: the leaflet's words ``leaflet`` are spoken as ``spoken``
    (empty: left out), for the reason ``why``. Applied once, at its first place in the
    paragraph."""

    leaflet: str
    spoken: str
    why: str
    line: int = 0


class LeafletSource:
    """The leaflet's text, for checking that spoken text really is the leaflet's, word by word.

    A source reference is a ``heading`` (a whole line of the leaflet: its first such line) and
    the first words ``starts`` of the paragraph (their first occurrence after the heading).
    From there the spoken text must follow the leaflet exactly, after normalising whitespace
    and punctuation and applying the paragraph's declared adaptations.
    """

    def __init__(self, text: str, file: str = "leaflet"):
        self.file = file
        parts: list[str] = []
        self.line_starts: dict[str, int] = {}  # normalised whole line -> its first offset
        offset = 0
        for raw in text.splitlines():
            line = normalize_source(raw)
            if not line:
                continue
            self.line_starts.setdefault(line, offset)
            parts.append(line)
            offset += len(line) + 1
        self.normalized = " ".join(parts)
        #: The leaflet's misconceptions ("Misverstand 1: - Artrose is slijtage -"), normalised:
        #: never to be said without their label (see :func:`unlabelled_misconceptions`).
        self.misconceptions = tuple(
            normalize_source(found.group(1)) for found in
            re.finditer(r"^Misverstand \d+: *- *(.+?) *[-–] *$", text, re.MULTILINE))

    @classmethod
    def from_file(cls, path: Path) -> LeafletSource:
        return cls(path.read_text(encoding="utf-8"), str(path))

    def locate(self, heading: str, starts: str) -> tuple[int, str | None]:
        """Position of the paragraph that opens with ``starts`` under ``heading``.

        Returns (position, None) or (-1, reason).
        """
        at = self.line_starts.get(normalize_source(heading), -1)
        if not normalize_source(heading) or at < 0:
            return -1, f"heading {heading!r} is not a heading line of the leaflet"
        wanted = normalize_source(starts)
        pos = _find_words(self.normalized, wanted, at)
        if not wanted or pos < 0:
            return -1, f"paragraph starting {starts!r} is not found under heading {heading!r}"
        return pos, None

    def differences(self, heading: str, starts: str, spoken: str,
                    adapt: Sequence[Adaptation] = ()) -> list[tuple[int, str]]:
        """Why ``spoken`` is not the leaflet's text from ``starts`` on (with ``adapt``
        applied), as (word index in the spoken text or -1, reason); empty when it is."""
        pos, reason = self.locate(heading, starts)
        if reason:
            return [(-1, reason)]
        expected = self.normalized[pos:]
        out: list[tuple[int, str]] = []
        for change in adapt:
            old, new = normalize_source(change.leaflet), normalize_source(change.spoken)
            at = _find_words(expected, old, 0) if old else -1
            if at < 0:
                out.append((-1, f"adaptation (line {change.line}): {change.leaflet!r} is not "
                                f"in the leaflet here"))
                continue
            expected = (expected[:at] + new + " " + expected[at + len(old):].lstrip()).lstrip()
        said = normalize_source(spoken).split()
        wanted = expected.split()[: len(said)]
        for i, (word, leaflet_word) in enumerate(zip(said, wanted, strict=False)):
            if word != leaflet_word:
                near = " ".join(wanted[max(0, i - 3): i + 4])
                out.append((i, f"{word!r} where the leaflet has {leaflet_word!r} "
                               f"(leaflet: '... {near} ...'); fix it or declare it under 'adapt'"))
                break
        else:
            if len(wanted) < len(said):
                out.append((len(wanted), "spoken text goes on past the end of the leaflet"))
        return out

    def untraceable(self, heading: str, starts: str, sentences: Sequence[str]) -> list[str]:
        """Lenient check for texts that cannot declare adaptations yet (the triage file): the
        heading may stand anywhere, footnote numbers are ignored, and each sentence must be
        found nearly verbatim within the paragraph's length (+ slack) after ``starts``.
        Leaflet sections use the exact :meth:`differences`."""
        at = _find_words(self.normalized, normalize_source(heading), 0)
        if not heading.strip() or at < 0:
            return [f"heading {heading!r} is not in the leaflet text"]
        pos = _find_words(self.normalized, normalize_source(starts), at)
        if not starts.strip() or pos < 0:
            return [f"paragraph starting {starts!r} is not found under heading {heading!r}"]
        window = _FOOTNOTE.sub("", self.normalized[pos: pos + sum(map(len, sentences)) + 800])
        return [f"sentence not found in the leaflet near {starts!r}: {sentence!r}"
                for sentence in sentences if normalize_source(sentence)
                and fuzz.partial_ratio(normalize_source(sentence), window) < 90]


_FOOTNOTE = re.compile(r"(?<=[a-z]) ?\d+(?: \d+)?(?= |$)")


def unlabelled_misconceptions(claims: Sequence[str], sentences: Sequence[str]) -> list[str]:
    """Sentences (said in this order) that state one of ``claims`` without its label: the word
    "misverstand" must come before the claim in the same sentence, or end the sentence before
    ("Misverstand 4:"). A listener who tunes in late never hears a misconception as a fact."""
    out, before = [], ""
    for sentence in sentences:
        said = normalize_source(sentence)
        for claim in claims:
            at = _find_words(said, claim, 0)
            if at >= 0 and "misverstand" not in said[:at] and not re.search(
                    r"misverstand( \d+)?$", before):
                out.append(sentence)
        before = said
    return out


def _find_words(text: str, words: str, start: int) -> int:
    """Offset of ``words`` in ``text`` at or after ``start``, on word boundaries, or -1."""
    found = re.compile(rf"(?<![a-z0-9]){re.escape(words)}(?![a-z0-9])").search(text, start)
    return found.start() if found else -1
