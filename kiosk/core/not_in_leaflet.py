"""What the leaflet does not answer, and what the kiosk says instead (``content/not_in_leaflet.nl.yaml``).

Two lists of entries, each with a key, example phrasings and the kiosk's own short answer:

- ``topics``: health questions the leaflet does not cover (supplements, braces, the hospital
  stay ...). Optionally a ``pointer`` section that touches the subject; the kiosk then asks
  whether the visitor wants to hear it, instead of reading it as if it answered;
- ``requests``: things a waiting room asks that have nothing to do with the leaflet (the time,
  music, the toilet); the answer is followed by the file's ``hint`` of what the kiosk can do.

The matcher learns each entry as a class of its own (label ``niet:KEY``); a question that lands
there is still ``{"kind": "none"}`` in the evaluation contract, with the key beside it. Every
sentence said is the kiosk's own: origin ``kiosk:not_in_leaflet.KEY``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kiosk.core.leaflet import split_sentences
from kiosk.core.normalize import tokens
from kiosk.core.utterance import KIOSK, Utterance
from kiosk.core.yamlfile import LineDict, LineList, Problem

#: Label prefix of these entries in the matcher's training data.
LABEL_PREFIX = "niet:"
MIN_EXAMPLES = 8
MIN_NAME_LENGTH = 3
#: A name this long is also found inside a longer word ("glucosamine" in "glucosaminepillen");
#: a shorter one ("prp", "tape") only as a word of its own.
COMPOUND_NAME_LENGTH = 5
KINDS = ("topics", "requests")
#: Origin of the sentences said for an entry: ``kiosk:not_in_leaflet.KEY``.
ORIGIN = f"{KIOSK}:not_in_leaflet"


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str  # "topics" or "requests"
    answer: str
    examples: tuple[str, ...]
    pointer: str | None = None  # a section id that touches the subject
    pointer_text: str = ""
    #: Words that name the subject ("glucosamine", "kijkoperatie"): a question containing one
    #: is about this entry, whatever section shares its other words.
    names: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def label(self) -> str:
        return LABEL_PREFIX + self.key


@dataclass(frozen=True)
class NotInLeaflet:
    entries: dict[str, Entry]
    hint: str
    pointer_question: str
    file: str = ""

    def phrasings(self) -> Iterator[tuple[str, str]]:
        """(label, text) of every example, in file order."""
        for entry in self.entries.values():
            for text in entry.examples:
                yield entry.label, text

    def named_in(self, words: Iterable[str]) -> str | None:
        """The key of the first entry (topic or request) one of whose ``names`` is in
        ``words``, as a whole word or inside a compound ("magnesiumtabletten", "kniebrace")."""
        words = list(words)
        present, joined = set(words), "\n".join(words)  # a name has no line break: in one word
        for entry in self.entries.values():
            if any(name in present or (len(name) >= COMPOUND_NAME_LENGTH and name in joined)
                   for name in entry.names):
                return entry.key
        return None

    def key_of(self, label: str) -> str | None:
        """The entry key of a matcher label (``niet:KEY``), else None."""
        if label.startswith(LABEL_PREFIX) and label[len(LABEL_PREFIX):] in self.entries:
            return label[len(LABEL_PREFIX):]
        return None

    def say(self, key: str, offer_pointer: bool = True) -> list[Utterance]:
        """The kiosk's answer for ``key``: its sentence, then the pointer question (a topic
        with a pointer, when ``offer_pointer``) or the hint of what the kiosk can do (a
        request)."""
        entry = self.entries[key]
        origin = f"{ORIGIN}.{key}"
        texts = [entry.answer]
        if entry.pointer and offer_pointer:
            texts.append(self.pointer_question.format(pointer=entry.pointer_text))
        elif entry.kind == "requests":
            texts.append(self.hint)
        return [Utterance(s, origin, 0.35) for text in texts for s in split_sentences(text)]


def _text(node: LineDict, key: str, problems: list[Problem], required: bool = True) -> str:
    value = node.get(key)
    if value is None:
        if required:
            problems.append(node.problem(f"missing field '{key}'"))
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(node.problem(f"'{key}' must be a non-empty text", key))
        return ""
    return " ".join(value.split())


def _entry(node: object, kind: str, sections: Iterable[str], problems: list[Problem]) -> Entry | None:
    if not isinstance(node, LineDict):
        file = getattr(node, "file", "")
        problems.append(Problem(file, getattr(node, "line", 0),
                                f"an entry of '{kind}' must be a mapping (key, answer, examples)"))
        return None
    key = _text(node, "key", problems)
    answer = _text(node, "answer", problems)
    pointer = node.get("pointer")
    if pointer is not None and (not isinstance(pointer, str) or pointer not in set(sections)):
        problems.append(node.problem(f"pointer {pointer!r} is not a section id", "pointer"))
        pointer = None
    if pointer and kind == "requests":
        problems.append(node.problem("a request gets a hint, not a pointer section", "pointer"))
        pointer = None
    pointer_text = _text(node, "pointer_text", problems, required=bool(pointer))
    examples_node = node.get("examples")
    examples: list[str] = []
    if not isinstance(examples_node, LineList):
        problems.append(node.problem(f"entry {key!r} needs a list 'examples'"))
    else:
        for i, item in enumerate(examples_node):
            if not isinstance(item, str) or not item.strip():
                problems.append(Problem(node.file, examples_node.line_at(i),
                                        f"example {i + 1} of {key!r} must be a non-empty text"))
            else:
                examples.append(" ".join(item.split()))
        if len(examples) < MIN_EXAMPLES:
            problems.append(node.problem(
                f"entry {key!r} needs at least {MIN_EXAMPLES} examples, has {len(examples)}",
                "examples"))
    names = _names(node, key, problems)
    if not key or not answer:
        return None
    return Entry(key, kind, answer, tuple(examples), pointer, pointer_text, names,
                 node.file, node.line)


def _names(node: LineDict, key: str, problems: list[Problem]) -> tuple[str, ...]:
    """The optional list 'names' of a topic or a request ("lift" names the building):
    single words, lower case."""
    names_node = node.get("names")
    if names_node is None:
        return ()
    if not isinstance(names_node, LineList):
        problems.append(node.problem(f"'names' of {key!r} must be a list of words", "names"))
        return ()
    names: list[str] = []
    for i, item in enumerate(names_node):
        found = tokens(item) if isinstance(item, str) else []
        word = found[0] if len(found) == 1 else ""
        if len(word) < MIN_NAME_LENGTH:
            problems.append(Problem(node.file, names_node.line_at(i),
                                    f"name {i + 1} of {key!r} must be one word of at least "
                                    f"{MIN_NAME_LENGTH} letters"))
        else:
            names.append(word)
    return tuple(names)


def validate(data: object, file: str, sections: Iterable[str]) -> tuple[NotInLeaflet | None, list[Problem]]:
    """The parsed file and every problem found (each with file and line)."""
    problems: list[Problem] = []
    if not isinstance(data, LineDict):
        return None, [Problem(file, 0, "expected a mapping with 'topics' and 'requests'")]
    if data.get("origin") != KIOSK:
        problems.append(data.problem("these are the kiosk's own sentences: 'origin: kiosk'",
                                     "origin" if "origin" in data else None))
    hint = _text(data, "hint", problems)
    question = _text(data, "pointer_question", problems)
    if question and "{pointer}" not in question:
        problems.append(data.problem("'pointer_question' must contain {pointer}", "pointer_question"))
    section_ids = list(sections)
    entries: dict[str, Entry] = {}
    for kind in KINDS:
        items = data.get(kind)
        if not isinstance(items, LineList):
            problems.append(data.problem(f"missing list '{kind}'", kind if kind in data else None))
            continue
        for node in items:
            entry = _entry(node, kind, section_ids, problems)
            if entry is None:
                continue
            if entry.key in entries:
                problems.append(Problem(file, entry.line, f"duplicate key {entry.key!r}"))
                continue
            entries[entry.key] = entry
    return NotInLeaflet(entries, hint, question, file), problems
