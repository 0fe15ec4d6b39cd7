"""Phrases for the recogniser's grammar mode, built from the content's phrasings.

A Vosk grammar is a JSON list of phrases; Vosk turns it into a bigram model over the listed
words (it is not a strict grammar: word sequences outside the list can still come out). Only
words the model knows can be in it:
Vosk drops unknown words itself, with a warning in its own log, so we check every word first
with ``model.vosk_model_find_word(word) != -1`` and report what is missing.

Decision on unknown words: **the unknown word is dropped, the rest of the phrase is kept**
(a phrase left with no known word is dropped). That is what Vosk would do anyway, and the
known words of a question ("wat is X eigenlijk") still help the bigram model; the content's
keywords are separate phrases, so no topic depends on one long phrase. Every unknown word is
listed in :attr:`Grammar.unknown_words` and logged once, so that staff can add a pronunciation
or choose another phrasing.

Normalisation is what the model can hear: Unicode NFC, lower case, punctuation removed.
Hyphens and apostrophes are kept inside a word when the model knows the word that way
("m'n"), otherwise the word is split at them ("e-exercise" -> "e exercise"). Digits are
left as they are (and so usually reported as unknown): write numbers as words in content.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

UNK = "[unk]"

# Anything that is not a letter, digit, hyphen or apostrophe separates words.
_SEPARATORS = re.compile(r"[^\w'\-]+|_+")
_INNER = re.compile(r"['\-]+")


class Vocabulary(Protocol):
    """What grammar building needs from a model: ``vosk.Model`` has this method."""

    def vosk_model_find_word(self, word: str) -> int:  # -1 when unknown
        ...


def normalize_phrase(text: str) -> list[str]:
    """Words of ``text`` as the recogniser hears them: NFC, lower case, no punctuation.

    Hyphens and apostrophes stay inside words here; :func:`build_grammar` splits at them only
    when the model does not know the joined form.
    """
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    words = []
    for raw in _SEPARATORS.split(text):
        word = raw.strip("'-")
        if word:
            words.append(word)
    return words


@dataclass
class Grammar:
    """The phrases for Vosk and what was left out."""

    phrases: list[str]
    unknown_words: list[str] = field(default_factory=list)
    dropped_phrases: list[str] = field(default_factory=list)
    has_unk: bool = False

    def to_json(self) -> str:
        """The grammar as Vosk wants it. ``ensure_ascii=False`` matters: Vosk does not decode
        ``\\uXXXX`` escapes, so escaped non-ASCII words would all be dropped as unknown."""
        items = list(self.phrases)
        if self.has_unk:
            items.append(UNK)
        return json.dumps(items, ensure_ascii=False)

    @property
    def words(self) -> list[str]:
        seen: dict[str, None] = {}
        for phrase in self.phrases:
            for word in phrase.split():
                seen.setdefault(word, None)
        return list(seen)


def build_grammar(
    phrases: Iterable[str], model: Vocabulary, *, add_unk: bool = True
) -> Grammar:
    """Normalise ``phrases``, keep the words ``model`` knows, and add ``[unk]`` if it has one.

    ``add_unk`` asks for the ``[unk]`` word (it lets out-of-grammar speech come out as
    ``[unk]`` instead of being forced onto a phrase); it is only added when the model has it.
    """
    known_cache: dict[str, bool] = {}

    def known(word: str) -> bool:
        if word not in known_cache:
            known_cache[word] = model.vosk_model_find_word(word) != -1
        return known_cache[word]

    unknown: dict[str, None] = {}
    dropped: list[str] = []
    out: dict[str, None] = {}
    for phrase in phrases:
        kept: list[str] = []
        for word in normalize_phrase(phrase):
            if known(word):
                kept.append(word)
                continue
            parts = [p for p in _INNER.split(word) if p]
            if len(parts) > 1:
                for part in parts:
                    if known(part):
                        kept.append(part)
                    else:
                        unknown.setdefault(part, None)
            else:
                unknown.setdefault(word, None)
        if kept:
            out.setdefault(" ".join(kept), None)
        elif phrase.strip():
            dropped.append(phrase)
    has_unk = add_unk and known(UNK)
    grammar = Grammar(
        phrases=list(out),
        unknown_words=sorted(unknown),
        dropped_phrases=dropped,
        has_unk=has_unk,
    )
    if grammar.unknown_words:
        shown = grammar.unknown_words[:40]
        more = len(grammar.unknown_words) - len(shown)
        log.warning(
            "%d words are not in the voice model and were left out of the grammar: %s%s",
            len(grammar.unknown_words),
            ", ".join(shown),
            f" (and {more} more)" if more > 0 else "",
        )
    if dropped:
        log.warning("%d phrases had no word the model knows and were dropped", len(dropped))
    log.info(
        "grammar: %d phrases, %d words%s",
        len(grammar.phrases),
        len(grammar.words),
        " + [unk]" if has_unk else " (model has no [unk])",
    )
    return grammar
