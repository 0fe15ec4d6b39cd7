"""The sets written from docs/needs.md share no sentence with the content or the older sets.

They measure the matcher on questions written apart from its own phrasings; a sentence that
is also a content example (or a line of an older set) would measure memory, not understanding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.bench.text import load_questions
from kiosk.core.content import load_content
from kiosk.core.normalize import normalize

DATA = Path(__file__).parent / "data"
NEW_SETS = ("needs-dev.nl.tsv", "needs-heldout.nl.tsv", "ood-dev.nl.tsv", "ood-heldout.nl.tsv")
OLD_SETS = ("questions.nl.tsv", "dev-questions.nl.tsv")


def _sentences(name: str) -> dict[str, int]:
    return {normalize(q.text): q.line for q in load_questions(DATA / name)}


def _content_sentences() -> set[str]:
    content = load_content()
    texts = [text for _, text in content.phrasings()]
    texts += content.intents.out_of_scope_examples
    if content.not_in_leaflet is not None:
        texts += [text for _, text in content.not_in_leaflet.phrasings()]
    return {normalize(text) for text in texts}


@pytest.mark.parametrize("name", NEW_SETS)
def test_no_sentence_is_shared_with_the_content_or_the_older_sets(name: str) -> None:
    ours = _sentences(name)
    others = _content_sentences()
    for old in OLD_SETS:
        others |= set(_sentences(old))
    shared = sorted(f"line {line}: {text}" for text, line in ours.items() if text in others)
    assert not shared, f"{name} shares sentences: {shared}"


def test_the_halves_share_no_sentence_and_are_large_enough() -> None:
    dev, held = _sentences("needs-dev.nl.tsv"), _sentences("needs-heldout.nl.tsv")
    ood_dev, ood_held = _sentences("ood-dev.nl.tsv"), _sentences("ood-heldout.nl.tsv")
    assert not set(dev) & set(held)
    assert not set(ood_dev) & set(ood_held)
    assert len(dev) + len(held) >= 200
    assert len(ood_dev) + len(ood_held) >= 150


def test_every_section_is_asked_about() -> None:
    content = load_content()
    labels = {label for name in NEW_SETS[:2] for q in load_questions(DATA / name)
              for label in q.expected}
    assert set(content.sections) <= labels, set(content.sections) - labels


def test_needs_development_half_is_measured_not_assumed(matcher) -> None:
    """Guards the development half against regressions (measured 2026-12-02: 90.6% right,
    1/23 false accepts, no in-domain question told "not in the leaflet"; the issue's targets,
    on the held-out half, are 90% and 5%: see docs/matcher.md). The held-out halves are read
    by no test."""
    from kiosk.bench.text import evaluate

    result = evaluate(matcher, load_questions(DATA / "needs-dev.nl.tsv"))
    assert result["accuracy"] >= 0.88
    assert result["false_accept_rate"] <= 0.09
    assert result["not_in_leaflet_on_in_domain"] == 0


def test_out_of_domain_development_half_is_declined(matcher) -> None:
    """Measured 2026-12-01: 0/78 accepted, 39% got a short own answer."""
    from kiosk.bench.text import evaluate

    result = evaluate(matcher, load_questions(DATA / "ood-dev.nl.tsv"))
    assert result["false_accept_rate"] <= 0.03
    assert result["own_answer_on_none_rate"] >= 0.3


# --- The unseen held-out sets (written 2026-12-02, blind to the matcher; see tests/data/README.md).
# No test measures the matcher or the red-flag detector on them: they are measured once, by hand.

UNSEEN_QUESTIONS = ("needs-unseen.nl.tsv", "ood-unseen.nl.tsv")
UNSEEN_RED_FLAGS = "red-flags-unseen.nl.tsv"
# Written later, blind to the detector, once red-flags-unseen.nl.tsv had become development data.
FRESH_RED_FLAGS = "red-flags-fresh.nl.tsv"
# Written later still, blind to the detector, once red-flags-fresh.nl.tsv had become development data.
FRESH2_RED_FLAGS = "red-flags-fresh2.nl.tsv"
# Written later still, blind to the detector and the matcher, once every earlier red-flag and
# out-of-domain set had been read and tuned on (round 4).
FRESH3_RED_FLAGS = "red-flags-fresh3.nl.tsv"
FRESH2_OUT_OF_DOMAIN = "ood-fresh2.nl.tsv"
# Round 5, written later still, blind to the detector and the matcher, once the round-4 sets had
# been read; mixed lengths and more hard neighbours told as history or someone else's story.
FRESH4_RED_FLAGS = "red-flags-fresh4.nl.tsv"
FRESH3_OUT_OF_DOMAIN = "ood-fresh3.nl.tsv"
#: The fresh held-out question sets (round 3, written 2026-12-02 after the unseen sets had been
#: read; blind to the matcher, see tests/data/README.md).
FRESH_QUESTIONS = ("needs-fresh.nl.tsv", "ood-fresh.nl.tsv")
#: Round 4, written later still, blind to the matcher, once needs-fresh.nl.tsv had been read.
FRESH2_QUESTIONS = "needs-fresh2.nl.tsv"
#: Round 5, written later still, blind to the matcher, once every earlier question set had been read.
FRESH3_QUESTIONS = "needs-fresh3.nl.tsv"
UNSEEN = (*UNSEEN_QUESTIONS, *FRESH_QUESTIONS, FRESH2_QUESTIONS, FRESH3_QUESTIONS, UNSEEN_RED_FLAGS,
          FRESH_RED_FLAGS, FRESH2_RED_FLAGS, FRESH3_RED_FLAGS, FRESH2_OUT_OF_DOMAIN, FRESH4_RED_FLAGS,
          FRESH3_OUT_OF_DOMAIN)


def _texts(path: Path) -> list[tuple[str, int]]:
    """The normalised sentences of any labelled set (question, heard or answer text) with their
    line numbers; the header word is whatever the file's first line says."""
    from kiosk.bench.labels import labelled_lines

    header = path.read_text(encoding="utf-8").split("\t", 1)[0].strip().lower()
    return [(normalize(text), number) for number, text, _, _ in labelled_lines(path, header, "set")]


def _first_column(path: Path) -> dict[str, int]:
    return dict(_texts(path))


def _red_flag_examples() -> set[str]:
    flags = load_content().red_flags
    assert flags is not None
    return {normalize(e) for g in flags.groups for e in (*g.examples, *g.not_examples)}


@pytest.mark.parametrize("name", UNSEEN)
def test_unseen_sets_share_no_sentence_with_the_content_or_any_other_set(name: str) -> None:
    ours = _first_column(DATA / name)
    others = _content_sentences() | _red_flag_examples()
    for path in sorted(DATA.glob("*.tsv")):
        if path.name != name:
            others |= set(_first_column(path))
    shared = sorted(f"line {line}: {text}" for text, line in ours.items() if text in others)
    assert not shared, f"{name} shares sentences: {shared}"


@pytest.mark.parametrize("name", UNSEEN)
def test_unseen_sets_repeat_no_sentence_of_their_own(name: str) -> None:
    texts = [text for text, _ in _texts(DATA / name)]
    assert len(texts) == len(set(texts)), sorted({t for t in texts if texts.count(t) > 1})


@pytest.mark.parametrize("name, at_least, declined_range", [
    ("needs-unseen.nl.tsv", 140, (20, 35)),
    ("needs-fresh.nl.tsv", 130, (18, 35)),
    (FRESH2_QUESTIONS, 150, (22, 35)),
    (FRESH3_QUESTIONS, 170, (28, 45)),
])
def test_needs_sets_are_large_enough_and_ask_about_every_section(
        name: str, at_least: int, declined_range: tuple[int, int]) -> None:
    content = load_content()
    questions = load_questions(DATA / name)
    flows = {"flow:stap", "flow:beweger"}
    bad = [(q.line, label) for q in questions for label in q.expected
           if label not in content.sections and label not in flows and label != "none"]
    assert not bad, bad
    labels = {label for q in questions for label in q.expected}
    assert set(content.sections) <= labels, set(content.sections) - labels
    assert flows <= labels
    declined = [q for q in questions if q.expected == ("none",)]
    assert len(questions) >= at_least
    assert declined_range[0] <= len(declined) <= declined_range[1]


@pytest.mark.parametrize("name, at_least", [
    ("ood-unseen.nl.tsv", 80), ("ood-fresh.nl.tsv", 70), (FRESH2_OUT_OF_DOMAIN, 90),
    (FRESH3_OUT_OF_DOMAIN, 100),
])
def test_out_of_domain_sets_are_large_enough_and_all_none(name: str, at_least: int) -> None:
    questions = load_questions(DATA / name)
    assert len(questions) >= at_least
    assert all(q.expected == ("none",) for q in questions)


@pytest.mark.parametrize("name, at_least, per_group", [
    (UNSEEN_RED_FLAGS, 40, 7), (FRESH_RED_FLAGS, 50, 10), (FRESH2_RED_FLAGS, 45, 8),
    (FRESH3_RED_FLAGS, 50, 9), (FRESH4_RED_FLAGS, 64, 11),
])
def test_red_flag_sets_cover_every_group_and_enough_ordinary_complaints(
        name: str, at_least: int, per_group: int) -> None:
    from kiosk.bench.red_flags import load_labelled

    flags = load_content().red_flags
    assert flags is not None
    groups = {g.id for g in flags.groups}
    rows = load_labelled(DATA / name)
    red = [r for r in rows if r.is_red_flag]
    assert len(red) >= at_least and len(rows) - len(red) >= at_least
    assert {g for r in red for g in r.groups} == groups
    assert all(sum(group in r.groups for r in red) >= per_group for group in groups)
