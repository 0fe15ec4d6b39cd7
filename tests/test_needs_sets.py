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
