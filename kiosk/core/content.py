"""The kiosk's content: leaflet sections, its own prompts and the phrasings of commands and flows.

Loaded from ``content/*.yaml`` into typed, immutable objects and validated on the way: every
problem names its file and line. Pure: files are read once at load time, nothing after.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, model_validator
from rapidfuzz import fuzz

from kiosk.core.normalize import fold_accents, normalize
from kiosk.core.schema import Field, Items, Strict, Text, validate, validate_each
from kiosk.core.utterance import KIOSK, LEAFLET, Utterance
from kiosk.core.yamlfile import ContentError, LineDict, LineList, Problem, load_yaml
from kiosk.datafiles import shipped

#: The bundled content folder (``content/`` of the checkout, or as installed with the package).
DEFAULT_CONTENT_DIR = shipped("content")

#: Section ids (docs/sections.md): stable, tests and evaluations refer to them.
SECTION_IDS = (
    "intro", "misverstanden", "misverstand-slijtage", "misverstand-ouderen",
    "misverstand-nieuw-gewricht", "misverstand-bewegen", "misverstand-pijn", "beweegtypes",
    "te-weinig-bewegen", "overbelasten", "gezond-bewegen", "stapsgewijze-aanpak", "stap-1",
    "stap-2", "stap-3", "operatie", "tips", "zorgen", "hulpmiddelen", "medicatie", "afvallen",
    "meer-geen-slijtage", "meer-operatie", "meer-zorgen", "meer-afvallen",
)

#: Menu groups, in the order the menu names them, with how the menu says them.
GROUPS = {
    "artrose": "wat artrose is",
    "misverstanden": "misverstanden over artrose",
    "bewegen": "bewegen",
    "aanpak": "de stapsgewijze aanpak en operatie",
    "tips": "tips zoals afvallen, medicijnen en hulpmiddelen",
}

COMMANDS = ("stop", "herhaal", "meer", "terug", "menu", "langzamer", "sneller", "harder",
            "zachter")
FLOWS = ("stap", "beweger")
MIN_EXAMPLES = 8

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


# --------------------------------------------------------------------------- typed content
@dataclass(frozen=True)
class SourceRef:
    heading: str
    starts: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.heading} / {self.starts}..."


@dataclass(frozen=True)
class Paragraph:
    source: SourceRef
    text: str = ""
    items: tuple[str, ...] = ()
    #: Declared changes for the ear (spelling fixes, left-out links, numbers said as words).
    adapt: tuple[Adaptation, ...] = ()

    def sentences(self) -> list[str]:
        return split_sentences(self.text) + list(self.items)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    group: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    paragraphs: tuple[Paragraph, ...]
    more: str | None = None
    related: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    #: How the kiosk names the section in offers, guesses and choices ("het misverstand dat
    #: artrose slijtage is"); the title when not given.
    spoken_name: str = ""

    @property
    def follow_ups(self) -> tuple[str, ...]:
        """Sections worth offering after this one: its "lees meer" first, then related ones."""
        return ((self.more,) if self.more else ()) + tuple(r for r in self.related if r != self.more)

    def utterances(self) -> list[Utterance]:
        """The section as the kiosk reads it: sentence by sentence, pauses at boundaries."""
        origin = f"{LEAFLET}:{self.id}"
        out: list[Utterance] = []
        for paragraph in self.paragraphs:
            sentences = split_sentences(paragraph.text)
            for i, sentence in enumerate(sentences):
                last = i == len(sentences) - 1 and not paragraph.items
                out.append(Utterance(sentence, origin, PARAGRAPH_PAUSE if last else SENTENCE_PAUSE))
            for i, item in enumerate(paragraph.items):
                last = i == len(paragraph.items) - 1
                out.append(Utterance(item, origin, PARAGRAPH_PAUSE if last else ITEM_PAUSE))
        return out


@dataclass(frozen=True)
class Prompts:
    """The kiosk's own sentences by key; each key has one or more variants."""

    variants: dict[str, tuple[str, ...]]
    file: str = ""

    def has(self, key: str) -> bool:
        return key in self.variants

    def text(self, key: str, variant: int = 0, **fields: str) -> str:
        options = self.variants[key]
        return options[variant % len(options)].format(**fields)

    def say(self, key: str, variant: int = 0, **fields: str) -> list[Utterance]:
        """The prompt as utterances, marked as the kiosk's own (``kiosk:<key>``)."""
        return [
            Utterance(s, f"{KIOSK}:{key}", SENTENCE_PAUSE)
            for s in split_sentences(self.text(key, variant, **fields))
        ]


@dataclass(frozen=True)
class Intents:
    """How visitors phrase commands and the triage flows; words that carry no topic."""

    commands: dict[str, tuple[str, ...]]
    flows: dict[str, tuple[str, ...]]
    stopwords: frozenset[str]
    out_of_scope_openings: tuple[str, ...] = ()
    #: Questions the leaflet does not answer (content/out_of_scope.nl.yaml): the matcher
    #: learns from them what to decline.
    out_of_scope_examples: tuple[str, ...] = ()
    #: Ways to end the visit ("tot ziens", "dag"): the dialog says goodbye.
    goodbyes: tuple[str, ...] = ()
    #: Words of a complaint ("kniepijn", "stijf"): said without a question, the dialog
    #: offers the step test or tips.
    complaint_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Content:
    sections: dict[str, Section]
    prompts: Prompts
    intents: Intents
    directory: Path
    answers: Any = None  # kiosk.core.answers.AnswerLexicon when content/answers.nl.yaml exists
    triage: Any = None  # kiosk.core.triage.TriageBook when content/triage.nl.yaml exists
    red_flags: Any = None  # kiosk.core.safety.RedFlags (content/red_flags.nl.yaml)
    #: kiosk.core.not_in_leaflet.NotInLeaflet when content/not_in_leaflet.nl.yaml exists
    not_in_leaflet: Any = None
    #: kiosk.core.synonyms.Synonyms when content/synonyms.nl.yaml exists
    synonyms: Any = None
    warnings: tuple[Problem, ...] = field(default=())

    def section_utterances(self, section_id: str) -> list[Utterance]:
        return self.sections[section_id].utterances()

    def phrasings(self) -> Iterator[tuple[str, str]]:
        """(label, text) of every phrasing that names an intent: see :func:`labelled_phrasings`."""
        return labelled_phrasings(self.sections, self.intents)

    def recognizer_phrases(self) -> list[str]:
        """Every phrasing the recogniser should expect: examples, keywords, titles,
        commands, flows, answers and the out-of-scope examples (so that speech about other
        things has phrases of its own to land on, instead of being forced onto a leaflet
        question), lower case, without duplicates, in a stable order."""
        phrases = [text for _, text in self.phrasings()]
        phrases += self.intents.out_of_scope_examples
        if self.answers is not None:
            phrases += self.answers.phrases()
        seen: dict[str, str] = {}
        for phrase in phrases:
            key = normalize(phrase)
            if key:  # keep the written form (accents and all): the grammar asks the model
                seen.setdefault(key, " ".join(phrase.lower().split()))
        return list(seen.values())


# --------------------------------------------------------------------------- loading
class _Collector:
    """Gathers problems while reading so that one run of `kiosk check` shows all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.section_ids: set[Any] = set()  # as named in the file, shape errors or not

    def error(self, where: LineDict | LineList | Any, message: str, key: str | None = None,
              line: int | None = None) -> None:
        file = getattr(where, "file", "") or ""
        if line is None:
            line = where.line_of(key) if isinstance(where, LineDict) and key else getattr(where, "line", 0)
        self.problems.append(Problem(file, line, message))

    def warning(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _texts(node: LineDict, key: str, c: _Collector, minimum: int = 0) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        if minimum:
            c.error(node, f"missing field '{key}'")
        return ()
    if not isinstance(value, LineList):
        c.error(node, f"'{key}' must be a list", key)
        return ()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            c.error(value, f"'{key}' item {i + 1} must be a non-empty text", line=value.line_at(i))
        else:
            out.append(" ".join(item.split()))
    if len(out) < minimum:
        c.error(node, f"'{key}' needs at least {minimum} entries, has {len(out)}", key)
    return tuple(out)


def _known_group(group: str) -> str:
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; use one of: {', '.join(GROUPS)}")
    return group


class _SourceShape(Strict):
    heading: Text
    starts: Text


class _AdaptShape(Strict):
    leaflet: Text
    spoken: str  # '' leaves the leaflet's words out
    why: Text


class _ParagraphShape(Strict):
    source: _SourceShape
    text: Text | None = None
    items: tuple[Text, ...] = ()
    adapt: tuple[_AdaptShape, ...] = ()

    @model_validator(mode="after")
    def _says_something(self) -> _ParagraphShape:
        if not self.text and not self.items:
            raise ValueError("paragraph has neither 'text' nor 'items': nothing to say")
        return self


class _SectionShape(Strict):
    id: Text
    title: Text
    group: Annotated[Text, AfterValidator(_known_group)]
    keywords: Annotated[list[Text], Field(min_length=1)]
    examples: Annotated[list[Text], Field(min_length=MIN_EXAMPLES)]
    paragraphs: Items
    more: Text | None = None
    related: tuple[Text, ...] = ()
    spoken_name: Text | None = None


class _SectionsFile(Strict):
    sections: Items


def _paragraphs(node: LineDict, c: _Collector, source: LeafletSource | None) -> tuple[Paragraph, ...]:
    shapes, problems = validate_each(_ParagraphShape, node["paragraphs"], node.file, "paragraphs")
    c.problems.extend(problems)
    out = []
    for shape, raw in zip(shapes, node["paragraphs"], strict=False):
        if shape is None:
            continue
        ref, adapt_lines = raw["source"], raw.get("adapt") or LineList()
        adapt = tuple(Adaptation(a.leaflet, a.spoken, a.why, adapt_lines.line_at(i))
                      for i, a in enumerate(shape.adapt))
        paragraph = Paragraph(SourceRef(shape.source.heading, shape.source.starts, ref.file,
                                        ref.line), shape.text or "", tuple(shape.items), adapt)
        out.append(paragraph)
        if source is not None:
            for index, reason in source.differences(paragraph.source.heading, paragraph.source.starts,
                                                    " ".join(paragraph.sentences()), adapt):
                c.error(ref, reason, line=_line_of_word(raw, index) if index >= 0 else ref.line)
    if source is not None:  # the section as spoken, sentence after sentence
        said = [(p, s) for p in out for s in split_sentences(p.text) + list(p.items)]
        for sentence in unlabelled_misconceptions(source.misconceptions, [s for _, s in said]):
            where = next(p.source for p, s in said if s == sentence)
            c.problems.append(Problem(where.file, where.line, f"a misconception said as a fact: "
                                      f"{sentence!r}; say it with its label ('Misverstand 1: ...')"))
    return tuple(out)


def _line_of_word(node: LineDict, index: int) -> int:
    """The line of the ``index``-th normalised word of the paragraph's text and items (block
    texts are followed line by line through the file)."""
    places: list[tuple[int, Any]] = []
    if isinstance(node.get("text"), str):
        places.append((node.line_of("text"), node["text"]))
    items = node.get("items")
    if isinstance(items, LineList):
        places += [(items.line_at(i), item) for i, item in enumerate(items)]
    lines = _file_lines(node.file)
    for start, value in places:
        words = len(normalize_source(str(value)).split())
        if index >= words:
            index -= words
            continue
        line = start
        while line <= len(lines):
            raw = lines[line - 1]
            if line == start:  # drop the key or list dash, and a block marker, before the text
                raw = re.sub(r"^\s*(?:-\s+)?(?:[a-z]+:)?\s*(?:[>|][-+]?\s*$)?", "", raw)
            count = len(normalize_source(raw).split())
            if index < count:
                return line
            index -= count
            line += 1
        return start
    return node.line


def _file_lines(file: str) -> list[str]:
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def _load_sections(path: Path, c: _Collector, source: LeafletSource | None) -> dict[str, Section]:
    data = load_yaml(path)
    nodes = validate(_SectionsFile, data, str(path)).sections
    shapes, problems = validate_each(_SectionShape, nodes, str(path), "sections")
    c.problems.extend(problems)
    sections: dict[str, Section] = {}
    for shape, node in zip(shapes, nodes, strict=False):
        if shape is None:
            continue
        if shape.id in sections:
            first = sections[shape.id]
            c.error(node, f"duplicate section id {shape.id!r} (first at line {first.line})", "id")
            continue
        sections[shape.id] = Section(
            id=shape.id, title=shape.title, group=shape.group, keywords=tuple(shape.keywords),
            examples=tuple(shape.examples), paragraphs=_paragraphs(node, c, source),
            more=shape.more, related=tuple(shape.related), file=node.file, line=node.line,
            spoken_name=shape.spoken_name or "")
    # ids of sections with shape errors still count as there: no follow-on errors about them
    c.section_ids = {node.get("id") for node in nodes if isinstance(node, LineDict)}
    for missing in (i for i in SECTION_IDS if i not in c.section_ids):
        c.error(data, f"section {missing!r} is missing (required by the design)", "sections")
    for section in sections.values():
        for ref in (section.more, *section.related):
            if ref and ref not in c.section_ids:
                c.problems.append(Problem(section.file, section.line,
                                          f"section {section.id!r} refers to unknown section {ref!r}"))
    return sections


def _load_prompts(path: Path, c: _Collector) -> Prompts:
    data = load_yaml(path)
    if not isinstance(data, LineDict) or not isinstance(data.get("prompts"), LineDict):
        c.problems.append(Problem(str(path), getattr(data, "line", 0),
                                  "expected a top-level 'prompts:' mapping"))
        return Prompts({}, str(path))
    if data.get("origin") != KIOSK:
        c.error(data, "prompts must be marked as the kiosk's own: 'origin: kiosk'", "origin")
    variants: dict[str, tuple[str, ...]] = {}
    prompts = data["prompts"]
    for key, value in prompts.items():
        options = [value] if isinstance(value, str) else value
        if not isinstance(options, list) or not options or not all(
                isinstance(o, str) and o.strip() for o in options):
            c.error(prompts, f"prompt {key!r} must be a text or a list of texts", key)
            continue
        for option in options:
            try:
                option.format_map(_AnyField())
            except (ValueError, IndexError) as err:
                c.error(prompts, f"prompt {key!r} has a broken {{field}}: {err}", key)
        variants[key] = tuple(" ".join(o.split()) for o in options)
    for key in REQUIRED_PROMPTS:
        if key not in variants:
            c.error(prompts, f"prompt {key!r} is missing")
    return Prompts(variants, str(path))


class _AnyField(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


#: Prompt keys the dialog needs.
REQUIRED_PROMPTS = (
    "welcome", "menu", "not_understood", "not_understood_again", "which_one", "offer_more",
    "offer_more_again", "anything_else", "goodbye", "disclaimer", "stopped", "nothing_to_repeat",
    "nothing_before", "rate_changed", "rate_limit", "volume_changed", "volume_limit",
    "still_there", "no_more", "go_ahead", "did_you_mean", "rephrase", "choose_again",
    "complaint", "name_stap_test",
)


def _load_intents(path: Path, c: _Collector) -> Intents:
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        c.problems.append(Problem(str(path), 0, "expected a mapping with 'commands', 'flows', 'stopwords'"))
        return Intents({}, {}, frozenset())

    def phrase_table(key: str, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        table = data.get(key)
        if not isinstance(table, LineDict):
            c.error(data, f"missing mapping '{key}'", key if key in data else None)
            return {}
        out = {}
        for name in names:
            if name not in table:
                c.error(table, f"'{key}' has no phrasings for {name!r}")
            else:
                out[name] = _texts(table, name, c, minimum=1)
        for name in table:
            if name not in names:
                c.error(table, f"unknown {key[:-1]} {name!r}; known: {', '.join(names)}", name)
        return out

    commands = phrase_table("commands", COMMANDS)
    flows = phrase_table("flows", FLOWS)
    stopwords = frozenset(normalize(w) for w in _texts(data, "stopwords", c, minimum=1))
    openings = tuple(normalize(p) for p in _texts(data, "out_of_scope_openings", c))
    return Intents(commands, flows, stopwords, openings,
                   goodbyes=_texts(data, "goodbyes", c),
                   complaint_words=_texts(data, "complaint_words", c))


def _optional_out_of_scope(directory: Path, sections: dict[str, Section], intents: Intents,
                           c: _Collector) -> tuple[str, ...]:
    """Example questions the kiosk must decline, from ``out_of_scope.nl.yaml`` if present; one
    that is also a section's example or a command's phrasing is an error (two labels)."""
    path = directory / "out_of_scope.nl.yaml"
    if not path.exists():
        return ()
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        c.problems.append(Problem(str(path), 0, "expected a mapping with a list 'examples'"))
        return ()
    examples = _texts(data, "examples", c, minimum=1)
    claimed = {normalize(text): label for label, text in labelled_phrasings(sections, intents)}
    value = data.get("examples")
    value = value if isinstance(value, LineList) else LineList()
    for i, text in enumerate(value):
        label = isinstance(text, str) and claimed.get(normalize(text))
        if label:
            owner = label.replace(":", " ") if ":" in label else f"section {label}"
            c.error(value, f"{text!r} is out of scope here but also a phrasing of {owner}",
                    line=value.line_at(i))
    return examples


def labelled_phrasings(sections: dict[str, Section], intents: Intents) -> Iterator[tuple[str, str]]:
    """(label, text) in file order: every section's title, keywords and examples (label: the
    section id), then every command and flow phrasing (``command:NAME``, ``flow:NAME``)."""
    for section in sections.values():
        for text in (section.title, *section.keywords, *section.examples):
            yield section.id, text
    for kind, table in (("command", intents.commands), ("flow", intents.flows)):
        for name, phrases in table.items():
            for text in phrases:
                yield f"{kind}:{name}", text


def _optional_answers(directory: Path, c: _Collector) -> Any:
    path = directory / "answers.nl.yaml"
    if not path.exists():
        return None
    from kiosk.core import answers

    try:
        return answers.load_answers(path)
    except ContentError as err:
        c.problems.extend(err.problems)
        return None


def _optional_triage(directory: Path, sections: dict[str, Section], source: LeafletSource | None,
                     c: _Collector) -> Any:
    path = directory / "triage.nl.yaml"
    if not path.exists():
        return None
    from kiosk.core import triage

    try:
        return triage.load_triage(path, set(sections) | c.section_ids, source)
    except ContentError as err:
        c.problems.extend(err.problems)
        return None


def _optional_red_flags(directory: Path, sections: dict[str, Section], c: _Collector) -> Any:
    path = directory / "red_flags.nl.yaml"
    if not path.exists():
        c.warning(str(path), 0, "no red-flag file: visitors who need a doctor today are not recognised")
        return None
    from kiosk.core import safety

    known = {w for s in sections.values() for p in s.paragraphs for t in (p.text, *p.items)
             for w in t.split()}
    flags, problems = safety.check_red_flags(path, known)
    c.problems.extend(problems)
    return flags


def _optional_matching_data(directory: Path, parts: dict[str, Any], c: _Collector) -> tuple[Any, Any]:
    """``not_in_leaflet.nl.yaml`` and ``synonyms.nl.yaml``, if present (see
    :mod:`kiosk.core.not_in_leaflet` and :mod:`kiosk.core.synonyms`)."""
    from kiosk.core import not_in_leaflet, synonyms

    sections: dict[str, Section] = parts.get("sections", {})
    intents: Intents | None = parts.get("intents")
    table = words = None
    if not sections:  # the leaflet itself is broken: its errors are the ones to fix first
        return table, words
    path = directory / "not_in_leaflet.nl.yaml"
    if path.exists():
        try:
            # No sections (the leaflet failed to load, reported already): check pointers
            # against the design's ids rather than report every one as unknown.
            table, problems = not_in_leaflet.validate(load_yaml(path), str(path),
                                                      sections or SECTION_IDS)
            c.problems.extend(problems)
        except ContentError as err:
            c.problems.extend(err.problems)
        if table is not None and intents is not None:
            _check_not_claimed(table, sections, intents, c)
    path = directory / "synonyms.nl.yaml"
    if path.exists() and sections:  # without the leaflet there is nothing to check them against
        known = {w for _, text in labelled_phrasings(sections, intents or Intents({}, {}, frozenset()))
                 for w in normalize(text).split()}
        known |= {w for s in sections.values() for p in s.paragraphs for text in p.sentences()
                  for w in normalize(text).split()}
        if table is not None:
            known |= {w for _, text in table.phrasings() for w in normalize(text).split()}
        try:
            words, problems = synonyms.validate(load_yaml(path), str(path), known)
            c.problems.extend(problems)
        except ContentError as err:
            c.problems.extend(err.problems)
    return table, words


def _check_not_claimed(table: Any, sections: dict[str, Section], intents: Intents,
                       c: _Collector) -> None:
    """An example of "not in the leaflet" that is also a section's example, a command or flow
    phrasing or an out-of-scope example has two labels: an error."""
    claimed = {normalize(text): label for label, text in labelled_phrasings(sections, intents)}
    claimed.update((normalize(text), "none") for text in intents.out_of_scope_examples)
    seen: dict[str, str] = {}
    for entry in table.entries.values():
        for text in entry.examples:
            key = normalize(text)
            owner = claimed.get(key) or seen.get(key)
            if owner:
                where = "out_of_scope.nl.yaml" if owner == "none" else owner
                c.problems.append(Problem(entry.file, entry.line,
                                          f"example {text!r} of {entry.key!r} is also in {where}"))
            seen[key] = entry.key


def check_content(directory: Path | str = DEFAULT_CONTENT_DIR) -> tuple[Content | None, list[Problem]]:
    """Load everything and return (content or None, all problems found, warnings included)."""
    directory = Path(directory)
    c = _Collector()
    source_file = directory / "source" / "kngf-artrose-folder.txt"
    source = LeafletSource.from_file(source_file) if source_file.exists() else None
    if source is None:
        c.warning(str(source_file), 0, "leaflet text missing: source references are not checked")
    parts: dict[str, Any] = {}
    loaders: dict[str, Callable[[], Any]] = {
        "sections": lambda: _load_sections(directory / "leaflet.nl.yaml", c, source),
        "prompts": lambda: _load_prompts(directory / "prompts.nl.yaml", c),
        "intents": lambda: _load_intents(directory / "intents.nl.yaml", c),
    }
    for name, loader in loaders.items():
        try:
            parts[name] = loader()
        except ContentError as err:  # unreadable or broken YAML: report and go on
            c.problems.extend(err.problems)
    if "intents" in parts:
        try:
            declined = _optional_out_of_scope(directory, parts.get("sections", {}), parts["intents"], c)
        except ContentError as err:
            c.problems.extend(err.problems)
            declined = ()
        parts["intents"] = replace(parts["intents"], out_of_scope_examples=declined)
    answers = _optional_answers(directory, c)
    triage = _optional_triage(directory, parts.get("sections", {}), source, c)
    red_flags = _optional_red_flags(directory, parts.get("sections", {}), c)
    not_in_leaflet, synonyms = _optional_matching_data(directory, parts, c)
    if c.errors or len(parts) < len(loaders):
        return None, c.problems
    content = Content(
        sections=parts["sections"],
        prompts=parts["prompts"],
        intents=parts["intents"],
        directory=directory,
        answers=answers,
        triage=triage,
        red_flags=red_flags,
        not_in_leaflet=not_in_leaflet,
        synonyms=synonyms,
        warnings=tuple(p for p in c.problems if p.severity == "warning"),
    )
    return content, c.problems


def load_content(directory: Path | str = DEFAULT_CONTENT_DIR) -> Content:
    """Load and validate the content folder; raise ContentError listing every error."""
    content, problems = check_content(directory)
    if content is None:
        raise ContentError(problems)
    return content
