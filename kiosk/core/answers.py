"""Spoken yes / no / "weet ik niet" answers, read from recogniser text without ever guessing.

The phrase lists live in ``content/answers.nl.yaml`` (the rules are described at its top).
:meth:`AnswerLexicon.classify` returns an :class:`AnswerMatch` or ``None``; ``None`` means
"not an answer, or not a clear one": the caller asks again (or, for a command such as
"herhaal", lets its command matcher handle it). An unclear answer is never turned into "ja".
Pure: no I/O after loading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator
from rapidfuzz import fuzz, process

from kiosk.core.normalize import normalize
from kiosk.core.schema import Field, Strict, Text, validate
from kiosk.core.yamlfile import ContentError, LineDict, Problem, load_yaml

#: The answer values a question tree branches on.
VALUES = ("ja", "nee", "weet-niet")
_UNCLEAR = "unclear"
_COMMAND = "command:"

#: Fuzzy matching only for phrases (and heard words) of at least this many letters: short
#: words ("ja", "na", "nee", "mee") are too alike to correct safely.
FUZZY_MIN_LETTERS = 6
#: rapidfuzz ratio a misspelt phrase needs ...
FUZZY_CUTOFF = 86.0
#: ... and how far ahead of the best phrase with another meaning it must be.
FUZZY_MARGIN = 8.0
#: A misspelling is only corrected into a phrase that has every polarity word heard, so
#: "ik weet het wel" never becomes "ik weet het niet" (a lost word, "nie", may be filled in).
POLARITY_WORDS = frozenset({"ja", "nee", "niet", "wel", "geen", "nooit", "zeker"})
#: Cutoff for single hedge words ("maar", "behalve") heard slightly wrong.
UNCLEAR_CUTOFF = 80.0
#: Below this score an answer counts as unclear.
MIN_SCORE = 0.6
#: Words that open a question, not an answer: "wat is een stilzitter precies" is no "ja".
QUESTION_WORDS = frozenset({"wat", "hoe", "waarom", "wanneer", "welke", "welk", "wie", "waar",
                            "hoeveel", "hoelang", "waarmee", "waardoor"})
#: In a misheard phrase of as many words as heard, every word must be a near miss of its
#: counterpart (rapidfuzz ratio): "dat heb ik eigenlijk niet" is not "dat weet ik eigenlijk niet".
WORD_AGREEMENT = 50.0


@dataclass(frozen=True)
class AnswerMatch:
    """A clear answer: ``value`` is "ja", "nee" or "weet-niet"; ``score`` 0..1 (1 = exact)."""

    value: str
    score: float


@dataclass(frozen=True)
class _Segment:
    kind: str  # a VALUE, "unclear", "command:NAME", "neutral" or "content"
    tokens: int
    score: float = 1.0


class AnswerLexicon:
    """Phrase lists for answers; build with :func:`load_answers` or :meth:`from_data`."""

    def __init__(
        self,
        phrases: dict[str, list[str]],
        commands: dict[str, list[str]],
        fillers: Iterable[str] = (),
        neutral: Iterable[str] = (),
        negations: Iterable[str] = (),
        min_score: float = MIN_SCORE,
    ):
        self._norm = normalize
        self._kind_of: dict[str, str] = {}
        self._answer_phrases: list[str] = []
        for kind, items in phrases.items():
            for phrase in items:
                key = self._norm(phrase)
                if key:
                    self._kind_of.setdefault(key, kind)
                    if kind in VALUES or kind == _UNCLEAR:
                        self._answer_phrases.append(key)
        for name, items in commands.items():
            for phrase in items:
                key = self._norm(phrase)
                if key:
                    self._kind_of.setdefault(key, _COMMAND + name)
        self._fillers = {self._norm(w) for w in fillers} - {""}
        self._neutral = {self._norm(w) for w in neutral} - {""}
        self._negations = {self._norm(w) for w in negations} - {""}
        self._max_len = max((len(k.split()) for k in self._kind_of), default=1)
        self._fuzzy_keys = [k for k in self._kind_of if len(k.replace(" ", "")) >= FUZZY_MIN_LETTERS]
        self._unclear_words = [k for k, kind in self._kind_of.items()
                               if kind == _UNCLEAR and " " not in k]
        self.min_score = min_score

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AnswerLexicon:
        phrases = {kind: list(data.get(kind) or []) for kind in (*VALUES, _UNCLEAR)}
        return cls(
            phrases,
            {name: list(items or []) for name, items in (data.get("commands") or {}).items()},
            data.get("fillers") or (),
            data.get("neutral") or (),
            data.get("negations") or (),
        )

    # -- public API --------------------------------------------------------------------------

    def phrases(self) -> list[str]:
        """Every answer phrase, unclear ones included (so the recogniser can hear "ja maar")."""
        return list(dict.fromkeys(self._answer_phrases))

    def classify(self, text: str) -> AnswerMatch | None:
        """Read one heard answer. ``None`` when it is no answer, a command, or unclear."""
        tokens = self._tokens(text)
        if tokens and tokens[0] in QUESTION_WORDS:
            return None
        segments = self._segments(text)
        if not segments:
            return None
        kinds = {s.kind for s in segments}
        if _UNCLEAR in kinds or any(k.startswith(_COMMAND) for k in kinds):
            return None
        answers = [s for s in segments if s.kind in VALUES]
        values = {s.kind for s in answers}
        if not values:
            return None
        if "weet-niet" in values:
            value = "weet-niet"  # "nee, dat weet ik niet": the safe reading
        elif len(values) > 1:
            return None  # "ja ... nee"
        else:
            value = values.pop()
        content = [s for s in segments if s.kind == "content"]
        if value == "ja" and self._has_negation(text):
            return None
        answer_tokens = sum(s.tokens for s in answers)
        content_tokens = sum(s.tokens for s in content)
        coverage = answer_tokens / (answer_tokens + content_tokens)
        meaningful = [s for s in segments if s.kind != "neutral"]
        at_edge = meaningful[0].kind in VALUES or meaningful[-1].kind in VALUES
        # Dutch answers start (or end) with the answer: "ja, ik heb veel pijn". An answer word
        # in the middle of a longer sentence ("ik kan niet zo goed lopen") must carry it.
        weight = max(0.8, 0.5 + 0.5 * coverage) if at_edge else coverage
        score = min(s.score for s in answers if s.kind == value) * weight
        if score < self.min_score:
            return None
        return AnswerMatch(value, round(score, 3))

    def command(self, text: str) -> str | None:
        """The command ("herhaal", "stop", ...) said instead of an answer, if any.

        A small local list so that ``kiosk triage`` works on its own; in the kiosk the dialog's
        own command matcher decides.
        """
        for s in self._segments(text):
            if s.kind.startswith(_COMMAND):
                return s.kind[len(_COMMAND):]
        return None

    # -- internals ---------------------------------------------------------------------------

    def _tokens(self, text: str) -> list[str]:
        return [t for t in self._norm(text).split() if t not in self._fillers]

    def _has_negation(self, text: str) -> bool:
        """A negation word, also run together with the next word ("nietstaan")."""
        return any(t in self._negations or any(t.startswith(n) for n in self._negations if len(n) >= 4)
                   for t in self._tokens(text))

    def _segments(self, text: str) -> list[_Segment]:
        """Split heard text into the longest known phrases, left to right."""
        tokens = self._tokens(text)
        segments: list[_Segment] = []
        i = 0
        while i < len(tokens):
            exact, fuzzy = self._exact_at(tokens, i), self._fuzzy_at(tokens, i)
            found = exact or fuzzy
            if exact and fuzzy and fuzzy.tokens > exact.tokens:
                # "geen ide": the misheard longer phrase wins, unless a known phrase starts
                # inside it ("nee dat weet ik niet" stays "nee" + "weet ik niet").
                inside = range(i + exact.tokens, i + fuzzy.tokens)
                if not any(self._exact_at(tokens, j) for j in inside):
                    found = fuzzy
            if not found:
                found = self._unclear_at(tokens, i)
            if found:
                segments.append(found)
                i += found.tokens
            else:
                kind = "neutral" if tokens[i] in self._neutral else "content"
                segments.append(_Segment(kind, 1))
                i += 1
        return segments

    def _exact_at(self, tokens: list[str], i: int) -> _Segment | None:
        for n in range(min(self._max_len, len(tokens) - i), 0, -1):
            kind = self._kind_of.get(" ".join(tokens[i : i + n]))
            if kind:
                return _Segment(kind, n)
        return None

    def _unclear_at(self, tokens: list[str], i: int) -> _Segment | None:
        """A misheard hedge word ("maa" for "maar"): eager, since it only makes us ask again."""
        if len(tokens[i]) < 3 or not self._unclear_words:
            return None
        hit = process.extractOne(tokens[i], self._unclear_words, scorer=fuzz.ratio,
                                 score_cutoff=UNCLEAR_CUTOFF)
        return _Segment(_UNCLEAR, 1, hit[1] / 100) if hit else None

    def _fuzzy_at(self, tokens: list[str], i: int) -> _Segment | None:
        if not self._fuzzy_keys:
            return None
        best: _Segment | None = None
        for n in range(min(self._max_len, len(tokens) - i), 0, -1):
            window = " ".join(tokens[i : i + n])
            if len(window.replace(" ", "")) < FUZZY_MIN_LETTERS:
                continue
            polar = set(window.split()) & POLARITY_WORDS
            after = tokens[i + n] if i + n < len(tokens) else ""
            keys = [
                k for k in self._fuzzy_keys
                if polar <= set(k.split())
                and (after not in POLARITY_WORDS or set(k.split()) & POLARITY_WORDS <= polar)
            ]
            hits = process.extract(window, keys, scorer=fuzz.ratio, limit=8)
            hits = [h for h in hits if _words_agree(window, h[0])]
            if not hits or hits[0][1] < FUZZY_CUTOFF:
                continue
            kind, score = self._kind_of[hits[0][0]], hits[0][1]
            rival = next((h[1] for h in hits if self._kind_of[h[0]] != kind), 0.0)
            if score - rival < FUZZY_MARGIN:
                candidate = _Segment(_UNCLEAR, n, score / 100)  # too close to call
            else:
                candidate = _Segment(kind, n, score / 100)
            if best is None or candidate.score > best.score:
                best = candidate
        return best


def _words_agree(heard: str, phrase: str) -> bool:
    """A misheard phrase keeps its first and last word roughly: "geen ide" ~ "geen idee", but
    "ik heb geen andere" is not "ik heb geen idee"; with as many words as the phrase, no word
    may be another word altogether ("heb" for "weet")."""
    a, b = heard.split(), phrase.split()
    if len(a) < 2 or len(b) < 2:
        return True  # one word, or words run together ("weetikniet")
    if len(a) == len(b) and any(fuzz.ratio(x, y) < WORD_AGREEMENT for x, y in zip(a, b, strict=False)):
        return False
    return fuzz.ratio(a[0], b[0]) >= 75 and fuzz.ratio(a[-1], b[-1]) >= 75


# -- loading and checking ------------------------------------------------------------------------


def _phrase(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("YAML reads yes/no/on/off as true/false; put the phrase in quotes, "
                         'like "yes"')
    if isinstance(value, str) and not normalize(value):
        raise ValueError("empty phrase")
    return value


Phrase = Annotated[str, BeforeValidator(_phrase)]
Phrases = Annotated[list[Phrase], Field(min_length=1)]


class _AnswersShape(Strict):
    ja: Phrases
    nee: Phrases
    weet_niet: Phrases = Field(alias="weet-niet")
    unclear: Phrases | None = None
    commands: dict[str, Phrases] = Field(default_factory=dict)
    fillers: tuple[Text, ...] = ()
    neutral: tuple[Text, ...] = ()
    negations: tuple[Text, ...] = ()


def validate_answers(data: object, file: str = "answers.nl.yaml") -> list[Problem]:
    """Problems in a loaded answers file, each naming file and line: its shape, then phrases
    that stand in two lists (a phrase has one meaning)."""
    try:
        validate(_AnswersShape, data, file)
    except ContentError as err:
        return err.problems
    if not isinstance(data, LineDict):  # cannot be, once validated; keeps the types plain
        return []
    lists = [(value, data, value) for value in (*VALUES, _UNCLEAR) if value in data]
    commands = data.get("commands") or LineDict()
    lists += [(f"command:{name}", commands, name) for name in commands]
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    for label, owner, key in lists:
        items = owner[key]
        for index, item in enumerate(items):
            phrase, line = normalize(item), items.line_at(index)
            if phrase in seen and seen[phrase][0] != label:
                problems.append(Problem(owner.file, line, f"{item!r} is in {label!r} and also in "
                                        f"{seen[phrase][0]!r} (line {seen[phrase][1]}): keep it "
                                        "in one list"))
            seen.setdefault(phrase, (label, line))
    return problems


def check_answers(path: str | Path) -> list[Problem]:
    """For ``kiosk check``: every problem in the answers file (never raises for bad content)."""
    try:
        data = load_yaml(path)
    except ContentError as err:
        return list(err.problems)
    return validate_answers(data, str(path))


def load_answers(path: str | Path) -> AnswerLexicon:
    """Load ``content/answers.nl.yaml``; raises :class:`ContentError` naming file and line."""
    data = load_yaml(path)
    problems = [p for p in validate_answers(data, str(path)) if p.severity == "error"]
    if problems:
        raise ContentError(problems)
    return AnswerLexicon.from_data(data)
