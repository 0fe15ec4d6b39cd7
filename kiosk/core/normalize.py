"""Bring typed or recognised Dutch text into one plain form for matching.

A speech recogniser writes lower case without punctuation, spells numbers as words (sometimes
split: "negen honderd duizend"), and leaves hesitations in ("eh", "ehm"). Typed text has
capitals, punctuation, accents and digits. :func:`normalize` maps both onto the same form:
lower case, accents folded, punctuation gone, numbers as one Dutch word ("negenhonderdduizend"),
hesitations removed.
"""

from __future__ import annotations

import re
import unicodedata

from num2words import num2words

#: Hesitation sounds a recogniser (or a typing visitor) leaves in; never meaningful.
HESITATIONS = frozenset({"eh", "ehm", "uh", "uhm", "euh", "ehh", "hm", "hmm", "mmm", "ah"})

#: Discourse markers that may open a question ("nou, mag ik ...", "ja maar ..."). They are
#: dropped only at the start and only when a question follows, so "ja" alone stays an answer.
LEADING_MARKERS = (
    ("ja", "maar"),
    ("nee", "maar"),
    ("nou", "ja"),
    ("ja", "nee"),
    ("nou",),
    ("zeg",),
    ("oke",),
    ("ok",),
    ("okay",),
    ("en",),
    ("maar",),
    ("hallo",),
    ("goedemorgen",),
    ("goedemiddag",),
    ("dag",),
)

_UNITS = ["nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
NUMBER_WORDS = _NUMBER_PARTS = frozenset(
    [*_UNITS[1:], "tien", "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien",
     "achttien", "negentien", "twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig",
     "tachtig", "negentig", "honderd", "duizend"]
)
_MULTIPLIERS = frozenset({"honderd", "duizend"})
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def fold_accents(text: str) -> str:
    """'knieën' -> 'knieen', 'één' -> 'een', 'röntgenfoto' -> 'rontgenfoto'."""
    if text.isascii():  # nothing to fold (most text): the same, ten times faster
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _number_to_words(match: re.Match[str]) -> str:
    raw = match.group(0)
    # Dutch writes thousands with dots (900.000) and decimals with a comma (1,5).
    integer, _, fraction = raw.replace(".", "").partition(",")
    words = num2words(int(integer), lang="nl")
    if fraction:
        words += " komma " + " ".join(num2words(int(d), lang="nl") for d in fraction)
    return str(words)


def numbers_as_words(text: str) -> str:
    """Every number written as Dutch words, as a recogniser writes it ("900.000 mensen" ->
    "negenhonderdduizend mensen", "2 keer" -> "twee keer")."""
    return _DIGITS.sub(_number_to_words, text)


def _join_number_words(tokens: list[str]) -> list[str]:
    """Join a spoken number split over words: 'negen honderd duizend' -> 'negenhonderdduizend'.

    Only runs that contain 'honderd' or 'duizend' are joined, so "twee keer" or "een knie"
    stay as they are.
    """
    if _NUMBER_PARTS.isdisjoint(tokens):  # no number word (most text)
        return list(tokens)
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) > 1 and any(t in _MULTIPLIERS for t in run):
            out.append("".join(run))
        else:
            out.extend(run)
        run.clear()

    for token in tokens:
        if token in _NUMBER_PARTS:
            run.append(token)
        else:
            flush()
            out.append(token)
    flush()
    return out


def tokens(text: str) -> list[str]:
    """Normalised words of ``text`` (see module docstring)."""
    text = _DIGITS.sub(lambda m: f" {_number_to_words(m)} ", text)  # "m2" -> "m twee"
    text = fold_accents(text.lower())
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [w for w in text.split() if w not in HESITATIONS]
    return _join_number_words(words)


def normalize(text: str) -> str:
    """The normalised form of ``text`` as one string of words separated by single spaces."""
    return " ".join(tokens(text))


def strip_leading_markers(words: list[str]) -> list[str]:
    """Drop opening discourse markers ("nou", "ja maar") when a question follows them."""
    changed = True
    while changed:
        changed = False
        for marker in LEADING_MARKERS:
            n = len(marker)
            if len(words) > n + 1 and tuple(words[:n]) == marker:
                words = words[n:]
                changed = True
                break
    return words
