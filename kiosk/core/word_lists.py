"""The matcher's Dutch word lists (``content/word_lists.nl.yaml``), editable by the practice.

The matcher's structural rules need to know a few kinds of words: activities, joints, "may I
still" words, a new joint, another sound source, animals, the visitor's own joint, words of
stopping or going on, words that speak to the kiosk itself, and words that name what a section
is about when a question is otherwise declined (a cue with ``instead_of`` also replaces the
sections it lists). They are data, not code, so a practice assistant can add a sport or an
animal; ``kiosk check`` refuses an entry that is not one plain word, or a cue naming a section
that does not exist, at its file:line.
Words are written as the matcher normalises them (lower case, accents folded: "knieen").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator

from kiosk.core.normalize import tokens
from kiosk.core.schema import Field, Strict, Text, validate
from kiosk.core.yamlfile import ContentError, LineDict, LineList, Problem


def _word(value: Any) -> Any:
    """One word as the matcher hears it: 'Knieën' is stored as 'knieen'; two words are refused."""
    if not isinstance(value, str):
        return value  # the str type reports it
    found = tokens(value)
    if len(found) != 1:
        raise ValueError(f"must be one word, not {value!r}")
    return found[0]


Word = Annotated[str, BeforeValidator(_word)]
Words = Annotated[list[Word], Field(min_length=1)]


class _CueShape(Strict):
    section: Text
    words: Words
    instead_of: list[Text] = Field(default_factory=list)


class _WordListsShape(Strict):
    activities: Words
    joints: Words
    permission: Words
    movement_asks: Words
    new_joint: Words
    other_sound_sources: Words
    animals: Words
    own: Words
    keep_going: list[Word] = Field(default_factory=list)
    to_the_kiosk: list[Word] = Field(default_factory=list)
    declined_cues: list[_CueShape] = Field(default_factory=list)


@dataclass(frozen=True)
class WordLists:
    """The lists, as sets of normalised words; see content/word_lists.nl.yaml for each one."""

    activities: frozenset[str] = frozenset()
    joints: frozenset[str] = frozenset()
    permission: frozenset[str] = frozenset()
    movement_asks: frozenset[str] = frozenset()
    new_joint: frozenset[str] = frozenset()
    other_sound_sources: frozenset[str] = frozenset()
    animals: frozenset[str] = frozenset()
    own: frozenset[str] = frozenset()
    keep_going: frozenset[str] = frozenset()
    #: "jij", "jou", "gij" as the visitor said them: small talk to the kiosk without a joint.
    to_the_kiosk: frozenset[str] = frozenset()
    #: (words, section id), in file order: the first cue found wins.
    declined_cues: tuple[tuple[frozenset[str], str], ...] = ()
    #: (words, section id, sections it replaces): a question with these words that would
    #: read one of those sections reads the cue's section instead.
    replacing_cues: tuple[tuple[frozenset[str], str, frozenset[str]], ...] = ()
    file: str = ""


#: No lists: the rules that need them never fire.
EMPTY = WordLists()


def validate_word_lists(data: object, file: str, sections: Iterable[str]
                        ) -> tuple[WordLists | None, list[Problem]]:
    """The lists and every problem, each at its file and line: the shape (every entry one
    word, no list empty), a word listed twice in one list, a cue for an unknown section."""
    try:
        shape = validate(_WordListsShape, data, file)
    except ContentError as err:
        return None, err.problems
    problems: list[Problem] = []
    assert isinstance(data, LineDict)  # validated above
    for name in _WordListsShape.model_fields:
        node = data.get(name)
        if name != "declined_cues" and isinstance(node, LineList):
            problems += _twice(node, name)
    known = set(sections)
    cues_node = data.get("declined_cues")
    for index, cue in enumerate(shape.declined_cues):
        line = cues_node.line_at(index) if isinstance(cues_node, LineList) else data.line
        for section in (cue.section, *cue.instead_of):
            if section not in known:
                problems.append(Problem(file, line, f"declined_cues[{index + 1}]: section "
                                                    f"{section!r} does not exist"))
        item = cues_node[index] if isinstance(cues_node, LineList) else None
        if isinstance(item, LineDict) and isinstance(item.get("words"), LineList):
            problems += _twice(item["words"], f"declined_cues[{index + 1}].words")
    lists = WordLists(
        activities=frozenset(shape.activities), joints=frozenset(shape.joints),
        permission=frozenset(shape.permission), movement_asks=frozenset(shape.movement_asks),
        new_joint=frozenset(shape.new_joint),
        other_sound_sources=frozenset(shape.other_sound_sources),
        animals=frozenset(shape.animals), own=frozenset(shape.own),
        keep_going=frozenset(shape.keep_going), to_the_kiosk=frozenset(shape.to_the_kiosk),
        declined_cues=tuple((frozenset(c.words), c.section) for c in shape.declined_cues),
        replacing_cues=tuple((frozenset(c.words), c.section, frozenset(c.instead_of))
                             for c in shape.declined_cues if c.instead_of),
        file=file,
    )
    return lists, problems


def _twice(node: LineList, where: str) -> list[Problem]:
    """A word that stands twice in one list (after normalising) is a slip: name the second."""
    seen: set[str] = set()
    problems = []
    for index, item in enumerate(node):
        found = tokens(item) if isinstance(item, str) else []
        if len(found) != 1:  # not one word: the shape check reports it
            continue
        word = found[0]
        if word in seen:
            problems.append(Problem(node.file, node.line_at(index),
                                    f"{where}: {word!r} is listed twice"))
        seen.add(word)
    return problems
