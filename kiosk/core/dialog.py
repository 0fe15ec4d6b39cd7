"""The kiosk conversation as a pure state machine: events in, actions out.

Nothing here touches a microphone, a speaker, a clock or a thread. The runner (or `kiosk chat`,
or a test) feeds events — the button, a heard transcript, silence, speech finished — and
carries out the actions: say these utterances, listen for a question or a yes/no, change the
voice, count an anonymous statistic, end the visit.

States:

- ``idle``: nobody is using the kiosk; the button or the wake phrase starts a visit;
- ``question``: listening for a question or command;
- ``offer``: after a section, "wilt u meer horen over X?" waits for yes/no;
- ``choose``: "bedoelt u A of B?" waits for the choice;
- ``confirm``: "bedoelt u X?" (the matcher's guess at an unsure question) waits for yes/no;
- ``triage``: a yes/no flow of :mod:`kiosk.core.triage` runs; its answers go to the flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from kiosk.core.content import GROUPS, Content
from kiosk.core.matching import Intent, Match, Matcher
from kiosk.core.normalize import tokens
from kiosk.core.utterance import Utterance
from kiosk.core.voice_settings import VoiceSettings

#: How long (seconds) the runner listens before reporting Silence (defaults; see config).
QUESTION_TIMEOUT_S = 8.0
ANSWER_TIMEOUT_S = 6.0
#: Silences in a row while waiting for a question before the kiosk says goodbye.
SILENCES_BEFORE_GOODBYE = 2
#: "Not understood" in a row before the kiosk offers the menu.
MISSES_BEFORE_HELP = 2

IDLE, QUESTION, OFFER, CHOOSE, CONFIRM, TRIAGE = (
    "idle", "question", "offer", "choose", "confirm", "triage")

_FIRST = {"eerste", "een", "1", "de eerste", "het eerste", "a", "die eerste", "eerste optie"}
_SECOND = {"tweede", "twee", "de tweede", "het tweede", "laatste", "de laatste", "b",
           "tweede optie", "die tweede", "het laatste"}


# ------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class Button:
    """The big button was pressed."""


@dataclass(frozen=True)
class Wake:
    """The wake phrase was heard while idle."""


@dataclass(frozen=True)
class Heard:
    """A final transcript (or typed line)."""

    text: str


@dataclass(frozen=True)
class Silence:
    """The runner listened for the whole timeout and nobody spoke."""


@dataclass(frozen=True)
class SpeechFinished:
    """Everything the last Say asked for has been spoken (not cut off)."""


Event = Union[Button, Wake, Heard, Silence, SpeechFinished]


# ------------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class Say:
    utterances: tuple[Utterance, ...]


@dataclass(frozen=True)
class StopSpeaking:
    """Cut off whatever is being said, now."""


@dataclass(frozen=True)
class Listen:
    expect: str  # "question", "choice" (A or B) or "yesno"
    timeout_s: float


@dataclass(frozen=True)
class ApplyVoice:
    settings: VoiceSettings


@dataclass(frozen=True)
class Count:
    """An anonymous statistic: which topic, a miss, a triage outcome. Never what was said."""

    name: str
    key: str = ""


@dataclass(frozen=True)
class End:
    """The visit is over; wait for the button or the wake phrase."""


Action = Union[Say, StopSpeaking, Listen, ApplyVoice, Count, End]


# ------------------------------------------------------------------------------- dialog
@dataclass
class _Visit:
    """What the kiosk remembers during one visit; forgotten when the visit ends."""

    history: list[str] = field(default_factory=list)  # sections read, in order
    read: set[str] = field(default_factory=set)
    last_said: tuple[Utterance, ...] = ()
    offered: str | None = None  # section id offered by "wilt u meer horen over ..."
    offer_retried: bool = False
    choices: tuple[str, ...] = ()
    guessed: str | None = None  # section id asked about with "bedoelt u ...?"
    misses: int = 0
    silences: int = 0
    disclaimer_said: bool = False
    prompt_counts: dict[str, int] = field(default_factory=dict)
    triage: Any = None  # a kiosk.core.triage session while a flow runs


class Dialog:
    """One kiosk's conversation. Call :meth:`handle` with each event; do what it returns."""

    def __init__(self, content: Content, matcher: Matcher | None = None, *,
                 question_timeout_s: float = QUESTION_TIMEOUT_S,
                 answer_timeout_s: float = ANSWER_TIMEOUT_S):
        self.content = content
        self.matcher = matcher or Matcher(content)
        self.question_timeout_s = question_timeout_s
        self.answer_timeout_s = answer_timeout_s
        self.state = IDLE
        self.speaking = False
        self.voice = VoiceSettings()
        self.visit = _Visit()

    # ---------------------------------------------------------------- entry point
    def handle(self, event: Event) -> list[Action]:
        if isinstance(event, SpeechFinished):
            self.speaking = False
            return []
        if isinstance(event, (Button, Wake)):
            return self._on_button(event)
        if self.state == IDLE:
            return []  # speech or silence with no visit going on: ignore
        if isinstance(event, Silence):
            return self._on_silence()
        if isinstance(event, Heard):
            return self._on_heard(self._understand(event.text))
        raise TypeError(f"unknown event {event!r}")

    # ---------------------------------------------------------------- helpers
    def _understand(self, text: str) -> Match:
        """The matcher's reading, except that a clear yes/no wins while a yes/no question
        is open: "ja ik heb veel pijn" answers the question, it does not ask about pain."""
        match = self.matcher.match(text)
        lexicon = self.content.answers
        if (self.state in (OFFER, CONFIRM, TRIAGE) and lexicon is not None
                and match.intent.kind != "command"):
            answer = lexicon.classify(text)
            if answer is not None:
                return Match(text, match.normalized, Intent("answer", answer.value), answer.score)
        return match

    def _prompt(self, key: str, **fields: str) -> list[Utterance]:
        """The prompt's next variant when it is said again in the same visit."""
        count = self.visit.prompt_counts.get(key, 0)
        self.visit.prompt_counts[key] = count + 1
        return self.content.prompts.say(key, count, **fields)

    def _say(self, utterances: list[Utterance], remember: bool = True) -> Say:
        self.speaking = True
        if remember:
            self.visit.last_said = tuple(utterances)
        return Say(tuple(utterances))

    def _listen(self, state: str) -> Listen:
        self.state = state
        expect = {QUESTION: "question", CHOOSE: "choice"}.get(state, "yesno")
        return Listen(expect, self.question_timeout_s if expect == "question" else self.answer_timeout_s)

    def _title(self, section_id: str) -> str:
        return self.content.sections[section_id].title

    def _end_visit(self) -> list[Action]:
        actions: list[Action] = [self._say(self._prompt("goodbye"), remember=False), End()]
        if self.voice != VoiceSettings():
            self.voice = VoiceSettings()
            actions.insert(1, ApplyVoice(self.voice))
        self.state = IDLE
        self.visit = _Visit()
        return actions

    # ---------------------------------------------------------------- events
    def _on_button(self, event: Button | Wake) -> list[Action]:
        if self.state == IDLE:
            self.visit = _Visit()
            return [Count("visit"), self._say(self._prompt("welcome"), remember=False),
                    self._listen(QUESTION)]
        if self.speaking and isinstance(event, Button):
            self.speaking = False
            return [StopSpeaking(), self._listen(self.state if self.state != IDLE else QUESTION)]
        return [self._say(self._prompt("button_hint"), remember=False), self._listen(self.state)]

    def _on_silence(self) -> list[Action]:
        visit = self.visit
        if self.state == TRIAGE:
            return self._triage_step(visit.triage.on_silence())
        if self.state in (OFFER, CHOOSE, CONFIRM):
            visit.offered, visit.choices, visit.guessed = None, (), None
            return [self._say(self._prompt("anything_else"), remember=False),
                    self._listen(QUESTION)]
        visit.silences += 1
        if visit.silences >= SILENCES_BEFORE_GOODBYE:
            return self._end_visit()
        return [self._say(self._prompt("still_there"), remember=False), self._listen(QUESTION)]

    def _on_heard(self, match: Match) -> list[Action]:
        self.visit.silences = 0
        intent = match.intent
        if self.state == TRIAGE:
            return self._triage_heard(intent)
        if intent.kind == "command":
            return self._command(intent.key)
        if self.state == OFFER:
            return self._offer_reply(intent)
        if self.state == CHOOSE:
            return self._choose_reply(match)
        if self.state == CONFIRM:
            return self._confirm_reply(match)
        return self._question(match)

    # ---------------------------------------------------------------- questions
    def _question(self, match: Match) -> list[Action]:
        intent = match.intent
        if intent.kind == "topic":
            if match.candidates and not self._related(intent.key, match.candidates[0][0].key):
                return self._ask_which(intent.key, match.candidates[0][0].key)
            return self._read(intent.key)
        if intent.kind == "flow":
            return self._start_triage(intent.key)
        if intent.kind == "answer":  # to "Heeft u nog een vraag?"
            if intent.key == "nee":
                return self._end_visit()
            if intent.key == "weet-niet":
                return self._command("menu")
            return [self._say(self._prompt("go_ahead"), remember=False), self._listen(QUESTION)]
        if match.guess is not None:
            return self._confirm_guess(match.guess[0].key)
        return self._not_understood()

    def _related(self, a: str, b: str) -> bool:
        """True when one section is the other's "lees meer": no need to ask which."""
        sa, sb = self.content.sections[a], self.content.sections[b]
        return sa.more == b or sb.more == a

    def _not_understood(self) -> list[Action]:
        self.visit.misses += 1
        key = "not_understood" if self.visit.misses < MISSES_BEFORE_HELP else "not_understood_again"
        if key == "not_understood_again":
            self.visit.misses = 0
        return [Count("no_match"), self._say(self._prompt(key), remember=False),
                self._listen(QUESTION)]

    def _ask_which(self, a: str, b: str) -> list[Action]:
        self.visit.choices = (a, b)
        prompt = self._prompt("which_one", a=self._title(a), b=self._title(b))
        return [self._say(prompt, remember=False), self._listen(CHOOSE)]

    def _confirm_guess(self, section_id: str) -> list[Action]:
        """An unsure question: ask before reading rather than read the wrong section or
        give up ("bedoelt u afvallen?")."""
        self.visit.guessed = section_id
        return [Count("guess", section_id), *self._ask_guess()]

    def _ask_guess(self) -> list[Action]:
        prompt = self._prompt("did_you_mean", title=self._title(self.visit.guessed or ""))
        return [self._say(prompt, remember=False), self._listen(CONFIRM)]

    def _read(self, section_id: str, remember_history: bool = True) -> list[Action]:
        visit = self.visit
        visit.misses = 0
        visit.choices = ()
        visit.guessed = None
        if remember_history and (not visit.history or visit.history[-1] != section_id):
            visit.history.append(section_id)
        visit.read.add(section_id)
        utterances = self.content.section_utterances(section_id)
        said = list(utterances)
        actions: list[Action] = [Count("topic", section_id)]
        if not visit.disclaimer_said:
            visit.disclaimer_said = True
            said += self._prompt("disclaimer")
        follow_up = self._next_follow_up(section_id)
        if follow_up:
            visit.offered, visit.offer_retried = follow_up, False
            said += self._prompt("offer_more", title=self._title(follow_up))
            actions += [self._say(said, remember=False), self._listen(OFFER)]
        else:
            visit.offered = None
            said += self._prompt("anything_else")
            actions += [self._say(said, remember=False), self._listen(QUESTION)]
        visit.last_said = tuple(utterances)
        return actions

    def _next_follow_up(self, section_id: str) -> str | None:
        for candidate in self.content.sections[section_id].follow_ups:
            if candidate not in self.visit.read:
                return candidate
        return None

    # ---------------------------------------------------------------- replies
    def _offer_reply(self, intent: Intent) -> list[Action]:
        visit = self.visit
        offered = visit.offered
        if intent.kind == "answer" and intent.key == "ja" and offered:
            return self._read(offered)
        if intent.kind == "answer" and intent.key in ("nee", "weet-niet"):
            visit.offered = None
            return [self._say(self._prompt("anything_else"), remember=False),
                    self._listen(QUESTION)]
        if intent.kind in ("topic", "flow"):
            visit.offered = None
            return self._question(Match("", "", intent, 1.0))
        if not visit.offer_retried and offered:
            visit.offer_retried = True
            prompt = self._prompt("offer_more_again", title=self._title(offered))
            return [self._say(prompt, remember=False), self._listen(OFFER)]
        visit.offered = None
        return [self._say(self._prompt("anything_else"), remember=False), self._listen(QUESTION)]

    def _choose_reply(self, match: Match) -> list[Action]:
        a, b = self.visit.choices
        said = " ".join(tokens(match.heard))
        if said in _FIRST or (match.intent.kind == "answer" and match.intent.key == "ja"):
            return self._read(a)
        if said in _SECOND:
            return self._read(b)
        if match.intent.kind == "topic" and match.intent.key in (a, b):
            return self._read(match.intent.key)
        scores = dict(self.matcher.score_all(match.normalized.split()))
        score_a, score_b = scores.get(Intent("topic", a), 0), scores.get(Intent("topic", b), 0)
        if max(score_a, score_b) > 0.2 and score_a != score_b:
            return self._read(a if score_a > score_b else b)
        if match.intent.kind in ("topic", "flow"):
            return self._question(match)
        return self._read(a)  # the best guess of the original question

    def _confirm_reply(self, match: Match) -> list[Action]:
        """Yes reads the guess; no asks for the question again in other words (a wrong
        guess counts as a miss, so one more brings the menu hint); a new question is
        answered as one; anything else counts as not understood."""
        guessed, self.visit.guessed = self.visit.guessed, None
        intent = match.intent
        if intent.kind == "answer" and intent.key == "ja" and guessed:
            return self._read(guessed)
        if intent.kind == "answer":
            self.visit.misses += 1
            return [self._say(self._prompt("rephrase"), remember=False), self._listen(QUESTION)]
        if intent.kind in ("topic", "flow") or match.guess is not None:
            return self._question(match)
        return self._not_understood()

    # ---------------------------------------------------------------- commands
    def _command(self, name: str) -> list[Action]:
        visit = self.visit
        if name == "stop":
            if self.speaking:
                self.speaking = False
                return [StopSpeaking(), self._say(self._prompt("stopped"), remember=False),
                        self._listen(QUESTION)]
            return self._end_visit()
        if name == "herhaal":
            if self.state == CONFIRM and visit.guessed:
                return self._ask_guess()
            if not visit.last_said:
                return [self._say(self._prompt("nothing_to_repeat"), remember=False),
                        self._listen(QUESTION)]
            return [self._say(list(visit.last_said)), self._listen(self._resume_state())]
        if name == "meer":
            if self.state == OFFER and visit.offered:
                return self._read(visit.offered)
            current = visit.history[-1] if visit.history else None
            follow_up = self._next_follow_up(current) if current else None
            if follow_up:
                return self._read(follow_up)
            return [self._say(self._prompt("no_more"), remember=False), self._listen(QUESTION)]
        if name == "terug":
            if len(visit.history) < 2:
                return [self._say(self._prompt("nothing_before"), remember=False),
                        self._listen(QUESTION)]
            visit.history.pop()
            return self._read(visit.history[-1], remember_history=False)
        if name == "menu":
            groups = {s.group for s in self.content.sections.values()}
            names = [spoken for group, spoken in GROUPS.items() if group in groups]
            listed = ", ".join(names[:-1]) + " en " + names[-1] if len(names) > 1 else "".join(names)
            return [self._say(self._prompt("menu", groups=listed)), self._listen(QUESTION)]
        return self._adjust_voice(name)

    def _resume_state(self) -> str:
        return self.state if self.state in (QUESTION, OFFER, CHOOSE, CONFIRM) else QUESTION

    def _adjust_voice(self, name: str) -> list[Action]:
        kind = "rate" if name in ("langzamer", "sneller") else "volume"
        if self.voice.at_limit(name):
            return [self._say(self._prompt(f"{kind}_limit"), remember=False),
                    self._listen(self._resume_state())]
        self.voice = self.voice.adjusted(name)
        return [ApplyVoice(self.voice), self._say(self._prompt(f"{kind}_changed"), remember=False),
                self._listen(self._resume_state())]

    # ---------------------------------------------------------------- triage
    def _start_triage(self, flow: str) -> list[Action]:
        book = self.content.triage
        if book is None:
            return self._not_understood()
        self.visit.triage = book.session(flow, disclaimer=self.content.prompts.say("disclaimer"))
        return [Count("triage_start", flow), *self._triage_step(self.visit.triage.start())]

    def _triage_heard(self, intent: Intent) -> list[Action]:
        session = self.visit.triage
        if intent.kind == "answer":
            return self._triage_step(session.on_answer(intent.key))
        if intent.kind == "command" and intent.key == "herhaal":
            return self._triage_step(session.on_repeat())
        if intent.kind == "command" and intent.key == "stop":
            self.speaking = False
            return [StopSpeaking(), *self._triage_step(session.on_stop())]
        if intent.kind == "command" and intent.key in ("langzamer", "sneller", "harder", "zachter"):
            actions = self._adjust_voice(intent.key)
            self.state = TRIAGE
            return actions[:-1] + self._triage_step(session.on_repeat())
        return self._triage_step(session.on_unclear())

    def _triage_step(self, step: Any) -> list[Action]:
        actions: list[Action] = []
        if step.utterances:
            actions.append(self._say(list(step.utterances)))
        if step.expects_answer:
            actions.append(self._listen(TRIAGE))
            self.state = TRIAGE
            return actions
        self.visit.triage = None
        outcome = step.outcome
        if outcome is not None:
            actions.insert(0, Count("triage_outcome", outcome.id))
            for section_id in outcome.section_ids:
                self.visit.read.add(section_id)
                self.visit.history.append(section_id)
            offer = next((s for s in outcome.offer_more if s not in self.visit.read), None)
            if offer:
                self.visit.offered, self.visit.offer_retried = offer, False
                actions.append(self._say(self._prompt("offer_more", title=self._title(offer)),
                                         remember=False))
                actions.append(self._listen(OFFER))
                return actions
        actions.append(self._say(self._prompt("anything_else"), remember=False))
        actions.append(self._listen(QUESTION))
        return actions
