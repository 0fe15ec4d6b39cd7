"""Misheard copies of the phrasings (kiosk/core/misheard.py): seeded, labelled, really misheard."""

from __future__ import annotations

from kiosk.core.errorsim import word_error_rate
from kiosk.core.misheard import misheard_copies

PHRASINGS = [
    ("intro", "wat is artrose eigenlijk"),
    ("afvallen", "helpt afvallen tegen de pijn in mijn knie"),
    ("command:stop", "stop maar"),
    ("flow:stap", "welke stap past bij mij"),
]
VOCABULARY = [text for _, text in PHRASINGS] + ["heup", "fijn", "hoop", "gewicht"]


def test_same_content_same_copies():
    assert misheard_copies(PHRASINGS, VOCABULARY) == misheard_copies(PHRASINGS, VOCABULARY)
    assert misheard_copies(PHRASINGS, VOCABULARY) != misheard_copies(PHRASINGS, VOCABULARY,
                                                                    seed="another")


def test_copies_keep_their_label_and_differ_from_the_phrasing():
    copies = misheard_copies(PHRASINGS * 25, VOCABULARY, copies=2, rates=(0.3,))
    texts = dict(PHRASINGS)
    assert {label for label, _ in copies} == set(texts)
    assert len(copies) >= 0.95 * 2 * 25 * len(PHRASINGS)  # only an emptied copy is dropped
    assert all(heard for _, heard in copies)
    mean = sum(word_error_rate(texts[label], heard) for label, heard in copies) / len(copies)
    assert 0.2 <= mean <= 0.4


def test_no_copies_asked_none_made():
    assert misheard_copies(PHRASINGS, VOCABULARY, copies=0) == []
