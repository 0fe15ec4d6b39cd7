"""kiosk.core.schema: pydantic validation with every error at its file and line."""

from __future__ import annotations

import pytest

from kiosk.core.schema import Field, Flag, Number, Strict, Text, Whole, validate, validate_each
from kiosk.core.yamlfile import ContentError, load_yaml_text


class Item(Strict):
    word: Text
    count: Whole = 1


class Doc(Strict):
    name: Text
    ratio: Number = Field(default=1.0, gt=0, le=10)
    items: tuple[Item, ...] = ()
    note: Text | None = None
    done: Flag = False
    tags: tuple[str, ...] = Field(default=("a",), min_length=1)


def errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ContentError) as caught:
        validate(Doc, load_yaml_text(text, "doc.yaml"), "doc.yaml")
    assert all(p.file == "doc.yaml" for p in caught.value.problems)
    return [(p.line, p.message) for p in caught.value.problems]


def test_valid_data_gives_the_model_with_text_folded():
    doc = validate(Doc, load_yaml_text("name: >-\n  een\n  naam\nratio: 2\n", "d"), "d")
    assert doc == Doc(name="een naam", ratio=2.0)


def test_each_error_names_its_own_line():
    found = errors("name: x\nitems:\n  - word: a\n  - word: b\n    count: 2.5\n  - wrd: c\n")
    assert (5, "items[2].count: must be a whole number, not 2.5") in found
    assert any(line == 6 and "unknown field 'wrd'" in m and "known: word, count" in m
               for line, m in found)
    assert any(line == 6 and "missing field 'word'" in m for line, m in found)


@pytest.mark.parametrize("text, line, message", [
    ("ratio: 2\n", 1, "missing field 'name'"),
    ("name: x\nratio: true\n", 2, "ratio: must be a number, not true (yes/no)"),
    ("name: x\nratio: .nan\n", 2, "ratio: must be a finite number, not nan"),
    ("name: x\nratio: .inf\n", 2, "ratio: must be a finite number, not inf"),
    ("name: x\nratio: 0\n", 2, "ratio: must be more than 0, not 0"),
    ("name: x\nratio: 11\n", 2, "ratio: must be at most 10, not 11"),
    ("name: '  '\n", 1, "name: must not be empty"),
    ("name: [a, b]\n", 1, "name: must be a text, not a list"),
    ("name: x\nitems: {a: 1}\n", 2, "items: must be a list, not a mapping"),
    ("name: x\nitems:\n  - word: a\n    count: true\n", 4,
     "items[1].count: must be a whole number, not true (yes/no)"),
    ("name: x\ndone: ja\n", 2, "done: must be true or false, not the text 'ja'"),
    ("name: x\ndone: 1\n", 2, "done: must be true or false, not 1"),
    ("name: x\ntags: []\n", 2, "tags: must not be empty"),
])
def test_messages_say_what_is_wrong(text, line, message):
    assert (line, message) in errors(text)


def test_a_file_that_is_not_a_mapping():
    assert errors("- a\n- b\n") == [
        (1, "must be a mapping (name, ratio, items, note, done, tags), not a list")]


def test_validate_each_checks_every_item_on_its_own():
    data = load_yaml_text("- word: a\n- word: b\n  count: x\n- 3\n- {wrd: c}\n", "l.yaml")
    items, found = validate_each(Item, data, "l.yaml", "entries")
    assert items[0] == Item(word="a") and items[1:] == [None, None, None]
    assert [(p.line, p.message) for p in found] == [
        (3, "entries[2].count: must be a whole number, not the text 'x'"),
        (4, "entries[3]: must be a mapping (word, count), not 3"),
        (5, "missing field 'word' in entries[4]"),
        (5, "unknown field 'wrd' in entries[4]; known: word, count"),
    ]
