"""Spoken yes/no triage: decision trees from ``content/triage.nl.yaml``, walked by events.

Pure: the file is read once by :func:`load_triage`; a :class:`TriageSession` then takes events
(an answer, silence, an unclear reply, a command, a red flag) and returns a :class:`Step` with
the utterances to say, whether an answer is awaited, and at the end an :class:`Outcome`. No
I/O, clocks or threads. The rules the trees follow are described at the top of the YAML file.

What the dialog calls while a flow runs (one call per thing heard):

- a red flag in what was heard (``content.red_flags.detect(text)``; check this FIRST, before
  reading the answer): :meth:`TriageSession.on_red_flag`;
- a clear answer: :meth:`TriageSession.on_answer` ("ja", "nee", "weet-niet");
- a command: :meth:`TriageSession.on_command` with its name ("herhaal" and "meer" ask again,
  "terug" goes to the previous question, "stop" and "menu" leave the flow; any other command
  asks the question again after the dialog has done it, e.g. "langzamer");
- silence: :meth:`TriageSession.on_silence`; anything else: :meth:`TriageSession.on_unclear`.

Every way out says where to go next and ends with the disclaimer; a safety outcome ends with
its own closing instead (``geen-arts``), which never makes the advice sound less important.

Own sentences carry origin ``kiosk:triage/<flow>/<node-or-outcome>``; leaflet wording carries
``leaflet:<section-id>``. The visitor's answers are not kept; only the outcome id is reported
(for the anonymous statistics).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from kiosk.core.leaflet import PARAGRAPH_PAUSE, SECTION_IDS, SENTENCE_PAUSE, LeafletSource, split_sentences
from kiosk.core.safety import RedFlag, ReviewItem, reviewed_flag
from kiosk.core.utterance import KIOSK, LEAFLET, Utterance
from kiosk.core.yamlfile import ContentError, LineDict, LineList, Problem, load_yaml

ANSWERS = ("ja", "nee", "weet-niet")


class OutcomeKind(str, Enum):
    """How a flow ended. In the file: step advice from the leaflet, or "see a doctor" (the
    kiosk's own words); made by the engine: left without an answer. Prints as its value."""

    ADVICE = "advice"
    SAFETY = "safety"
    EXIT = "exit"

    def __str__(self) -> str:
        return str(self.value)


#: The kinds under their short names, as other modules and tests import them.
ADVICE, SAFETY, EXIT = OutcomeKind.ADVICE, OutcomeKind.SAFETY, OutcomeKind.EXIT
#: Outcomes the engine makes itself when a flow ends without an answer (kind: exit).
STOPPED, NO_ANSWER, NOT_UNDERSTOOD = "gestopt", "geen-antwoord", "niet-verstaan"
EXIT_IDS = (STOPPED, NO_ANSWER, NOT_UNDERSTOOD)
#: Outcome the engine makes when an answer mentions a red flag (kind: safety).
RED_FLAG = "rode-vlag"
#: Target in the shared ``check`` that means: go on with the flow's own first question.
CONTINUE = "verder"
#: Own texts every flow ends with (see the top of the YAML file).
POINTER, SAFETY_POINTER, SAFETY_CLOSING = "naar-fysio", "naar-fysio-veilig", "geen-arts"
ENDING_TEXTS = (POINTER, SAFETY_POINTER, SAFETY_CLOSING)
#: Silence: the question is asked once more; the second silence leaves the flow.
MAX_SILENCES = 2
#: Unclear replies: asked again twice; the third leaves the flow.
MAX_UNCLEAR = 3
GLUE_KEYS = ("unclear", "silence", "left-silence", "left-unclear", "stopped", "back", "no-back")
#: Commands inside a flow: what each does (see :meth:`TriageSession.on_command`).
REPEAT_COMMANDS, BACK_COMMANDS, LEAVE_COMMANDS = ("herhaal", "meer"), ("terug",), ("stop", "menu")
QUESTION_PAUSE = 0.0  # after a question the kiosk listens at once

_TEXT_KEYS = {"own", "text", "section", "source", "reviewed"}
_NODE_KEYS = {"ask", "danger", "reviewed", *ANSWERS}
_OUTCOME_KEYS = {"kind", "say", "sections", "offer"}
_FLOW_KEYS = {"title", "intro", "start", "nodes", "outcomes"}

Source = LeafletSource | str | None


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Text:
    """A text a flow says: the leaflet's wording (``section`` set) or the kiosk's own."""

    key: str
    text: str
    section: str | None = None  # None: the kiosk's own sentence
    heading: str = ""
    starts: str = ""
    line: int = 0
    reviewed: bool = False  # own texts: signed off by a physiotherapist

    @property
    def own(self) -> bool:
        return self.section is None


@dataclass(frozen=True)
class Question:
    id: str
    ask: str
    next: dict[str, str]  # answer -> node or outcome id
    danger: str | None = None  # the answer that means "see a doctor"
    line: int = 0
    reviewed: bool = False  # signed off by a physiotherapist


@dataclass(frozen=True)
class Outcome:
    """How a flow ended. ``id`` goes to the statistics; ``section_ids`` were read from;
    ``offer_more`` are sections worth offering next. ``kind``: advice, safety or exit."""

    id: str
    flow: str
    section_ids: tuple[str, ...] = ()
    offer_more: tuple[str, ...] = ()
    kind: OutcomeKind = ADVICE
    say: tuple[str, ...] = ()  # text keys, in order


@dataclass(frozen=True)
class Step:
    """What to do now: say ``utterances``; then listen for a yes/no answer, or the flow is over
    (``outcome`` set)."""

    utterances: tuple[Utterance, ...]
    expects_answer: bool
    node: str | None = None  # the question waiting for an answer
    outcome: Outcome | None = None

    @property
    def done(self) -> bool:
        return not self.expects_answer


@dataclass(frozen=True)
class Flow:
    name: str
    title: str
    intro: tuple[str, ...]
    start: str  # where a session begins: the shared check's first question, if there is one
    nodes: dict[str, Question]  # id -> Question (the shared check's questions included)
    outcomes: dict[str, Outcome]  # id -> Outcome (the shared check's outcomes included)
    first: str = ""  # the flow's own first question (after the check)


@dataclass(frozen=True)
class TriageBook:
    """Every flow of the triage file, validated."""

    flows: dict[str, Flow]  # name -> Flow
    texts: dict[str, Text]  # key -> Text
    glue: dict[str, str]  # GLUE_KEYS -> str
    file: str = ""
    warnings: tuple[Problem, ...] = field(default=())
    #: Own sentences that give or withhold advice (own texts, questions), for sign-off.
    review: tuple[ReviewItem, ...] = ()

    def session(self, flow: str, disclaimer: Sequence[Utterance] = ()) -> TriageSession:
        return TriageSession(self, flow, disclaimer)

    def outcome_ids(self) -> list[str]:
        """Every outcome id (for the statistics), the engine's own included; the shared
        check's outcomes once."""
        ids = [o for flow in self.flows.values() for o in flow.outcomes]
        return list(dict.fromkeys(ids)) + list(EXIT_IDS) + [RED_FLAG]

    def unreviewed(self) -> list[ReviewItem]:
        return [item for item in self.review if not item.reviewed]


# --------------------------------------------------------------------------- session
class TriageSession:
    """One walk through one flow. Feed it events; each returns the next :class:`Step`."""

    def __init__(self, book: TriageBook, flow: str, disclaimer: Sequence[Utterance] = ()):
        if flow not in book.flows:
            raise KeyError(f"unknown triage flow {flow!r} (known: {', '.join(book.flows)})")
        self.book, self.flow = book, book.flows[flow]
        self.disclaimer = tuple(disclaimer)
        self.node: str | None = None
        self.outcome: Outcome | None = None
        self._silences = self._unclear = 0
        self._last: Step | None = None
        self._history: tuple[str, ...] = ()  # questions answered, for "terug" (a tuple: copies stay apart)

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def _reset(self) -> None:
        """Forget the walk so far (not the flow, the book or the disclaimer)."""
        self.node, self.outcome, self._last = None, None, None
        self._silences = self._unclear = 0
        self._history = ()

    def start(self, flow: str | None = None) -> Step:
        """Begin (again) at the first question, after the introduction; ``flow`` switches to
        another flow of the same book first."""
        if flow is not None and flow != self.flow.name:
            if flow not in self.book.flows:
                raise KeyError(f"unknown triage flow {flow!r} (known: {', '.join(self.book.flows)})")
            self.flow = self.book.flows[flow]
        self._reset()
        intro = self._texts(self.flow.intro, "intro")
        return self._go(self.flow.start, intro)

    def on_answer(self, value: str) -> Step:
        """A clear answer: "ja", "nee" or "weet-niet"."""
        if value not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, not {value!r}")
        if self.done or self.node is None:
            return self._after_end()
        return self._go(self.flow.nodes[self.node].next[value])

    def on_red_flag(self, flag: RedFlag) -> Step:
        """What was heard mentions a red flag (whatever the question, even inside a "nee"):
        the flow ends with that red flag's advice, which is complete (it points to the
        fysiotherapeut and has its own closing), outcome :data:`RED_FLAG`."""
        if self.done:
            return self._after_end()
        outcome = Outcome(RED_FLAG, self.flow.name, kind=SAFETY)
        self.node, self.outcome = None, outcome
        self._last = Step(tuple(flag.advice), False, None, outcome)
        return self._last

    def on_command(self, name: str) -> Step:
        """A command heard while a question waits: "herhaal" / "meer" ask it again, "terug"
        goes to the previous question, "stop" / "menu" leave the flow (with the pointer to the
        fysiotherapeut and the disclaimer). Other commands (the voice: "langzamer", ...) are
        the dialog's to carry out; the question is then asked again. None counts as unclear."""
        if name in BACK_COMMANDS:
            return self.on_back()
        if name in LEAVE_COMMANDS:
            return self.on_stop()
        return self.on_repeat()

    def on_back(self) -> Step:
        """ "terug": the previous question again (its answer is forgotten)."""
        if self.done or self.node is None:
            return self._after_end()
        if not self._history:
            return self._ask(self._glue("no-back"))
        self.node, self._history = self._history[-1], self._history[:-1]
        self._silences = self._unclear = 0
        return self._ask(self._glue("back"))

    def on_silence(self) -> Step:
        if self.done or self.node is None:
            return self._after_end()
        self._silences += 1
        if self._silences >= MAX_SILENCES:
            return self._exit(NO_ANSWER, "left-silence")
        return self._ask(self._glue("silence"))

    def on_unclear(self) -> Step:
        """Something was heard that is not a clear answer: ask again, never guess."""
        if self.done or self.node is None:
            return self._after_end()
        self._unclear += 1
        if self._unclear >= MAX_UNCLEAR:
            return self._exit(NOT_UNDERSTOOD, "left-unclear")
        return self._ask(self._glue("unclear"))

    def on_repeat(self) -> Step:
        """ "herhaal": the current question again, or the outcome once the flow is over."""
        if self.done and self._last is not None:
            return self._last
        if self.node is None:
            return self._after_end()
        return self._ask([])

    def on_stop(self) -> Step:
        if self.done:
            return self._after_end()
        return self._exit(STOPPED, "stopped")

    # -- internals ---------------------------------------------------------------------------

    def _go(self, target: str, before: Sequence[Utterance] = ()) -> Step:
        self._silences = self._unclear = 0
        if target in self.flow.nodes:
            if self.node is not None:
                self._history += (self.node,)
            self.node = target
            return self._ask(before)
        return self._finish(self.flow.outcomes[target], before)

    def _ask(self, before: Sequence[Utterance]) -> Step:
        question = self.flow.nodes[self.node or self.flow.start]  # asked only while at a question
        ask = Utterance(question.ask, self._origin(question.id), QUESTION_PAUSE)
        return Step((*tuple(before), ask), True, question.id)

    def _finish(self, outcome: Outcome, before: Sequence[Utterance] = ()) -> Step:
        said = list(before) + self._texts(outcome.say, outcome.id)
        if outcome.kind == SAFETY:  # no general disclaimer after "bel vandaag uw huisarts"
            said += self._texts((SAFETY_POINTER, SAFETY_CLOSING), outcome.id)
        else:  # advice, and every early exit: where to go next, then the disclaimer
            said += self._texts((POINTER,), outcome.id) + list(self.disclaimer)
        self.node, self.outcome = None, outcome
        self._last = Step(tuple(said), False, None, outcome)
        return self._last

    def _exit(self, exit_id: str, glue: str) -> Step:
        outcome = Outcome(exit_id, self.flow.name, kind=EXIT)
        return self._finish(outcome, self._glue(glue))

    def _after_end(self) -> Step:
        return Step((), False, None, self.outcome)

    def _origin(self, where: str) -> str:
        return f"{KIOSK}:triage/{self.flow.name}/{where}"

    def _glue(self, key: str) -> list[Utterance]:
        where = self.node or "end"
        return [Utterance(s, self._origin(where), SENTENCE_PAUSE)
                for s in split_sentences(self.book.glue[key])]

    def _texts(self, keys: Iterable[str], where: str) -> list[Utterance]:
        out: list[Utterance] = []
        for key in keys:
            text = self.book.texts[key]
            origin = self._origin(where) if text.own else f"{LEAFLET}:{text.section}"
            sentences = split_sentences(text.text)
            for i, sentence in enumerate(sentences):
                last = i == len(sentences) - 1
                out.append(Utterance(sentence, origin, PARAGRAPH_PAUSE if last else SENTENCE_PAUSE))
        return out


# --------------------------------------------------------------------------- loading + checks
class _Reader:
    """Reads the YAML into a :class:`TriageBook`, collecting every problem with file and line."""

    def __init__(self, file: str, section_ids: Iterable[str], source: Source):
        self.file = file
        # No sections (the leaflet file itself failed to load): check against the design's
        # ids rather than report every reference as unknown.
        self.section_ids = set(section_ids) or set(SECTION_IDS)
        if isinstance(source, str):
            source = LeafletSource(source, "leaflet")
        self.source: LeafletSource | None = source
        self.problems: list[Problem] = []
        self.used_texts: set[str] = set()
        self.broken_texts: set[str] = set()  # reported once; references to them are not

    def error(self, where: Any, message: str, key: str | None = None, line: int | None = None,
              severity: str = "error") -> None:
        if line is None:
            if isinstance(where, LineDict) and key is not None:
                line = where.line_of(key)
            else:
                line = getattr(where, "line", 0)
        self.problems.append(Problem(self.file, line, message, severity))

    def unknown_keys(self, node: LineDict, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(node, f"{what}: unknown key {key!r} (expected {', '.join(sorted(allowed))})", key)

    def mapping(self, parent: LineDict, key: str, what: str) -> LineDict | None:
        value = parent.get(key)
        if not isinstance(value, LineDict) or not value:
            self.error(parent, f"{what} must be a non-empty mapping", key if key in parent else None)
            return None
        return value

    # ---------------------------------------------------------------- texts
    def texts(self, data: LineDict) -> dict[str, Text]:
        node = self.mapping(data, "texts", "'texts'")
        out: dict[str, Text] = {}
        for key, spec in (node or {}).items():
            where = f"text {key!r}"
            self.broken_texts.add(key)  # until it is read without problems
            if not isinstance(spec, LineDict):
                self.error(node, f"{where} must be a mapping with 'text' and 'own' or 'source'", key)
                continue
            self.unknown_keys(spec, _TEXT_KEYS, where)
            text = spec.get("text")
            if not isinstance(text, str) or not text.strip():
                self.error(spec, f"{where} has no text", "text" if "text" in spec else None)
                continue
            text = " ".join(text.split())
            own, source, section = spec.get("own"), spec.get("source"), spec.get("section")
            reviewed = reviewed_flag(spec, where, self.error)
            if own is True and source is None and section is None:
                out[key] = Text(key, text, line=spec.line_of("text"), reviewed=reviewed)
                self.broken_texts.discard(key)
            elif own is True:
                self.error(spec, f"{where} is marked 'own: true' and also has a leaflet source: "
                                 "choose one", "own")
            elif own not in (None, False):
                self.error(spec, f"{where}: 'own' must be true (or left out)", "own")
            elif not isinstance(source, LineDict):
                self.error(spec, f"{where} is neither the kiosk's own ('own: true') nor traceable "
                                 "to the leaflet ('source: {heading, starts}')")
            else:
                found = self.leaflet_text(key, spec, source, section, text)
                if found:
                    out[key] = found
                    self.broken_texts.discard(key)
        return out

    def leaflet_text(self, key: str, spec: LineDict, source: LineDict, section: Any,
                     text: str) -> Text | None:
        where = f"text {key!r}"
        heading, starts = source.get("heading"), source.get("starts")
        if not isinstance(heading, str) or not isinstance(starts, str):
            self.error(source, f"{where}: 'source' needs 'heading' and 'starts'")
            return None
        if section not in self.section_ids:
            self.error(spec, f"{where}: unknown section id {section!r}" if section else
                       f"{where}: leaflet wording needs 'section: <section id>'",
                       "section" if section else None)
            return None
        if self.source is not None:
            for reason in self.source.untraceable(heading, starts, split_sentences(text)):
                self.error(source, f"{where}: {reason}")
        return Text(key, text, section, heading, starts)

    def text_refs(self, node: LineDict, key: str, texts: dict[str, Text], what: str,
                  required: bool) -> tuple[str, ...]:
        refs = node.get(key, [] if not required else None)
        if not isinstance(refs, LineList) and refs != []:
            self.error(node, f"{what}: {key!r} must be a list of text keys", key if key in node else None)
            return ()
        if required and not refs:
            self.error(node, f"{what}: {key!r} is empty", key if key in node else None)
        out = []
        for i, ref in enumerate(refs):
            line = refs.line_at(i) if isinstance(refs, LineList) else node.line_of(key)
            if ref in self.broken_texts:
                continue
            if ref not in texts:
                self.error(node, f"{what}: unknown text {ref!r} (define it under 'texts')", line=line)
                continue
            self.used_texts.add(ref)
            out.append(ref)
        return tuple(out)

    # ---------------------------------------------------------------- flows
    def flow(self, name: str, spec: Any, parent: LineDict, texts: dict[str, Text],
             seen_outcomes: dict[str, str],
             check: LineDict | None = None) -> Flow | None:
        where = f"flow {name!r}"
        if not isinstance(spec, LineDict):
            self.error(parent, f"{where} must be a mapping", name)
            return None
        self.unknown_keys(spec, _FLOW_KEYS, where)
        own_start = spec.get("start")
        if check is not None:  # the shared check first: its questions and outcomes join the flow
            spec = _with(spec, nodes=_merged(_continue_to(check["nodes"], own_start), spec.get("nodes")),
                         outcomes=_merged(check["outcomes"], spec.get("outcomes")))
            shared_outcomes = set(check["outcomes"])
        else:
            shared_outcomes = set()
        title = spec.get("title")
        if not isinstance(title, str) or not title.strip():
            self.error(spec, f"{where} has no 'title'", "title" if "title" in spec else None)
        intro = self.text_refs(spec, "intro", texts, where, required=False)
        nodes_spec = self.mapping(spec, "nodes", f"{where}: 'nodes'")
        outcomes_spec = spec.get("outcomes")
        if not isinstance(outcomes_spec, LineDict) or not outcomes_spec:
            self.error(spec, f"{where}: missing outcome: 'outcomes' must list at least one outcome",
                       "outcomes" if "outcomes" in spec else None)
            outcomes_spec = LineDict()
            outcomes_spec.file, outcomes_spec.line, outcomes_spec.key_lines = self.file, spec.line, {}
        outcomes: dict[str, Outcome] = {}
        for oid, ospec in outcomes_spec.items():
            outcome = self.outcome(name, oid, ospec, outcomes_spec, texts)
            if oid in EXIT_IDS:
                self.error(outcomes_spec, f"{where}: outcome id {oid!r} is reserved for the engine", oid)
            if oid in seen_outcomes and oid not in shared_outcomes:
                self.error(outcomes_spec, f"{where}: outcome id {oid!r} is also used in flow "
                           f"{seen_outcomes[oid]!r}; statistics need unique ids", oid)
            seen_outcomes.setdefault(oid, name)
            if outcome:
                outcomes[oid] = outcome
        nodes: dict[str, Question] = {}
        for nid, nspec in (nodes_spec or _empty_like(spec)).items():
            if nid in outcomes_spec:
                self.error(nodes_spec, f"{where}: {nid!r} is both a question and an outcome", nid)
            question = self.question(name, nid, nspec, nodes_spec or _empty_like(spec), outcomes_spec)
            if question:
                nodes[nid] = question
        start = own_start
        own_nodes = parent[name].get("nodes") if isinstance(parent[name], LineDict) else None
        if not isinstance(own_nodes, LineDict) or start not in own_nodes:
            self.error(spec, f"{where}: 'start' must name one of its questions, not {start!r}",
                       "start" if "start" in spec else None)
            return None
        if nodes_spec is None:
            return None
        entry = check["start"] if check is not None else start
        if entry not in nodes_spec:
            return None  # reported with the check
        self.graph_checks(name, str(entry), nodes_spec, outcomes_spec, nodes, outcomes)
        return Flow(name, str(title or name), intro, str(entry), nodes, outcomes, str(start))

    def question(self, flow: str, nid: str, spec: Any, parent: LineDict,
                 outcomes: LineDict) -> Question | None:
        where = f"flow {flow!r}, question {nid!r}"
        if not isinstance(spec, LineDict):
            self.error(parent, f"{where} must be a mapping with 'ask', 'ja', 'nee', 'weet-niet'", nid)
            return None
        self.unknown_keys(spec, _NODE_KEYS, where)
        ask = spec.get("ask")
        if not isinstance(ask, str) or not ask.strip():
            self.error(spec, f"{where} has no question text ('ask')", "ask" if "ask" in spec else None)
        elif not ask.strip().endswith("?"):
            self.error(spec, f"{where}: the question should end with '?'", "ask", severity="warning")
        nxt = {}
        for answer in ANSWERS:
            target = spec.get(answer)
            if target is None:
                self.error(spec, f"{where}: missing outcome: no {answer!r} branch "
                                 "(every question needs ja, nee and weet-niet)")
            elif target not in parent and target not in outcomes:
                self.error(spec, f"{where}: {answer!r} leads to {target!r}, which is neither a "
                                 "question nor an outcome of this flow", answer)
            else:
                nxt[answer] = target
        danger = spec.get("danger")
        if danger is not None and danger not in ("ja", "nee"):
            self.error(spec, f"{where}: 'danger' must be ja or nee", "danger")
            danger = None
        reviewed = reviewed_flag(spec, where, self.error)
        if len(nxt) < len(ANSWERS) or not isinstance(ask, str):
            return None
        return Question(nid, " ".join(ask.split()), nxt, danger, spec.line, reviewed)

    def outcome(self, flow: str, oid: str, spec: Any, parent: LineDict,
                texts: dict[str, Text]) -> Outcome | None:
        where = f"flow {flow!r}, outcome {oid!r}"
        if not isinstance(spec, LineDict):
            self.error(parent, f"{where} must be a mapping with 'say' and 'sections'", oid)
            return None
        self.unknown_keys(spec, _OUTCOME_KEYS, where)
        kind = spec.get("kind", ADVICE)
        if kind not in (ADVICE, SAFETY):
            self.error(spec, f"{where}: 'kind' must be {ADVICE} or {SAFETY}", "kind")
            return None
        say = self.text_refs(spec, "say", texts, where, required=True)
        sections: list[str] = []
        offer: list[str] = []
        for key, into in (("sections", sections), ("offer", offer)):
            ids = spec.get(key, [])
            if not isinstance(ids, list):
                self.error(spec, f"{where}: {key!r} must be a list of section ids", key)
                continue
            for i, sid in enumerate(ids):
                if sid not in self.section_ids:
                    line = ids.line_at(i) if isinstance(ids, LineList) else spec.line_of(key)
                    self.error(spec, f"{where}: unknown section id {sid!r} in {key!r}", line=line)
                else:
                    into.append(sid)
        leaflet = [texts[k] for k in say if not texts[k].own]
        raw_say = spec.get("say")
        if isinstance(raw_say, list) and any(r in self.broken_texts for r in raw_say):
            return None  # its texts are already reported; more here would only confuse
        if kind == SAFETY and (leaflet or sections):
            self.error(spec, f"{where}: a safety outcome gives no step advice: only the kiosk's "
                             "own texts and no 'sections'")
        if kind == ADVICE and not leaflet:
            self.error(spec, f"{where}: advice must be the leaflet's wording: 'say' needs at least "
                             "one text with a leaflet 'source'", "say")
        if kind == ADVICE and not sections:
            self.error(spec, f"{where}: name the leaflet 'sections' this outcome is about",
                       "sections" if "sections" in spec else None)
        for text in leaflet:
            if sections and text.section not in sections and text.section not in offer:
                self.error(spec, f"{where}: text {text.key!r} is from section {text.section!r}, "
                                 "which is not in 'sections'", "say", severity="warning")
        return Outcome(oid, flow, tuple(sections), tuple(offer), OutcomeKind(kind), say)

    def graph_checks(self, flow: str, start: str, nodes_spec: LineDict, outcomes_spec: LineDict,
                     nodes: dict[str, Question], outcomes: dict[str, Outcome]) -> None:
        where = f"flow {flow!r}"
        edges = {
            nid: [spec[a] for a in ANSWERS if isinstance(spec.get(a), str)]
            if isinstance(spec, LineDict) else []
            for nid, spec in nodes_spec.items()
        }
        # reachability
        reached, todo = {start}, deque([start])
        while todo:
            for target in edges.get(todo.popleft(), []):
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        for nid in nodes_spec:
            if nid not in reached:
                self.error(nodes_spec, f"{where}: question {nid!r} can never be reached from "
                                       f"'start' ({start!r})", nid)
        for oid in outcomes_spec:
            if oid not in reached:
                self.error(outcomes_spec, f"{where}: outcome {oid!r} can never be reached", oid)
        # cycles (depth-first, iterative)
        state: dict[str, int] = {}
        for root in nodes_spec:
            if state.get(root):
                continue
            stack = [(root, iter(edges.get(root, [])))]
            state[root] = 1
            while stack:
                nid, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[nid] = 2
                    stack.pop()
                elif child in nodes_spec and state.get(child) == 1:
                    cycle = [*[n for n, _ in stack][[n for n, _ in stack].index(child):], child]
                    answer = next(a for a in ANSWERS if nodes_spec[nid].get(a) == child)
                    self.error(nodes_spec[nid], f"{where}: questions go round in a circle: "
                               f"{' -> '.join(cycle)}", answer)
                elif child in nodes_spec and not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(edges.get(child, []))))
        # safety questions: the danger answer -> a safety outcome; "weet ik niet" stays safe
        for question in nodes.values():
            if not question.danger:
                continue
            spec = nodes_spec[question.id]
            target = question.next[question.danger]
            if target not in outcomes or outcomes[target].kind != SAFETY:
                self.error(spec, f"{where}, question {question.id!r}: the danger answer "
                                 f"{question.danger!r} must lead to a 'kind: safety' outcome",
                           question.danger)
            unsure = question.next["weet-niet"]
            safe = (unsure in outcomes and outcomes[unsure].kind == SAFETY) or \
                (unsure in nodes and nodes[unsure].danger)
            if not safe:
                self.error(spec, f"{where}, question {question.id!r}: 'weet-niet' on a safety "
                                 "question must lead to a safety outcome or another safety question",
                           "weet-niet")

    # ---------------------------------------------------------------- whole file
    def book(self, data: Any) -> TriageBook | None:
        if not isinstance(data, LineDict):
            self.problems.append(Problem(self.file, 1, "expected a mapping with 'texts', 'glue' and 'flows'"))
            return None
        self.unknown_keys(data, {"texts", "glue", "check", "flows"}, "triage file")
        texts = self.texts(data)
        for key in ENDING_TEXTS:
            if key not in texts and key not in self.broken_texts:
                self.error(data, f"'texts' needs the kiosk's own text {key!r}: every flow ends with it",
                           "texts" if "texts" in data else None)
            self.used_texts.add(key)
        check = self.check(data)
        glue: dict[str, str] = {}
        glue_spec = self.mapping(data, "glue", "'glue'")
        if glue_spec is not None:
            self.unknown_keys(glue_spec, set(GLUE_KEYS), "'glue'")
            for key in GLUE_KEYS:
                value = glue_spec.get(key)
                if not isinstance(value, str) or not value.strip():
                    self.error(glue_spec, f"'glue' needs the text {key!r}", key if key in glue_spec else None)
                else:
                    glue[key] = " ".join(value.split())
        flows: dict[str, Flow] = {}
        flows_spec = self.mapping(data, "flows", "'flows'")
        seen_outcomes: dict[str, str] = {}
        for name, spec in (flows_spec or _empty_like(data)).items():
            flow = self.flow(name, spec, flows_spec or _empty_like(data), texts, seen_outcomes, check)
            if flow:
                flows[name] = flow
        texts_spec = data.get("texts")
        for key in texts:
            if key not in self.used_texts and isinstance(texts_spec, LineDict):
                self.error(texts_spec, f"text {key!r} is never said", key, severity="warning")
        self.problems = list(dict.fromkeys(self.problems))  # the check is read once per flow
        if any(p.severity == "error" for p in self.problems):
            return None
        warnings = tuple(p for p in self.problems if p.severity == "warning")
        return TriageBook(flows, texts, glue, self.file, warnings, self.review_items(texts, flows))

    def check(self, data: LineDict) -> LineDict | None:
        """The shared ``check`` (start, nodes, outcomes), or None when the file has none."""
        if "check" not in data:
            return None
        spec = data["check"]
        if not isinstance(spec, LineDict):
            self.error(data, "'check' must be a mapping with 'start', 'nodes' and 'outcomes'", "check")
            return None
        self.unknown_keys(spec, {"start", "nodes", "outcomes"}, "'check'")
        nodes = self.mapping(spec, "nodes", "'check': 'nodes'")
        outcomes = spec.get("outcomes", _empty_like(spec))
        if not isinstance(outcomes, LineDict):
            self.error(spec, "'check': 'outcomes' must be a mapping", "outcomes")
            return None
        if nodes is None:
            return None
        if spec.get("start") not in nodes:
            self.error(spec, f"'check': 'start' must name one of its questions, not {spec.get('start')!r}",
                       "start" if "start" in spec else None)
            return None
        if not any(isinstance(n, LineDict) and CONTINUE in (n.get(a) for a in ANSWERS)
                   for n in nodes.values()):
            self.error(spec, f"'check': no answer leads on to the flow ('{CONTINUE}')", "nodes")
        return _with(spec, nodes=nodes, outcomes=outcomes)

    def review_items(self, texts: dict[str, Text], flows: dict[str, Flow]) -> tuple[ReviewItem, ...]:
        """Own texts and questions, each once, in file order, for the sign-off list."""
        items: dict[int, ReviewItem] = {}
        for text in texts.values():
            if text.own:
                items[text.line] = ReviewItem(self.file, text.line, f"{KIOSK}:triage/text/{text.key}",
                                              text.text, text.reviewed)
        for flow in flows.values():
            for question in flow.nodes.values():
                if question.line not in items:
                    where = "check" if flow.first and question.id not in _own_nodes(flow) else flow.name
                    items[question.line] = ReviewItem(self.file, question.line,
                                                      f"{KIOSK}:triage/{where}/{question.id}",
                                                      question.ask, question.reviewed)
        return tuple(items[line] for line in sorted(items))


def _empty_like(node: LineDict) -> LineDict:
    out = LineDict()
    out.file, out.line, out.key_lines = node.file, node.line, {}
    return out


def _with(node: LineDict, **changes: Any) -> LineDict:
    """A copy of ``node`` with some values changed; lines stay those of ``node``."""
    out = LineDict(node)
    out.update(changes)
    out.file, out.line, out.key_lines = node.file, node.line, dict(node.key_lines)
    return out


def _merged(first: Any, second: Any) -> Any:
    """The shared check's questions (or outcomes) followed by a flow's own."""
    if not isinstance(second, LineDict):
        return second
    if not isinstance(first, LineDict):
        return second
    out = _empty_like(second)
    out.update(first)
    out.update(second)
    out.key_lines = {**first.key_lines, **second.key_lines}
    return out


def _continue_to(nodes: LineDict, start: Any) -> LineDict:
    """The check's questions with ``verder`` replaced by the flow's first question."""
    out = _empty_like(nodes)
    out.key_lines = dict(nodes.key_lines)
    for nid, node in nodes.items():
        if isinstance(node, LineDict) and isinstance(start, str):
            node = _with(node, **{a: start for a in ANSWERS if node.get(a) == CONTINUE})
        out[nid] = node
    return out


def _own_nodes(flow: Flow) -> set[str]:
    """Questions of the flow itself (not of the shared check): those reachable from its first
    question."""
    seen, todo = {flow.first}, [flow.first]
    while todo:
        for target in flow.nodes[todo.pop()].next.values():
            if target in flow.nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def check_triage(path: str | Path, section_ids: Iterable[str] = SECTION_IDS,
                 source: Source = None) -> list[Problem]:
    """Every problem in a triage file (errors and warnings), each naming file and line."""
    try:
        data = load_yaml(path)
    except ContentError as err:
        return list(err.problems)
    reader = _Reader(str(path), section_ids, source)
    reader.book(data)
    return reader.problems


def load_triage(path: str | Path, section_ids: Iterable[str] = SECTION_IDS,
                leaflet_text: Source = None) -> TriageBook:
    """Load and validate ``triage.nl.yaml``; raises :class:`ContentError` naming file and line.

    ``leaflet_text``: the leaflet (text or :class:`kiosk.core.content.LeafletSource`) to check that
    leaflet wording is traceable; ``None`` skips that check.
    """
    data = load_yaml(path)
    reader = _Reader(str(path), section_ids, leaflet_text)
    book = reader.book(data)
    if book is None:
        raise ContentError(reader.problems)
    return book


# --------------------------------------------------------------------------- path table
Path_ = tuple[tuple[str, str], ...]  # (question, answer) pairs


def answer_paths(flow: Flow, start: str, stop_at: str | None = None) -> list[tuple[Path_, str]]:
    """Every path of answers from ``start``: [((question, answer), ...), where it ends)], in
    ja / nee / weet-niet order; a path also ends at ``stop_at`` (a question) when given."""
    paths: list[tuple[Path_, str]] = []

    def walk(node: str, so_far: Path_) -> None:
        for answer in ANSWERS:
            target = flow.nodes[node].next[answer]
            path = (*so_far, (node, answer))
            if target in flow.nodes and target != stop_at:
                walk(target, path)
            else:
                paths.append((path, target))

    walk(start, ())
    return paths


def path_table(book: TriageBook) -> str:
    """Markdown: every question and every answer path of every flow, the shared check first
    (``kiosk triage --paths``; docs/triage-paths.md is this text)."""
    out = ["# Triage paths", "",
           "Generated from `content/triage.nl.yaml` by `kiosk triage --paths`; do not edit by hand",
           "(a test fails when this file and the triage file disagree).", "",
           "A path lists each question and the answer given (`ja`, `nee`, `weet-niet`). Besides",
           "these answers, at any question: a red flag in what is heard ends the flow with the",
           "red flag's advice (outcome `rode-vlag`); `stop` / `menu`, two silences or three",
           "unclear replies end it with the pointer to the physiotherapist and the disclaimer",
           f"(outcomes `{STOPPED}`, `{NO_ANSWER}`, `{NOT_UNDERSTOOD}`); `herhaal` / `meer` ask again",
           "and `terug` goes back one question.", ""]
    flows = list(book.flows.values())
    if not flows:
        return "\n".join(out) + "\n"
    first = flows[0]
    shared = first.start != first.first and first.first

    def kind_of(flow: Flow, target: str) -> str:
        outcome = flow.outcomes[target]
        return str(outcome.kind) + (f" ({', '.join(outcome.section_ids)})" if outcome.section_ids else "")

    def table(flow: Flow, start: str, stop_at: str | None, title: str, go_on: str) -> None:
        nodes = [start] + [n for n in flow.nodes if n != start]
        paths = answer_paths(flow, start, stop_at)
        asked = {q for path, _ in paths for q, _ in path}
        out.extend([f"## {title}", "", "| question | asks | danger answer |", "|---|---|---|"])
        out.extend(f"| `{n}` | {flow.nodes[n].ask} | {flow.nodes[n].danger or ''} |"
                   for n in nodes if n in asked)
        out.extend(["", f"{len(paths)} paths:", "", "| # | answers | ends in | kind |", "|---|---|---|---|"])
        for i, (path, target) in enumerate(paths, start=1):
            steps = " → ".join(f"`{q}`: {a}" for q, a in path)
            if target == stop_at:
                out.append(f"| {i} | {steps} | {go_on} | – |")
            else:
                out.append(f"| {i} | {steps} | `{target}` | {kind_of(flow, target)} |")
        out.append("")

    if shared:
        table(first, first.start, first.first, "Shared check (asked first in every flow)",
              "the flow's own questions")
    for flow in flows:
        table(flow, flow.first or flow.start, None, f"Flow `{flow.name}`: {flow.title}", "")
    return "\n".join(out).rstrip() + "\n"
