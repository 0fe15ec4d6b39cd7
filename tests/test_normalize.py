"""Normalising heard or typed text: accents, numbers, hesitations (kiosk.core.normalize)."""

from __future__ import annotations

import pytest

from kiosk.core.normalize import fold_accents, normalize, tokens


@pytest.mark.parametrize("text, folded", [
    ("knieën", "knieen"), ("één", "een"), ("röntgenfoto", "rontgenfoto"),
    ("gewoon ascii", "gewoon ascii"), ("", ""),
])
def test_accents_are_folded_and_plain_text_stays(text, folded):
    assert fold_accents(text) == folded


@pytest.mark.parametrize("text, words", [
    ("Mag ik wél fietsen?", ["mag", "ik", "wel", "fietsen"]),
    ("negen honderd duizend mensen", ["negenhonderdduizend", "mensen"]),  # one number
    ("twee keer een knie", ["twee", "keer", "een", "knie"]),  # no 'honderd': kept apart
    ("2 keer", ["twee", "keer"]),
    ("hoe lang duurt het", ["hoe", "lang", "duurt", "het"]),  # no number word at all
])
def test_tokens(text, words):
    assert tokens(text) == words
    assert normalize(text) == " ".join(words)
