"""The kiosk's content: leaflet sections, its own prompts and the phrasings of commands and flows.

Loaded from ``content/*.yaml`` into typed, immutable objects and validated on the way: every
problem names its file and line. Pure: files are read once at load time, nothing after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from rapidfuzz import fuzz

from kiosk.datafiles import shipped
from kiosk.core.normalize import fold_accents, normalize
from kiosk.core.utterance import KIOSK, LEAFLET, Utterance
from kiosk.core.yamlfile import ContentError, LineDict, LineList, Problem, load_yaml

#: The bundled content folder (``content/`` of the checkout, or as installed with the package).
DEFAULT_CONTENT_DIR = shipped("content")

#: Section ids of DESIGN.md: stable, tests and evaluations refer to them.
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
_FOOTNOTE = re.compile(r"(?<=[^\W\d_])\d+(?:-\d+)?")
_SOURCE_WINDOW_SLACK = 800
SOURCE_MATCH_MIN = 90


def split_sentences(text: str) -> list[str]:
    """Split running text at sentence ends ('. ', '? ', '! ' before a capital or digit)."""
    text = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(text) if s]


# --------------------------------------------------------------------------- leaflet source
def normalize_source(text: str) -> str:
    """The form in which leaflet and content are compared: lower case, accents folded,
    footnote numbers glued to words removed, every other non-alphanumeric a space."""
    text = _FOOTNOTE.sub("", text)
    text = fold_accents(text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


class LeafletSource:
    """The leaflet's text, for checking that spoken sentences really come from it."""

    def __init__(self, text: str, file: str = "leaflet"):
        self.file = file
        self.normalized = normalize_source(text)

    @classmethod
    def from_file(cls, path: Path) -> LeafletSource:
        return cls(path.read_text(encoding="utf-8"), str(path))

    def locate(self, heading: str, starts: str) -> tuple[int, str | None]:
        """Position of the paragraph that opens with ``starts`` under ``heading``.

        Returns (position, None) or (-1, reason).
        """
        at = self.normalized.find(normalize_source(heading))
        if not heading.strip() or at < 0:
            return -1, f"heading {heading!r} is not in the leaflet text"
        pos = self.normalized.find(normalize_source(starts), at)
        if not starts.strip() or pos < 0:
            return -1, f"paragraph starting {starts!r} is not found under heading {heading!r}"
        return pos, None

    def untraceable(self, heading: str, starts: str, sentences: Sequence[str]) -> list[str]:
        """Reasons why ``sentences`` cannot be traced to the paragraph; empty when they can."""
        pos, reason = self.locate(heading, starts)
        if reason:
            return [reason]
        total = sum(len(s) for s in sentences)
        window = self.normalized[pos : pos + total + _SOURCE_WINDOW_SLACK]
        problems = []
        for sentence in sentences:
            norm = normalize_source(sentence)
            if norm and fuzz.partial_ratio(norm, window) < SOURCE_MATCH_MIN:
                problems.append(f"sentence not found in the leaflet near {starts!r}: {sentence!r}")
        return problems


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


@dataclass(frozen=True)
class Content:
    sections: dict[str, Section]
    prompts: Prompts
    intents: Intents
    directory: Path
    answers: Any = None  # kiosk.core.answers.AnswerLexicon when content/answers.nl.yaml exists
    triage: Any = None  # kiosk.core.triage.TriageBook when content/triage.nl.yaml exists
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


def _text(node: LineDict, key: str, c: _Collector, required: bool = True) -> str:
    value = node.get(key)
    if value is None:
        if required:
            c.error(node, f"missing field '{key}'")
        return ""
    if not isinstance(value, str) or not value.strip():
        c.error(node, f"'{key}' must be a non-empty text", key)
        return ""
    return " ".join(value.split())


def _texts(node: LineDict, key: str, c: _Collector, minimum: int = 0) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        if minimum:
            c.error(node, f"missing field '{key}'")
        return ()
    if not isinstance(value, list):
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


def _paragraph(node: Any, c: _Collector, source: LeafletSource | None) -> Paragraph | None:
    if not isinstance(node, LineDict):
        c.error(node, "a paragraph must be a mapping with 'source' and 'text' or 'items'")
        return None
    ref = node.get("source")
    if not isinstance(ref, LineDict):
        c.error(node, "paragraph has no 'source' (leaflet heading and first words)",
                "source" if "source" in node else None)
        return None
    heading, starts = _text(ref, "heading", c), _text(ref, "starts", c)
    text = _text(node, "text", c, required=False)
    items = _texts(node, "items", c)
    if not text and not items:
        c.error(node, "paragraph has neither 'text' nor 'items': nothing to say")
        return None
    paragraph = Paragraph(SourceRef(heading, starts, ref.file, ref.line), text, items)
    if source is not None and heading and starts:
        for reason in source.untraceable(heading, starts, paragraph.sentences()):
            c.error(ref, reason)
    return paragraph


def _section(node: Any, c: _Collector, source: LeafletSource | None) -> Section | None:
    if not isinstance(node, LineDict):
        c.error(node, "a section must be a mapping (id, title, keywords, examples, paragraphs)")
        return None
    section_id = _text(node, "id", c)
    group = _text(node, "group", c)
    if group and group not in GROUPS:
        c.error(node, f"unknown group {group!r}; use one of: {', '.join(GROUPS)}", "group")
    paragraphs_node = node.get("paragraphs")
    paragraphs: list[Paragraph] = []
    if not isinstance(paragraphs_node, list) or not paragraphs_node:
        c.error(node, f"section {section_id!r} has no paragraphs", "paragraphs" if paragraphs_node is not None else None)
    else:
        for item in paragraphs_node:
            paragraph = _paragraph(item, c, source)
            if paragraph:
                paragraphs.append(paragraph)
    more = node.get("more")
    if more is not None and not isinstance(more, str):
        c.error(node, "'more' must be one section id", "more")
        more = None
    return Section(
        id=section_id,
        title=_text(node, "title", c),
        group=group,
        keywords=_texts(node, "keywords", c, minimum=1),
        examples=_texts(node, "examples", c, minimum=MIN_EXAMPLES),
        paragraphs=tuple(paragraphs),
        more=more,
        related=_texts(node, "related", c),
        file=node.file,
        line=node.line,
    )


def _load_sections(path: Path, c: _Collector, source: LeafletSource | None) -> dict[str, Section]:
    data = load_yaml(path)
    if not isinstance(data, LineDict) or not isinstance(data.get("sections"), list):
        line = getattr(data, "line", 0)
        c.problems.append(Problem(str(path), line, "expected a top-level 'sections:' list"))
        return {}
    sections: dict[str, Section] = {}
    for node in data["sections"]:
        section = _section(node, c, source)
        if section is None or not section.id:
            continue
        if section.id in sections:
            first = sections[section.id]
            c.error(node, f"duplicate section id {section.id!r} (first at line {first.line})", "id")
            continue
        sections[section.id] = section
    for missing in (i for i in SECTION_IDS if i not in sections):
        c.error(data, f"section {missing!r} is missing (required by the design)", "sections")
    for section in sections.values():
        for ref in (section.more, *section.related):
            if ref and ref not in sections:
                c.problems.append(Problem(section.file, section.line, f"section {section.id!r} refers to unknown section {ref!r}"))
    return sections


def _load_prompts(path: Path, c: _Collector) -> Prompts:
    data = load_yaml(path)
    if not isinstance(data, LineDict) or not isinstance(data.get("prompts"), LineDict):
        c.problems.append(Problem(str(path), getattr(data, "line", 0), "expected a top-level 'prompts:' mapping"))
        return Prompts({}, str(path))
    if data.get("origin") != KIOSK:
        c.error(data, "prompts must be marked as the kiosk's own: 'origin: kiosk'", "origin")
    variants: dict[str, tuple[str, ...]] = {}
    prompts = data["prompts"]
    for key, value in prompts.items():
        options = [value] if isinstance(value, str) else value
        if not isinstance(options, list) or not options or not all(isinstance(o, str) and o.strip() for o in options):
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


class _AnyField(dict):
    def __missing__(self, key: str) -> str:
        return ""


#: Prompt keys the dialog needs.
REQUIRED_PROMPTS = (
    "welcome", "menu", "not_understood", "not_understood_again", "which_one", "offer_more",
    "offer_more_again", "anything_else", "goodbye", "disclaimer", "stopped", "nothing_to_repeat",
    "nothing_before", "rate_changed", "rate_limit", "volume_changed", "volume_limit",
    "still_there", "no_more", "go_ahead", "did_you_mean", "rephrase",
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
    return Intents(commands, flows, stopwords, openings)


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
    for i, text in enumerate(value if isinstance(value, LineList) else []):
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
    from kiosk.core import answers  # noqa: PLC0415 - optional part, loaded only when its data exists

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
    from kiosk.core import triage  # noqa: PLC0415

    try:
        return triage.load_triage(path, set(sections), source)
    except ContentError as err:
        c.problems.extend(err.problems)
        return None


def check_content(directory: Path | str = DEFAULT_CONTENT_DIR) -> tuple[Content | None, list[Problem]]:
    """Load everything and return (content or None, all problems found, warnings included)."""
    directory = Path(directory)
    c = _Collector()
    source_file = directory / "source" / "kngf-artrose-folder.txt"
    source = LeafletSource.from_file(source_file) if source_file.exists() else None
    if source is None:
        c.warning(str(source_file), 0, "leaflet text missing: source references are not checked")
    parts: dict[str, Any] = {}
    loaders = {
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
    if c.errors or len(parts) < len(loaders):
        return None, c.problems
    content = Content(
        sections=parts["sections"],
        prompts=parts["prompts"],
        intents=parts["intents"],
        directory=directory,
        answers=answers,
        triage=triage,
        warnings=tuple(p for p in c.problems if p.severity == "warning"),
    )
    return content, c.problems


def load_content(directory: Path | str = DEFAULT_CONTENT_DIR) -> Content:
    """Load and validate the content folder; raise ContentError listing every error."""
    content, problems = check_content(directory)
    if content is None:
        raise ContentError(problems)
    return content
