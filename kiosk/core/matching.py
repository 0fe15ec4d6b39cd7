"""Heard text -> intent (topic, command, answer, flow or nothing), with a score.

Clean up and repair the words, map visitors' words onto the leaflet's (content/synonyms.nl.yaml),
score every intent by word evidence (examples, keywords and the leaflet's own paragraphs) and by
a classifier trained on the content's phrasings, then decide: an answer, an intent, or nothing
-- and when nothing, whether the question is one the leaflet does not cover
(content/not_in_leaflet.nl.yaml: ``Match.not_in_leaflet``). The design, the alternatives tried
and the measured figures with their dates are in docs/matcher.md.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import snowballstemmer
from rapidfuzz import fuzz, process

from kiosk.core import classifier
from kiosk.core.answers import AnswerMatch
from kiosk.core.content import Content
from kiosk.core.errorsim import can_reach_ratio
from kiosk.core.misheard import misheard_copies
from kiosk.core.normalize import NUMBER_WORDS, strip_leading_markers, tokens
from kiosk.core.not_in_leaflet import LABEL_PREFIX as NOT_IN_LEAFLET_PREFIX
from kiosk.core.word_lists import EMPTY as NO_WORD_LISTS

#: Below this score nothing matches and the kiosk says it did not understand.
DEFAULT_THRESHOLD = 0.5
#: Two topics closer than this are both offered ("bedoelt u A of B?").
DEFAULT_MARGIN = 0.06
#: A topic scoring between this and the threshold, that the out-of-scope check did not turn
#: down, is offered as a guess to confirm ("bedoelt u afvallen?") instead of "not understood".
DEFAULT_GUESS_THRESHOLD = 0.35
#: A topic's own "lees meer" section must beat it by more than this to be read first.
PARENT_MARGIN = 0.15
#: Weight of coverage against the closest example in a topic's score.
COVERAGE_WEIGHT = 0.6
#: Whole-string similarity (0-100) that makes a short utterance a command or flow phrase.
PHRASE_RATIO = 88
#: Word repair: minimum word length and rapidfuzz ratio for correcting a misheard word.
REPAIR_MIN_LEN = 5
REPAIR_RATIO = 84
#: Longer words may differ a little more ("aardrose" for "artrose" is 80).
REPAIR_LONG_LEN = 8
REPAIR_RATIO_LONG = 80
#: Weight of a word no intent knows, relative to the most specific known word: high, so that
#: a question about the bus or the weather matches nothing.
UNKNOWN_WEIGHT = 1.0
#: A question word found only in a section's leaflet text (not its examples) counts this much.
BODY_WEIGHT = 0.5
#: Weight of whole-string similarity to the closest phrase, to break near-ties.
TIE_BREAK = 0.05
#: Extra for an intent that has (nearly) this very phrase among its examples.
SAME_PHRASE_BONUS = 0.1
#: Longest utterance that may contain a command phrase, and the score it then gets.
MAX_COMMAND_WORDS = 8
CONTAINED_COMMAND_SCORE = 0.9
#: Phrases asking for the deeper "lees meer" part of a topic.
MORE_MARKERS = (" lees meer ", " vertel meer ", " meer over ", " meer weten over ",
                " uitgebreider ", " meer informatie over ")
#: Informal address is folded onto the formal one the content uses ("wat zei je" = "wat zei u").
PRONOUNS = {"je": "u", "jij": "u", "jou": "u", "jouw": "uw"}
#: "stap een", "stap 2" (digits are words by now), "stap drie".
STEP_NUMBERS = {"een": "een", "twee": "twee", "drie": "drie", "1": "een", "2": "twee", "3": "drie"}
#: First-person words: a flow ("welke stap past bij mij") is about the visitor; "wat is een
#: stilzitter" is a question about the leaflet, not a request for the test.
FIRST_PERSON = frozenset({"ik", "mij", "me", "mijn"})
#: Bonus for a flow over a topic when the visitor speaks about themselves.
FLOW_BONUS = 0.05
#: Weight of the classifier's probability against the word-evidence score, for topics and flows.
CLASSIFIER_WEIGHT = 0.5
#: An utterance of at most COMMAND_WORDS words is a command when the classifier gives it
#: COMMAND_PROBABILITY; a longer one ("ik hoor het niet zo goed kan het wat harder") up to
#: LONG_COMMAND_WORDS needs LONG_COMMAND_PROBABILITY.
COMMAND_WORDS = 4
COMMAND_PROBABILITY = 0.6
LONG_COMMAND_WORDS = 12
LONG_COMMAND_PROBABILITY = 0.85
#: ... and only when command words carry at least this share of its weight ("hoe hard waait
#: het" shares "hard" with "te hard" but is about the weather).
COMMAND_WORD_SHARE = 0.5
#: Answers are taken only from short utterances ("ja graag", "nee hoor dank u wel").
MAX_ANSWER_WORDS = 6
#: A question not answered by the leaflet (content/not_in_leaflet.nl.yaml) gets that entry's
#: own answer when the entry scores at least this; below it the kiosk says "not understood".
NOT_IN_LEAFLET_THRESHOLD = 0.5
#: ... and when the ranking classifier gives the entry at least this probability: a "the
#: leaflet says nothing about that" must not be a guess ("wat helpt tegen artrose" shares
#: words with "helpt massage bij artrose" but is answered by the leaflet).
NOT_IN_LEAFLET_PROBABILITY = 0.5
#: A question declined anyway gets the answer of a *request* (the time, music, the toilet:
#: answers that claim nothing about the leaflet) whose examples explain this much of it by
#: word evidence alone, even when the classifier puts it in the general "out of scope" class.
REQUEST_EVIDENCE = 0.6
#: Weight of paragraph retrieval (the share of the question's lemmas found in one paragraph
#: of the section), added to a section's word evidence; 0 switches it off.
RETRIEVAL_WEIGHT = 0.0
#: The matcher's structural rules use the word lists of content/word_lists.nl.yaml
#: (:mod:`kiosk.core.word_lists`): a question naming an activity, a joint (or artrose) and
#: asking whether it is still allowed ("padel met versleten knieen gaat dat nog", "mag ik nog
#: fietsen met mijn heup") is a movement question: when nothing else answers it, the
#: misconception that moving harms the joint does.
MOVEMENT_SECTION = "misverstand-bewegen"
#: An activity of at least this many letters also counts at the end of a word at least
#: COMPOUND_EXTRA letters longer ("stijldansen"; not "tuin" in "achtertuin").
COMPOUND_ACTIVITY_LENGTH = 5
COMPOUND_EXTRA = 3
#: Sections that answer a movement question; any other topic (the misconception about wear,
#: say) gives way to MOVEMENT_SECTION when an activity is named ("padel met versleten knieen"),
#: but not with a new joint (``new_joint``): moving with a prosthesis is not what the leaflet
#: answers.
MOVEMENT_SECTIONS = frozenset({MOVEMENT_SECTION, "gezond-bewegen", "overbelasten",
                               "te-weinig-bewegen", "beweegtypes", "meer-afvallen"})
#: Sections that speak about a new joint (the misconception that only a new joint helps, the
#: operation and deciding on it, the steps that lead to it). A question naming a new joint
#: that lands anywhere else is about living with a prosthesis, which the leaflet does not
#: cover: the answer of the NEW_JOINT_ENTRY of content/not_in_leaflet.nl.yaml; so is a
#: question with a new joint and an activity by name that lands on the misconception.
NEW_JOINT_MISCONCEPTION = "misverstand-nieuw-gewricht"
NEW_JOINT_SECTIONS = frozenset({NEW_JOINT_MISCONCEPTION, "operatie", "meer-operatie", "stap-3",
                                "stapsgewijze-aanpak", "misverstanden"})
NEW_JOINT_ENTRY = "prothese"
#: Internal kind of the entries of content/not_in_leaflet.nl.yaml; never reported as such.
ABSENT = "absent"


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
        """The form used in label files: section id, ``command:NAME``, ``answer:V``, ``none``
        (and ``niet:KEY`` for an entry of "not in the leaflet", a training label only)."""
        if self.kind == "none":
            return "none"
        if self.kind == ABSENT:
            return NOT_IN_LEAFLET_PREFIX + self.key
        return self.key if self.kind == "topic" else f"{self.kind}:{self.key}"


NOTHING = Intent("none")


def answer_beats_intents(answer: AnswerMatch, n_words: int, best: tuple[Intent, float],
                         threshold: float) -> bool:
    """With no yes/no question open, whether a clear ``answer`` in ``n_words`` words is the
    intent rather than the ``best`` scored one: a short utterance (at most
    ``MAX_ANSWER_WORDS``) that nothing explains above the threshold, or whose answer scores
    at least as well as a command or flow, or as a topic in at most three words ("ik twijfel
    over een operatie" is a question, "nee dank u" an answer)."""
    best_intent, best_score = best
    return n_words <= MAX_ANSWER_WORDS and (best_score < threshold or (
        answer.score >= best_score and (best_intent.kind != "topic" or n_words <= 3)))


@dataclass(frozen=True)
class Match:
    heard: str
    normalized: str
    intent: Intent
    score: float
    candidates: tuple[tuple[Intent, float], ...] = ()
    #: With ``intent`` none: a topic that is too unsure to read but worth asking about.
    guess: tuple[Intent, float] | None = None
    #: With ``intent`` none: the key of the entry of content/not_in_leaflet.nl.yaml this
    #: question is about (the kiosk says that entry's own answer, never a section).
    not_in_leaflet: str | None = None
    #: Reads the clear yes / no / weet-niet in a text, if any (content/answers.nl.yaml; set
    #: by the matcher): :meth:`answer` calls it only while a question is open.
    read_answer: Callable[[str], str | None] | None = field(default=None, repr=False,
                                                             compare=False)

    def answer(self, question_open: bool) -> str | None:
        """The visitor's yes / no / weet-niet, or None: the one rule of answer against topic.
        While a yes/no question is open, any clear answer wins ("ja, ik heb veel pijn");
        with none open, only a short one that the other intents do not explain as well, and
        then it is ``intent`` already (:meth:`Matcher.match`, :func:`answer_beats_intents`)."""
        if self.intent.kind == "answer":
            return self.intent.key
        if question_open and self.read_answer is not None:
            return self.read_answer(self.heard)
        return None

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
        if self.guess:
            intent, score = self.guess
            out["guess"] = {**intent.to_json(), "score": round(score, 3)}
        if self.not_in_leaflet:
            out["not_in_leaflet"] = self.not_in_leaflet
        return out


@dataclass
class _Document:
    intent: Intent
    phrases: list[list[str]] = field(default_factory=list)  # informative words per phrase
    vocabulary: set[str] = field(default_factory=set)
    body: set[str] = field(default_factory=set)  # words of the section's leaflet text
    paragraphs: list[set[str]] = field(default_factory=list)  # lemmas of each paragraph
    whole: list[str] = field(default_factory=list)  # normalised phrases, whole-string compare


class Matcher:
    """Scores heard text against every section, command and flow of the content."""

    def __init__(self, content: Content, threshold: float = DEFAULT_THRESHOLD,
                 margin: float = DEFAULT_MARGIN, trainer: classifier.Trainer = classifier.train,
                 guess_threshold: float = DEFAULT_GUESS_THRESHOLD, *,
                 use_synonyms: bool = True, use_not_in_leaflet: bool = True,
                 retrieval_weight: float = RETRIEVAL_WEIGHT):
        self.content = content
        self.threshold = threshold
        self.margin = margin
        self.guess_threshold = guess_threshold
        self.stopwords = content.intents.stopwords
        #: The parts below can be switched off to measure what each one gains.
        self.synonyms = content.synonyms if use_synonyms else None
        self.not_in_leaflet = content.not_in_leaflet if use_not_in_leaflet else None
        self.retrieval_weight = retrieval_weight
        self.word_lists = content.word_lists or NO_WORD_LISTS
        self._stemmer = snowballstemmer.stemmer("dutch")
        self._stems: dict[str, str] = {}
        self._lemmas: dict[str, str] = {}
        self.documents = self._build_documents(content)
        self.vocabulary = self._build_vocabulary(content)
        self.anchors = self._build_anchors(content)
        #: Each section's own words: those of its title, and its keywords of one word
        #: ("kraakbeen"; not "ochtend" of "ochtendstijfheid" = "stijfheid in de ochtend").
        self.topic_words = {section.id: self._own_words(section.title, section.keywords)
                            for section in content.sections.values()}
        df = Counter(word for doc in self.documents for word in doc.vocabulary | doc.body)
        n = len(self.documents)
        paragraph_df = Counter(lemma for doc in self.documents for p in doc.paragraphs for lemma in p)
        n_paragraphs = sum(len(doc.paragraphs) for doc in self.documents)
        self.paragraph_idf = {lemma: math.log((n_paragraphs + 1) / (count + 1)) + 1
                              for lemma, count in paragraph_df.items()}
        self.unknown_paragraph_weight = math.log(n_paragraphs + 1) + 1
        self.idf = {word: math.log((n + 1) / (count + 1)) + 1 for word, count in df.items()}
        self.unknown_weight = UNKNOWN_WEIGHT * (math.log(n + 1) + 1)
        #: Words in more than a quarter of all intents (artrose, knie, pijn): on their own
        #: they say nothing about which topic is meant.
        self.generic = {word for word, count in df.items() if count > n / 4}
        #: Every word of every command phrasing: a command is said in these words.
        self.command_words = {w for doc in self.documents if doc.intent.kind == "command"
                              for w in doc.vocabulary}
        self._repair_choices = sorted(w for w in self.vocabulary if len(w) >= REPAIR_MIN_LEN)
        self._choices_by_length: dict[tuple[int, float], list[str]] = {}
        # One classifier, trained on the phrasings as written, decides what is out of scope;
        # the other has also seen them misheard and ranks the intents.
        as_written, with_misheard = self.training_plans(content)
        self.classifier = trainer(as_written)
        self.ranking_classifier = trainer(with_misheard, start=self.classifier)  # fewer steps

    # ------------------------------------------------------------------ building
    def _build_documents(self, content: Content) -> list[_Document]:
        docs: list[_Document] = []
        for section in content.sections.values():
            doc = _Document(Intent("topic", section.id))
            for phrase in (section.title, *section.keywords, *section.examples):
                self._add_phrase(doc, phrase)
                doc.whole.append(" ".join(self._words(phrase)))
            doc.body = {
                w for p in section.paragraphs for text in p.sentences()
                for w in self._informative(self._words(text))
            }
            if self.retrieval_weight:
                doc.paragraphs = [
                    {lemma for text in p.sentences()
                     for lemma in self._content_lemmas(self._words(text))}
                    for p in section.paragraphs
                ]
            docs.append(doc)
        if self.not_in_leaflet is not None:
            for entry in self.not_in_leaflet.entries.values():
                doc = _Document(Intent(ABSENT, entry.key))
                for phrase in entry.examples:
                    self._add_phrase(doc, phrase)
                    doc.whole.append(" ".join(self._words(phrase)))
                docs.append(doc)
        for kind, table in (("command", content.intents.commands), ("flow", content.intents.flows)):
            for name, phrases in table.items():
                doc = _Document(Intent(kind, name))
                for phrase in phrases:
                    self._add_phrase(doc, phrase)
                    doc.whole.append(" ".join(self._words(phrase)))
                docs.append(doc)
        return docs

    def _own_words(self, title: str, keywords: Iterable[str]) -> set[str]:
        own = set(self._informative(self._words(title)))
        for keyword in keywords:
            words = self._informative(self._words(keyword))
            if len(words) == 1:
                own.add(words[0])
        return own

    def _words(self, text: str) -> list[str]:
        """Normalised words with informal pronouns folded onto formal ones, visitors' words
        replaced by the leaflet's (synonyms), and a step number kept with its step ("stap
        een" -> "stapeen": "een" is no stopword there)."""
        words = [PRONOUNS.get(w, w) for w in tokens(text)]
        if self.synonyms is not None:
            words = self.synonyms.apply(words)
        out: list[str] = []
        for word in words:
            if out and out[-1] == "stap" and word in STEP_NUMBERS:
                out[-1] = "stap" + STEP_NUMBERS[word]
            else:
                out.append(word)
        return out

    def _stem(self, word: str) -> str:
        """Dutch stem, so that "beweeg", "bewegen" and "beweging" count as one word."""
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stems[word] = self._stemmer.stemWord(word)
        return stem

    def _informative(self, words: Iterable[str]) -> list[str]:
        """Stems of the words that carry meaning (stopwords left out)."""
        return [self._stem(w) for w in words if w not in self.stopwords]

    def _lemma(self, word: str) -> str:
        """Dutch dictionary form (simplemma): "knieën" -> "knie", "gefietst" -> "fietsen"."""
        lemma = self._lemmas.get(word)
        if lemma is None:
            import simplemma  # only for paragraph retrieval, off by default

            lemma = self._lemmas[word] = simplemma.lemmatize(word, lang="nl")
        return lemma

    def _content_lemmas(self, words: Iterable[str]) -> list[str]:
        """Lemmas of the words that carry meaning."""
        return [self._lemma(w) for w in words if w not in self.stopwords]

    def _add_phrase(self, doc: _Document, phrase: str) -> None:
        words = self._informative(self._words(phrase))
        if words:
            doc.phrases.append(words)
            doc.vocabulary.update(words)

    def training_sets(self, content: Content) -> tuple[classifier.TrainingSet, classifier.TrainingSet]:
        """Training data of the two classifiers, as (normalised text, label) pairs: every
        section's title, keywords and examples, every command and flow phrasing, and the
        out-of-scope examples; the second also has each in-domain phrasing as a recogniser
        might mishear it (:mod:`kiosk.core.misheard`). Each phrasing is normalised once."""
        in_domain = list(content.phrasings())
        if self.not_in_leaflet is not None:
            in_domain += list(self.not_in_leaflet.phrasings())
        out_of_scope = [(classifier.NONE_LABEL, text) for text in content.intents.out_of_scope_examples]
        as_written = self._normalised(in_domain)
        declined = self._normalised(out_of_scope)
        misheard = self._normalised(misheard_copies(in_domain, self.spoken_vocabulary))
        return (self._training_set(as_written + declined),
                self._training_set(as_written + misheard + declined))

    def training_plans(self, content: Content
                       ) -> tuple[classifier.PlannedTraining, classifier.PlannedTraining]:
        """:meth:`training_sets` as plans, built (once, both) only when a model is trained: a
        cached model is found without them. The key holds the settings and a digest of the
        phrasings and vocabulary, so content changed in memory is not mistaken for its files."""
        digest = hashlib.sha256(repr((
            self.synonyms is not None, self.not_in_leaflet is not None, sorted(self.stopwords),
            list(content.phrasings()), content.intents.out_of_scope_examples,
            self.not_in_leaflet and list(self.not_in_leaflet.phrasings()),
            sorted(self.vocabulary), sorted(self.anchors),
        )).encode()).hexdigest()
        both = functools.cache(lambda: self.training_sets(content))
        return (classifier.PlannedTraining(f"{digest}:as-written", content.directory,
                                           lambda: both()[0]),
                classifier.PlannedTraining(f"{digest}:with-misheard", content.directory,
                                           lambda: both()[1]))

    def _normalised(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """(label, text) with the text repaired as heard text is: the same tokens."""
        return [(label, " ".join(self.repair(self._words(text)))) for label, text in pairs]

    def _training_set(self, pairs: list[tuple[str, str]]) -> classifier.TrainingSet:
        return classifier.TrainingSet(
            tuple(text for _, text in pairs), tuple(label for label, _ in pairs), self.stopwords,
        )

    def _build_vocabulary(self, content: Content) -> set[str]:
        """Every word the content uses, for repairing what a recogniser split or misheard. The
        out-of-scope examples count too: "hoofdpijn" is a word, not "hoofd pijn" glued."""
        texts: list[str] = list(content.intents.out_of_scope_examples)
        if content.not_in_leaflet is not None:
            texts += [text for _, text in content.not_in_leaflet.phrasings()]
        for section in content.sections.values():
            texts += [section.title, *section.keywords, *section.examples]
            for paragraph in section.paragraphs:
                texts += paragraph.sentences()
        for table in (content.intents.commands, content.intents.flows):
            for phrases in table.values():
                texts += phrases
        return {w for text in texts for w in self._words(text)}

    @property
    def spoken_vocabulary(self) -> set[str]:
        """The content's words as a recogniser could write them (without the matcher's own
        joined step tokens such as "stapeen")."""
        steps = {"stap" + number for number in STEP_NUMBERS.values()}
        return self.vocabulary - steps

    def _build_anchors(self, content: Content) -> set[str]:
        """Stems of the leaflet's own words, the curated keywords and titles, and the command
        and flow phrasings. Example questions bring incidental words (the dog, the car,
        another illness); a question must share at least one anchor to be understood."""
        texts: list[str] = []
        for section in content.sections.values():
            texts += [section.title, *section.keywords]
            for paragraph in section.paragraphs:
                texts += paragraph.sentences()
        for table in (content.intents.commands, content.intents.flows):
            for phrases in table.values():
                texts += phrases
        return {w for text in texts for w in self._informative(self._words(text))}

    # ------------------------------------------------------------------ repair
    def repair(self, words: list[str]) -> list[str]:
        """Join split words, split joined ones and correct near-misses against the vocabulary."""
        out: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if i + 2 < len(words) and not any(self._known(w) and w in self.stopwords
                                              for w in words[i:i + 3]):
                joined = self._nearest_exact_or_close("".join(words[i:i + 3]))
                if joined:  # "tweede lijns zorg", "bio psycho sociaal"
                    out.append(joined)
                    i += 3
                    continue
            if i + 1 < len(words):
                joined = self._join(word, words[i + 1])
                if joined:
                    out.append(joined)
                    i += 2
                    continue
            out.extend(self._repair_word(word))
            i += 1
        return out

    def _nearest_exact_or_close(self, joined: str) -> str | None:
        if joined in self.vocabulary:
            return joined
        return self._nearest(joined) if len(joined) >= 2 * REPAIR_MIN_LEN else None

    def _known(self, word: str) -> bool:
        return word in self.vocabulary or word in self.stopwords

    def _join(self, first: str, second: str) -> str | None:
        """The one word a recogniser split in two ("fysio therapeut", "art rose"), if any."""
        joined = first + second
        if first in self.stopwords and second in self.stopwords:
            return None  # two real words ("met een"), not one split word ("meteen")
        if joined in self.vocabulary and (
            first not in self.vocabulary or second not in self.vocabulary or len(first) <= 5
        ):
            return joined
        if self._known(first) or self._known(second) or len(joined) < 2 * REPAIR_MIN_LEN:
            return None
        return self._nearest(joined)

    def _repair_word(self, word: str) -> list[str]:
        if self._known(word) or len(word) < REPAIR_MIN_LEN:
            return [word]
        for cut in range(2, len(word) - 1):  # "ikniet" -> "ik niet", "methet" -> "met het"
            head, tail = word[:cut], word[cut:]
            if self._known(head) and self._known(tail) and min(len(head), len(tail)) >= 2:
                return [head, tail]
        return [self._nearest(word) or word]

    def _nearest(self, word: str) -> str | None:
        """The known word ``word`` is a near-miss of: very similar and about as long
        ("artrosen" -> "artrose"; never "blaasontsteking" -> "ontsteking")."""
        cutoff = REPAIR_RATIO_LONG if len(word) >= REPAIR_LONG_LEN else REPAIR_RATIO
        slack = max(2, len(word) // 5)
        for choice, _, _ in process.extract(word, self._repair_choices_for(len(word), cutoff),
                                            scorer=fuzz.ratio, score_cutoff=cutoff, limit=3):
            if abs(len(choice) - len(word)) <= slack:
                return choice
        return None

    def _repair_choices_for(self, length: int, cutoff: float) -> list[str]:
        """The repair choices that can reach ``cutoff`` against a word of ``length`` letters."""
        key = (length, cutoff)
        if key not in self._choices_by_length:
            self._choices_by_length[key] = can_reach_ratio(self._repair_choices, length, cutoff)
        return self._choices_by_length[key]

    # ------------------------------------------------------------------ scoring
    def _weight(self, word: str) -> float:
        return self.idf.get(word, self.unknown_weight)

    def _topic_score(self, doc: _Document, query: list[str], total: float) -> float:
        """Coverage of the question by the intent's words plus its closest example."""
        if not query or not doc.phrases:
            return 0.0
        covered = sum(
            self._weight(w) * (1.0 if w in doc.vocabulary else BODY_WEIGHT if w in doc.body else 0.0)
            for w in query
        )
        coverage = covered / total
        query_set = set(query)
        best = 0.0
        for phrase in doc.phrases:
            phrase_set = set(phrase)
            if phrase_set <= self.generic:
                continue  # "wat is artrose" is no evidence for the treatment section
            shared = sum(self._weight(w) for w in query_set & phrase_set)
            union = sum(self._weight(w) for w in query_set | phrase_set)
            best = max(best, shared / union if union else 0.0)
        return COVERAGE_WEIGHT * coverage + (1 - COVERAGE_WEIGHT) * best

    def _paragraph_score(self, doc: _Document, lemmas: list[str]) -> float:
        """How much of the question's weight (lemmas, weighted by how few paragraphs have
        them) the section's best-fitting single paragraph contains."""
        if not lemmas or not doc.paragraphs:
            return 0.0
        weights = {lemma: self.paragraph_idf.get(lemma, self.unknown_paragraph_weight)
                   for lemma in set(lemmas)}
        total = sum(weights.values())
        return max(sum(w for lemma, w in weights.items() if lemma in p) for p in doc.paragraphs) / total

    @staticmethod
    def _closest_phrase(doc: _Document, text: str) -> float:
        """Whole-string similarity (0..1) of ``text`` to the intent's closest phrase."""
        if not doc.whole or not text:
            return 0.0
        best = process.extractOne(text, doc.whole, scorer=fuzz.ratio)
        return best[1] / 100 if best else 0.0

    def _command_score(self, doc: _Document, words: list[str], query: list[str]) -> float:
        """Commands are short: the utterance must be (nearly) one of the command's phrases,
        or contain one and add no other informative word ("kunt u dat herhalen")."""
        text = " ".join(words)
        closest = self._closest_phrase(doc, text)
        if closest * 100 >= PHRASE_RATIO:
            return closest
        if len(words) > MAX_COMMAND_WORDS:
            return 0.0
        padded = f" {text} "
        for phrase in doc.whole:
            if f" {phrase} " in padded and all(w in doc.vocabulary for w in query):
                return CONTAINED_COMMAND_SCORE
        return 0.0

    def score_all(self, words: list[str],
                  probabilities: dict[str, float] | None = None) -> list[tuple[Intent, float]]:
        """(intent, score) for every document, best first. Scores may pass 1.0 by the
        tie-breaks; :meth:`match` reports them capped at 1.0. ``probabilities``: the
        classifier's for these words, if already known."""
        query = self._informative(words)
        total = sum(self._weight(w) for w in query)
        lemmas = self._content_lemmas(words) if self.retrieval_weight else []
        text = " ".join(words)
        personal = not FIRST_PERSON.isdisjoint(words)
        # The classifier may call an utterance a command only when it is said in command words.
        command_shaped = total == 0 or sum(
            self._weight(w) for w in query if w in self.command_words) >= COMMAND_WORD_SHARE * total
        addressed = self.word_lists.other_sound_sources.isdisjoint(words)
        if probabilities is None:
            probabilities = self.ranking_classifier.probabilities(text)
        scored = []
        for doc in self.documents:
            probability = probabilities.get(doc.intent.label(), 0.0)
            if doc.intent.kind == "command" and not addressed:
                score = 0.0
            elif doc.intent.kind == "command":
                score = self._command_score(doc, words, query)
                if command_shaped and (
                        (len(words) <= COMMAND_WORDS and probability >= COMMAND_PROBABILITY) or (
                        len(words) <= LONG_COMMAND_WORDS and probability >= LONG_COMMAND_PROBABILITY)):
                    score = max(score, probability)
            elif doc.intent.kind == "flow" and not personal:
                score = 0.0
            else:
                evidence = min(self._topic_score(doc, query, total), 1.0)
                if lemmas and doc.paragraphs:
                    evidence = min(evidence + self.retrieval_weight
                                   * self._paragraph_score(doc, lemmas), 1.0)
                score = CLASSIFIER_WEIGHT * probability + (1 - CLASSIFIER_WEIGHT) * evidence
                if evidence > 0:  # ties between neighbours go to the closer phrasing
                    closest = self._closest_phrase(doc, text)
                    score += TIE_BREAK * closest + (SAME_PHRASE_BONUS if closest >= 0.95 else 0)
                if doc.intent.kind == "flow":
                    score += FLOW_BONUS
            scored.append((doc.intent, score))
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored

    def _anchored(self, words: list[str]) -> bool:
        return not self.anchors.isdisjoint(self._informative(words))

    def _only_numbers(self, words: list[str]) -> bool:
        """Noise a recogniser turned into numbers ("drie", "twee"): never a topic on its own."""
        informative = [w for w in words if w not in self.stopwords]
        return bool(informative) and all(w in NUMBER_WORDS for w in informative)

    def _out_of_scope(self, words: list[str]) -> bool:
        """Waiting-room logistics ("waar is ...", "hoe laat ..."): never a leaflet topic."""
        text = " ".join(words) + " "
        return any(text.startswith(opening + " ") for opening in self.content.intents.out_of_scope_openings)

    def _declined(self, words: list[str], best: Intent) -> bool:
        """The classifier trained on clean phrasings finds "out of scope" likelier than
        ``best`` (the ranking one has seen misheard questions only, never misheard
        out-of-scope lines, so it is too ready to accept)."""
        probabilities = self.classifier.probabilities(" ".join(words))
        return probabilities.get(classifier.NONE_LABEL, 0.0) > probabilities.get(best.label(), 0.0)

    def _one_stray_word(self, words: list[str], best: Intent) -> bool:
        """A question of one informative word ("is het nog ochtend") reads a section only
        when that word is one of the section's own (title, keywords: "kraakbeen", "tips") or
        says nothing on its own ("artrose"); a word that merely occurs in its examples
        ("ochtend" in "stijf in de ochtend") is small talk sharing a word."""
        query = self._informative(words)
        if best.kind != "topic" or len(set(query)) != 1:
            return False
        word = query[0]
        return word not in self.topic_words.get(best.key, set()) and word not in self.generic

    def _talks_to_the_kiosk(self, raw: list[str], words: list[str]) -> bool:
        """"alles goed met jou", "wat eet jij het liefst": the visitor speaks to the kiosk
        itself (``to_the_kiosk``, in the words as said) and names no joint, activity or
        complaint -- small talk, though its words occur in a section's examples."""
        lists = self.word_lists
        return (not lists.to_the_kiosk.isdisjoint(raw) and lists.joints.isdisjoint(words)
                and not self._names_an_activity(words) and not self._complains(words))

    def _names_a_section(self, words: list[str]) -> bool:
        """A section named by one of its own words (title, one-word keywords): "kan jij me iets
        over afvallen vertellen", "heb jij tips" are questions, though put to the kiosk."""
        informative = self._informative(words)
        return any(own.intersection(informative) for own in self.topic_words.values())

    def _about_an_animal(self, words: list[str]) -> bool:
        """"mijn hond is te zwaar": about an animal, and no joint of the visitor's own named
        ("mijn knie"; "zijn heup" is the animal's)."""
        if self.word_lists.animals.isdisjoint(words):
            return False
        return not any(word in self.word_lists.joints and before in self.word_lists.own
                       for before, word in itertools.pairwise(words))

    def _movement_question(self, words: list[str], named: bool = False,
                           declined: bool = False) -> bool:
        """An activity, a joint and "may I still" in one question: a movement question.
        ``named``: only an activity by name counts, not the word "bewegen" itself.
        ``declined``: the question would get nothing else, so the wider question words count
        too ("waar moet ik op letten"). An activity also counts as the end of a longer word
        ("stijldansen", "baanzwemmen")."""
        lists = self.word_lists
        asks = lists.permission | lists.movement_asks if declined else lists.permission
        present = set(words)
        return (self._names_an_activity(present, by_name=named)
                and not lists.joints.isdisjoint(present) and not asks.isdisjoint(present))

    def _names_an_activity(self, words: Iterable[str], by_name: bool = False) -> bool:
        """An activity among ``words``, also as the end of a longer word ("stijldansen");
        ``by_name``: a sport or pastime, not the word "bewegen" itself."""
        activities = self.word_lists.activities
        if by_name:
            activities = activities - {"bewegen"}
        return any(self._is_activity(word, activities) for word in words)

    @staticmethod
    def _is_activity(word: str, activities: frozenset[str]) -> bool:
        return word in activities or any(
            len(word) >= len(activity) + COMPOUND_EXTRA and word.endswith(activity)
            for activity in activities if len(activity) >= COMPOUND_ACTIVITY_LENGTH)

    def _names_a_new_joint(self, words: list[str]) -> bool:
        """"prothese", or "nieuwe" right before a joint ("een nieuwe heup"; the synonyms make
        "kunstknie" and "knieprothese" into these)."""
        lists = self.word_lists
        return any(w in lists.new_joint and w != "nieuwe" for w in words) or any(
            first == "nieuwe" and second in lists.joints for first, second in itertools.pairwise(words))

    def _complains(self, words: list[str]) -> bool:
        """A complaint word ("pijn", "kraakt", "kniepijn"): "mijn nieuwe heup doet ineens veel
        pijn" is a symptom (a red flag, even), not a question about living with a prosthesis."""
        complaints = self.content.intents.complaint_words
        return any(w.endswith(c) for w in words for c in complaints)  # also w == c

    def _new_joint_entry(self) -> str | None:
        entries = self.not_in_leaflet.entries if self.not_in_leaflet is not None else {}
        return NEW_JOINT_ENTRY if NEW_JOINT_ENTRY in entries else None

    def _declined_match(self, heard: str, normalized: str, words: list[str], score: float,
                        absent: str | None, guess: tuple[Intent, float] | None = None) -> Match:
        """Nothing read: a movement question still gets the movement section, and a question
        with a joint whose words name a section (``declined_cues``) that section -- unless it
        is one of "not in the leaflet" or opens like a waiting-room request ("waar is de
        fysiotherapeut"); otherwise the answer of "not in the leaflet" if any, or the guess."""
        lists = self.word_lists
        if self._movement_question(words, declined=True):
            if lists.new_joint.isdisjoint(words):
                return Match(heard, normalized, Intent("topic", MOVEMENT_SECTION), min(score, 1.0))
            if absent is None and self._names_a_new_joint(words):  # sport with a prosthesis
                absent = self._new_joint_entry()
        if absent is None and self._stops_an_activity(words) and not self._out_of_scope(words):
            return Match(heard, normalized, Intent("topic", MOVEMENT_SECTION), min(score, 1.0))
        if absent is None and not lists.joints.isdisjoint(words) and not self._out_of_scope(words):
            for cues, section in lists.declined_cues:
                if not cues.isdisjoint(words):
                    return Match(heard, normalized, Intent("topic", section), min(score, 1.0))
        return Match(heard, normalized, NOTHING, min(score, 1.0), guess=guess,
                     not_in_leaflet=None if guess else absent)

    def _stops_an_activity(self, words: list[str]) -> bool:
        """"Ik speel al dertig jaar tennis, moet ik daar nu mee ophouden?": an activity by
        name and a word of stopping or going on (``keep_going``), no joint needed -- in this
        kiosk that is a movement question. Not with a new joint (not in the leaflet)."""
        lists = self.word_lists
        return (not lists.keep_going.isdisjoint(words) and lists.new_joint.isdisjoint(words)
                and self._names_an_activity(words, by_name=True))

    def _replacing_cue(self, words: list[str], section: str) -> str | None:
        """"wordt artrose altijd erger" read the misconception about pain: a question with a
        joint whose words name a section (a cue with ``instead_of``) reads that section when
        it would read one of the cue's ``instead_of``; never when an activity is named (then
        moving is the question)."""
        lists = self.word_lists
        if lists.joints.isdisjoint(words) or self._names_an_activity(words):
            return None
        for cues, target, instead_of in lists.replacing_cues:
            if section in instead_of and not cues.isdisjoint(words):
                return target
        return None

    def _wants_more(self, words: list[str]) -> bool:
        """"lees meer over X", "vertel meer over X", "meer over X": the deeper section."""
        text = f" {' '.join(words)} "
        return any(marker in text for marker in MORE_MARKERS)

    def _without_more_marker(self, words: list[str]) -> list[str]:
        """"lees meer over de operatie" is scored as "de operatie" (the deeper section is
        chosen afterwards); "lees meer" on its own stays the command."""
        text = f" {' '.join(words)} "
        for marker in MORE_MARKERS:
            if marker in text:
                rest = text.replace(marker, " ", 1).split()
                if self._informative(rest):
                    return rest
        return words

    # ------------------------------------------------------------------ deciding
    def match(self, heard: str) -> Match:
        """The intent of ``heard`` (typed or recognised text); the yes or no in it is read
        only when asked for (:meth:`Match.answer`)."""
        return replace(self._match(heard), read_answer=self._read_answer)

    def _classify_answer(self, text: str) -> AnswerMatch | None:
        """The clear yes / no / weet-niet in ``text`` (content/answers.nl.yaml), if any."""
        return self.content.answers.classify(text) if self.content.answers is not None else None

    def _read_answer(self, text: str) -> str | None:
        found = self._classify_answer(text)
        return found.value if found is not None else None

    def _match(self, heard: str) -> Match:
        raw = tokens(heard)
        words = self.repair(strip_leading_markers(self._words(heard)))
        normalized = " ".join(words)
        if not words:
            return Match(heard, normalized, NOTHING, 0.0)
        scoring_words = self._without_more_marker(words)
        probabilities = self.ranking_classifier.probabilities(" ".join(scoring_words))
        scored = self.score_all(scoring_words, probabilities)
        best_intent, best_score = scored[0]
        answer = self._classify_answer(heard) if len(raw) <= MAX_ANSWER_WORDS else None
        if answer and answer_beats_intents(answer, len(raw), scored[0], self.threshold) \
                and not self._talks_to_the_kiosk(raw, words):  # "gij weet ook alles zeker"
            return Match(heard, normalized, Intent("answer", answer.value), answer.score)
        absent = self._not_in_leaflet(scored, scoring_words, probabilities)
        if self._about_an_animal(words):
            return Match(heard, normalized, NOTHING, min(best_score, 1.0), not_in_leaflet=absent)
        named = self.not_in_leaflet.named_in(raw) if self.not_in_leaflet is not None else None
        if named and best_intent.kind in ("topic", "flow", ABSENT):
            # "helpt een cortisone injectie": a subject the leaflet does not cover, named; its
            # answer offers the section that touches it, never reads that as the answer.
            return Match(heard, normalized, NOTHING, min(best_score, 1.0), not_in_leaflet=named)
        if best_intent.kind == ABSENT:
            return Match(heard, normalized, NOTHING, min(best_score, 1.0), not_in_leaflet=absent)
        if best_intent.kind in ("topic", "flow") and (
            self._out_of_scope(words) or self._only_numbers(words) or not self._anchored(words)
            or self._one_stray_word(scoring_words, best_intent)
            or (self._talks_to_the_kiosk(raw, words) and not self._names_a_section(words))
            or self._declined(scoring_words, best_intent)
        ):
            return self._declined_match(heard, normalized, words, best_score, absent)
        if best_score < self.threshold:
            guess = ((best_intent, best_score) if best_intent.kind == "topic"
                     and best_score >= self.guess_threshold else None)
            return self._declined_match(heard, normalized, words, best_score, absent, guess)
        if best_intent.kind != "topic":
            return Match(heard, normalized, best_intent, min(best_score, 1.0))
        new_joint = self._names_a_new_joint(words) and not self._complains(words)
        if new_joint and (best_intent.key not in NEW_JOINT_SECTIONS or (
                best_intent.key == NEW_JOINT_MISCONCEPTION and self._movement_question(words, named=True))):
            # "tot welke leeftijd een nieuwe heup", "met een nieuwe knie nog skien": living with
            # a prosthesis, which the leaflet does not cover.
            return Match(heard, normalized, NOTHING, min(best_score, 1.0),
                         not_in_leaflet=self._new_joint_entry())
        replacement = self._replacing_cue(words, best_intent.key)
        if replacement is not None:
            return Match(heard, normalized, Intent("topic", replacement), min(best_score, 1.0))
        if (best_intent.key not in MOVEMENT_SECTIONS and self.word_lists.new_joint.isdisjoint(words)
                and self._movement_question(words, named=True)):
            best_intent = Intent("topic", MOVEMENT_SECTION)  # "padel met versleten knieen, gaat dat nog"
            return Match(heard, normalized, best_intent, min(best_score, 1.0))
        sections = self.content.sections
        more = sections[best_intent.key].more
        if self._wants_more(words) and more:
            deeper = Intent("topic", more)
            return Match(heard, normalized, deeper, min(best_score, 1.0))
        close = [
            (intent, score) for intent, score in scored[1:]
            if intent.kind == "topic" and score >= self.threshold
            and best_score - score <= self.margin
        ][:1]
        parent = next(
            ((intent, score) for intent, score in scored[1:4]
             if intent.kind == "topic" and sections[intent.key].more == best_intent.key
             and best_score - score <= PARENT_MARGIN), None,
        )
        if parent and not self._wants_more(words):
            close = [parent]
        if close and sections[close[0][0].key].more == best_intent.key and not self._wants_more(words):
            # A near-tie between a topic and its own "lees meer": answer the first, simple
            # part; the dialog offers the deeper one after it.
            (best_intent, best_score), close = close[0], [(best_intent, best_score)]
        candidates = tuple((intent, min(score, 1.0)) for intent, score in close)
        return Match(heard, normalized, best_intent, min(best_score, 1.0), candidates)

    def _not_in_leaflet(self, scored: list[tuple[Intent, float]], words: list[str],
                        probabilities: dict[str, float]) -> str | None:
        """The best-scoring entry of "not in the leaflet", if it scores enough and the
        classifier is sure of it; else the request whose examples explain the question best
        by word evidence, if enough."""
        for intent, score in scored:
            if intent.kind == ABSENT:
                if score >= NOT_IN_LEAFLET_THRESHOLD and \
                        probabilities.get(intent.label(), 0.0) >= NOT_IN_LEAFLET_PROBABILITY:
                    return intent.key
                break
        if self.not_in_leaflet is None:
            return None
        query = self._informative(words)
        total = sum(self._weight(w) for w in query)
        best, best_evidence = None, REQUEST_EVIDENCE
        for doc in self.documents:
            if doc.intent.kind == ABSENT and \
                    self.not_in_leaflet.entries[doc.intent.key].kind == "requests":
                evidence = self._topic_score(doc, query, total)
                if evidence >= best_evidence:
                    best, best_evidence = doc.intent.key, evidence
        return best

    def match_many(self, lines: Iterable[str]) -> list[Match]:
        return [self.match(line) for line in lines]
