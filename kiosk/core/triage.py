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
from typing import Any, Literal

from kiosk.core.leaflet import PARAGRAPH_PAUSE, SECTION_IDS, SENTENCE_PAUSE, LeafletSource, split_sentences
from kiosk.core.safety import RedFlag, ReviewItem
from kiosk.core.schema import Field, Flag, Strict, validate
from kiosk.core.schema import Text as SchemaText
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
#: Commands inside a flow: what each does (see :meth:`TriageSession.on_command`).
REPEAT_COMMANDS, BACK_COMMANDS, LEAVE_COMMANDS = ("herhaal", "meer"), ("terug",), ("stop", "menu")
QUESTION_PAUSE = 0.0  # after a question the kiosk listens at once

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
    glue: dict[str, str]  # the fields of GlueSpec, as the file spells them -> text
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


# --------------------------------------------------------------------------- the file's shape
class SourceSpec(Strict):
    """Where leaflet wording stands: its heading and the first words of its paragraph."""

    heading: SchemaText
    starts: SchemaText


class TextSpec(Strict):
    text: SchemaText
    own: Flag = False
    section: str = ""
    source: SourceSpec | None = None
    reviewed: Flag = False


class QuestionSpec(Strict):
    """A question; its branches are optional here so that a missing one is reported in the
    file's own words ("missing outcome") by :meth:`_Reader.question`."""

    ask: SchemaText
    ja: str | None = None
    nee: str | None = None
    weet_niet: str | None = Field(None, alias="weet-niet")
    danger: Literal["ja", "nee"] | None = None
    reviewed: Flag = False

    def branches(self, go_on: str | None = None) -> dict[str, str]:
        """answer -> target for the branches given; ``verder`` -> ``go_on`` when given."""
        given = zip(ANSWERS, (self.ja, self.nee, self.weet_niet), strict=True)
        return {a: go_on if t == CONTINUE and go_on else t for a, t in given if t is not None}


class OutcomeSpec(Strict):
    kind: Literal["advice", "safety"] = "advice"
    say: tuple[str, ...] = Field(min_length=1)
    sections: tuple[str, ...] = ()
    offer: tuple[str, ...] = ()


class FlowSpec(Strict):
    title: SchemaText
    intro: tuple[str, ...] = ()
    start: str
    nodes: dict[str, QuestionSpec] = Field(min_length=1)
    outcomes: dict[str, OutcomeSpec] = Field(min_length=1)


class CheckSpec(Strict):
    start: str
    nodes: dict[str, QuestionSpec] = Field(min_length=1)
    outcomes: dict[str, OutcomeSpec] = Field(default_factory=dict)


class GlueSpec(Strict):
    unclear: SchemaText
    silence: SchemaText
    left_silence: SchemaText = Field(alias="left-silence")
    left_unclear: SchemaText = Field(alias="left-unclear")
    stopped: SchemaText
    back: SchemaText
    no_back: SchemaText = Field(alias="no-back")


class TriageSpec(Strict):
    texts: dict[str, TextSpec] = Field(min_length=1)
    glue: GlueSpec
    check: CheckSpec | None = None
    flows: dict[str, FlowSpec] = Field(min_length=1)


Loc = tuple[str, ...]  # where a part stands in the loaded file: ("flows", "stap", "nodes", "pijn")


# --------------------------------------------------------------------------- meaning checks
class _Reader:
    """Checks the meaning of a triage file whose shape validated (:class:`TriageSpec`) and
    builds the :class:`TriageBook`, collecting every problem with file and line. It runs only
    when the shape is clean: a shape error is reported alone, with its field path."""

    def __init__(self, file: str, section_ids: Iterable[str], source: Source, data: LineDict):
        self.file, self.data = file, data
        # No sections (the leaflet file itself failed to load): check against the design's
        # ids rather than report every reference as unknown.
        self.section_ids = set(section_ids) or set(SECTION_IDS)
        self.source = LeafletSource(source, "leaflet") if isinstance(source, str) else source
        self.problems: list[Problem] = []
        self.defined: set[str] = set()  # every text key; those that fail are reported once

    def error(self, loc: Loc, message: str, key: str | int | None = None,
              severity: str = "error") -> None:
        """A problem at ``key`` of the part at ``loc`` (a list index: that item), or at the
        part itself."""
        node = self.data_at(loc)
        line = node.line
        if isinstance(node, LineDict) and isinstance(key, str):
            line = node.line_of(key)
        elif isinstance(node, LineList) and isinstance(key, int):
            line = node.line_at(key)
        self.problems.append(Problem(self.file, line, message, severity))

    # ---------------------------------------------------------------- texts
    def text(self, key: str, spec: TextSpec) -> Text | None:
        where, loc = f"text {key!r}", ("texts", key)
        if spec.own and (spec.source or spec.section):
            self.error(loc, f"{where} is marked 'own: true' and also has a leaflet source: choose one", "own")
        elif spec.own:
            line = self.data["texts"][key].line_of("text")
            return Text(key, spec.text, line=line, reviewed=spec.reviewed)
        elif spec.source is None:
            self.error(loc, f"{where} is neither the kiosk's own ('own: true') nor traceable "
                            "to the leaflet ('source: {heading, starts}')")
        elif spec.section not in self.section_ids:
            self.error(loc, f"{where}: unknown section id {spec.section!r}" if spec.section else
                       f"{where}: leaflet wording needs 'section: <section id>'",
                       "section" if spec.section else None)
        else:
            heading, starts = spec.source.heading, spec.source.starts
            if self.source is not None:
                for reason in self.source.untraceable(heading, starts, split_sentences(spec.text)):
                    self.error((*loc, "source"), f"{where}: {reason}")
            return Text(key, spec.text, spec.section, heading, starts)
        return None

    def text_refs(self, loc: Loc, key: str, refs: tuple[str, ...], texts: dict[str, Text],
                  what: str) -> tuple[str, ...]:
        """The keys of ``refs`` that name good texts; unknown ones are reported (those that
        are defined but failed their own checks were reported already)."""
        for i, ref in enumerate(refs):
            if ref not in self.defined:
                self.error((*loc, key), f"{what}: unknown text {ref!r} (define it under 'texts')", i)
        return tuple(ref for ref in refs if ref in texts)

    def section_refs(self, loc: Loc, key: str, ids: tuple[str, ...], what: str) -> tuple[str, ...]:
        for i, sid in enumerate(ids):
            if sid not in self.section_ids:
                self.error((*loc, key), f"{what}: unknown section id {sid!r} in {key!r}", i)
        return tuple(sid for sid in ids if sid in self.section_ids)

    # ---------------------------------------------------------------- flows
    def flow(self, name: str, spec: FlowSpec, texts: dict[str, Text], seen_outcomes: dict[str, str],
             check: CheckSpec | None) -> Flow | None:
        """One flow, with the shared check's questions and outcomes before its own."""
        where, loc = f"flow {name!r}", ("flows", name)
        intro = self.text_refs(loc, "intro", spec.intro, texts, where)
        shared_nodes, shared_outcomes = (check.nodes, check.outcomes) if check else ({}, {})
        nodes_spec = {**{n: (q, ("check", "nodes", n)) for n, q in shared_nodes.items()},
                      **{n: (q, (*loc, "nodes", n)) for n, q in spec.nodes.items()}}
        outcomes_spec = {**{o: (s, ("check", "outcomes", o)) for o, s in shared_outcomes.items()},
                         **{o: (s, (*loc, "outcomes", o)) for o, s in spec.outcomes.items()}}
        outcomes: dict[str, Outcome] = {}
        for oid, (ospec, oloc) in outcomes_spec.items():
            outcome = self.outcome(name, oid, ospec, oloc, texts)
            if oid in EXIT_IDS:
                self.error(oloc[:-1], f"{where}: outcome id {oid!r} is reserved for the engine", oid)
            if oid in seen_outcomes and oid not in shared_outcomes:
                self.error(oloc[:-1], f"{where}: outcome id {oid!r} is also used in flow "
                           f"{seen_outcomes[oid]!r}; statistics need unique ids", oid)
            seen_outcomes.setdefault(oid, name)
            if outcome:
                outcomes[oid] = outcome
        nodes: dict[str, Question] = {}
        branches: dict[str, dict[str, str]] = {}
        for nid, (nspec, nloc) in nodes_spec.items():
            if nid in outcomes_spec:
                self.error(nloc[:-1], f"{where}: {nid!r} is both a question and an outcome", nid)
            branches[nid] = nspec.branches(spec.start if nloc[0] == "check" else None)
            question = self.question(name, nid, nspec, nloc, branches[nid],
                                     set(nodes_spec) | set(outcomes_spec))
            if question:
                nodes[nid] = question
        if spec.start not in spec.nodes:
            self.error(loc, f"{where}: 'start' must name one of its questions, not {spec.start!r}", "start")
            return None
        entry = check.start if check else spec.start
        if entry not in nodes_spec:
            return None  # reported with the check
        self.graph_checks(name, entry, nodes_spec, outcomes_spec, branches, nodes, outcomes)
        return Flow(name, spec.title, intro, entry, nodes, outcomes, spec.start)

    def question(self, flow: str, nid: str, spec: QuestionSpec, loc: Loc, branches: dict[str, str],
                 targets: set[str]) -> Question | None:
        where = f"flow {flow!r}, question {nid!r}"
        if not spec.ask.endswith("?"):
            self.error(loc, f"{where}: the question should end with '?'", "ask", severity="warning")
        for answer in ANSWERS:
            target = branches.get(answer)
            if target is None:
                self.error(loc, f"{where}: missing outcome: no {answer!r} branch "
                                "(every question needs ja, nee and weet-niet)")
            elif target not in targets:
                self.error(loc, f"{where}: {answer!r} leads to {target!r}, which is neither a "
                                "question nor an outcome of this flow", answer)
        if any(branches.get(a) not in targets for a in ANSWERS):
            return None
        return Question(nid, spec.ask, branches, spec.danger, self.data_at(loc).line, spec.reviewed)

    def data_at(self, loc: Loc) -> Any:
        """The loaded part at ``loc`` (a LineDict or LineList, with its lines)."""
        node: Any = self.data
        for part in loc:
            node = node[part]
        return node

    def outcome(self, flow: str, oid: str, spec: OutcomeSpec, loc: Loc,
                texts: dict[str, Text]) -> Outcome | None:
        where = f"flow {flow!r}, outcome {oid!r}"
        say = self.text_refs(loc, "say", spec.say, texts, where)
        sections = self.section_refs(loc, "sections", spec.sections, where)
        offer = self.section_refs(loc, "offer", spec.offer, where)
        if any(ref in self.defined and ref not in texts for ref in spec.say):
            return None  # its texts are already reported; more here would only confuse
        leaflet = [texts[k] for k in say if not texts[k].own]
        if spec.kind == SAFETY and (leaflet or sections):
            self.error(loc, f"{where}: a safety outcome gives no step advice: only the kiosk's "
                            "own texts and no 'sections'")
        if spec.kind == ADVICE and not leaflet:
            self.error(loc, f"{where}: advice must be the leaflet's wording: 'say' needs at least "
                            "one text with a leaflet 'source'", "say")
        if spec.kind == ADVICE and not sections:
            self.error(loc, f"{where}: name the leaflet 'sections' this outcome is about", "sections")
        for text in leaflet:
            if sections and text.section not in sections and text.section not in offer:
                self.error(loc, f"{where}: text {text.key!r} is from section {text.section!r}, "
                                "which is not in 'sections'", "say", severity="warning")
        return Outcome(oid, flow, sections, offer, OutcomeKind(spec.kind), say)

    def graph_checks(self, flow: str, start: str, nodes_spec: dict[str, tuple[QuestionSpec, Loc]],
                     outcomes_spec: dict[str, tuple[OutcomeSpec, Loc]], edges: dict[str, dict[str, str]],
                     nodes: dict[str, Question], outcomes: dict[str, Outcome]) -> None:
        """Reachability, cycles, and the safety questions' rules."""
        where = f"flow {flow!r}"
        reached, todo = {start}, deque([start])
        while todo:
            for target in edges.get(todo.popleft(), {}).values():
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        for nid, (_, nloc) in nodes_spec.items():
            if nid not in reached:
                self.error(nloc[:-1], f"{where}: question {nid!r} can never be reached from "
                                      f"'start' ({start!r})", nid)
        for oid, (_, oloc) in outcomes_spec.items():
            if oid not in reached:
                self.error(oloc[:-1], f"{where}: outcome {oid!r} can never be reached", oid)
        # cycles (depth-first, iterative)
        state: dict[str, int] = {}
        for root in nodes_spec:
            if state.get(root):
                continue
            stack = [(root, iter(edges.get(root, {}).items()))]
            state[root] = 1
            while stack:
                nid, children = stack[-1]
                answer, child = next(children, (None, None))
                if child is None:
                    state[nid] = 2
                    stack.pop()
                elif child in nodes_spec and state.get(child) == 1:
                    path = [n for n, _ in stack]
                    cycle = [*path[path.index(child):], child]
                    self.error(nodes_spec[nid][1], f"{where}: questions go round in a circle: "
                               f"{' -> '.join(cycle)}", answer)
                elif child in nodes_spec and not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(edges.get(child, {}).items())))
        # safety questions: the danger answer -> a safety outcome; "weet ik niet" stays safe
        for question in nodes.values():
            if not question.danger:
                continue
            qloc = nodes_spec[question.id][1]
            target = question.next[question.danger]
            if target not in outcomes or outcomes[target].kind != SAFETY:
                self.error(qloc, f"{where}, question {question.id!r}: the danger answer "
                                 f"{question.danger!r} must lead to a 'kind: safety' outcome",
                           question.danger)
            unsure = question.next["weet-niet"]
            safe = (unsure in outcomes and outcomes[unsure].kind == SAFETY) or \
                (unsure in nodes and nodes[unsure].danger)
            if not safe:
                self.error(qloc, f"{where}, question {question.id!r}: 'weet-niet' on a safety "
                                 "question must lead to a safety outcome or another safety question",
                           "weet-niet")

    # ---------------------------------------------------------------- whole file
    def book(self, spec: TriageSpec) -> TriageBook | None:
        self.defined = set(spec.texts)
        texts = {key: text for key, tspec in spec.texts.items() if (text := self.text(key, tspec))}
        for key in ENDING_TEXTS:
            if key not in spec.texts:
                self.error((), f"'texts' needs the kiosk's own text {key!r}: every flow ends with it",
                           "texts")
        if spec.check is not None:
            nodes = spec.check.nodes
            if spec.check.start not in nodes:
                self.error(("check",), f"'check': 'start' must name one of its questions, not "
                           f"{spec.check.start!r}", "start")
            if not any(CONTINUE in (n.ja, n.nee, n.weet_niet) for n in nodes.values()):
                self.error(("check",), f"'check': no answer leads on to the flow ('{CONTINUE}')", "nodes")
        flows: dict[str, Flow] = {}
        seen_outcomes: dict[str, str] = {}
        for name, flow_spec in spec.flows.items():
            if flow := self.flow(name, flow_spec, texts, seen_outcomes, spec.check):
                flows[name] = flow
        outcome_specs = [*(spec.check.outcomes.values() if spec.check else ()),
                         *(o for f in spec.flows.values() for o in f.outcomes.values())]
        used = {*ENDING_TEXTS, *(k for f in spec.flows.values() for k in f.intro),
                *(k for o in outcome_specs for k in o.say)}
        for key in texts:
            if key not in used:
                self.error(("texts",), f"text {key!r} is never said", key, severity="warning")
        self.problems = list(dict.fromkeys(self.problems))  # the check is read once per flow
        if any(p.severity == "error" for p in self.problems):
            return None
        warnings = tuple(p for p in self.problems if p.severity == "warning")
        glue = spec.glue.model_dump(by_alias=True)
        return TriageBook(flows, texts, glue, self.file, warnings, self.review_items(texts, flows))

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


def _read(path: str | Path, section_ids: Iterable[str],
          source: Source) -> tuple[TriageBook | None, list[Problem]]:
    """The book (None when there are errors) and every problem: the shape's, or else the
    meaning's."""
    try:
        data = load_yaml(path)
        spec = validate(TriageSpec, data, str(path))
    except ContentError as err:
        return None, list(err.problems)
    reader = _Reader(str(path), section_ids, source, data)
    return reader.book(spec), reader.problems


def check_triage(path: str | Path, section_ids: Iterable[str] = SECTION_IDS,
                 source: Source = None) -> list[Problem]:
    """Every problem in a triage file (errors and warnings), each naming file and line."""
    return _read(path, section_ids, source)[1]


def load_triage(path: str | Path, section_ids: Iterable[str] = SECTION_IDS,
                leaflet_text: Source = None) -> TriageBook:
    """Load and validate ``triage.nl.yaml``; raises :class:`ContentError` naming file and line.

    ``leaflet_text``: the leaflet (text or :class:`kiosk.core.content.LeafletSource`) to check that
    leaflet wording is traceable; ``None`` skips that check.
    """
    book, problems = _read(path, section_ids, leaflet_text)
    if book is None:
        raise ContentError(problems)
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
