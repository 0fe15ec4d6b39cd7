"""Heard text -> intent (topic, command, answer, flow or nothing), with a score.

How it works, and why (figures in tests/data/README.md and the issue notes):

1. **Clean up** what a recogniser writes (:mod:`kiosk.normalize`), then repair words against
   the content's own vocabulary: split words joined back together ("fysio therapeut" ->
   "fysiotherapeut"), split compounds the content spells apart ("knieartrose" -> "knie
   artrose"), and correct small misrecognitions to the nearest known word with rapidfuzz
   (only for words of 5+ letters, only when very close).
2. **Score every intent** (each section, command and flow is one "document" made of its
   examples, keywords and title) by two measures over *informative* words (stopwords out,
   each word weighted by its inverse document frequency across intents):
   - *coverage*: how much of the question's weight the intent's vocabulary explains. A word the
     kiosk has never seen weighs the most, so questions about the weather or the bus score low
     against everything — this is what rejects out-of-domain speech;
   - *closest example*: weighted overlap with the single most similar example phrase, which
     separates neighbours that share vocabulary (afvallen vs meer-afvallen).
   A short utterance that is nearly a whole command or flow phrase ("nog een keer") scores by
   whole-string similarity as well, since "meer" or "stop" has no informative word to weigh.
3. **Decide**: best score below ``threshold`` -> nothing; a bare yes/no/weet-niet (by the
   answer lexicon) -> answer; two topics within ``margin`` -> the runner-up goes under
   ``candidates`` so the dialog can ask "bedoelt u A of B?".

Keyword weights plus fuzzy word repair were chosen over plain fuzzy string matching because
string similarity on whole questions is dominated by function words ("wat is", "mag ik"), and
over a learned classifier because ~10 examples per section is too little to train one and the
scores stay explainable to someone editing the YAML.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from rapidfuzz import fuzz, process

from kiosk.content import Content
from kiosk.normalize import strip_leading_markers, tokens

#: Below this score nothing matches and the kiosk says it did not understand.
DEFAULT_THRESHOLD = 0.5
#: Two topics closer than this are both offered ("bedoelt u A of B?").
DEFAULT_MARGIN = 0.06
#: Weight of coverage vs closest example in a topic's score.
COVERAGE_WEIGHT = 0.6
#: Whole-string similarity (0-100) that makes a short utterance a command or flow phrase.
PHRASE_RATIO = 88
#: Word repair: minimum word length and rapidfuzz ratio for correcting a misheard word.
REPAIR_MIN_LEN = 5
REPAIR_RATIO = 84
#: Answers are taken only from short utterances ("ja graag", "nee hoor dank u wel").
MAX_ANSWER_WORDS = 6


@dataclass(frozen=True)
class Intent:
    kind: str  # "topic" | "command" | "answer" | "flow" | "none"
    key: str = ""  # section id, command name, answer value or flow name

    def to_json(self) -> dict[str, str]:
        field_name = {"topic": "id", "command": "name", "answer": "value", "flow": "name"}
        if self.kind == "none":
            return {"kind": "none"}
        return {"kind": self.kind, field_name[self.kind]: self.key}

    def label(self) -> str:
        """The form used in label files: section id, ``command:NAME``, ``answer:V``, ``none``."""
        if self.kind == "none":
            return "none"
        return self.key if self.kind == "topic" else f"{self.kind}:{self.key}"


NOTHING = Intent("none")


@dataclass(frozen=True)
class Match:
    heard: str
    normalized: str
    intent: Intent
    score: float
    candidates: tuple[tuple[Intent, float], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "heard": self.heard,
            "normalized": self.normalized,
            "intent": self.intent.to_json(),
            "score": round(self.score, 3),
        }
        if self.candidates:
            out["candidates"] = [
                {**intent.to_json(), "score": round(score, 3)} for intent, score in self.candidates
            ]
        return out


@dataclass
class _Document:
    intent: Intent
    phrases: list[list[str]] = field(default_factory=list)  # informative words per phrase
    vocabulary: set[str] = field(default_factory=set)
    whole: list[str] = field(default_factory=list)  # normalised phrases, for short utterances


class Matcher:
    """Scores heard text against every section, command and flow of the content."""

    def __init__(self, content: Content, threshold: float = DEFAULT_THRESHOLD,
                 margin: float = DEFAULT_MARGIN):
        self.content = content
        self.threshold = threshold
        self.margin = margin
        self.stopwords = content.intents.stopwords
        self.documents = self._build_documents(content)
        self.vocabulary = self._build_vocabulary(content)
        df = Counter(word for doc in self.documents for word in doc.vocabulary)
        n = len(self.documents)
        self.idf = {word: math.log((n + 1) / (count + 1)) + 1 for word, count in df.items()}
        self.unknown_weight = math.log(n + 1) + 1
        self._repair_choices = sorted(w for w in self.vocabulary if len(w) >= REPAIR_MIN_LEN)

    # ------------------------------------------------------------------ building
    def _build_documents(self, content: Content) -> list[_Document]:
        docs: list[_Document] = []
        for section in content.sections.values():
            doc = _Document(Intent("topic", section.id))
            for phrase in (section.title, *section.keywords, *section.examples):
                self._add_phrase(doc, phrase)
            docs.append(doc)
        for kind, table in (("command", content.intents.commands), ("flow", content.intents.flows)):
            for name, phrases in table.items():
                doc = _Document(Intent(kind, name))
                for phrase in phrases:
                    self._add_phrase(doc, phrase)
                    doc.whole.append(" ".join(tokens(phrase)))
                docs.append(doc)
        return docs

    def _add_phrase(self, doc: _Document, phrase: str) -> None:
        words = [w for w in tokens(phrase) if w not in self.stopwords]
        if words:
            doc.phrases.append(words)
            doc.vocabulary.update(words)

    @staticmethod
    def _build_vocabulary(content: Content) -> set[str]:
        """Every word the content uses, for repairing what a recogniser split or misheard."""
        texts: list[str] = []
        for section in content.sections.values():
            texts += [section.title, *section.keywords, *section.examples]
            for paragraph in section.paragraphs:
                texts += paragraph.sentences()
        for table in (content.intents.commands, content.intents.flows):
            for phrases in table.values():
                texts += phrases
        return {w for text in texts for w in tokens(text)}

    # ------------------------------------------------------------------ repair
    def repair(self, words: list[str]) -> list[str]:
        """Join split words, split joined ones and correct near-misses against the vocabulary."""
        vocab = self.vocabulary
        out: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if i + 1 < len(words) and word + words[i + 1] in vocab and (
                word not in vocab or words[i + 1] not in vocab or len(word) <= 5
            ):
                out.append(word + words[i + 1])
                i += 2
                continue
            out.extend(self._repair_word(word))
            i += 1
        return out

    def _repair_word(self, word: str) -> list[str]:
        vocab = self.vocabulary
        if word in vocab or word in self.stopwords or len(word) < REPAIR_MIN_LEN:
            return [word]
        for cut in range(3, len(word) - 2):
            head, tail = word[:cut], word[cut:]
            if head in vocab and tail in vocab and head not in self.stopwords:
                return [head, tail]
        best = process.extractOne(word, self._repair_choices, scorer=fuzz.ratio,
                                  score_cutoff=REPAIR_RATIO)
        return [best[0]] if best else [word]

    # ------------------------------------------------------------------ scoring
    def _weight(self, word: str) -> float:
        return self.idf.get(word, self.unknown_weight)

    def _topic_score(self, doc: _Document, query: list[str], total: float) -> float:
        if not query or not doc.phrases:
            return 0.0
        covered = sum(self._weight(w) for w in query if w in doc.vocabulary)
        coverage = covered / total
        query_set = set(query)
        best = 0.0
        for phrase in doc.phrases:
            phrase_set = set(phrase)
            shared = sum(self._weight(w) for w in query_set & phrase_set)
            union = sum(self._weight(w) for w in query_set | phrase_set)
            best = max(best, shared / union if union else 0.0)
        return COVERAGE_WEIGHT * coverage + (1 - COVERAGE_WEIGHT) * best

    @staticmethod
    def _phrase_score(doc: _Document, text: str) -> float:
        if not doc.whole or not text:
            return 0.0
        best = process.extractOne(text, doc.whole, scorer=fuzz.ratio)
        ratio = best[1] if best else 0.0
        return ratio / 100 if ratio >= PHRASE_RATIO else 0.0

    def score_all(self, words: list[str]) -> list[tuple[Intent, float]]:
        """(intent, score) for every document, best first."""
        query = [w for w in words if w not in self.stopwords]
        total = sum(self._weight(w) for w in query)
        text = " ".join(words)
        scored = []
        for doc in self.documents:
            score = self._topic_score(doc, query, total)
            if doc.whole:
                score = max(score, self._phrase_score(doc, text))
            scored.append((doc.intent, score))
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored

    # ------------------------------------------------------------------ deciding
    def _answer(self, text: str, words: list[str]) -> tuple[Intent, float] | None:
        lexicon = self.content.answers
        if lexicon is None or not words or len(words) > MAX_ANSWER_WORDS:
            return None
        found = lexicon.classify(text)
        if found is None:
            return None
        return Intent("answer", found.value), float(found.score)

    def match(self, heard: str) -> Match:
        """The intent of ``heard`` (typed or recognised text)."""
        raw = tokens(heard)
        words = self.repair(strip_leading_markers(raw))
        normalized = " ".join(words)
        if not words:
            return Match(heard, normalized, NOTHING, 0.0)
        scored = self.score_all(words)
        best_intent, best_score = scored[0]
        answer = self._answer(" ".join(raw), raw)
        if answer and (best_score < self.threshold or answer[1] >= best_score
                       or best_intent.kind != "topic"):
            return Match(heard, normalized, answer[0], answer[1])
        if best_score < self.threshold:
            return Match(heard, normalized, NOTHING, best_score)
        candidates: tuple[tuple[Intent, float], ...] = ()
        if best_intent.kind == "topic":
            close = [
                (intent, score) for intent, score in scored[1:]
                if intent.kind == "topic" and score >= self.threshold
                and best_score - score <= self.margin
            ]
            candidates = tuple(close[:1])
        return Match(heard, normalized, best_intent, best_score, candidates)

    def match_many(self, lines: Iterable[str]) -> list[Match]:
        return [self.match(line) for line in lines]
