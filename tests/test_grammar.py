"""Grammar building (kiosk/speech/grammar.py) against a vocabulary test double: fast, no libvosk."""

from __future__ import annotations

import json
import logging

from voice_fixtures import FakeVocabulary

from kiosk.speech.grammar import UNK, build_grammar, normalize_phrase


def test_normalize_lowercases_and_strips_punctuation() -> None:
    assert normalize_phrase("Wat is Artrose, eigenlijk?!") == ["wat", "is", "artrose", "eigenlijk"]
    assert normalize_phrase("  “Mag ik   wel bewegen?” ") == ["mag", "ik", "wel", "bewegen"]
    assert normalize_phrase("Diëtist") == ["diëtist"]
    assert normalize_phrase("m’n knie-pijn -") == ["m'n", "knie-pijn"]
    assert normalize_phrase("...") == []


def test_unknown_words_are_dropped_from_the_phrase_and_reported(caplog) -> None:
    vocab = FakeVocabulary(["wat", "is", "artrose", "eigenlijk", "afvallen"])
    with caplog.at_level(logging.WARNING, logger="kiosk.speech.grammar"):
        grammar = build_grammar(["Wat is artrose eigenlijk?", "wat is slijtage", "afvallen"], vocab)
    assert grammar.phrases == ["wat is artrose eigenlijk", "wat is", "afvallen"]
    assert grammar.unknown_words == ["slijtage"]
    assert "slijtage" in caplog.text


def test_a_phrase_without_known_words_is_dropped() -> None:
    grammar = build_grammar(["knie", "onbekend woord"], FakeVocabulary(["knie"]))
    assert grammar.phrases == ["knie"]
    assert grammar.dropped_phrases == ["onbekend woord"]
    assert grammar.unknown_words == ["onbekend", "woord"]


def test_duplicates_after_normalising_are_listed_once() -> None:
    grammar = build_grammar(["Stop!", "stop", "STOP."], FakeVocabulary(["stop"]))
    assert grammar.phrases == ["stop"]


def test_hyphenated_words_are_split_only_when_the_model_lacks_them() -> None:
    vocab = FakeVocabulary(["e", "exercise", "m'n", "knie"])
    grammar = build_grammar(["E-exercise", "m'n knie"], vocab)
    assert grammar.phrases == ["e exercise", "m'n knie"]
    vocab = FakeVocabulary(["e-exercise"])
    assert build_grammar(["E-exercise"], vocab).phrases == ["e-exercise"]


def test_unk_is_added_only_when_the_model_has_it() -> None:
    without = build_grammar(["knie"], FakeVocabulary(["knie"]))
    assert not without.has_unk
    assert json.loads(without.to_json()) == ["knie"]
    with_unk = build_grammar(["knie"], FakeVocabulary(["knie", UNK]))
    assert json.loads(with_unk.to_json()) == ["knie", UNK]
    assert json.loads(build_grammar(["knie"], FakeVocabulary(["knie", UNK]),
                                    add_unk=False).to_json()) == ["knie"]


def test_json_keeps_non_ascii_unescaped() -> None:
    grammar = build_grammar(["diëtist", "감사합니다"], FakeVocabulary(["diëtist", "감사합니다"]))
    text = grammar.to_json()
    assert "diëtist" in text and "감사합니다" in text and "\\u" not in text


def test_each_word_is_looked_up_once() -> None:
    vocab = FakeVocabulary(["knie"])
    build_grammar(["knie pijn", "knie", "pijn knie"], vocab)
    assert sorted(vocab.asked) == sorted(["knie", "pijn", UNK])
