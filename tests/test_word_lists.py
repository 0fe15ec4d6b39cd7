"""The matcher's word lists (content/word_lists.nl.yaml): loaded through Content, checked by
kiosk check with file and line, and used by the matcher's rules."""

from __future__ import annotations

import dataclasses

from kiosk.core.content import check_content
from kiosk.core.matching import Matcher
from kiosk.core.word_lists import validate_word_lists
from kiosk.core.yamlfile import load_yaml_text

GOOD = """\
activities: [fietsen, Tuinieren]
joints: [knie, Knieën]
permission: [mag]
new_joint: [prothese]
other_sound_sources: [radio]
animals: [hond]
own: [mijn]
declined_cues:
  - section: stap-2
    words: [diabetes]
"""


def test_the_bundled_lists_are_loaded_through_content(content):
    lists = content.word_lists
    assert lists is not None
    assert {"fietsen", "sporten"} <= lists.activities
    assert "knieen" in lists.joints  # written "knieen" as the matcher hears it
    assert (frozenset({"beloop", "verloop", "rolstoel", "toekomst"}), "meer-zorgen") in lists.declined_cues


def test_words_are_stored_as_the_matcher_hears_them():
    lists, problems = validate_word_lists(load_yaml_text(GOOD, "w.yaml"), "w.yaml", ["stap-2"])
    assert problems == []
    assert lists is not None
    assert lists.joints == {"knie", "knieen"} and "tuinieren" in lists.activities
    assert lists.declined_cues == ((frozenset({"diabetes"}), "stap-2"),)


def test_two_words_a_double_and_an_unknown_section_are_named_at_their_line():
    text = GOOD.replace("[fietsen, Tuinieren]", "\n  - fietsen\n  - met de fiets\n  - Fietsen")
    text = text.replace("section: stap-2", "section: stap-9")
    _, problems = validate_word_lists(load_yaml_text(text, "w.yaml"), "w.yaml", ["stap-2"])
    shown = [str(p) for p in problems]
    assert any(s.startswith("w.yaml:3: error:") and "one word" in s and "met de fiets" in s
               for s in shown), shown
    text = GOOD.replace("[fietsen, Tuinieren]", "\n  - fietsen\n  - Fietsen")
    text = text.replace("section: stap-2", "section: stap-9")
    _, problems = validate_word_lists(load_yaml_text(text, "w.yaml"), "w.yaml", ["stap-2"])
    shown = [str(p) for p in problems]
    assert "w.yaml:3: error: activities: 'fietsen' is listed twice" in shown
    assert any(s.startswith("w.yaml:11: error:") and "'stap-9' does not exist" in s for s in shown), shown


def test_a_missing_or_empty_list_is_an_error():
    text = GOOD.replace("animals: [hond]\n", "").replace("own: [mijn]", "own: []")
    _, problems = validate_word_lists(load_yaml_text(text, "w.yaml"), "w.yaml", ["stap-2"])
    shown = " ".join(str(p) for p in problems)
    assert "missing field 'animals'" in shown and "own" in shown


def test_kiosk_check_reports_a_broken_entry_with_file_and_line(content_copy):
    path = content_copy / "word_lists.nl.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.strip() == "- golfen") + 1
    lines[number - 1] = "  - golfen op zondag\n"
    path.write_text("".join(lines), encoding="utf-8")
    content, problems = check_content(content_copy)
    assert content is None
    assert any(f"word_lists.nl.yaml:{number}:" in str(p) and "one word" in str(p)
               for p in problems), [str(p) for p in problems]


def test_the_matcher_uses_the_lists_of_the_content(content, trainer):
    """A new activity in the file makes a new movement question; without the lists the rule
    is off (the lists are data, not code)."""
    question = ["mag", "ik", "nog", "jeu", "de", "boules", "met", "mijn", "knie"]
    lists = content.word_lists
    assert lists is not None
    assert not Matcher(content, trainer=trainer)._movement_question(question)
    more = dataclasses.replace(lists, activities=lists.activities | {"boules"})
    with_boules = Matcher(dataclasses.replace(content, word_lists=more), trainer=trainer)
    assert with_boules._movement_question(question)
    off = Matcher(dataclasses.replace(content, word_lists=None), trainer=trainer)
    assert not off._movement_question(["mag", "ik", "nog", "fietsen", "met", "mijn", "knie"])
