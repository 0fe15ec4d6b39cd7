"""Red flags: things a visitor may say that need a doctor today, found in any heard text.

Pure: ``content/red_flags.nl.yaml`` is read once by :func:`load_red_flags`; then
:meth:`RedFlags.detect` takes what was heard (recogniser text or typed) and returns the first
:class:`RedFlag` group that fires, with the kiosk's own advice to say, or ``None``.

Why rules and not a classifier: a missed red flag is the one error the kiosk must not make,
and the labelled data is small. Word groups with explicit rules ("warm" + a joint word close
together, "kan" + "niet" + "staan" without "zo goed" or "zonder stok") are predictable, a
practice assistant can read and extend them, a physiotherapist can review them, and a test
can show why something fired. Recogniser errors are met with word lists that hold the
spoken forms, prefix words (``koorts*``) and a small edit distance for long words that are
not themselves ordinary words of the content or of Dutch (so "gewicht" never passes for
"gewricht", nor "afgevallen" for "omgevallen": :data:`ORDINARY_WORDS_FILE`).

Every sentence of advice is the kiosk's own: origin ``kiosk:red-flag/<key>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz.distance import Levenshtein

from kiosk.core.leaflet import split_sentences
from kiosk.core.normalize import tokens
from kiosk.core.utterance import KIOSK, Utterance
from kiosk.core.yamlfile import ContentError, LineDict, LineList, Problem, load_yaml

#: Origin prefix of the red-flag advice: ``kiosk:red-flag/<group or advice key>``.
ORIGIN = f"{KIOSK}:red-flag"
#: Short words a recogniser glues to their neighbour ("ikkan", "bengestruikeld"): a word that is
#: one of these plus a red-flag word is read as the two words.
GLUED_WORDS = frozenset({
    "ik", "ben", "en", "de", "het", "een", "is", "er", "te", "dat", "die", "in", "je", "kan",
    "mijn", "nu", "niet", "meer", "op", "zo", "heel", "erg", "was", "ze", "hij", "u", "uw",
    "aan", "van", "met", "als", "bij", "na", "al", "ook", "nog", "me", "mij", "min", "zijn",
    "haar", "wat", "dan", "of", "om", "voor", "sinds", "helemaal", "beetje", "bijna", "voelt",
})
#: Ordinary Dutch words a letter or two from a red-flag word ("afgevallen", "pillen",
#: "injectie"), kept next to the red-flag file: never taken as a recogniser slip for it.
ORDINARY_WORDS_FILE = "red_flag_ordinary_words.nl.txt"
#: Words around a rule's matched words in which an ``unless`` word cancels it.
UNLESS_MARGIN = 2
SENTENCE_PAUSE = 0.35
_GROUP_KEYS = {"name", "rules", "say", "examples", "not_examples"}
_RULE_KEYS = {"all", "within", "unless", "unless_said"}
_TOP_KEYS = {"origin", "advice", "words", "except", "not_in", "negation", "groups"}
#: Words that join signs into one list a negation reaches over ("niet warm of rood").
LIST_WORDS = frozenset({"en", "of", "noch", "ook", "nog", "echt", "erg", "heel", "zo",
                        "gehad", "gekregen", "is", "was", "zijn"})


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class RedFlag:
    """A red flag that fired: its ``group`` id and the advice to say (complete: it ends with
    its own closing sentence, so no general disclaimer should follow it)."""

    group: str
    advice: tuple[Utterance, ...]
    name: str = ""  # what the group is about, in English, for staff and logs


@dataclass(frozen=True)
class ReviewItem:
    """One own sentence that gives advice, for the clinical sign-off list."""

    file: str
    line: int
    key: str
    text: str
    reviewed: bool


class ErrorReporter(Protocol):
    def __call__(self, where: Any, message: str, key: str | None = None) -> None: ...


def reviewed_flag(node: LineDict, where: str, error: ErrorReporter, only_text: bool = False) -> bool:
    """The sign-off marker of an own sentence (``reviewed: true``; absent is false). Any other
    value is reported and counts as not reviewed; with ``only_text`` the entry may hold nothing
    but ``text`` and ``reviewed``."""
    reviewed = node.get("reviewed", False)
    if not isinstance(reviewed, bool):
        error(node, f"{where}: 'reviewed' must be true or false", "reviewed")
        reviewed = False
    if only_text:
        for extra in set(node) - {"text", "reviewed"}:
            error(node, f"{where}: unknown key {extra!r} (expected text, reviewed)", extra)
    return reviewed


@dataclass(frozen=True)
class _Word:
    """One entry of a word group: a word or phrase; ``prefix`` when written with ``*``."""

    parts: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Rule:
    all: tuple[str, ...]
    within: int | None = None
    unless: tuple[str, ...] = ()
    #: Word groups that cancel the rule wherever they are said ("als kind gevallen"); an entry
    #: "a+b" cancels only when both groups are said ("twee jaar geleden" + "ging allemaal over").
    unless_said: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    rules: tuple[Rule, ...]
    advice: tuple[Utterance, ...]
    examples: tuple[str, ...] = ()
    not_examples: tuple[str, ...] = ()
    line: int = 0
    #: Line of each example, then of each not_example (for error messages).
    example_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Negation:
    words: frozenset[str] = frozenset()
    negatable: frozenset[str] = frozenset()
    ends: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()
    #: Said right after the word, these also take it away ("koorts? nee").
    after: frozenset[str] = frozenset()
    reach: int = 4
    #: "rood is hij niet": a word of these, right after the red-flag word, then a negation
    #: word within ``reach`` words.
    copulas: frozenset[str] = frozenset()


def _form_of(token: str, word: str) -> bool:
    """``token`` is ``word`` with an ending added or cut ("gevallene", "gestruikel"), or with
    its last d and t swapped ("geopereert")."""
    if token.startswith(word) or word.startswith(token):
        return True
    return len(token) == len(word) and token[:-1] == word[:-1] and {token[-1], word[-1]} == {"d", "t"}


def _close(token: str, word: str) -> bool:
    """A small recogniser slip in a long word: one edit from 6 letters, two from 9."""
    if len(word) < 6 or abs(len(token) - len(word)) > 2:
        return False
    allowed = 2 if len(word) >= 9 else 1
    return Levenshtein.distance(token, word, score_cutoff=allowed) <= allowed


@dataclass
class RedFlags:
    """The red-flag groups of the content; :meth:`detect` is the one thing the dialog needs."""

    groups: tuple[Group, ...]
    words: dict[str, tuple[_Word, ...]]
    negation: Negation = field(default_factory=Negation)
    exceptions: frozenset[str] = frozenset()
    #: Ordinary words (the content's own): never taken as a slip for a red-flag word.
    known_words: frozenset[str] = frozenset()
    file: str = ""
    review: tuple[ReviewItem, ...] = ()
    #: Phrases inside which no word counts for any group ("rode wangen": red, not the joint).
    not_in: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        self._exact: dict[str, set[str]] = {}
        for concept, entries in self.words.items():
            for entry in entries:
                if len(entry.parts) == 1 and not entry.prefix:
                    self._exact.setdefault(entry.parts[0], set()).add(concept)
        self._cache: dict[str, frozenset[str]] = {}
        self._prefixes = tuple(sorted({e.parts[0] for entries in self.words.values() for e in entries
                                       if e.prefix and len(e.parts) == 1}))
        #: Word groups that can make a rule fire; the others only cancel one, and a guessed
        #: slip must never cancel an alarm, so they match exactly (or by their ``*`` prefix).
        self._firing = {c for g in self.groups for r in g.rules for c in r.all}

    # ------------------------------------------------------------------ matching words
    def _token_matches(self, token: str, entry: _Word, part: str, slips: bool = True) -> bool:
        if token == part:
            return True
        if token in self.exceptions:
            return False
        if entry.prefix and token.startswith(part):
            return True
        if not slips or token in self.known_words or token in self._exact:
            return False  # an ordinary word of its own, not a slip
        return _close(token, part)

    def _spans(self, words: Sequence[str], concept: str) -> list[tuple[int, int]]:
        """(start, end) word positions (end exclusive) where ``concept`` is said."""
        spans = []
        n = len(words)
        slips = concept in self._firing
        for entry in self.words.get(concept, ()):
            k = len(entry.parts)
            for i in range(n):
                if i + k <= n and all(self._token_matches(words[i + j], entry, entry.parts[j], slips)
                                      for j in range(k)):
                    spans.append((i, i + k))
                elif k > 1 and words[i] == "".join(entry.parts):  # "nieuweknie"
                    spans.append((i, i + 1))
        return sorted(set(spans))

    def _negated(self, words: Sequence[str], start: int, end: int,
                 signs: frozenset[int] = frozenset()) -> bool:
        """A negation word up to ``reach`` words before takes the sign away, but only the first
        sign after it and the signs joined to that one as a list (``signs``: positions of
        negatable words): "geen koorts, knie opeens knalrood" keeps "opeens" and "knalrood"."""
        neg = self.negation
        if end < len(words) and words[end] in neg.after:
            return True
        if end < len(words) and words[end] in neg.copulas:
            for word in words[end + 1:end + 1 + neg.reach]:
                if word in neg.ends:
                    break
                if word in neg.words:
                    return True
        for back in range(1, neg.reach + 1):
            i = start - back
            if i < 0:
                return False
            word = words[i]
            if word in neg.ends:
                return False
            if word in neg.words:
                if i > 0 and words[i - 1] in neg.not_after:
                    return False
                return self._governs(words, i, start, signs)
        return False

    @staticmethod
    def _governs(words: Sequence[str], negation: int, start: int, signs: frozenset[int]) -> bool:
        """The negation at ``negation`` reaches the sign at ``start``: no other sign stands
        between them, or the words from the first sign after it on are signs and list words."""
        between = range(negation + 1, start)
        first = next((i for i in between if i in signs), None)
        if first is None:
            return True
        return all(i in signs or words[i] in LIST_WORDS for i in range(first, start))

    def _occurrences(self, words: Sequence[str], concept: str,
                     context: tuple[frozenset[int], frozenset[int]] | None = None) -> list[tuple[int, int]]:
        signs, blocked = context if context is not None else self._context(words)
        spans = [s for s in self._spans(words, concept) if not blocked.issuperset(range(*s))]
        if concept in self.negation.negatable:
            spans = [s for s in spans if not self._negated(words, s[0], s[1], signs)]
        return spans

    def _context(self, words: Sequence[str]) -> tuple[frozenset[int], frozenset[int]]:
        """Positions of negatable signs (for a negation's reach) and positions inside a
        ``not_in`` phrase (they count for nothing)."""
        blocked = {i + j for phrase in self.not_in for i in range(len(words) - len(phrase) + 1)
                   if tuple(words[i:i + len(phrase)]) == phrase for j in range(len(phrase))}
        signs = {i for concept in self.negation.negatable for s, e in self._spans(words, concept)
                 for i in range(s, e) if i not in blocked}
        return frozenset(signs), frozenset(blocked)

    # ------------------------------------------------------------------ rules
    def _holds(self, rule: Rule, words: Sequence[str], found: dict[str, list[tuple[int, int]]]) -> bool:
        if any(not found[c] for c in rule.all):
            return False
        width = rule.within or len(words)
        starts = sorted({s for c in rule.all for s, _ in found[c]})
        for first in starts:
            last_allowed = first + width
            chosen = []
            for concept in rule.all:
                inside = [s for s in found[concept] if first <= s[0] and s[1] <= last_allowed]
                if not inside:
                    break
                chosen.append(inside[0])
            else:
                lo = min(s for s, _ in chosen)
                hi = max(e for _, e in chosen)
                if not self._cancelled(rule, words, lo, hi, found):
                    return True
        return False

    @staticmethod
    def _cancelled(rule: Rule, words: Sequence[str], lo: int, hi: int,
                   found: dict[str, list[tuple[int, int]]]) -> bool:
        a, b = lo - UNLESS_MARGIN, hi + UNLESS_MARGIN
        return any(s < b and e > a for c in rule.unless for s, e in found[c]) or \
            any(all(found[part] for part in c.split("+")) for c in rule.unless_said)

    def _unglue(self, words: list[str]) -> list[str]:
        """Split words a recogniser glued together: a common word from :data:`GLUED_WORDS` and
        a word of the word groups ("ikkan" -> "ik kan", "beetjekoortsig" -> "beetje koortsig"),
        or two words of the word groups ("knieineens" -> "knie ineens"). An ordinary word is
        never split ("warmte")."""
        out: list[str] = []
        for word in words:
            if self._flag_word(word) or word in self.known_words or word in GLUED_WORDS:
                out.append(word)
                continue
            for cut in range(1, len(word)):
                head, tail = word[:cut], word[cut:]
                if (head in GLUED_WORDS and (self._flag_word(tail) or tail in GLUED_WORDS)) or \
                        (self._flag_word(head) and (tail in GLUED_WORDS or tail in self._exact)):
                    out += [head, tail]
                    break
            else:
                out.append(word)
        return out

    def _flag_word(self, part: str) -> bool:
        """``part`` is a word of the word groups, or a longer form of a ``*`` word ("koortsig")."""
        return part in self._exact or (part not in self.exceptions and any(
            part.startswith(p) for p in self._prefixes))

    def _words(self, text: str) -> list[str]:
        return self._unglue(tokens(text))

    def detect(self, text: str) -> RedFlag | None:
        """The first red-flag group that ``text`` (heard or typed Dutch) fires, or None."""
        words = self._words(text)
        if not words:
            return None
        found: dict[str, list[tuple[int, int]]] = {}
        context = self._context(words)
        for group in self.groups:
            for rule in group.rules:
                said = (part for entry in rule.unless_said for part in entry.split("+"))
                for concept in (*rule.all, *rule.unless, *said):
                    if concept not in found:
                        found[concept] = self._occurrences(words, concept, context)
                if self._holds(rule, words, found):
                    return RedFlag(group.id, group.advice, group.name)
        return None

    def why(self, text: str) -> str | None:
        """For staff and tests: "group: rule" that fired on ``text``, or None."""
        words = self._words(text)
        context = self._context(words)
        found = {c: self._occurrences(words, c, context) for c in self.words}
        for group in self.groups:
            for rule in group.rules:
                if self._holds(rule, words, found):
                    return f"{group.id}: {' + '.join(rule.all)}"
        return None

    def vocabulary(self) -> list[str]:
        """Every word of every word group (for the recogniser's phrase list and the
        error simulator)."""
        return sorted({part for entries in self.words.values() for e in entries for part in e.parts})

    def unreviewed(self) -> list[ReviewItem]:
        return [item for item in self.review if not item.reviewed]


# --------------------------------------------------------------------------- loading
class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def error(self, where: Any, message: str, key: str | None = None, line: int | None = None) -> None:
        if line is None:
            line = where.line_of(key) if isinstance(where, LineDict) and key else getattr(where, "line", 0)
        self.problems.append(Problem(self.file, line, message))

    def word_list(self, node: Any, where: str, parent: LineDict, key: str) -> list[str]:
        if not isinstance(node, list) or not node:
            self.error(parent, f"{where} must be a non-empty list of words", key)
            return []
        out = []
        for i, item in enumerate(node):
            if not isinstance(item, str) or not " ".join(tokens(item.rstrip("*"))):
                line = node.line_at(i) if isinstance(node, LineList) else parent.line_of(key)
                self.error(parent, f"{where}: item {i + 1} must be a word or phrase", line=line)
            else:
                out.append(item)
        return out

    def advice_text(self, node: Any, where: str, parent: Any, key: Any, origin: str,
                    review: list[ReviewItem]) -> list[Utterance]:
        text = node.get("text") if isinstance(node, LineDict) else None
        if not isinstance(node, LineDict) or not isinstance(text, str) or not text.strip():
            self.error(parent, f"{where} needs a 'text'", key if isinstance(key, str) else None,
                       line=key if isinstance(key, int) else None)
            return []
        reviewed = reviewed_flag(node, where, self.error, only_text=True)
        text = " ".join(text.split())
        review.append(ReviewItem(self.file, node.line_of("text"), origin, text, reviewed))
        return [Utterance(s, origin, SENTENCE_PAUSE) for s in split_sentences(text)]

    def read(self, data: Any, known_words: Iterable[str]) -> RedFlags | None:
        if not isinstance(data, LineDict):
            self.problems.append(Problem(self.file, 1, "expected a mapping with 'words' and 'groups'"))
            return None
        for key in data:
            if key not in _TOP_KEYS:
                self.error(data, f"unknown key {key!r} (expected {', '.join(sorted(_TOP_KEYS))})", key)
        if data.get("origin") != KIOSK:
            self.error(data, "red flags are the kiosk's own advice: write 'origin: kiosk'", "origin")
        review: list[ReviewItem] = []
        # shared advice
        advice: dict[str, list[Utterance]] = {}
        advice_spec = data.get("advice") or LineDict()
        if not isinstance(advice_spec, LineDict):
            self.error(data, "'advice' must be a mapping of key: {text, reviewed}", "advice")
            advice_spec = LineDict()
        for key, node in advice_spec.items():
            advice[key] = self.advice_text(node, f"advice {key!r}", advice_spec, key,
                                           f"{ORIGIN}/{key}", review)
        # word groups
        words: dict[str, tuple[_Word, ...]] = {}
        words_spec = data.get("words")
        if not isinstance(words_spec, LineDict) or not words_spec:
            self.error(data, "'words' must be a mapping of group: [words]",
                       "words" if "words" in data else None)
            words_spec = LineDict()
        for concept, node in words_spec.items():
            entries = []
            for item in self.word_list(node, f"word group {concept!r}", words_spec, concept):
                prefix = item.rstrip().endswith("*")
                entries.append(_Word(tuple(tokens(item.rstrip().rstrip("*"))), prefix))
            words[concept] = tuple(entries)
        exceptions = frozenset(" ".join(tokens(w)) for w in
                               (self.word_list(data["except"], "'except'", data, "except")
                                if "except" in data else []))
        not_in = tuple(tuple(tokens(w)) for w in
                       (self.word_list(data["not_in"], "'not_in'", data, "not_in")
                        if "not_in" in data else []))
        negation = self.negation(data.get("negation"), data, words)
        groups = self.groups(data, words, advice, review)
        if self.problems:
            return None
        return RedFlags(tuple(groups), words, negation, exceptions,
                        frozenset(" ".join(tokens(w)) for w in known_words), self.file,
                        tuple(review), not_in)

    def negation(self, node: Any, parent: LineDict, words: dict[str, tuple[_Word, ...]]) -> Negation:
        if node is None:
            return Negation()
        if not isinstance(node, LineDict):
            self.error(parent, "'negation' must be a mapping", "negation")
            return Negation()

        def flat(key: str) -> frozenset[str]:
            if key not in node:
                return frozenset()
            listed = self.word_list(node[key], f"negation {key!r}", node, key)
            return frozenset(" ".join(tokens(w)) for w in listed)

        # group names are kept as written ("loopt-weer"), not split into words
        negatable = frozenset(w.strip() for w in self.word_list(node["negatable"], "negation 'negatable'",
                                                                 node, "negatable")) \
            if "negatable" in node else frozenset()
        for concept in negatable - set(words):
            self.error(node, f"negation: unknown word group {concept!r}", "negatable")
        reach = node.get("reach", 4)
        if not isinstance(reach, int) or reach < 1:
            self.error(node, "negation 'reach' must be a whole number of words (1 or more)", "reach")
            reach = 4
        return Negation(flat("words"), negatable, flat("ends"), flat("not_after"), flat("after"),
                        reach, flat("copulas"))

    def groups(self, data: LineDict, words: dict[str, tuple[_Word, ...]],
               advice: dict[str, list[Utterance]], review: list[ReviewItem]) -> list[Group]:
        spec = data.get("groups")
        if not isinstance(spec, LineDict) or not spec:
            self.error(data, "'groups' must be a mapping of group id: {name, rules, say}",
                       "groups" if "groups" in data else None)
            return []
        out = []
        for gid, node in spec.items():
            where = f"group {gid!r}"
            if not isinstance(node, LineDict):
                self.error(spec, f"{where} must be a mapping with name, rules and say", gid)
                continue
            for key in node:
                if key not in _GROUP_KEYS:
                    expected = ", ".join(sorted(_GROUP_KEYS))
                    self.error(node, f"{where}: unknown key {key!r} (expected {expected})", key)
            rules = [r for i, r in enumerate(node.get("rules") or []) if r is not None]
            parsed = [self.rule(r, node, where, words, i) for i, r in enumerate(rules)]
            if not rules:
                self.error(node, f"{where} has no 'rules'", "rules" if "rules" in node else None)
            say: list[Utterance] = []
            say_spec = node.get("say")
            if not isinstance(say_spec, LineList) or not say_spec:
                self.error(node, f"{where} has nothing to 'say'", "say" if "say" in node else None)
                say_spec = LineList()
            for i, item in enumerate(say_spec):
                if isinstance(item, str):
                    if item not in advice:
                        self.error(node, f"{where}: unknown advice {item!r} (define it under 'advice')",
                                   line=say_spec.line_at(i))
                    say += advice.get(item, [])
                else:
                    say += self.advice_text(item, f"{where}, say item {i + 1}", node,
                                            say_spec.line_at(i), f"{ORIGIN}/{gid}", review)
            name = node.get("name")
            if not isinstance(name, str) or not name.strip():
                self.error(node, f"{where} has no 'name'", "name" if "name" in node else None)
                name = str(gid)
            examples = tuple(self.word_list(node["examples"], f"{where} examples", node, "examples")) \
                if "examples" in node else ()
            not_examples = tuple(self.word_list(node["not_examples"], f"{where} not_examples", node,
                                                "not_examples")) if "not_examples" in node else ()
            lines = tuple(self.lines_of(node, key) for key in ("examples", "not_examples"))
            out.append(Group(str(gid), " ".join(name.split()), tuple(p for p in parsed if p),
                             tuple(say), examples, not_examples, node.line,
                             lines[0][:len(examples)] + lines[1][:len(not_examples)]))
        return out

    @staticmethod
    def lines_of(node: LineDict, key: str) -> tuple[int, ...]:
        items = node.get(key)
        if not isinstance(items, LineList):
            return ()
        return tuple(items.line_at(i) for i in range(len(items)))

    def rule(self, node: Any, group: LineDict, where: str, words: dict[str, tuple[_Word, ...]],
             index: int) -> Rule | None:
        rules = group["rules"]
        node_all: Any
        within: Any
        unless: Any
        unless_said: Any = []
        line = rules.line_at(index) if isinstance(rules, LineList) else group.line
        if isinstance(node, list):
            node_all, within, unless = node, None, []
        elif isinstance(node, LineDict):
            for key in node:
                if key not in _RULE_KEYS:
                    self.error(node, f"{where}, rule {index + 1}: unknown key {key!r} "
                                     f"(expected {', '.join(sorted(_RULE_KEYS))})", key)
            node_all, within, unless = node.get("all"), node.get("within"), node.get("unless", [])
            unless_said = node.get("unless_said", [])
        else:
            self.error(group, f"{where}, rule {index + 1} must be a list of word groups or "
                              "{all: [...], within: N, unless: [...]}", line=line)
            return None
        if not isinstance(node_all, list) or not node_all:
            self.error(group, f"{where}, rule {index + 1}: 'all' must list word groups", line=line)
            return None
        for key, value in (("unless", unless), ("unless_said", unless_said)):
            if not isinstance(value, list):
                self.error(group, f"{where}, rule {index + 1}: {key!r} must list word groups", line=line)
                return None
        for concept in [*node_all, *unless, *(p for c in unless_said for p in str(c).split("+"))]:
            if concept not in words:
                self.error(group, f"{where}, rule {index + 1}: unknown word group {concept!r}", line=line)
                return None
        if within is not None and (not isinstance(within, int) or within < len(node_all)):
            self.error(group, f"{where}, rule {index + 1}: 'within' must be a whole number of words, "
                              "at least the number of word groups", line=line)
            return None
        return Rule(tuple(node_all), within, tuple(unless), tuple(unless_said))


def check_red_flags(path: str | Path,
                    known_words: Iterable[str] = ()) -> tuple[RedFlags | None, list[Problem]]:
    """Load ``red_flags.nl.yaml``: (red flags or None, every problem with file and line).

    Besides the file's form, each group's ``examples`` must fire that group and its
    ``not_examples`` must fire no group."""
    try:
        data = load_yaml(path)
    except ContentError as err:
        return None, list(err.problems)
    reader = _Reader(str(path))
    flags = reader.read(data, [*known_words, *read_ordinary_words(Path(path).with_name(ORDINARY_WORDS_FILE))])
    if flags is None:
        return None, reader.problems
    problems = []
    for group in flags.groups:
        lines = list(group.example_lines) + [group.line] * (len(group.examples) + len(group.not_examples))
        for i, example in enumerate(group.examples):
            fired = flags.detect(example)
            if fired is None or fired.group != group.id:
                got = fired.group if fired else "nothing"
                problems.append(Problem(flags.file, lines[i], f"group {group.id!r}: example "
                                        f"{example!r} is not caught by it (caught by: {got})"))
        for i, example in enumerate(group.not_examples, start=len(group.examples)):
            fired = flags.detect(example)
            if fired is not None:
                problems.append(Problem(flags.file, lines[i], f"group {group.id!r}: ordinary "
                                        f"complaint {example!r} is taken as red flag {fired.group!r}"))
    return (None if problems else flags), problems


def read_ordinary_words(path: Path) -> list[str]:
    """The words of :data:`ORDINARY_WORDS_FILE` (one a line, ``#`` comments), or none when the
    file is absent."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def near_words(flags: RedFlags, dictionary: Iterable[str]) -> list[str]:
    """Words of ``dictionary`` that ``flags`` would take as a slip for one of its words (one or
    two letters off) and that are not a form of that word ("pijnlijker" for "pijnlijke",
    "geopereert" for "geopereerd"), or would read as two glued words one of which can make an
    alarm ("warmte"): the content of :data:`ORDINARY_WORDS_FILE`."""
    import numpy  # only for generating the file: the kiosk's start imports no numpy
    from rapidfuzz.process import cdist

    bare = RedFlags(flags.groups, flags.words, flags.negation, flags.exceptions)
    entries = [(entry, entry.parts[0]) for concept, group in bare.words.items() if concept in bare._firing
               for entry in group if len(entry.parts) == 1 and len(entry.parts[0]) >= 6]
    candidates = sorted({" ".join(tokens(w)) for w in dictionary} - set(bare._exact) - {""})
    candidates = [t for t in candidates if " " not in t]
    # "warmte" is no "warm te"; "zolang" may still be "zo lang" (a limit, which only cancels)
    found = {t for t in candidates if len(parts := bare._unglue([t])) > 1
             and any(c in bare._firing for part in parts for c in bare._exact.get(part, ()))}
    parts = [part for _, part in entries]
    pairs: list[tuple[str, _Word, str]] = []
    for start in range(0, len(candidates), 20000):  # C calls for (word, red-flag word) distances
        chunk = candidates[start:start + 20000]
        distances = cdist(chunk, parts, scorer=Levenshtein.distance, score_cutoff=2, dtype=numpy.int8)
        rows, columns = numpy.nonzero(distances <= 2)
        pairs += [(chunk[int(i)], *entries[int(j)]) for i, j in zip(rows, columns, strict=True)]
    for token, entry, part in pairs:
        if token in found or token == part or (entry.prefix and token.startswith(part)):
            continue
        if not _form_of(token, part) and bare._token_matches(token, entry, part):
            found.add(token)
    return sorted(found)


def load_red_flags(path: str | Path, known_words: Iterable[str] = ()) -> RedFlags:
    """Load and check the red-flag file; raises :class:`ContentError` naming file and line."""
    flags, problems = check_red_flags(path, known_words)
    if flags is None:
        raise ContentError(problems)
    return flags


# --------------------------------------------------------------------------- clinical sign-off
#: Choices a physiotherapist must confirm besides the sentences (content/REVIEW.md).
REVIEW_DECISIONS = (
    "A knee or hip that is warm, hot or red counts as a red flag on its own; swelling alone "
    "does not (\"een beetje dik na het fietsen\"), only when it is sudden, severe, or comes with "
    "warmth, redness or fever (content/red_flags.nl.yaml, group heet-gewricht).",
    "Redness the visitor explains by a harmless cause (sun, heat pad, hot-water bottle, kneeling, "
    "a brace or plaster, scratching) and warmth explained by sun or a heat pad do not count; "
    "they still count when sudden or together with swelling, and kneeling does not explain "
    "warmth (word groups oorzaak-rood, oorzaak-warm).",
    "Fever counts on its own (group koorts); 38 degrees and above is named as fever, and so are "
    "37.5 to 37.9 said as a number. It does not count when it is over (\"dat is weer over\"), "
    "when the visitor says the joints are fine (\"mijn gewrichten zijn in orde\", \"zoals "
    "altijd\"), or in a question about artrose in general (\"krijg je van artrose koorts\"); it "
    "still counts with joint pain, swelling, warmth or redness, when it was today or yesterday, "
    "and when said as \"ik heb koorts\" (unless over).",
    "A fall or knock counts together with the knee, hip, leg, pain, or not being able to stand "
    "or walk (group val). Walking or standing up again as before (\"loopt alweer\", \"kon gewoon "
    "weer opstaan\") cancels a fall with only a joint named, not a fall of today or yesterday, "
    "not pain after a fall, and not having been unable to stand up.",
    "A stumble (\"gestruikeld\") counts like a fall unless the visitor says they did not fall "
    "(\"kon me nog vastgrijpen\", \"maar niet gevallen\"), also when it was yesterday. Swelling, "
    "or a leg that stands or feels wrong, after a fall counts even when walking again.",
    "An ordinary Dutch word is never read as a recogniser slip for a red-flag word "
    "(content/red_flag_ordinary_words.nl.txt: \"injectie\" is not \"infectie\"); sound-alikes "
    "that are no ordinary word here are read as the red-flag word (\"hup\" as \"heup\", "
    "\"niets\" and the Flemish \"nie\" as \"niet\"). See docs/red-flags.md.",
    "Someone else's story stays a red flag when the sign is current or could be (a grandchild's "
    "fever told with the visitor's own knee pain, a wife who fell today and walked on, a sister's "
    "red knee after her operation told in the past); another person's fall after which nothing "
    "was wrong (\"maar hij heeft niks\") does not count. See docs/red-flags.md, decisions 8-9.",
    "Signs added for new phrasings: a clot named (\"trombose\", \"stolsel\") counts on its own; "
    "a feared or named break of a joint; a knock on the joint; a fall from stairs, a ladder, a "
    "chair or a bike; an infection of the joint named as such; feeling very ill with a hot, red or "
    "swollen joint; a wound that does not heal. \"Ontstoken\" alone does not count (visitors say "
    "it of ordinary artrose); a new knee that is warm counts although some warmth after a "
    "replacement is normal (docs/red-flags.md, decisions 10-11).",
    "Fifth blind reading (docs/red-flags.md, decisions 12-16): legs that do not carry (\"been "
    "draagt niet\", \"wil plots niet\", \"kom mijn bed niet meer uit\") count as unable to stand; "
    "tight shiny skin or throbbing (\"het klopt erin\") on a joint, and a bare \"dik en rood\", "
    "count as a hot joint; feeling very ill (\"zo ziek als een hond\") or sweating at night with a "
    "painful joint counts as fever; a new joint \"uit de kom\" counts after an operation.",
    "Fifth blind reading, alarms taken away: warmth after exercise said to come \"soms\" or to go "
    "away again (\"een uur later weer weg\"); a past episode told as long ago and over (\"twee jaar "
    "geleden warm en dik, dat ging allemaal over\"); a fever said to be over with a joint only "
    "named; a fall in the summer or when someone was young; someone else's fall told with the "
    "visitor's own complaint (\"maar ik kom voor mijn eigen knie\"); red cheeks or another red "
    "body part. Kept as alarms, for review: a partner who tripped this morning and walked on; a "
    "new knee still warm three weeks after the operation that the surgeon called normal.",
    "\"kan niet meer staan / lopen\" counts; \"kan niet meer zo goed / zo lang / zo ver lopen\" "
    "and \"kan niet lopen zonder stok\" do not (group niet-staan).",
    "112 is named for severe breathlessness, chest pain or being very ill (advice spoed), in the "
    "groups koorts, na-operatie and niet-staan; not for the other groups.",
    "After an operation the kiosk tells the visitor to call the hospital or the huisarts; the "
    "step test treats \"geopereerd in de laatste drie maanden\" (and \"weet ik niet\") as no step "
    "advice at all (content/triage.nl.yaml, check question operatie).",
    "Any recent fall or hard knock on the knee or hip ends the step test at the huisarts "
    "(check question val).",
    "Without a diagnosis from a physiotherapist or doctor (\"nee\" or \"weet ik niet\") the step "
    "test gives no step or movement-type advice, only the leaflet's sentence on other causes "
    "(check question diagnose).",
    "Stap 3 is given only after a whole treatment plan with the physiotherapist (\"behandelplan "
    "afgemaakt, met eigen doelen\") and a life that still goes \"erg achteruit\".",
    "Tweedelijnszorg is explained as \"zorg van een specialist, bijvoorbeeld in het ziekenhuis\" "
    "(content/prompts.nl.yaml, explain_tweedelijnszorg).",
    "The disclaimer after a section or a test result sends the visitor to a person (physiotherapist "
    "or huisarts) and is not said after safety advice, so it never plays a referral down.",
    "The kiosk's own answers to health questions the leaflet does not cover "
    "(content/not_in_leaflet.nl.yaml, listed last, at the line of their key) have no 'reviewed' "
    "marker yet; they stay unreviewed here until the file gets one. The answer to 'moet ik naar "
    "de huisarts' tells the visitor to call when in doubt, and today with the red-flag signs.",
)


def review_items(content: Any) -> list[ReviewItem]:
    """Every own sentence that gives or withholds advice: red flags, the step test, the prompts
    marked for review (disclaimer, complaint offer, goodbye, explained words), then the kiosk's own
    answers to health questions the leaflet does not cover (these carry no
    ``reviewed`` marker yet, so they count as unreviewed until a clinician has read them)."""
    items: list[ReviewItem] = []
    for part in (getattr(content, "red_flags", None), getattr(content, "triage", None),
                 getattr(content, "prompts", None)):
        if part is not None:
            items += list(part.review)
    table = getattr(content, "not_in_leaflet", None)
    if table is not None:
        items += [ReviewItem(entry.file, entry.line, f"{KIOSK}:not_in_leaflet.{entry.key}",
                             entry.answer, False)
                  for entry in table.entries.values() if entry.kind == "topics"]
    return items


def review_document(items: Sequence[ReviewItem], content_dir: str = "content") -> str:
    """content/REVIEW.md: the sign-off checklist (``kiosk check --review``)."""
    done = sum(item.reviewed for item in items)
    out = [
        "# Clinical sign-off of the kiosk's own advice",
        "",
        "**A physiotherapist must read and sign off every sentence below before the kiosk is used",
        "with patients.** These sentences are not from the KNGF leaflet: they are the kiosk's own",
        "words that send a visitor to a doctor, give or withhold a step of the stepwise approach,",
        "or ask the questions that decide this. The leaflet's own text is checked against the",
        "leaflet by `kiosk check` and is not listed here.",
        "",
        "How to sign off: read each sentence at its file and line, and the decisions below. When a",
        "sentence is right, set `reviewed: true` next to it in that file; change the sentence",
        "first when it is not. Then run `kiosk check --review > content/REVIEW.md` (a test fails",
        "while this file and the content disagree). `kiosk check` reports how many sentences are",
        "still unreviewed.",
        "",
        f"Signed off: {done} of {len(items)}.",
        "",
        "## Decisions to review",
        "",
    ]
    out += [f"- {decision}" for decision in REVIEW_DECISIONS]
    out += ["", "## Sentences", "", "`[x]` reviewed, `[ ]` not yet.", ""]
    current = None
    for item in items:
        file = f"{content_dir}/{Path(item.file).name}"
        if file != current:
            out += ["", f"### {file}", ""] if current else [f"### {file}", ""]
            current = file
        out.append(f"- [{'x' if item.reviewed else ' '}] `{file}:{item.line}` `{item.key}`: {item.text}")
    return "\n".join(out).rstrip() + "\n"
