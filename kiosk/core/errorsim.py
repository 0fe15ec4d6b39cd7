"""A seeded simulator of the errors a small Dutch recogniser makes, for testing the matcher.

The Dutch model cannot run on the development machines, so the matcher is measured on typed
questions with recogniser-like errors added at a chosen word error rate (WER):

- substitutions with similar-sounding Dutch words: a small hand-made confusion table first,
  otherwise the nearest words (rapidfuzz) from a vocabulary (the content's words);
- dropped words (any word alike: dropping mostly short words instead, as real recognisers
  tend to, changed the matcher's figures by less than half a point);
- inserted short words ("de", "en", "het", ...);
- compounds split or joined: "fysiotherapeut" <-> "fysio therapeut", "lees meer" -> "leesmeer";
- numbers always come out as words ("2" -> "twee"), as a recogniser writes them (not an error).

A split or join costs two edits in the WER, the other errors one, so each word gets an error
with probability ``wer / mean cost`` and the measured WER (:func:`word_error_rate`) comes out
close to (not exactly) the one asked for. Everything random comes from the ``rng`` passed in, so a seed gives
the same text every time.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from kiosk.core.normalize import numbers_as_words
from kiosk.errors import KioskError

#: Similar-sounding words a small Dutch model confuses (hand-made; both directions where
#: the confusion goes both ways).
CONFUSIONS: Mapping[str, tuple[str, ...]] = {
    "artrose": ("arthrose", "art rose", "aardrose"),
    "knie": ("nie", "knieë", "kniep"),
    "knieën": ("knie", "nieuwe"),
    "heup": ("hoop", "hup", "heupen"),
    "heupen": ("hopen", "heup"),
    "pijn": ("fijn", "pijl", "pein"),
    "bewegen": ("wegen", "bewogen", "be wegen"),
    "beweging": ("bewegen", "weging"),
    "afvallen": ("af vallen", "vallen", "opvallen"),
    "gewicht": ("gezicht", "gericht"),
    "stap": ("stop", "staf", "stad"),
    "stop": ("stap", "top"),
    "ja": ("jan", "jaar", "ya"),
    "nee": ("neem", "me", "twee"),
    "meer": ("mee", "weer", "neer"),
    "terug": ("de rug", "terecht"),
    "herhaal": ("haal", "herhaald"),
    "herhalen": ("halen", "herhaald"),
    "sneller": ("snel er", "snelle"),
    "langzamer": ("langs zamer", "langzaam"),
    "harder": ("hard er", "harde"),
    "zachter": ("zacht er", "zachte"),
    "operatie": ("operaties", "opera tie"),
    "medicijnen": ("medicijn", "medicine"),
    "medicatie": ("meditatie", "medicaties"),
    "stok": ("stuk", "stop"),
    "rollator": ("rol later", "rolator"),
    "slijtage": ("slijtaas", "zeil tage"),
    "ouderen": ("ouders", "anderen"),
    "oefeningen": ("oefening", "opening"),
    "spieren": ("sieren", "spier"),
    "kraakbeen": ("kraak been", "kraagbeen"),
    "zorgen": ("morgen", "sorry"),
    "klachten": ("krachten", "klacht"),
    "stijf": ("stijl", "stief"),
    "wat": ("dat", "was"),
    "mag": ("mak", "maar"),
    "moet": ("moed", "goed"),
    "welke": ("welk", "welkom"),
    "fysiotherapeut": ("fysio therapeut", "fysiotherapie"),
}

#: Compounds a recogniser may split (and the parts it may join back), beyond what the
#: vocabulary shows.
COMPOUNDS: Mapping[str, tuple[str, ...]] = {
    "fysiotherapeut": ("fysio", "therapeut"),
    "fysiotherapie": ("fysio", "therapie"),
    "kraakbeen": ("kraak", "been"),
    "stilzitter": ("stil", "zitter"),
    "overbelaster": ("over", "belaster"),
    "overbelasten": ("over", "belasten"),
    "heupartrose": ("heup", "artrose"),
    "knieartrose": ("knie", "artrose"),
    "tweedelijnszorg": ("tweedelijns", "zorg"),
    "gewichtsverlies": ("gewichts", "verlies"),
    "pijnstillers": ("pijn", "stillers"),
    "hulpmiddelen": ("hulp", "middelen"),
    "ochtendstijfheid": ("ochtend", "stijfheid"),
    "leefstijl": ("leef", "stijl"),
}

#: Short words a recogniser inserts most.
SHORT_WORDS = ("de", "het", "een", "en", "is", "er", "te", "dat", "die", "ik", "in", "je")

#: Edits each kind of error costs in the WER.
_COST = {"substitute": 1.0, "delete": 1.0, "insert": 1.0, "split-join": 2.0}

#: Relative weight of each kind of error.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "substitute": 0.45, "delete": 0.25, "insert": 0.15, "split-join": 0.15,
}

_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text`` with numbers as words and punctuation removed."""
    text = numbers_as_words(unicodedata.normalize("NFC", text)).casefold()
    return _WORD.findall(text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance / reference words (the usual WER)."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    if not ref:
        return float(bool(hyp))
    return Levenshtein.distance(ref, hyp) / len(ref)


#: How alike (rapidfuzz ratio) a word must be to stand in for another in a substitution.
NEAR_RATIO = 60


def can_reach_ratio(words: Iterable[str], length: int, cutoff: float) -> list[str]:
    """``words``, in their order, without those too long or too short to reach a rapidfuzz
    ``fuzz.ratio`` of ``cutoff`` against a word of ``length`` letters: that ratio is at most
    100 (1 - |a - b| / (a + b)) for lengths a and b, so searching only these finds the same
    words, in a fraction of the time."""
    return [w for w in words
            if 100 * (1 - abs(len(w) - length) / (len(w) + length)) >= cutoff - 1e-6]


@dataclass
class ErrorSimulator:
    """Adds recogniser-like errors to text. ``vocabulary``: words substitutions may come from
    (the content's words make the errors realistic for the matcher: near misses, not noise)."""

    vocabulary: Iterable[str] = ()
    confusions: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(CONFUSIONS))
    compounds: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(COMPOUNDS))
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        vocab = {w for text in self.vocabulary for w in words_of(text)}
        vocab |= set(self.confusions) | set(self.compounds)
        self._vocab = sorted(vocab)
        self._vocab_set = set(vocab)
        self._ops = list(self.weights)
        self._op_weights = [self.weights[k] for k in self._ops]
        self._near_cache: dict[str, list[str]] = {}
        self._vocab_by_length: dict[int, list[str]] = {}
        total = sum(self._op_weights)
        self._mean_cost = sum(self.weights[k] * _COST.get(k, 1.0) for k in self._ops) / total

    # ------------------------------------------------------------ single errors
    def near_words(self, word: str) -> list[str]:
        """Similar words: the confusion table's, else the vocabulary's nearest (rapidfuzz)."""
        if word in self.confusions:
            return list(self.confusions[word])
        if word not in self._near_cache:
            found = process.extract(word, self._vocab_for(len(word)), scorer=fuzz.ratio, limit=4,
                                    score_cutoff=NEAR_RATIO)
            self._near_cache[word] = [w for w, _score, _i in found if w != word][:3]
        return self._near_cache[word]

    def _vocab_for(self, length: int) -> list[str]:
        """The vocabulary that can be ``NEAR_RATIO`` alike a word of ``length`` letters."""
        if length not in self._vocab_by_length:
            self._vocab_by_length[length] = can_reach_ratio(self._vocab, length, NEAR_RATIO)
        return self._vocab_by_length[length]

    def split(self, word: str) -> list[str] | None:
        if word in self.compounds:
            return list(self.compounds[word])
        if len(word) >= 8:
            for cut in range(3, len(word) - 2):
                head, tail = word[:cut], word[cut:]
                if head in self._vocab_set and tail in self._vocab_set:
                    return [head, tail]
        return None

    # ------------------------------------------------------------ whole text
    def simulate(self, text: str, wer: float, rng: random.Random) -> str:
        """``text`` as a recogniser with about ``wer`` word error rate might have heard it."""
        if not 0.0 <= wer <= 1.0:
            raise KioskError(f"word error rate must be between 0 and 1, not {wer}")
        words = words_of(text)
        p_error = min(1.0, wer / self._mean_cost)
        out: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            i += 1
            if rng.random() >= p_error:
                out.append(word)
                continue
            op = rng.choices(self._ops, weights=self._op_weights)[0]
            if op == "split-join":
                parts = self.split(word)
                if parts:
                    out.extend(parts)
                    continue
                if i < len(words):  # join with the next word
                    out.append(word + words[i])
                    i += 1
                    continue
                op = "substitute"
            if op == "substitute":
                near = self.near_words(word)
                if near:
                    out.extend(rng.choice(near).split())
                    continue
                op = "delete"
            if op == "delete":
                continue
            out.append(word)  # insert: the word, then a short word the speaker did not say
            out.append(rng.choice(SHORT_WORDS))
        return " ".join(out)


def simulate(
    text: str, wer: float, rng: random.Random, vocabulary: Iterable[str] = ()
) -> str:
    """:meth:`ErrorSimulator.simulate` with the default tables (build an
    :class:`ErrorSimulator` once when calling this many times with a vocabulary)."""
    return ErrorSimulator(vocabulary).simulate(text, wer, rng)
