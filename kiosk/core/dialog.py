"""The kiosk conversation as a pure state machine: events in, actions out.

Nothing here touches a microphone, a speaker, a clock or a thread. The runner (or `kiosk chat`,
or a test) feeds events — the button, a heard transcript, silence, speech finished — and
carries out the actions: say these utterances, listen for a question or a yes/no, change the
voice, count an anonymous statistic, end the visit.

How to read it: :meth:`Dialog.handle` turns each event into a :class:`Cue` (for heard text
:meth:`Dialog.understand` decides which, in a fixed order: red flag first, then goodbye,
commands, answers, not-in-the-leaflet, complaints, topics), then looks up
``TRANSITIONS[state][cue]``: the name of the handler that answers it. A handler returns a
:class:`Turn`: the actions and the next state; only :meth:`Dialog.handle` changes the state.
``docs/dialog.md`` is this table, printed by :func:`transition_table` (a test keeps it up to
date).

States (:class:`State`):

- ``idle``: nobody is using the kiosk; the button or the wake phrase starts a visit;
- ``question``: listening for a question or command;
- ``offer``: "wilt u meer horen over X?" waits for yes/no;
- ``choose``: "wilt u A, of B?" waits for a choice, by number or by name;
- ``confirm``: "bedoelt u X?" (the matcher's guess at an unsure question) waits for yes/no;
- ``triage``: a yes/no flow of :mod:`kiosk.core.triage` runs; its answers go to the flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from rapidfuzz import fuzz

from kiosk.core.content import GROUPS, Content
from kiosk.core.normalize import normalize, tokens
from kiosk.core.safety import ORIGIN as RED_FLAG_ORIGIN
from kiosk.core.triage import OutcomeKind
from kiosk.core.utterance import KIOSK, Utterance
from kiosk.core.voice_settings import VoiceSettings

if TYPE_CHECKING:  # the matcher's module loads scikit-learn: not at import time
    from kiosk.core.matching import Match


# ------------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Timeouts:
    """How long (seconds of no speech) the kiosk listens before it reports Silence. The one
    place these defaults live: the config and the runner take them from here."""

    question_s: float = 8.0
    answer_s: float = 6.0

    @property
    def longest_s(self) -> float:
        return max(self.question_s, self.answer_s)


#: Silences in a row while waiting for a question before the kiosk says goodbye.
SILENCES_BEFORE_GOODBYE = 2
#: "Not understood" in a row before the kiosk offers the menu.
MISSES_BEFORE_HELP = 2
#: How close (rapidfuzz ratio, 0-100) a heard line must be to a goodbye phrase or a choice's
#: name to count as it.
PHRASE_RATIO = 88
#: A complaint is answered with an offer only when it is at most this many words long and
#: asks nothing (no question word): "ik heb kniepijn", not "wat helpt tegen kniepijn".
COMPLAINT_MAX_WORDS = 12
QUESTION_WORDS = frozenset({"wat", "hoe", "waarom", "wanneer", "welke", "welk", "wie", "waar",
                            "hoeveel", "waardoor", "waarmee"})
#: Endings that ask for advice after a complaint: still a complaint ("..., wat nu?").
COMPLAINT_TAILS = (("wat", "moet", "ik", "doen"), ("wat", "kan", "ik", "doen"),
                   ("wat", "moet", "ik", "nu"), ("wat", "nu"))
#: The joints the leaflet is about; a complaint about another joint is not offered the test.
JOINTS = ("knie", "heup")
#: A first word that makes a question of a statement: "is dat erg", "mag ik fietsen".
QUESTION_OPENERS = frozenset({"mag", "kan", "kun", "kunt", "moet", "is", "zijn", "heb", "heeft",
                              "ben", "helpt", "wordt", "gaat", "zou", "zal", "krijg", "wil", "doe"})
#: Number words that pick a choice: "een", "de eerste", "nummer twee".
_ORDINALS = {"een": 0, "1": 0, "eerste": 0, "eerst": 0, "twee": 1, "2": 1, "tweede": 1,
             "laatste": 1}


class _Named(str, Enum):
    """A str enum that prints as its value in every Python version ("question", not
    "Expect.QUESTION"): the runner, logs and tests compare and print the plain strings."""

    def __str__(self) -> str:
        return str(self.value)


class State(_Named):
    IDLE = "idle"
    QUESTION = "question"
    OFFER = "offer"
    CHOOSE = "choose"
    CONFIRM = "confirm"
    TRIAGE = "triage"


#: The states under their short names, as other modules and tests import them.
IDLE, QUESTION, OFFER, CHOOSE, CONFIRM, TRIAGE = tuple(State)


class Expect(_Named):
    """What a :class:`Listen` waits for."""

    QUESTION = "question"
    CHOICE = "choice"  # one of two options, by number or by name
    YESNO = "yesno"


class IntentKind(_Named):
    """The matcher's intent kinds (:class:`kiosk.core.matching.Intent` ``kind``)."""

    TOPIC = "topic"
    COMMAND = "command"
    ANSWER = "answer"
    FLOW = "flow"
    NONE = "none"


class Cue(_Named):
    """What the dialog makes of an event: the columns of the transition table."""

    BUTTON = "button"
    WAKE = "wake"
    SILENCE = "silence"
    RED_FLAG = "red flag"  # checked first, in every state
    GOODBYE = "goodbye"  # "tot ziens", "dag": the visitor leaves
    STOP = "stop"
    REPEAT = "herhaal"
    MORE = "meer"
    BACK = "terug"
    MENU = "menu"
    VOICE = "voice"  # langzamer, sneller, harder, zachter
    YES = "ja"
    NO = "nee"
    DONT_KNOW = "weet-niet"
    CHOICE = "choice"  # a number or a name of one of the options (choose only)
    TOPIC = "topic"
    FLOW = "flow"
    NOT_IN_LEAFLET = "not in leaflet"  # the kiosk's own answer (content/not_in_leaflet.nl.yaml)
    GUESS = "guess"  # a topic the matcher is unsure of
    COMPLAINT = "complaint"  # "ik heb kniepijn": a complaint that asks nothing
    UNCLEAR = "unclear"


#: The state a Listen in each state waits in, and what it expects.
EXPECT = {State.QUESTION: Expect.QUESTION, State.CHOOSE: Expect.CHOICE,
          State.OFFER: Expect.YESNO, State.CONFIRM: Expect.YESNO, State.TRIAGE: Expect.YESNO}
#: States with an open yes/no question (the rule of answer against topic: ``Match.answer``).
YESNO_STATES = frozenset({State.OFFER, State.CONFIRM, State.TRIAGE, State.CHOOSE})
_COMMAND_CUES = {"stop": Cue.STOP, "herhaal": Cue.REPEAT, "meer": Cue.MORE, "terug": Cue.BACK,
                 "menu": Cue.MENU, "langzamer": Cue.VOICE, "sneller": Cue.VOICE,
                 "harder": Cue.VOICE, "zachter": Cue.VOICE}
_ANSWER_CUES = {"ja": Cue.YES, "nee": Cue.NO, "weet-niet": Cue.DONT_KNOW}


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


Event = Button | Wake | Heard | Silence | SpeechFinished


# ------------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class Say:
    utterances: tuple[Utterance, ...]
    #: False: a visitor's voice does not cut this off, only the button does. Advice to see a
    #: doctor (a red flag's, a test's safety outcome) is heard to its end: a neighbour's
    #: voice or a cough in the waiting room must not cut it (see :meth:`Dialog._say`).
    interruptible: bool = True


@dataclass(frozen=True)
class StopSpeaking:
    """Cut off whatever is being said, now."""


@dataclass(frozen=True)
class Listen:
    expect: Expect  # a str enum: compares equal to "question", "choice" or "yesno"
    timeout_s: float


@dataclass(frozen=True)
class ApplyVoice:
    settings: VoiceSettings


@dataclass(frozen=True)
class Count:
    """An anonymous statistic: which topic, a miss, a triage outcome, a red flag group.
    Never what was said."""

    name: str
    key: str = ""


@dataclass(frozen=True)
class End:
    """The visit is over; wait for the button or the wake phrase."""


Action = Say | StopSpeaking | Listen | ApplyVoice | Count | End


@dataclass(frozen=True)
class Turn:
    """A handler's answer: the actions to carry out and the state to be in afterwards."""

    actions: tuple[Action, ...]
    state: State


# ------------------------------------------------------------------------------- parts
class TextMatcher(Protocol):
    """What the dialog needs of :class:`kiosk.core.matching.Matcher`."""

    def match(self, heard: str) -> Match: ...


class RedFlagDetector(Protocol):
    """:class:`kiosk.core.safety.RedFlags`: a red flag in heard text, or None."""

    def detect(self, text: str) -> Any: ...


@dataclass(frozen=True)
class Option:
    """One thing the visitor can choose in ``choose``: a section to read or a flow to start."""

    kind: IntentKind  # TOPIC or FLOW
    key: str
    name: str  # how the kiosk says it


@dataclass(frozen=True)
class Reading:
    """What the dialog made of heard text."""

    cue: Cue
    text: str
    match: Match | None = None
    key: str = ""  # command name, answer value, section id, flow name
    red_flag: Any = None
    choice: int = -1


@dataclass
class _Visit:
    """What the kiosk remembers during one visit; forgotten when the visit ends."""

    history: list[str] = field(default_factory=list)  # sections read, in order
    read: set[str] = field(default_factory=set)
    last_said: tuple[Utterance, ...] = ()
    offered: str | None = None  # section id offered by "wilt u meer horen over ..."
    offer_retried: bool = False
    options: tuple[Option, ...] = ()  # in choose
    choose_retried: bool = False
    guessed: str | None = None  # section id asked about with "bedoelt u ...?"
    misses: int = 0
    silences: int = 0
    heard: int = 0  # utterances heard in this visit
    disclaimer_said: bool = False
    explained: set[str] = field(default_factory=set)  # words explained once ("tweedelijnszorg")
    prompt_counts: dict[str, int] = field(default_factory=dict)
    triage: Any = None  # a kiosk.core.triage.TriageSession while a flow runs


Handler = Callable[["Dialog", Reading], Turn]

_ANY_VISIT = (State.QUESTION, State.OFFER, State.CHOOSE, State.CONFIRM)

#: state -> cue -> handler method name. Every (state, cue) pair is listed; a test checks it.
TRANSITIONS: dict[State, dict[Cue, str]] = {
    State.IDLE: {
        **{cue: "_ignore" for cue in Cue},
        Cue.BUTTON: "_start_visit",
        Cue.WAKE: "_start_visit",
    },
    **{state: {
        Cue.BUTTON: "_button",
        Cue.WAKE: "_button",
        Cue.SILENCE: "_question_silence" if state == State.QUESTION else "_move_on",
        Cue.RED_FLAG: "_red_flag",
        Cue.GOODBYE: "_goodbye",
        Cue.STOP: "_stop",
        Cue.REPEAT: "_repeat",
        Cue.MORE: "_more",
        Cue.BACK: "_back",
        Cue.MENU: "_menu",
        Cue.VOICE: "_voice",
        Cue.YES: {State.QUESTION: "_go_ahead", State.OFFER: "_read_offered",
                  State.CHOOSE: "_choose_again", State.CONFIRM: "_read_guessed"}[state],
        Cue.NO: {State.QUESTION: "_end_visit", State.OFFER: "_move_on",
                 State.CHOOSE: "_rephrase", State.CONFIRM: "_rephrase"}[state],
        Cue.DONT_KNOW: {State.QUESTION: "_menu", State.OFFER: "_move_on",
                        State.CHOOSE: "_choose_again", State.CONFIRM: "_rephrase"}[state],
        Cue.CHOICE: "_choose" if state == State.CHOOSE else "_not_understood",  # choose only
        Cue.TOPIC: "_topic",
        Cue.FLOW: "_start_triage",
        Cue.NOT_IN_LEAFLET: "_not_in_leaflet",
        Cue.GUESS: "_confirm_guess",
        Cue.COMPLAINT: "_complaint",
        Cue.UNCLEAR: {State.QUESTION: "_not_understood", State.OFFER: "_offer_again",
                      State.CHOOSE: "_choose_again", State.CONFIRM: "_not_understood"}[state],
    } for state in _ANY_VISIT},
    State.TRIAGE: {
        **{cue: "_triage_unclear" for cue in Cue},
        Cue.BUTTON: "_button",
        Cue.WAKE: "_button",
        Cue.SILENCE: "_triage_silence",
        Cue.RED_FLAG: "_triage_red_flag",
        Cue.GOODBYE: "_triage_goodbye",
        Cue.STOP: "_triage_stop",
        Cue.REPEAT: "_triage_command",
        Cue.MORE: "_triage_command",
        Cue.BACK: "_triage_command",
        Cue.MENU: "_triage_menu",
        Cue.VOICE: "_triage_voice",
        Cue.YES: "_triage_answer",
        Cue.NO: "_triage_answer",
        Cue.DONT_KNOW: "_triage_answer",
    },
}


class Dialog:
    """One kiosk's conversation. Call :meth:`handle` with each event; do what it returns."""

    def __init__(self, content: Content, matcher: TextMatcher | None = None, *,
                 timeouts: Timeouts = Timeouts(),
                 red_flags: RedFlagDetector | None = None):
        self.content = content
        if matcher is None:
            from kiosk.core.matching import Matcher

            matcher = Matcher(content)
        self.matcher = matcher
        self.timeouts = timeouts
        self.red_flags = red_flags if red_flags is not None else content.red_flags
        self.state = State.IDLE
        self.speaking = False
        #: Of each Say of the last turn not yet finished, whether voice may cut it (the
        #: first is the one being spoken; SpeechFinished takes it off).
        self._saying: list[bool] = []
        self.voice = VoiceSettings()
        self.visit = _Visit()
        intents = content.intents
        self._goodbyes = tuple(normalize(p) for p in intents.goodbyes)
        self._complaint_words = frozenset(normalize(w) for w in intents.complaint_words)
        self._explanations = {key.removeprefix("explain_"): key
                              for key in content.prompts.variants if key.startswith("explain_")}

    # ---------------------------------------------------------------- entry point
    def handle(self, event: Event) -> list[Action]:
        """The actions for ``event``; the one place the state changes."""
        if isinstance(event, SpeechFinished):
            self.speaking = False
            if self._saying:
                self._saying.pop(0)
            return []
        if isinstance(event, Button):
            reading = Reading(Cue.BUTTON, "")
        elif isinstance(event, Wake):
            reading = Reading(Cue.WAKE, "")
        elif isinstance(event, Silence):
            reading = Reading(Cue.SILENCE, "")
        elif isinstance(event, Heard):
            if self.state == State.IDLE:
                return []  # speech with no visit going on: ignore (nothing is matched)
            self.visit.heard += 1
            reading = self.understand(event.text)
        else:
            raise TypeError(f"unknown event {event!r}")
        turn: Turn = getattr(self, TRANSITIONS[self.state][reading.cue])(reading)
        self.state = turn.state
        self._saying = [a.interruptible for a in turn.actions if isinstance(a, Say)]
        if turn.state == State.IDLE:
            self.visit = _Visit()
        return list(turn.actions)

    def understand(self, text: str) -> Reading:
        """What heard text means in the current state. The order is the rule: a red flag
        beats everything; then a goodbye; then commands; then a choice by number or name
        (choose); then a yes/no (``Match.answer``: while a question is open, any clear one
        beats a topic); then what the matcher found."""
        if self.red_flags is not None:
            flag = self.red_flags.detect(text)
            if flag is not None:
                return Reading(Cue.RED_FLAG, text, red_flag=flag, key=flag.group)
        if self._is_goodbye(text):
            return Reading(Cue.GOODBYE, text)
        match = self.matcher.match(text)
        kind = IntentKind(match.intent.kind)
        if kind == IntentKind.COMMAND:
            return Reading(_COMMAND_CUES[match.intent.key], text, match, match.intent.key)
        if self.state == State.CHOOSE:
            choice = self._choice(text, match)
            if choice >= 0:
                return Reading(Cue.CHOICE, text, match, choice=choice)
        answer = match.answer(question_open=self.state in YESNO_STATES)
        if answer is not None:
            return Reading(_ANSWER_CUES[answer], text, match, answer)
        if kind == IntentKind.FLOW:
            return Reading(Cue.FLOW, text, match, match.intent.key)
        complaint = self._is_complaint(text)
        if match.not_in_leaflet and self.content.not_in_leaflet is not None and not (
                complaint and self._names_knee_or_hip(text)):  # "last van mijn schouder"
            return Reading(Cue.NOT_IN_LEAFLET, text, match, match.not_in_leaflet)
        if complaint:  # even when a topic matched: "mijn heup doet zeer" is no question
            return Reading(Cue.COMPLAINT, text, match)  # about misverstand-pijn
        if kind == IntentKind.TOPIC:
            return Reading(Cue.TOPIC, text, match, match.intent.key)
        if match.guess is not None:
            return Reading(Cue.GUESS, text, match, match.guess[0].key)
        return Reading(Cue.UNCLEAR, text, match)

    # ---------------------------------------------------------------- understanding helpers
    def _is_goodbye(self, text: str) -> bool:
        said = normalize(text)
        return bool(said) and any(fuzz.ratio(said, phrase) >= PHRASE_RATIO
                                  for phrase in self._goodbyes)

    @staticmethod
    def _names_knee_or_hip(text: str) -> bool:
        """The leaflet's joints: "knie", "heup" (also in "kniepijn", "heupen")."""
        return any(joint in word for word in tokens(text) for joint in JOINTS)

    def _is_complaint(self, text: str) -> bool:
        words = tokens(text)
        for tail in COMPLAINT_TAILS:  # "ik heb last van mijn heup, wat nu?" asks for advice
            if len(words) > len(tail) and tuple(words[-len(tail):]) == tail:
                words = words[:-len(tail)]
                break
        return (0 < len(words) <= COMPLAINT_MAX_WORDS and QUESTION_WORDS.isdisjoint(words)
                and words[0] not in QUESTION_OPENERS and not text.strip().endswith("?")
                and any(w in self._complaint_words or any(w.endswith(c) for c in self._complaint_words
                                                          if len(c) >= 4)
                        for w in words))

    def _choice(self, text: str, match: Match) -> int:
        """Index of the option the visitor named (by number or by name), or -1."""
        options = self.visit.options
        words = [w for w in tokens(text) if w not in ("de", "het", "nummer", "optie", "die")]
        if len(words) <= 2:
            for word in words:
                if word in _ORDINALS and _ORDINALS[word] < len(options):
                    return _ORDINALS[word]
        for i, option in enumerate(options):
            if match.intent.kind == option.kind and match.intent.key == option.key:
                return i
        said = normalize(text)
        for i, option in enumerate(options):
            if said and fuzz.partial_ratio(said, normalize(option.name)) >= PHRASE_RATIO \
                    and len(said) >= 4:
                return i
        return -1

    # ---------------------------------------------------------------- building blocks
    def _prompt(self, key: str, **fields: str) -> list[Utterance]:
        """The prompt's next variant when it is said again in the same visit."""
        count = self.visit.prompt_counts.get(key, 0)
        self.visit.prompt_counts[key] = count + 1
        return self.content.prompts.say(key, count, **fields)

    def _say(self, utterances: Sequence[Utterance], remember: bool = False,
             safety: bool = False) -> Say:
        """Say ``utterances``; a word that needs explaining ("tweedelijnszorg") gets the
        kiosk's own short explanation after the first sentence that uses it in a visit (the
        kiosk's own sentences too: a test result may name the word). Safety advice (a red
        flag's own sentences, or ``safety``: a test's safety outcome) is not interruptible
        by voice."""
        self.speaking = True
        out: list[Utterance] = []
        for utterance in utterances:
            out.append(utterance)
            if not utterance.origin.startswith(f"{KIOSK}:explain_"):
                out += self._explain(utterance.text)
        if remember:
            self.visit.last_said = tuple(out)
        safety = safety or any(u.origin.startswith(RED_FLAG_ORIGIN) for u in utterances)
        return Say(tuple(out), interruptible=not safety)

    def _explain(self, text: str) -> list[Utterance]:
        """The kiosk's own explanation of each hard word in ``text`` not yet explained in
        this visit (``explain_WORD`` prompts)."""
        words = set(tokens(text))
        out: list[Utterance] = []
        for word, key in self._explanations.items():
            if word in words and word not in self.visit.explained:
                self.visit.explained.add(word)
                out += self.content.prompts.say(key)
        return out

    def _listen(self, state: State) -> Listen:
        expect = EXPECT[state]
        timeout = self.timeouts.question_s if expect == Expect.QUESTION else self.timeouts.answer_s
        return Listen(expect, timeout)

    def _then(self, state: State, *actions: Action) -> Turn:
        """``actions``, then listen in ``state``."""
        return Turn((*actions, self._listen(state)), state)

    def _name(self, section_id: str) -> str:
        section = self.content.sections[section_id]
        return section.spoken_name or section.title

    def _ask_question(self, key: str, **fields: str) -> Turn:
        return self._then(State.QUESTION, self._say(self._prompt(key, **fields)))

    def _resume_state(self) -> State:
        return self.state if self.state in _ANY_VISIT else State.QUESTION

    def _clear_pending(self) -> None:
        visit = self.visit
        visit.offered, visit.options, visit.guessed = None, (), None
        visit.offer_retried = visit.choose_retried = False

    # ---------------------------------------------------------------- the visit
    def _ignore(self, reading: Reading) -> Turn:
        """Nothing happens (no visit going on)."""
        return Turn((), self.state)

    def _start_visit(self, reading: Reading) -> Turn:
        """Welcome, then listen for a question."""
        self.visit = _Visit()
        return self._then(State.QUESTION, Count("visit"), self._say(self._prompt("welcome")))

    def _button(self, reading: Reading) -> Turn:
        """Speaking: stop at once and listen again. Safety advice cut off: offer to say it
        again. Otherwise: a hint."""
        if self.speaking and reading.cue == Cue.BUTTON:
            self.speaking = False
            if self._saying and not self._saying[0]:
                # "herhaal" says it again: the advice is what was said last (remember=True).
                return self._then(self.state, StopSpeaking(),
                                  self._say(self._prompt("advice_stopped")))
            return self._then(self.state, StopSpeaking())
        return self._then(self.state, self._say(self._prompt("button_hint")))

    def _end_visit(self, reading: Reading | None = None) -> Turn:
        """Goodbye; voice back to normal; the visit is forgotten."""
        actions: list[Action] = []
        if self.speaking:
            self.speaking = False
            actions.append(StopSpeaking())
        actions.append(self._say(self._prompt("goodbye")))
        if self.voice != VoiceSettings():
            self.voice = VoiceSettings()
            actions.append(ApplyVoice(self.voice))
        actions.append(End())
        self.speaking = False
        return Turn(tuple(actions), State.IDLE)

    def _goodbye(self, reading: Reading) -> Turn:
        """ "Tot ziens", "dag": goodbye. As the very first words of a visit it is a greeting
        back to the welcome ("dag!"): "zegt u het maar"."""
        if self.visit.heard == 1 and self.state == State.QUESTION:
            return self._ask_question("go_ahead")
        return self._end_visit(reading)

    def _question_silence(self, reading: Reading) -> Turn:
        """"Bent u er nog?"; the second silence in a row ends the visit."""
        self.visit.silences += 1
        if self.visit.silences >= SILENCES_BEFORE_GOODBYE:
            return self._end_visit()
        return self._ask_question("still_there")

    def _move_on(self, reading: Reading) -> Turn:
        """Drop what was offered or asked; "heeft u nog een vraag?"."""
        self._clear_pending()
        return self._ask_question("anything_else")

    def _red_flag(self, reading: Reading) -> Turn:
        """Stop, say the red flag's own advice (never leaflet text), count its group, and
        listen for a question."""
        self.visit.silences = 0
        actions: list[Action] = []
        if self.speaking:
            actions.append(StopSpeaking())
        actions.append(Count("red_flag", reading.key))
        self._clear_pending()
        advice = list(reading.red_flag.advice)
        actions.append(self._say(advice, remember=True))
        return self._then(State.QUESTION, *actions)

    # ---------------------------------------------------------------- questions
    def _topic(self, reading: Reading) -> Turn:
        """Read the section; two close topics: ask which ("wilt u A, of B?")."""
        self.visit.silences = 0
        match = reading.match
        assert match is not None
        if match.candidates and not self._related(reading.key, match.candidates[0][0].key):
            other = match.candidates[0][0].key
            return self._offer_options((
                Option(IntentKind.TOPIC, reading.key, self._name(reading.key)),
                Option(IntentKind.TOPIC, other, self._name(other))), "which_one")
        return self._read(reading.key)

    def _related(self, a: str, b: str) -> bool:
        """True when one section is the other's "lees meer": no need to ask which."""
        sa, sb = self.content.sections[a], self.content.sections[b]
        return sa.more == b or sb.more == a

    def _go_ahead(self, reading: Reading) -> Turn:
        """"Ja" to "heeft u nog een vraag?": "zegt u het maar"."""
        return self._ask_question("go_ahead")

    def _not_understood(self, reading: Reading) -> Turn:
        """"Dat heb ik niet begrepen"; the second miss in a row names the menu."""
        self._clear_pending()
        self.visit.misses += 1
        key = "not_understood" if self.visit.misses < MISSES_BEFORE_HELP else "not_understood_again"
        if key == "not_understood_again":
            self.visit.misses = 0
        return self._then(State.QUESTION, Count("no_match"), self._say(self._prompt(key)))

    def _not_in_leaflet(self, reading: Reading) -> Turn:
        """Not in the leaflet: the kiosk's own short answer; the section that touches the
        subject is offered, never read as if it answered; a request gets what the kiosk can do."""
        self.visit.silences = 0
        self._clear_pending()
        table = self.content.not_in_leaflet
        assert table is not None, "a not-in-leaflet reading comes only from content that has the table"
        pointer = table.entries[reading.key].pointer
        offer = pointer if pointer and pointer not in self.visit.read else None
        said = self._say(table.say(reading.key, offer_pointer=offer is not None))
        count = Count("not_in_leaflet", reading.key)
        if offer:
            self.visit.offered = offer
            return self._then(State.OFFER, count, said)
        return self._then(State.QUESTION, count, said)

    def _confirm_guess(self, reading: Reading) -> Turn:
        """An unsure question: ask "bedoelt u X?" rather than read the wrong section."""
        self.visit.silences = 0
        self._clear_pending()
        self.visit.guessed = reading.key
        return self._ask_guess((Count("guess", reading.key),))

    def _ask_guess(self, before: tuple[Action, ...] = ()) -> Turn:
        prompt = self._prompt("did_you_mean", name=self._name(self.visit.guessed or ""))
        return self._then(State.CONFIRM, *before, self._say(prompt))

    def _complaint(self, reading: Reading) -> Turn:
        """A complaint that asks nothing ("ik heb kniepijn"): offer the step test or tips."""
        self.visit.silences = 0
        options = (Option(IntentKind.FLOW, "stap", self.content.prompts.text("name_stap_test")),
                   Option(IntentKind.TOPIC, "tips", self._name("tips")))
        return self._offer_options(options, "complaint", (Count("complaint"),))

    def _offer_options(self, options: tuple[Option, ...], key: str,
                       before: tuple[Action, ...] = ()) -> Turn:
        self._clear_pending()
        self.visit.options = options
        prompt = self._prompt(key, a=options[0].name, b=options[1].name)
        return self._then(State.CHOOSE, *before, self._say(prompt))

    def _choose(self, reading: Reading) -> Turn:
        """The option named by number or name: read it, or start its test."""
        option = self.visit.options[reading.choice]
        self._clear_pending()
        if option.kind == IntentKind.FLOW:
            return self._start_triage(Reading(Cue.FLOW, reading.text, key=option.key))
        return self._read(option.key)

    def _choose_again(self, reading: Reading) -> Turn:
        """Not a choice: name the options with their numbers once more; then "ask again"."""
        visit = self.visit
        if visit.choose_retried or len(visit.options) < 2:
            return self._rephrase(reading)
        visit.choose_retried = True
        a, b = visit.options[0].name, visit.options[1].name
        return self._then(State.CHOOSE, self._say(self._prompt("choose_again", a=a, b=b)))

    def _rephrase(self, reading: Reading) -> Turn:
        """"Nee" to a guess or to "A of B?": neither was meant; ask for the question in other
        words (it counts as a miss, so one more brings the menu hint)."""
        self._clear_pending()
        self.visit.misses += 1
        return self._ask_question("rephrase")

    def _read_guessed(self, reading: Reading) -> Turn:
        """"Ja" to "bedoelt u X?": read X."""
        guessed = self.visit.guessed
        return self._read(guessed) if guessed else self._move_on(reading)

    def _read_offered(self, reading: Reading) -> Turn:
        """"Ja" to "wilt u meer horen over X?": read X."""
        offered = self.visit.offered
        return self._read(offered) if offered else self._move_on(reading)

    def _offer_again(self, reading: Reading) -> Turn:
        """No yes or no heard: ask the offer once more, then move on."""
        visit = self.visit
        offered = visit.offered
        if visit.offer_retried or not offered:
            return self._move_on(reading)
        visit.offer_retried = True
        prompt = self._prompt("offer_more_again", name=self._name(offered))
        return self._then(State.OFFER, self._say(prompt))

    def _read(self, section_id: str, remember_history: bool = True) -> Turn:
        visit = self.visit
        self._clear_pending()
        visit.misses = 0
        if remember_history and (not visit.history or visit.history[-1] != section_id):
            visit.history.append(section_id)
        visit.read.add(section_id)
        # A hard word in the title ("Stap 3: tweedelijnszorg") is explained first: the
        # visitor may have asked about it although the text itself does not use it.
        title = self.content.sections[section_id].title
        section = self._say([*self._explain(title), *self.content.section_utterances(section_id)],
                            remember=True)
        said: list[Utterance] = []
        if not visit.disclaimer_said:
            visit.disclaimer_said = True
            said += self._prompt("disclaimer")
        follow_up = self._next_follow_up(section_id)
        actions: tuple[Action, ...] = (Count("topic", section_id), section)
        if follow_up:
            visit.offered = follow_up
            said += self._prompt("offer_more", name=self._name(follow_up))
            return self._then(State.OFFER, *actions, self._say(said))
        said += self._prompt("anything_else")
        return self._then(State.QUESTION, *actions, self._say(said))

    def _next_follow_up(self, section_id: str) -> str | None:
        for candidate in self.content.sections[section_id].follow_ups:
            if candidate not in self.visit.read:
                return candidate
        return None

    # ---------------------------------------------------------------- commands
    def _stop(self, reading: Reading) -> Turn:
        """Stop reading (or stop what was asked) and listen for a question; the visit goes on
        ("tot ziens" or silence ends it)."""
        self._clear_pending()
        actions: list[Action] = []
        if self.speaking:
            self.speaking = False
            actions.append(StopSpeaking())
        actions.append(self._say(self._prompt("stopped")))
        return self._then(State.QUESTION, *actions)

    def _repeat(self, reading: Reading) -> Turn:
        """Say again what is open: the guess, the choice, the offer or the last section."""
        visit = self.visit
        if self.state == State.CONFIRM and visit.guessed:
            return self._ask_guess()
        if self.state == State.CHOOSE and visit.options:
            a, b = visit.options[0].name, visit.options[1].name
            return self._then(State.CHOOSE, self._say(self._prompt("choose_again", a=a, b=b)))
        if not visit.last_said:
            return self._ask_question("nothing_to_repeat")
        actions: list[Action] = [self._say(visit.last_said)]
        if self.state == State.OFFER and visit.offered:
            actions.append(self._say(self._prompt("offer_more", name=self._name(visit.offered))))
        return self._then(self._resume_state(), *actions)

    def _more(self, reading: Reading) -> Turn:
        """Read what is offered, else the next follow-up of the last section."""
        visit = self.visit
        if self.state == State.OFFER and visit.offered:
            return self._read(visit.offered)
        current = visit.history[-1] if visit.history else None
        follow_up = self._next_follow_up(current) if current else None
        if follow_up:
            return self._read(follow_up)
        self._clear_pending()
        return self._ask_question("no_more")

    def _back(self, reading: Reading) -> Turn:
        """Read the section before the last one again."""
        visit = self.visit
        if len(visit.history) < 2:
            self._clear_pending()
            return self._ask_question("nothing_before")
        visit.history.pop()
        return self._read(visit.history[-1], remember_history=False)

    def _menu(self, reading: Reading) -> Turn:
        """Name the topic groups and how to use the kiosk."""
        self._clear_pending()
        groups = {s.group for s in self.content.sections.values()}
        names = [spoken for group, spoken in GROUPS.items() if group in groups]
        listed = ", ".join(names[:-1]) + " en " + names[-1] if len(names) > 1 else "".join(names)
        return self._then(State.QUESTION, self._say(self._prompt("menu", groups=listed),
                                                    remember=True))

    def _voice(self, reading: Reading) -> Turn:
        """Slower, faster, louder or softer (within limits); then listen as before."""
        return self._then(self._resume_state(), *self._adjust_voice(reading.key))

    def _adjust_voice(self, name: str) -> list[Action]:
        kind = "rate" if name in ("langzamer", "sneller") else "volume"
        if self.voice.at_limit(name):
            return [self._say(self._prompt(f"{kind}_limit"))]
        self.voice = self.voice.adjusted(name)
        return [ApplyVoice(self.voice), self._say(self._prompt(f"{kind}_changed"))]

    # ---------------------------------------------------------------- triage
    def _start_triage(self, reading: Reading) -> Turn:
        """Start the test ("welke stap past bij mij"): its introduction and first question."""
        self.visit.silences = 0
        self._clear_pending()
        book = self.content.triage
        if book is None:
            return self._not_understood(reading)
        self.visit.triage = book.session(reading.key, disclaimer=self.content.prompts.say("disclaimer"))
        return self._triage_step(self.visit.triage.start(), Count("triage_start", reading.key))

    def _triage_answer(self, reading: Reading) -> Turn:
        """Ja, nee or weet ik niet: the flow's next question or its outcome."""
        return self._triage_step(self.visit.triage.on_answer(reading.key))

    def _triage_silence(self, reading: Reading) -> Turn:
        """Ask once more; then leave the test, pointing to the physiotherapist."""
        return self._triage_step(self.visit.triage.on_silence())

    def _triage_unclear(self, reading: Reading) -> Turn:
        """Anything else (a topic, an unclear answer): ask again, never guess; after three,
        leave the test, pointing to the physiotherapist."""
        return self._triage_step(self.visit.triage.on_unclear())

    def _triage_command(self, reading: Reading) -> Turn:
        """ "herhaal" and "meer": the question again; "terug": the question before it."""
        return self._triage_step(self.visit.triage.on_command(reading.key))

    def _triage_red_flag(self, reading: Reading) -> Turn:
        """A red flag, even inside an answer ("nee, ik kan niet meer staan"): the test ends
        with the red flag's own advice; listen for a question."""
        actions: list[Action] = []
        if self.speaking:
            self.speaking = False
            actions.append(StopSpeaking())
        actions.append(Count("red_flag", reading.key))
        left = self._triage_step(self.visit.triage.on_red_flag(reading.red_flag), *actions,
                                 follow_up=False)
        return self._then(State.QUESTION, *left.actions)

    def _triage_stop(self, reading: Reading) -> Turn:
        """Stop talking and leave the test, pointing to the physiotherapist."""
        actions: tuple[Action, ...] = ()
        if self.speaking:
            self.speaking = False
            actions = (StopSpeaking(),)
        return self._triage_step(self.visit.triage.on_command("stop"), *actions)

    def _triage_menu(self, reading: Reading) -> Turn:
        """Leave the test (pointing to the physiotherapist), then the menu."""
        left = self._triage_step(self.visit.triage.on_command("menu"), follow_up=False)
        menu = self._menu(reading)
        return Turn(left.actions + menu.actions, menu.state)

    def _triage_goodbye(self, reading: Reading) -> Turn:
        """Leave the test (pointing to the physiotherapist), then goodbye."""
        left = self._triage_step(self.visit.triage.on_command("stop"), follow_up=False)
        bye = self._end_visit(reading)
        return Turn(left.actions + bye.actions, bye.state)

    def _triage_voice(self, reading: Reading) -> Turn:
        """Slower, faster, louder or softer; then the question again."""
        adjusted = tuple(self._adjust_voice(reading.key))
        return self._triage_step(self.visit.triage.on_command(reading.key), *adjusted)

    def _triage_step(self, step: Any, *before: Action, follow_up: bool = True) -> Turn:
        """Say the step; listen for the answer, or the flow is over: count its outcome and
        offer more or ask for another question (not with ``follow_up`` False: the caller
        says what comes next)."""
        actions: list[Action] = list(before)
        if step.utterances:
            safety = step.outcome is not None and step.outcome.kind == OutcomeKind.SAFETY
            actions.append(self._say(list(step.utterances), remember=True, safety=safety))
        if step.expects_answer:
            return self._then(State.TRIAGE, *actions)
        self.visit.triage = None
        outcome = step.outcome
        if outcome is not None:
            actions.insert(len(before), Count("triage_outcome", outcome.id))
            for section_id in outcome.section_ids:
                self.visit.read.add(section_id)
                self.visit.history.append(section_id)
            if not follow_up:
                return Turn(tuple(actions), State.QUESTION)
            offer = next((s for s in outcome.offer_more if s not in self.visit.read), None)
            if offer:
                self.visit.offered = offer
                actions.append(self._say(self._prompt("offer_more", name=self._name(offer))))
                return self._then(State.OFFER, *actions)
        if not follow_up:
            return Turn(tuple(actions), State.QUESTION)
        actions.append(self._say(self._prompt("anything_else")))
        return self._then(State.QUESTION, *actions)


# ------------------------------------------------------------------------------- the table
def _summary(method: str) -> str:
    doc = getattr(Dialog, method).__doc__ or ""
    return " ".join(doc.split()).split(". ")[0].rstrip(".") if doc else method.strip("_")


def transition_table() -> str:
    """The transition table as Markdown (``docs/dialog.md``): per state, each cue, the
    handler and what it does (the first sentence of its docstring)."""
    lines = [
        "# The dialog, as a table",
        "",
        "Generated from `kiosk/core/dialog.py` by `kiosk.core.dialog.transition_table()`;",
        "`tests/test_dialog.py` fails when this file is out of date. Regenerate with",
        "`python -c 'from kiosk.core.dialog import transition_table as t; print(t(), end=\"\")' "
        "> docs/dialog.md`.",
        "",
        "Heard text becomes a cue in this order: red flag, goodbye (\"tot ziens\", \"dag\"), a",
        "command, a choice by number or name (choose), a yes/no/weet-niet (any clear one while a",
        "question is open: offer, choose, confirm, triage; else a short one the matcher read as",
        "the answer; one rule, `Match.answer`), then what the matcher found: a test (flow);",
        "then something the leaflet does not cover (the kiosk's own answer), a",
        "complaint that asks nothing (\"ik heb kniepijn\"), a topic, an unsure topic (guess), or",
        "unclear. When to guess is the matcher's decision alone (`Match.guess`).",
        "",
    ]
    for state, row in TRANSITIONS.items():
        lines += [f"## {state.value}", "", "| cue | handler | what happens |", "|---|---|---|"]
        for cue in Cue:
            method = row[cue]
            if state == State.IDLE and method == "_ignore" and cue not in (Cue.BUTTON, Cue.WAKE):
                continue
            lines.append(f"| {cue.value} | `{method}` | {_summary(method)} |")
        if state == State.IDLE:
            lines.append("| anything else | `_ignore` | nothing happens (no visit going on) |")
        lines.append("")
    return "\n".join(lines)
