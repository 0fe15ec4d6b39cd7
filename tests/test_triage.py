"""The triage trees and their engine: every path, safety, traceability, and the file checks."""

from __future__ import annotations

import copy
import shutil
from functools import cache, lru_cache
from pathlib import Path

import pytest

from kiosk.core.content import LeafletSource, check_content, split_sentences
from kiosk.core.triage import (
    ANSWERS,
    EXIT,
    NO_ANSWER,
    NOT_UNDERSTOOD,
    RED_FLAG,
    SAFETY,
    STOPPED,
    OutcomeKind,
    TriageBook,
    TriageSession,
    check_triage,
    load_triage,
    path_table,
)
from kiosk.core.utterance import Utterance
from kiosk.core.yamlfile import ContentError

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
TRIAGE = CONTENT / "triage.nl.yaml"
LEAFLET = CONTENT / "source" / "kngf-artrose-folder.txt"
DISCLAIMER = (Utterance("Dit is de disclaimer.", "kiosk:disclaimer"),)
EVENTS = (*ANSWERS, "silence", "unclear")
#: The answers that pass the shared check: no red flag, no recent operation, diagnosed artrose.
PASS_CHECK = ("nee", "nee", "nee", "ja", "nee", "ja")
STEP_SECTIONS = {"stap-1", "stap-2", "stap-3", "stapsgewijze-aanpak", "operatie"}


@lru_cache(maxsize=1)
def source() -> LeafletSource:
    return LeafletSource.from_file(LEAFLET)


@pytest.fixture(scope="module")
def book() -> TriageBook:
    return load_triage(TRIAGE, leaflet_text=source())


def send(session: TriageSession, event: str):
    if event in ANSWERS:
        return session.on_answer(event)
    return {"silence": session.on_silence, "unclear": session.on_unclear,
            "repeat": session.on_repeat, "stop": session.on_stop}[event]()


def answer_paths(book: TriageBook, flow: str):
    """Every path of answers (ja / nee / weet-niet) from the start: [(answers, last step)]."""
    paths = []

    def walk(session: TriageSession, step, answers: tuple):
        if step.done:
            paths.append((answers, step))
            return
        for answer in ANSWERS:
            branch = copy.copy(session)
            walk(branch, branch.on_answer(answer), (*answers, (step.node, answer)))

    session = book.session(flow, DISCLAIMER)
    walk(session, session.start(), ())
    return paths


def texts_of(step) -> str:
    return " ".join(u.text for u in step.utterances)


def ends_with_pointer_and_disclaimer(book: TriageBook, step) -> bool:
    pointer = book.texts["naar-fysio"].text
    said = [u.text for u in step.utterances]
    n = len(DISCLAIMER)
    return step.utterances[-n:] == DISCLAIMER and " ".join(said[:-n]).endswith(pointer)


def past_the_check(book: TriageBook, flow: str) -> TriageSession:
    session = book.session(flow, DISCLAIMER)
    session.start()
    for answer in PASS_CHECK:
        step = session.on_answer(answer)
    assert step.node == book.flows[flow].first
    return session


# --------------------------------------------------------------------------- the real file
def test_triage_file_is_clean():
    assert check_triage(TRIAGE, source=source()) == []


def test_flows_exist(book):
    assert set(book.flows) == {"stap", "beweger"}


@pytest.mark.parametrize("flow", ["stap", "beweger"])
def test_every_answer_path_ends_in_an_outcome(book, flow):
    paths = answer_paths(book, flow)
    reached = {step.outcome.id for _, step in paths}
    print(f"\n{flow}: {len(paths)} answer paths, longest {max(len(a) for a, _ in paths)} questions")
    for answers, step in paths:
        assert step.outcome is not None and step.outcome.flow == flow, answers
        assert step.outcome.kind != EXIT, answers  # clear answers always reach real advice
    assert reached == set(book.flows[flow].outcomes)  # every outcome is reachable


@pytest.mark.parametrize("flow", ["stap", "beweger"])
def test_every_path_with_silence_and_unclear_replies_ends(book, flow):
    """Every sequence of events (answers, silence, unclear replies) ends in an outcome.

    The session's state is (question, silences, unclear replies); counting paths per state
    covers all of them (there are far too many to replay one by one)."""
    flow_outcomes = set(book.flows[flow].outcomes) | {NO_ANSWER, NOT_UNDERSTOOD}
    seen_outcomes: set = set()

    @cache
    def paths_from(state) -> int:
        node, silences, unclear = state
        total = 0
        for event in EVENTS:
            session = book.session(flow, DISCLAIMER)
            session.start()
            session.node, session._silences, session._unclear = node, silences, unclear
            step = send(session, event)
            if step.done:
                assert step.outcome is not None, (state, event)
                assert step.outcome.id in flow_outcomes
                seen_outcomes.add(step.outcome.id)
                total += 1
            else:
                assert step.node is not None and step.expects_answer
                total += paths_from((step.node, session._silences, session._unclear))
        return total

    start = book.flows[flow].start
    count = paths_from((start, 0, 0))
    print(f"\n{flow}: {count} event paths (ja/nee/weet-niet/silence/unclear), all end in an outcome")
    assert seen_outcomes == flow_outcomes


@pytest.mark.parametrize("flow_name", ["stap", "beweger"])
def test_a_danger_answer_to_a_safety_question_always_means_a_doctor(book, flow_name):
    flow = book.flows[flow_name]
    danger_nodes = [q for q in flow.nodes.values() if q.danger]
    assert {q.id for q in danger_nodes} >= {"warm", "koorts", "val", "staan", "operatie"}
    for question in danger_nodes:
        for before in ((), ("silence",), ("unclear",), ("unclear", "silence"), ("unclear", "unclear")):
            session = book.session(flow_name, DISCLAIMER)
            session.start()
            session.node = question.id
            for event in before:
                send(session, event)
            step = session.on_answer(question.danger)
            assert step.done and step.outcome.kind == SAFETY
            assert step.outcome.section_ids == () and step.outcome.offer_more == ()
            advice = [u for u in step.utterances if not u.is_kiosk_own]
            assert advice == []  # no step advice at all
            assert "huisarts" in texts_of(step)
            # it ends with its own closing, never with "ik geef alleen algemene informatie"
            assert DISCLAIMER[0] not in step.utterances
            assert texts_of(step).endswith(book.texts["geen-arts"].text)
            assert "fysiotherapeut" in texts_of(step)
    # on every full answer path: a danger answer ends the flow right there, at the huisarts
    for answers, step in answer_paths(book, flow_name):
        for node, answer in answers:
            if flow.nodes[node].danger == answer:
                assert (node, answer) == answers[-1] and step.outcome.kind == SAFETY


@pytest.mark.parametrize("flow_name", ["stap", "beweger"])
def test_weet_niet_on_a_safety_question_never_skips_safety(book, flow_name):
    for answers, step in answer_paths(book, flow_name):
        nodes = book.flows[flow_name].nodes
        for i, (node, answer) in enumerate(answers):
            if nodes[node].danger and answer == "weet-niet":
                following = answers[i + 1] if i + 1 < len(answers) else None
                assert (following is None and step.outcome.kind == SAFETY) or \
                    nodes[following[0]].danger, answers


@pytest.mark.parametrize("flow", ["stap", "beweger"])
def test_every_outcome_text_is_traceable_or_the_kiosks_own(book, flow):
    for answers, step in answer_paths(book, flow):
        outcome = step.outcome
        if outcome.kind == SAFETY:
            assert texts_of(step).endswith(book.texts["geen-arts"].text), answers
        else:  # always ends with the pointer and the disclaimer
            assert ends_with_pointer_and_disclaimer(book, step), answers
        for key in outcome.say:
            text = book.texts[key]
            if text.own:
                continue
            assert text.section in outcome.section_ids + outcome.offer_more
            assert source().untraceable(text.heading, text.starts, split_sentences(text.text)) == []
        for utterance in step.utterances:
            kind, _, where = utterance.origin.partition(":")
            assert kind in ("kiosk", "leaflet"), utterance
            if kind == "leaflet":
                assert where in outcome.section_ids + outcome.offer_more
                # the very sentence is in one of the outcome's leaflet texts
                assert any(utterance.text in book.texts[k].text for k in outcome.say
                           if not book.texts[k].own)


def test_step_advice_matches_the_leaflet(book):
    by_outcome = {step.outcome.id: step for _, step in answer_paths(book, "stap")}
    assert "E-exercise artrose" in " ".join(u.text for u in by_outcome["stap-2-digitaal"].utterances)
    assert "E-exercise" not in " ".join(u.text for u in by_outcome["stap-2"].utterances)
    assert "intensiever begeleid" in " ".join(u.text for u in by_outcome["stap-2-intensief"].utterances)
    assert by_outcome["stap-3"].outcome.offer_more[:2] == ("operatie", "meer-operatie")
    assert "bovenstaande behandelstappen al zijn doorlopen" in texts_of(by_outcome["stap-3"])
    assert by_outcome["stap-1"].outcome.section_ids == ("stap-1",)
    beweger = {step.outcome.id: step for _, step in answer_paths(book, "beweger")}
    said = texts_of(beweger["overbelasten"])  # "deze activiteiten" has what it refers to
    assert said.index("Ervaart u na een bepaalde belasting") < said.index("deze activiteiten")


def test_questions_are_short_and_own(book):
    for flow in book.flows.values():
        session = book.session(flow.name, DISCLAIMER)
        first = session.start()
        assert first.utterances[-1].origin == f"kiosk:triage/{flow.name}/{flow.start}"
        for question in flow.nodes.values():
            assert question.ask.endswith("?")
            assert len(question.ask.split()) <= 16, question.ask


def test_outcome_kinds_are_an_enum_read_from_the_file(book):
    """The file's plain words become OutcomeKind members (they print as the word)."""
    kinds = {o.kind for flow in book.flows.values() for o in flow.outcomes.values()}
    assert kinds == {OutcomeKind.ADVICE, OutcomeKind.SAFETY}
    assert all(type(kind) is OutcomeKind for kind in kinds)
    assert str(OutcomeKind.SAFETY) == "safety" and f"{EXIT}" == "exit"


# --------------------------------------------------------------------------- events
def test_silence_asks_once_more_then_leaves_with_pointer_and_disclaimer(book):
    session = book.session("beweger", DISCLAIMER)
    first = session.start()
    again = session.on_silence()
    assert again.expects_answer and again.node == first.node
    assert again.utterances[-1] == first.utterances[-1]
    assert "geen antwoord" in again.utterances[0].text
    end = session.on_silence()
    assert end.done and end.outcome.id == NO_ANSWER and end.outcome.kind == EXIT
    assert ends_with_pointer_and_disclaimer(book, end)


def test_silence_counter_starts_again_at_each_question(book):
    session = book.session("beweger", DISCLAIMER)
    session.start()
    session.on_silence()
    step = session.on_answer("nee")
    assert step.expects_answer
    assert session.on_silence().expects_answer  # first silence at the new question


def test_unclear_is_asked_again_and_never_guessed(book):
    session = book.session("stap", DISCLAIMER)
    first = session.start()
    for _ in range(2):
        step = session.on_unclear()
        assert step.expects_answer and step.node == first.node
        assert "weet ik niet" in " ".join(u.text for u in step.utterances[:-1])
    end = session.on_unclear()
    assert end.done and end.outcome.id == NOT_UNDERSTOOD
    assert ends_with_pointer_and_disclaimer(book, end)


def test_repeat_says_the_question_again_without_counting(book):
    session = book.session("stap", DISCLAIMER)
    first = session.start()
    for _ in range(5):
        step = session.on_repeat()
        assert [u.text for u in step.utterances] == [first.utterances[-1].text]
    assert session.on_silence().expects_answer  # repeats did not use up the retries


def test_repeat_after_the_end_repeats_the_outcome(book):
    session = past_the_check(book, "beweger")
    session.on_answer("nee")
    end = session.on_answer("nee")
    assert end.outcome.id == "gezond-bewegen"
    assert session.on_repeat() == end
    assert session.on_answer("ja").utterances == ()  # stray events after the end: nothing


def test_stop_ends_politely_with_pointer_and_disclaimer(book):
    session = book.session("stap", DISCLAIMER)
    session.start()
    session.on_answer("nee")
    step = session.on_stop()
    assert step.done and step.outcome.id == STOPPED and step.outcome.section_ids == ()
    assert all(u.is_kiosk_own for u in step.utterances)
    assert ends_with_pointer_and_disclaimer(book, step)


def test_start_with_a_flow_name_and_unknown_flows(book):
    session = TriageSession(book, "stap", DISCLAIMER)
    assert session.start("beweger").node == book.flows["beweger"].start
    with pytest.raises(KeyError):
        book.session("onbekend")
    with pytest.raises(ValueError):
        session.on_answer("misschien")


def test_outcome_ids_for_statistics(book):
    ids = book.outcome_ids()
    assert len(ids) == len(set(ids))
    assert {"huisarts-vandaag", "stap-1", "stap-3", "overbelasten", STOPPED, NO_ANSWER} <= set(ids)


# --------------------------------------------------------------------------- file checks
GOOD = """\
texts:
  hallo:
    own: true
    text: Hallo.
  advies:
    section: stap-1
    source: {heading: "Stapsgewijze aanpak van artrose", starts: "Als u weinig klachten ervaart"}
    text: >-
      Als u weinig klachten ervaart in uw dagelijks leven heeft u wellicht genoeg aan de
      informatie van deze folder.
  arts:
    own: true
    text: Bel uw huisarts.
  naar-fysio:
    own: true
    text: Vraag uw fysiotherapeut.
  naar-fysio-veilig:
    own: true
    text: Zeg het ook uw fysiotherapeut.
  geen-arts:
    own: true
    reviewed: true
    text: Ik ben geen arts.
glue:
  unclear: Wat zei u?
  silence: Ik hoorde niets.
  left-silence: Tot ziens.
  left-unclear: Tot ziens.
  stopped: Goed.
  back: Terug.
  no-back: Dit is de eerste.
flows:
  test:
    title: test
    intro: [hallo]
    start: een
    nodes:
      een:
        ask: Vraag een?
        ja: twee
        nee: klaar
        weet-niet: twee
      twee:
        ask: Vraag twee?
        danger: ja
        ja: dokter
        nee: klaar
        weet-niet: dokter
    outcomes:
      klaar:
        say: [advies]
        sections: [stap-1]
      dokter:
        kind: safety
        say: [arts]
"""


def problems_for(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "triage.nl.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in check_triage(path, source=source()) if p.severity == "error"]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_minimal_good_file(tmp_path):
    assert problems_for(tmp_path, GOOD) == []


def test_unreachable_question(tmp_path):
    bad = GOOD.replace("        ja: twee\n", "        ja: klaar\n")
    bad = bad.replace("weet-niet: twee", "weet-niet: klaar")
    problems = problems_for(tmp_path, bad)
    assert any(f":{line_of(bad, '      twee:')}:" in p and "never be reached" in p for p in problems)
    assert any("'dokter' can never be reached" in p for p in problems)


def test_cycle(tmp_path):
    bad = GOOD.replace("        nee: klaar\n        weet-niet: twee",
                       "        nee: klaar\n        weet-niet: een", 1)
    bad = bad.replace("danger: ja\n        ja: dokter\n        nee: klaar",
                      "danger: ja\n        ja: dokter\n        nee: een")
    problems = problems_for(tmp_path, bad)
    cycle = [p for p in problems if "circle" in p]
    assert cycle and "een -> twee -> een" in cycle[0]
    assert f":{line_of(bad, 'nee: een')}:" in cycle[0]


def test_missing_branch_is_a_missing_outcome(tmp_path):
    bad = GOOD.replace("        nee: klaar\n        weet-niet: twee\n", "        weet-niet: twee\n")
    problems = problems_for(tmp_path, bad)
    assert any("missing outcome: no 'nee' branch" in p and f":{line_of(bad, 'ask: Vraag een?')}:" in p
               for p in problems)


def test_flow_without_outcomes(tmp_path):
    bad = GOOD[: GOOD.index("    outcomes:")]
    problems = problems_for(tmp_path, bad)
    assert any(p.endswith(f"triage.nl.yaml:{line_of(bad, '  test:')}: error: missing field 'outcomes' "
                          "in flows.test") for p in problems), problems


def test_dangling_next(tmp_path):
    bad = GOOD.replace("        nee: klaar\n        weet-niet: twee\n",
                       "        nee: klaarr\n        weet-niet: twee\n")
    problems = problems_for(tmp_path, bad)
    assert any("'klaarr'" in p and f":{line_of(bad, 'nee: klaarr')}:" in p for p in problems)


def test_unknown_section_id(tmp_path):
    bad = GOOD.replace("sections: [stap-1]", "sections: [stap-9]")
    problems = problems_for(tmp_path, bad)
    assert any("unknown section id 'stap-9'" in p and f":{line_of(bad, 'stap-9')}:" in p for p in problems)
    bad = GOOD.replace("    section: stap-1\n", "    section: stapp-1\n")
    assert any("unknown section id 'stapp-1'" in p for p in problems_for(tmp_path, bad))


def test_untraceable_or_unmarked_text(tmp_path):
    bad = GOOD.replace("heeft u wellicht genoeg", "moet u meteen geopereerd worden en heeft u genoeg")
    problems = problems_for(tmp_path, bad)
    assert any("not found in the leaflet" in p for p in problems)
    bad = GOOD.replace("    own: true\n    text: Bel uw huisarts.", "    text: Bel uw huisarts.")
    problems = problems_for(tmp_path, bad)
    assert any("neither the kiosk's own" in p and f":{line_of(bad, '  arts:') + 1}:" in p for p in problems)


def test_safety_rules(tmp_path):
    bad = GOOD.replace("danger: ja\n        ja: dokter", "danger: ja\n        ja: klaar")
    assert any("danger answer 'ja' must lead" in p for p in problems_for(tmp_path, bad))
    bad = GOOD.replace("        weet-niet: dokter", "        weet-niet: klaar")
    assert any("'weet-niet' on a safety question" in p for p in problems_for(tmp_path, bad))
    bad = GOOD.replace("        say: [arts]", "        say: [arts, advies]")
    assert any("safety outcome gives no step advice" in p for p in problems_for(tmp_path, bad))
    bad = GOOD.replace("        say: [advies]", "        say: [hallo]")
    assert any("advice must be the leaflet's wording" in p for p in problems_for(tmp_path, bad))


def test_typo_in_a_key_and_yaml_syntax(tmp_path):
    bad = GOOD.replace("        weet-niet: twee\n", "        weetniet: twee\n", 1)
    problems = problems_for(tmp_path, bad)
    assert any(f":{line_of(bad, 'weetniet')}: error: unknown field 'weetniet' in flows.test.nodes.een; "
               "known: ask, ja, nee, weet-niet" in p for p in problems), problems
    problems = problems_for(tmp_path, GOOD.replace("title: test", "title: [test"))
    assert problems and "YAML" in problems[0]


TWO_FLOWS = GOOD + GOOD[GOOD.index("  test:"):].replace("  test:", "  test2:", 1)


@pytest.mark.parametrize("text, needle, message", [
    (GOOD.replace("      klaar:\n", "      gestopt:\n").replace(": klaar", ": gestopt"), "gestopt:",
     "error: flow 'test': outcome id 'gestopt' is reserved for the engine"),
    (TWO_FLOWS, "klaar:", "error: flow 'test2': outcome id 'klaar' is also used in flow 'test'; "
     "statistics need unique ids"),
    (GOOD.replace("      dokter:\n", "      twee:\n").replace(": dokter", ": twee"), "twee:\n        ask",
     "error: flow 'test': 'twee' is both a question and an outcome"),
    (GOOD.replace("start: een", "start: eenn"), "start: eenn",
     "error: flow 'test': 'start' must name one of its questions, not 'eenn'"),
    (GOOD.replace("sections: [stap-1]", "sections: [stap-1]\n        offer: [tipz]"), "tipz",
     "error: flow 'test', outcome 'klaar': unknown section id 'tipz' in 'offer'"),
    (GOOD.replace("ask: Vraag een?", "ask: Vraag een"), "Vraag een",
     "warning: flow 'test', question 'een': the question should end with '?'"),
    (GOOD.replace("  arts:\n", "  ongebruikt:\n    own: true\n    text: Nooit.\n  arts:\n"), "ongebruikt:",
     "warning: text 'ongebruikt' is never said"),
    (GOOD.replace("  naar-fysio:\n    own: true\n    text: Vraag uw fysiotherapeut.\n", ""), "texts:",
     "error: 'texts' needs the kiosk's own text 'naar-fysio': every flow ends with it"),
])
def test_meaning_checks_name_their_line(tmp_path, text, needle, message):
    path = tmp_path / "triage.nl.yaml"
    path.write_text(text, encoding="utf-8")
    found = [str(p) for p in check_triage(path, source=source())]
    line = text.count("\n", 0, text.rindex(needle)) + 1  # the last place the needle stands
    assert f"{path}:{line}: {message}" in found, found


def test_shape_errors_come_all_at_once_with_line_and_field_path(tmp_path):
    """Every shape error is reported, each at its own line; the meaning checks (here: a
    question leading nowhere) wait until the shape is clean."""
    bad = (GOOD.replace("    reviewed: true\n", "    reviewed: ja\n")
           .replace("danger: ja", "danger: misschien")
           .replace("kind: safety", "kind: gevaar")
           .replace("  back: Terug.\n", "")
           .replace("        nee: klaar\n        weet-niet: twee\n",
                    "        nee: klaarr\n        weet-niet: twee\n"))
    found = [p.split("triage.nl.yaml:")[1] for p in problems_for(tmp_path, bad)]
    assert found == [
        f"{line_of(bad, 'reviewed: ja')}: error: texts.geen-arts.reviewed: must be true or false, "
        "not the text 'ja'",
        f"{line_of(bad, 'glue:')}: error: missing field 'back' in glue",
        f"{line_of(bad, 'danger: misschien')}: error: flows.test.nodes.twee.danger: must be 'ja' or 'nee'",
        f"{line_of(bad, 'kind: gevaar')}: error: flows.test.outcomes.dokter.kind: must be 'advice' or "
        "'safety'",
    ]
    fixed = bad.replace("reviewed: ja", "reviewed: true").replace("misschien", "ja").replace(
        "gevaar", "safety").replace("  stopped: Goed.\n", "  stopped: Goed.\n  back: Terug.\n")
    assert [p for p in problems_for(tmp_path, fixed) if "'klaarr'" in p], "meaning checks run once clean"


def test_load_triage_raises_with_every_problem(tmp_path):
    path = tmp_path / "triage.nl.yaml"
    path.write_text(GOOD.replace("sections: [stap-1]", "sections: [stap-9]"), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_triage(path)
    assert "triage.nl.yaml:" in str(err.value) and "stap-9" in str(err.value)


def test_kiosk_check_rejects_a_broken_tree(tmp_path):
    """The lead's content check (``kiosk check``) reports our problems with file and line."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    triage = content / "triage.nl.yaml"
    text = triage.read_text(encoding="utf-8").replace("        nee: stap-1\n        weet-niet: laten",
                                                       "        nee: stap-1\n        weet-niet: dagelijks")
    triage.write_text(text, encoding="utf-8")
    loaded, problems = check_content(content)
    assert loaded is None
    messages = [str(p) for p in problems if p.severity == "error"]
    node_at = text.index("      dagelijks:\n")
    line = text.count("\n", 0, text.index("weet-niet: dagelijks", node_at)) + 1
    assert any("dagelijks -> dagelijks" in m and f"triage.nl.yaml:{line}:" in m
               for m in messages), messages


# --------------------------------------------------------------------------- issue 11: unsafe paths
def test_no_path_gives_step_advice_after_a_red_flag_or_without_a_diagnosis(book):
    for flow_name in ("stap", "beweger"):
        flow = book.flows[flow_name]
        for answers, step in answer_paths(book, flow_name):
            outcome = step.outcome
            danger = [(q, a) for q, a in answers if flow.nodes[q].danger == a]
            if danger:
                assert outcome.kind == SAFETY and not outcome.section_ids, answers
                assert all(u.is_kiosk_own for u in step.utterances), answers
            if outcome.id in flow.outcomes and outcome.id not in ("eerst-laten-bekijken",) and \
                    outcome.kind != SAFETY:
                # advice of the flow itself: every safety question passed, and a diagnosis
                assert ("diagnose", "ja") in answers, answers
                assert not danger, answers
                asked = {q for q, _ in answers}
                assert {"warm", "koorts", "val", "staan", "operatie", "diagnose"} <= asked, answers
            if set(outcome.section_ids) & STEP_SECTIONS:
                assert ("diagnose", "ja") in answers and not danger, answers


def test_both_flows_start_with_the_safety_check(book):
    for flow in book.flows.values():
        assert flow.start == "warm" and flow.nodes[flow.start].danger
        assert flow.first not in ("warm",) and not flow.nodes[flow.first].danger


def test_a_hot_red_swollen_joint_without_fever_goes_to_the_huisarts(book):
    """Finding: the first safety question needed two symptoms at once (joint AND fever)."""
    for flow in ("stap", "beweger"):
        session = book.session(flow, DISCLAIMER)
        session.start()
        step = session.on_answer("ja")  # "ineens warm, rood of dik": no fever asked with it
        assert step.outcome.id == "huisarts-vandaag"
    for question in book.flows["stap"].nodes.values():
        if question.danger:  # one idea each: no safety question also asks about fever
            assert not ("koorts" in question.ask and question.id != "koorts"), question.ask


@pytest.mark.parametrize("heard", ["nee ik kan niet meer staan", "nee dat kan ik niet",
                                   "nee hoor ik kan er niet op staan"])
def test_a_no_that_describes_a_red_flag_goes_to_the_huisarts(heard):
    """Finding: "nee ik kan niet meer staan" to the fall question was read as plain "nee".
    Read as the dialog reads it (red flags first, then the answer), through ``kiosk triage``'s
    own reader, with the real content."""
    from kiosk.cli.triage import reply
    from kiosk.core.content import load_content

    content = load_content(CONTENT)
    session = content.triage.session("stap", DISCLAIMER)
    session.start()
    for answer in ("nee", "nee"):
        session.on_answer(answer)
    assert session.node == "val"  # "Heeft u kort geleden een val ... gehad?"

    def interpret(text):
        flag = content.red_flags.detect(text)
        if flag is not None:
            return "red-flag", flag
        answer = content.answers.classify(text)
        return ("answer", answer.value) if answer is not None else ("none", "")

    step = reply(session, heard, interpret)
    if not step.done:  # "nee dat kan ik niet" is a plain "nee" to the fall question ...
        assert step.node == "staan"  # ... and the next question asks it the positive way
        step = reply(session, heard, interpret)
    assert step.done and step.outcome.kind == SAFETY, texts_of(step)
    assert "huisarts" in texts_of(step) and "stap" not in texts_of(step).lower()


def test_stap_3_only_after_the_earlier_steps_including_intensive_physiotherapy(book):
    """Finding: stap 3 came after "a treatment at the physiotherapist" plus "life goes down"."""
    for answers, step in answer_paths(book, "stap"):
        said = dict(answers)
        if step.outcome.id == "stap-3":
            assert said.get("behandeld") == "ja" and said.get("behandelplan") == "ja"
            assert said.get("achteruit") == "ja"
        if said.get("behandelplan") in ("nee", "weet-niet"):
            assert step.outcome.id != "stap-3"
    session = past_the_check(book, "stap")
    session.on_answer("ja")  # treated by a physiotherapist ...
    step = session.on_answer("nee")  # ... but no whole treatment plan
    assert step.node == "dagelijks"


def test_without_a_diagnosis_advise_having_it_looked_at(book):
    for flow in ("stap", "beweger"):
        for answer in ("nee", "weet-niet"):
            session = book.session(flow, DISCLAIMER)
            session.start()
            for a in PASS_CHECK[:-1]:
                session.on_answer(a)
            step = session.on_answer(answer)
            assert step.outcome.id == "eerst-laten-bekijken"
            assert not set(step.outcome.section_ids) & STEP_SECTIONS
            assert "andere oorzaken" in texts_of(step)  # the leaflet's own words
            assert ends_with_pointer_and_disclaimer(book, step)


@pytest.mark.parametrize("command", ["menu", "terug", "meer", "herhaal", "langzamer"])
def test_commands_inside_the_test_never_count_as_unclear(book, command):
    session = past_the_check(book, "stap")
    question = session.node
    for _ in range(5):
        step = session.on_command(command)
        if command == "menu":
            assert step.done and step.outcome.id == STOPPED
            assert ends_with_pointer_and_disclaimer(book, step)
            return
        assert step.expects_answer
    if command in ("meer", "herhaal", "langzamer"):
        assert step.node == question and step.utterances[-1].text == book.flows["stap"].nodes[question].ask
    assert session.on_unclear().expects_answer and session.on_unclear().expects_answer


def test_terug_goes_back_one_question_at_a_time(book):
    session = book.session("stap", DISCLAIMER)
    first = session.start()
    assert session.on_command("terug").node == first.node  # nothing before the first
    session.on_answer("nee")
    session.on_answer("nee")
    assert session.node == "val"
    back = session.on_command("terug")
    assert back.node == "koorts" and "vorige vraag" in back.utterances[0].text
    assert session.on_command("terug").node == "warm"
    assert session.on_answer("ja").outcome.id == "huisarts-vandaag"  # the new answer counts


def test_a_red_flag_at_any_question_ends_with_its_advice(book):
    from kiosk.core.content import load_content

    flags = load_content(CONTENT).red_flags
    flag = flags.detect("mijn knie is ineens dik en warm")
    for flow_name, flow in book.flows.items():
        for node in flow.nodes:
            session = book.session(flow_name, DISCLAIMER)
            session.start()
            session.node = node
            step = session.on_red_flag(flag)
            assert step.done and step.outcome.id == RED_FLAG and step.outcome.kind == SAFETY
            assert step.utterances == flag.advice
            assert session.on_repeat() == step


def test_switching_flow_at_start_forgets_the_walk(book):
    session = book.session("stap", DISCLAIMER)
    session.start()
    session.on_answer("nee")
    step = session.start("beweger")
    assert session.flow.name == "beweger" and step.node == "warm"
    assert session.on_command("terug").node == "warm"  # no history from the other flow


def test_path_table_document_is_up_to_date(book):
    doc = ROOT / "docs" / "triage-paths.md"
    assert doc.read_text(encoding="utf-8") == path_table(book), \
        "docs/triage-paths.md is stale: run kiosk triage --paths > docs/triage-paths.md"


def test_every_question_and_own_text_is_listed_for_review(book):
    asks = {q.ask for f in book.flows.values() for q in f.nodes.values()}
    listed = {item.text for item in book.review}
    assert asks <= listed
    assert {t.text for t in book.texts.values() if t.own} <= listed
    assert len(book.unreviewed()) == sum(not item.reviewed for item in book.review) > 0
    lines = TRIAGE.read_text(encoding="utf-8").splitlines()
    for item in book.review:
        # the line holds the sentence (or opens it: "text: >-" continues on the next line)
        assert item.text.split()[0] in " ".join(lines[item.line - 1:item.line + 1]), item


CHECK = """\
check:
  start: veilig
  nodes:
    veilig:
      ask: Is het veilig?
      danger: nee
      ja: verder
      nee: dokter
      weet-niet: dokter
  outcomes:
    dokter:
      kind: safety
      say: [arts]
"""


def test_a_shared_check_runs_before_each_flow(tmp_path):
    text = GOOD.replace("flows:\n", CHECK + "flows:\n").replace(
        "      dokter:\n        kind: safety\n        say: [arts]\n", "")
    text = text.replace("        ja: dokter\n        nee: klaar\n        weet-niet: dokter",
                        "        ja: klaar\n        nee: klaar\n        weet-niet: klaar").replace(
        "        danger: ja\n", "")
    assert problems_for(tmp_path, text) == []
    book = load_triage(tmp_path / "triage.nl.yaml")
    session = book.session("test", DISCLAIMER)
    assert session.start().node == "veilig"
    assert session.on_answer("ja").node == "een"
    bad = text.replace("      ja: verder\n", "      ja: dokter\n")
    found = problems_for(tmp_path, bad)
    assert any("no answer leads on to the flow" in p for p in found), found
