"""The kiosk's content: leaflet sections, its own prompts and the phrasings of commands and flows.

Loaded from ``content/*.yaml`` into typed, immutable objects and validated on the way: every
problem names its file and line. Pure: files are read once at load time, nothing after.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, model_validator

from kiosk.core import answers as answers_module
from kiosk.core import not_in_leaflet as not_in_leaflet_module
from kiosk.core import safety
from kiosk.core import synonyms as synonyms_module
from kiosk.core import triage as triage_module
from kiosk.core import word_lists as word_lists_module
from kiosk.core.leaflet import (
    ITEM_PAUSE,
    PARAGRAPH_PAUSE,
    SECTION_IDS,
    SENTENCE_PAUSE,
    Adaptation,
    LeafletSource,
    normalize_source,
    split_sentences,
    unlabelled_misconceptions,
)
from kiosk.core.normalize import normalize
from kiosk.core.schema import Field, Items, Strict, Text, validate, validate_each
from kiosk.core.utterance import KIOSK, LEAFLET, Utterance
from kiosk.core.yamlfile import ContentError, LineDict, LineList, Problem, load_yaml
from kiosk.datafiles import shipped

#: The bundled content folder (``content/`` of the checkout, or as installed with the package).
DEFAULT_CONTENT_DIR = shipped("content")

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
    #: Prompts that give or withhold advice, for the clinical sign-off (``kiosk check --review``).
    review: tuple[safety.ReviewItem, ...] = ()

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
    # The optional parts, each None when its file is missing.
    answers: answers_module.AnswerLexicon | None = None  # content/answers.nl.yaml
    triage: triage_module.TriageBook | None = None  # content/triage.nl.yaml
    red_flags: safety.RedFlags | None = None  # content/red_flags.nl.yaml
    not_in_leaflet: not_in_leaflet_module.NotInLeaflet | None = None  # content/not_in_leaflet.nl.yaml
    synonyms: synonyms_module.Synonyms | None = None  # content/synonyms.nl.yaml
    word_lists: word_lists_module.WordLists | None = None  # content/word_lists.nl.yaml
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
    review: list[safety.ReviewItem] = []
    prompts = data["prompts"]
    for key, value in prompts.items():
        if isinstance(value, LineDict):
            value = _reviewed_prompt(path, key, value, review, c)
            if value is None:
                continue
        elif key in ADVICE_PROMPTS:
            c.error(prompts, f"prompt {key!r} gives advice: write it as 'text:' with 'reviewed: false' "
                             "so a physiotherapist signs it off (see content/REVIEW.md)", key)
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
    return Prompts(variants, str(path), tuple(review))


def _reviewed_prompt(path: Path, key: str, node: LineDict, review: list[safety.ReviewItem],
                     c: _Collector) -> Any:
    """A prompt written as ``{text, reviewed}``: its text, and a sign-off item per variant."""
    reviewed = safety.reviewed_flag(node, f"prompt {key!r}", c.error, only_text=True)
    text = node.get("text")
    if text is None:
        c.error(node, f"prompt {key!r} has no 'text'")
        return None
    for option in [text] if isinstance(text, str) else text if isinstance(text, list) else []:
        if isinstance(option, str):
            review.append(safety.ReviewItem(str(path), node.line_of("text"), f"{KIOSK}:{key}",
                                            " ".join(option.split()), reviewed))
    return text


class _AnyField(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


#: Prompt keys the dialog needs.
REQUIRED_PROMPTS = (
    "welcome", "menu", "not_understood", "not_understood_again", "which_one", "offer_more",
    "offer_more_again", "anything_else", "goodbye", "disclaimer", "stopped", "nothing_to_repeat",
    "nothing_before", "rate_changed", "rate_limit", "volume_changed", "volume_limit",
    "still_there", "no_more", "go_ahead", "did_you_mean", "rephrase", "choose_again",
    "complaint", "name_stap_test", "advice_stopped",
)

#: Prompts that send a visitor somewhere, offer or withhold advice, or explain a medical word:
#: each must carry a ``reviewed`` marker for the clinical sign-off.
ADVICE_PROMPTS = ("disclaimer", "complaint", "explain_tweedelijnszorg", "goodbye", "advice_stopped")


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


def _optional_answers(directory: Path, c: _Collector) -> answers_module.AnswerLexicon | None:
    path = directory / "answers.nl.yaml"
    if not path.exists():
        return None
    try:
        return answers_module.load_answers(path)
    except ContentError as err:
        c.problems.extend(err.problems)
        return None


def _optional_triage(directory: Path, sections: dict[str, Section], source: LeafletSource | None,
                     c: _Collector) -> triage_module.TriageBook | None:
    path = directory / "triage.nl.yaml"
    if not path.exists():
        return None
    try:
        return triage_module.load_triage(path, set(sections) | c.section_ids, source)
    except ContentError as err:
        c.problems.extend(err.problems)
        return None


def _optional_red_flags(directory: Path, sections: dict[str, Section],
                        c: _Collector) -> safety.RedFlags | None:
    path = directory / "red_flags.nl.yaml"
    if not path.exists():
        c.warning(str(path), 0, "no red-flag file: visitors who need a doctor today are not recognised")
        return None
    known = {w for s in sections.values() for p in s.paragraphs for t in (p.text, *p.items)
             for w in t.split()}
    flags, problems = safety.check_red_flags(path, known)
    c.problems.extend(problems)
    return flags


def _optional_matching_data(directory: Path, parts: dict[str, Any], c: _Collector
                            ) -> tuple[not_in_leaflet_module.NotInLeaflet | None,
                                       synonyms_module.Synonyms | None]:
    """``not_in_leaflet.nl.yaml`` and ``synonyms.nl.yaml``, if present (see
    :mod:`kiosk.core.not_in_leaflet` and :mod:`kiosk.core.synonyms`)."""
    sections: dict[str, Section] = parts.get("sections", {})
    intents: Intents | None = parts.get("intents")
    table: not_in_leaflet_module.NotInLeaflet | None = None
    words: synonyms_module.Synonyms | None = None
    if not sections:  # the leaflet itself is broken: its errors are the ones to fix first
        return table, words
    path = directory / "not_in_leaflet.nl.yaml"
    if path.exists():
        table = _checked_file(path, not_in_leaflet_module.validate, sections, c)
        if table is not None and intents is not None:
            _check_not_claimed(table, sections, intents, c)
    path = directory / "synonyms.nl.yaml"
    if path.exists():
        known = {w for _, text in labelled_phrasings(sections, intents or Intents({}, {}, frozenset()))
                 for w in normalize(text).split()}
        known |= {w for s in sections.values() for p in s.paragraphs for text in p.sentences()
                  for w in normalize(text).split()}
        if table is not None:
            known |= {w for _, text in table.phrasings() for w in normalize(text).split()}
        words = _checked_file(path, synonyms_module.validate, known, c)
    return table, words


def _optional_word_lists(directory: Path, sections: dict[str, Section], c: _Collector
                         ) -> word_lists_module.WordLists | None:
    """``word_lists.nl.yaml``, if present (see :mod:`kiosk.core.word_lists`)."""
    path = directory / "word_lists.nl.yaml"
    if not sections:  # the leaflet itself is broken: its errors are the ones to fix first
        return None
    if not path.exists():
        c.warning(str(path), 0, "no word lists: the matcher's rules for activities, animals, "
                                "other sound sources and declined cues are off")
        return None
    return _checked_file(path, word_lists_module.validate_word_lists, sections, c)


_Checked = TypeVar("_Checked")


def _checked_file(path: Path, validate: Callable[[object, str, Any], tuple[_Checked | None, list[Problem]]],
                  against: Any, c: _Collector) -> _Checked | None:
    """What ``validate`` reads from the YAML file at ``path`` (checked ``against`` the
    leaflet's sections or words), or None when the file cannot be read; every problem, the
    file's own or the check's, goes to ``c`` at its file and line."""
    try:
        value, problems = validate(load_yaml(path), str(path), against)
    except ContentError as err:
        c.problems.extend(err.problems)
        return None
    c.problems.extend(problems)
    return value


def _check_not_claimed(table: not_in_leaflet_module.NotInLeaflet, sections: dict[str, Section],
                       intents: Intents, c: _Collector) -> None:
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
    for section in sections.values():  # a name said in the leaflet's part would deny it
        texts = (section.title, *section.keywords, *section.examples,
                 *(text for p in section.paragraphs for text in p.sentences()))
        for text in texts:
            named = table.named_in(normalize(text).split())
            if named:
                entry = table.entries[named]
                c.problems.append(Problem(entry.file, entry.line,
                                          f"a name of {named!r} occurs in section {section.id!r}: {text!r}"))


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
    word_lists = _optional_word_lists(directory, parts.get("sections", {}), c)
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
        word_lists=word_lists,
        warnings=tuple(p for p in c.problems if p.severity == "warning"),
    )
    return content, c.problems


def load_content(directory: Path | str = DEFAULT_CONTENT_DIR) -> Content:
    """Load and validate the content folder; raise ContentError listing every error."""
    content, problems = check_content(directory)
    if content is None:
        raise ContentError(problems)
    return content
