"""The conversation as a pure state machine: every state, every cue, no I/O.

Most tests run on a small content built here (one short made-up sentence per section) with a
matcher double that knows a few lines by heart: they test the dialog's rules, not the matcher.
How the real matcher reads real questions is tested in test_matching.py; a few tests at the end
use the whole leaflet with the real matcher where they prove something about the real content.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import pytest

from kiosk.cli.chat import converse
from kiosk.core.answers import load_answers
from kiosk.core.content import (
    DEFAULT_CONTENT_DIR,
    SECTION_IDS,
    Content,
    Paragraph,
    Section,
    SourceRef,
    load_content,
)
from kiosk.core.dialog import (
    EXPECT,
    TRANSITIONS,
    ApplyVoice,
    Button,
    Count,
    Cue,
    Dialog,
    End,
    Expect,
    Heard,
    Listen,
    Say,
    Silence,
    SpeechFinished,
    State,
    StopSpeaking,
    Timeouts,
    Wake,
    transition_table,
)
from kiosk.core.matching import NOTHING, Intent, Match
from kiosk.core.normalize import normalize
from kiosk.core.utterance import Utterance
from kiosk.core.voice_settings import VoiceSettings

DOCS = Path(__file__).resolve().parent.parent / "docs" / "dialog.md"


# ----------------------------------------------------------------------------- fixtures
def said(actions) -> list[str]:
    """Origins of what was said, in order, each run of sentences of one origin once."""
    origins = [u.origin for a in actions if isinstance(a, Say) for u in a.utterances]
    return [o for i, o in enumerate(origins) if i == 0 or origins[i - 1] != o]


def texts(actions) -> str:
    return " ".join(u.text for a in actions if isinstance(a, Say) for u in a.utterances)


def listen(actions) -> Listen:
    [found] = [a for a in actions if isinstance(a, Listen)]
    return found


def counts(actions, name: str) -> list[str]:
    return [a.key for a in actions if isinstance(a, Count) and a.name == name]


def _section(section_id: str, **fields) -> Section:
    ref = SourceRef("kop", "begin", "inline", 1)
    text = fields.pop("text", f"Dit is de tekst over {section_id}.")
    return Section(id=section_id, title=f"Titel {section_id}", group=fields.pop("group", "tips"),
                   keywords=(), examples=(), paragraphs=(Paragraph(ref, text),),
                   spoken_name=f"het onderwerp {section_id}", **fields)


@pytest.fixture(scope="module")
def tiny(content_parts) -> Content:
    """Every section id, each one made-up sentence; the real prompts, answers and triage."""
    sections = {sid: _section(sid) for sid in SECTION_IDS}
    sections["afvallen"] = _section("afvallen", more="meer-afvallen", related=("medicatie",))
    sections["stap-3"] = _section("stap-3", group="aanpak",
                                  text="Stap 3 is de tweedelijnszorg. Daar helpt de tweedelijnszorg.")
    return replace(content_parts, sections=sections)


@pytest.fixture(scope="module")
def content_parts() -> Content:
    return load_content()  # about a second: no matcher is trained


def topic(key: str, *others: str) -> Match:
    return Match("", "", Intent("topic", key), 0.9,
                 candidates=tuple((Intent("topic", o), 0.88) for o in others))


class MatcherDouble:
    """Test double for the matcher: knows a few lines by heart, anything else is nothing; the
    yes or no in a line is read as the real matcher does, with the real answer lexicon."""

    ANSWERS = load_answers(Path(DEFAULT_CONTENT_DIR) / "answers.nl.yaml")

    LINES: ClassVar[dict[str, Match]] = {
        "vertel over afvallen": topic("afvallen"),
        "helpt een rollator": topic("hulpmiddelen"),
        "welke medicijnen helpen": topic("medicatie"),
        "afvallen of medicijnen": topic("afvallen", "medicatie"),
        "iets met gewicht": Match("", "", NOTHING, 0.4, guess=(Intent("topic", "afvallen"), 0.4)),
        "iets met een stok": Match("", "", NOTHING, 0.4, guess=(Intent("topic", "hulpmiddelen"), 0.4)),
        "welke stap past bij mij": Match("", "", Intent("flow", "stap"), 0.9),
        "helpt glucosamine": Match("", "", NOTHING, 0.6, not_in_leaflet="supplementen"),
        "hoe laat is het": Match("", "", NOTHING, 0.6, not_in_leaflet="tijd"),
        "ik heb last van mijn schouder": Match("", "", NOTHING, 0.6, not_in_leaflet="andere-klacht"),
        "ik heb last van mijn heup wat nu": Match("", "", NOTHING, 0.6,
                                                  not_in_leaflet="andere-klacht"),
        "wat voor beweger ben ik": Match("", "", Intent("flow", "beweger"), 0.9),
        "nee dank u": Match("", "", Intent("answer", "nee"), 1.0),
        "ja graag": Match("", "", Intent("answer", "ja"), 1.0),
        "weet ik niet": Match("", "", Intent("answer", "weet-niet"), 1.0),
        **{phrase: Match("", "", Intent("command", name), 1.0) for phrase, name in (
            ("stop", "stop"), ("herhaal", "herhaal"), ("nog een keer", "herhaal"),
            ("lees meer", "meer"), ("meer", "meer"), ("ga terug", "terug"), ("terug", "terug"),
            ("wat kan ik vragen", "menu"), ("menu", "menu"), ("langzamer", "langzamer"),
            ("sneller", "sneller"), ("harder", "harder"), ("zachter", "zachter"))},
    }

    def match(self, heard: str) -> Match:
        found = self.LINES.get(normalize(heard), Match("", "", NOTHING, 0.1))
        return replace(found, heard=heard, normalized=normalize(heard), read_answer=self._answer)

    def _answer(self, text: str) -> str | None:
        found = self.ANSWERS.classify(text)
        return found.value if found else None


@dataclass(frozen=True)
class RedFlagDouble:
    group: str
    advice: tuple[Utterance, ...]


class RedFlagsDouble:
    """Test double for content.red_flags: "dik rood en warm" is a red flag, nothing else.
    The real detector is tested in test_safety.py and below on the whole leaflet."""

    def detect(self, text: str) -> RedFlagDouble | None:
        if "rood en warm" in normalize(text):
            advice = (Utterance("Bel vandaag nog uw huisarts.", "kiosk:red-flag/heet-gewricht"),)
            return RedFlagDouble("heet-gewricht", advice)
        return None


def make_dialog(content: Content, started: bool = True) -> Dialog:
    d = Dialog(content, MatcherDouble(), red_flags=RedFlagsDouble())
    if started:
        d.handle(Button())
        d.handle(SpeechFinished())
    return d


@pytest.fixture
def dialog(tiny) -> Dialog:
    return make_dialog(tiny)


# ----------------------------------------------------------------------------- the table
def test_every_state_has_a_handler_for_every_cue():
    for state in State:
        assert set(TRANSITIONS[state]) == set(Cue), state
        for method in TRANSITIONS[state].values():
            assert callable(getattr(Dialog, method)), method


def test_docs_dialog_md_is_the_table_of_the_code():
    assert DOCS.read_text(encoding="utf-8") == transition_table(), (
        "docs/dialog.md is out of date; regenerate it (see its first lines)")


def test_listen_only_returns_an_action(dialog):
    before = dialog.state
    assert dialog._listen(State.TRIAGE) == Listen(Expect.YESNO, Timeouts().answer_s)
    assert dialog.state == before
    assert Listen(Expect.QUESTION, 1.0).expect == "question"  # str enums: the runner's strings


def test_timeouts_come_from_one_place(tiny):
    d = Dialog(tiny, MatcherDouble(), timeouts=Timeouts(question_s=9.5, answer_s=4.5))
    assert listen(d.handle(Button())).timeout_s == 9.5
    d.handle(Heard("vertel over afvallen"))  # an offer: a yes/no answer
    assert listen(d.handle(Heard("blabla"))).timeout_s == 4.5


def test_every_listen_matches_the_state_it_leaves_the_dialog_in(dialog):
    for line in ("vertel over afvallen", "afvallen of medicijnen", "iets met gewicht",
                 "welke stap past bij mij", "stop", "ik heb kniepijn"):
        actions = dialog.handle(Heard(line))
        assert listen(actions).expect == EXPECT[dialog.state], line


# ----------------------------------------------------------------------------- a visit
def test_idle_ignores_speech_and_silence(tiny):
    d = make_dialog(tiny, started=False)
    assert d.handle(Heard("vertel over afvallen")) == [] and d.handle(Silence()) == []
    assert d.state == State.IDLE


@pytest.mark.parametrize("start", [Button(), Wake()])
def test_button_or_wake_phrase_welcomes(tiny, start):
    d = make_dialog(tiny, started=False)
    actions = d.handle(start)
    assert Count("visit") in actions and said(actions)[0] == "kiosk:welcome"
    assert listen(actions).expect == "question" and d.state == State.QUESTION


def test_question_reads_section_with_disclaimer_once_and_offers_by_spoken_name(dialog):
    actions = dialog.handle(Heard("vertel over afvallen"))
    assert Count("topic", "afvallen") in actions
    assert said(actions)[0] == "leaflet:afvallen" and "kiosk:disclaimer" in said(actions)
    assert "Wilt u meer horen over het onderwerp meer-afvallen?" in texts(actions)
    assert "Titel" not in texts(actions)  # never the written title
    assert dialog.state == State.OFFER
    second = dialog.handle(Heard("helpt een rollator"))
    assert "kiosk:disclaimer" not in said(second)


def test_offer_yes_reads_the_follow_up_unclear_is_asked_again_once(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    again = dialog.handle(Heard("ja maar"))  # unclear: asked again once, never taken as yes
    assert said(again)[0] == "kiosk:offer_more_again" and dialog.state == State.OFFER
    actions = dialog.handle(Heard("ja graag"))
    assert "leaflet:meer-afvallen" in said(actions)


def test_offer_unclear_twice_moves_on(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    dialog.handle(Heard("blabla"))
    assert said(dialog.handle(Heard("blabla"))) == ["kiosk:anything_else"]
    assert dialog.state == State.QUESTION


@pytest.mark.parametrize("reply", ["nee dank u", "weet ik niet", None])
def test_offer_no_dont_know_or_silence_asks_for_another_question(dialog, reply):
    dialog.handle(Heard("vertel over afvallen"))
    actions = dialog.handle(Silence() if reply is None else Heard(reply))
    assert said(actions) == ["kiosk:anything_else"] and dialog.state == State.QUESTION
    assert dialog.visit.offered is None


def test_offer_accepts_a_new_question_instead(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    assert "leaflet:hulpmiddelen" in said(dialog.handle(Heard("helpt een rollator")))


def test_not_understood_then_the_menu_hint(dialog):
    first = dialog.handle(Heard("hoe laat gaat de bus"))
    assert Count("no_match") in first and said(first)[0] == "kiosk:not_understood"
    second = dialog.handle(Heard("waar kan ik parkeren"))
    assert said(second)[0] == "kiosk:not_understood_again"


# ----------------------------------------------------------------------------- choose
def test_two_close_topics_are_offered_by_spoken_name(dialog):
    actions = dialog.handle(Heard("afvallen of medicijnen"))
    assert said(actions) == ["kiosk:which_one"] and dialog.state == State.CHOOSE
    assert "het onderwerp afvallen" in texts(actions) and "het onderwerp medicatie" in texts(actions)
    assert listen(actions).expect == "choice"


@pytest.mark.parametrize("answer, section", [
    ("twee", "medicatie"), ("de tweede", "medicatie"), ("1", "afvallen"), ("een", "afvallen"),
    ("het onderwerp medicatie", "medicatie"), ("welke medicijnen helpen", "medicatie"),
    ("vertel over afvallen", "afvallen"),
])
def test_a_choice_by_number_or_by_name(dialog, answer, section):
    dialog.handle(Heard("afvallen of medicijnen"))
    assert said(dialog.handle(Heard(answer)))[0] == f"leaflet:{section}"


def test_no_to_a_choice_reads_neither(dialog):
    """Decision: "nee" to "wilt u A, of B?" means neither (it used to read A)."""
    dialog.handle(Heard("afvallen of medicijnen"))
    actions = dialog.handle(Heard("nee"))
    assert said(actions) == ["kiosk:rephrase"] and dialog.state == State.QUESTION
    assert dialog.visit.misses == 1


def test_yes_or_unclear_to_a_choice_asks_by_number_then_gives_up(dialog):
    dialog.handle(Heard("afvallen of medicijnen"))
    again = dialog.handle(Heard("ja"))
    assert said(again) == ["kiosk:choose_again"] and dialog.state == State.CHOOSE
    assert "Zeg een voor het onderwerp afvallen" in texts(again)
    actions = dialog.handle(Heard("blabla"))
    assert said(actions) == ["kiosk:rephrase"] and not any(o.startswith("leaflet:") for o in said(actions))


def test_herhaal_in_choose_names_the_options_again(dialog):
    dialog.handle(Heard("afvallen of medicijnen"))
    assert said(dialog.handle(Heard("herhaal"))) == ["kiosk:choose_again"]
    assert dialog.state == State.CHOOSE


# ----------------------------------------------------------------------------- complaints
@pytest.mark.parametrize("line", ["ik heb kniepijn", "mijn heup doet zeer", "ik loop zo stijf",
                                  "mijn knieën zijn zo stram vanochtend",
                                  "ik heb last van mijn heup wat nu", "heupklachten wat moet ik doen"])
def test_a_complaint_without_a_question_gets_an_offer(dialog, line):
    actions = dialog.handle(Heard(line))
    assert said(actions) == ["kiosk:complaint"] and dialog.state == State.CHOOSE
    assert Count("complaint") in actions
    assert "welke stap bij u past" in texts(actions) and "het onderwerp tips" in texts(actions)


@pytest.mark.parametrize("line", ["wat helpt tegen kniepijn", "is stijfheid erg",
                                  "mag ik met pijn fietsen", "waarom ben ik zo stijf?"])
def test_a_question_about_a_complaint_is_not_a_complaint(dialog, line):
    assert said(dialog.handle(Heard(line))) != ["kiosk:complaint"]


def test_after_a_complaint_one_starts_the_test_and_two_reads_tips(tiny):
    d = make_dialog(tiny)
    d.handle(Heard("ik heb kniepijn"))
    actions = d.handle(Heard("een"))
    assert Count("triage_start", "stap") in actions and d.state == State.TRIAGE
    d = make_dialog(tiny)
    d.handle(Heard("ik heb kniepijn"))
    assert said(d.handle(Heard("de tweede")))[0] == "leaflet:tips"


# ----------------------------------------------------------------------------- not in the leaflet
def test_not_in_the_leaflet_gets_the_kiosks_answer_and_offers_the_section_that_touches_it(dialog):
    actions = dialog.handle(Heard("helpt glucosamine"))
    assert Count("not_in_leaflet", "supplementen") in actions
    assert all(o.startswith("kiosk:not_in_leaflet") for o in said(actions))
    assert dialog.state == State.OFFER and dialog.visit.offered == "medicatie"
    assert said(dialog.handle(Heard("ja graag")))[0] == "leaflet:medicatie"


def test_a_complaint_about_another_joint_gets_the_not_in_leaflet_answer(dialog):
    actions = dialog.handle(Heard("ik heb last van mijn schouder"))
    assert Count("not_in_leaflet", "andere-klacht") in actions


def test_a_knee_or_hip_complaint_is_offered_the_test_even_when_the_matcher_says_other(dialog):
    assert said(dialog.handle(Heard("ik heb last van mijn heup wat nu"))) == ["kiosk:complaint"]


def test_a_request_gets_its_answer_and_listens_for_a_question(dialog):
    actions = dialog.handle(Heard("hoe laat is het"))
    assert Count("not_in_leaflet", "tijd") in actions and dialog.state == State.QUESTION
    assert not any(o.startswith("leaflet:") for o in said(actions))


# ----------------------------------------------------------------------------- guesses
def test_an_unsure_question_is_asked_about_by_name_and_yes_reads_it(dialog):
    actions = dialog.handle(Heard("iets met gewicht"))
    assert said(actions) == ["kiosk:did_you_mean"] and Count("guess", "afvallen") in actions
    assert "Bedoelt u het onderwerp afvallen?" in texts(actions)
    assert dialog.state == State.CONFIRM and listen(actions).expect == "yesno"
    actions = dialog.handle(Heard("ja graag"))
    assert "leaflet:afvallen" in said(actions) and Count("topic", "afvallen") in actions


def test_no_to_a_guess_asks_for_the_question_in_other_words(dialog):
    dialog.handle(Heard("iets met gewicht"))
    actions = dialog.handle(Heard("nee"))
    assert said(actions) == ["kiosk:rephrase"] and dialog.state == State.QUESTION
    after = dialog.handle(Heard("hoe laat gaat de bus"))  # a second miss: the menu hint
    assert said(after)[0] == "kiosk:not_understood_again"


def test_a_guess_takes_a_new_question_repeat_and_silence(dialog):
    dialog.handle(Heard("iets met gewicht"))
    again = dialog.handle(Heard("herhaal"))
    assert said(again) == ["kiosk:did_you_mean"] and dialog.state == State.CONFIRM
    other = dialog.handle(Heard("iets met een stok"))
    assert Count("guess", "hulpmiddelen") in other and dialog.state == State.CONFIRM
    moved_on = dialog.handle(Silence())
    assert said(moved_on) == ["kiosk:anything_else"] and dialog.visit.guessed is None


def test_something_unclear_after_a_guess_is_not_understood(dialog):
    dialog.handle(Heard("iets met gewicht"))
    assert said(dialog.handle(Heard("hoe laat gaat de bus")))[0] == "kiosk:not_understood"
    assert dialog.state == State.QUESTION


# ----------------------------------------------------------------------------- commands
def test_stop_cuts_off_and_returns_to_listening_the_visit_goes_on(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    assert dialog.speaking
    actions = dialog.handle(Heard("stop"))
    assert isinstance(actions[0], StopSpeaking) and said(actions) == ["kiosk:stopped"]
    assert "tot ziens" in texts(actions) and dialog.state == State.QUESTION
    dialog.handle(SpeechFinished())
    again = dialog.handle(Heard("stop"))
    assert End() not in again and dialog.state == State.QUESTION


@pytest.mark.parametrize("line", ["tot ziens", "dag", "Doei!", "dank u wel en tot ziens"])
def test_goodbye_ends_the_visit_in_any_state(tiny, line):
    for setup in ("hoe laat gaat de bus", "vertel over afvallen", "afvallen of medicijnen",
                  "iets met gewicht"):
        d = make_dialog(tiny)
        d.handle(Heard(setup))
        actions = d.handle(Heard(line))
        assert said(actions) == ["kiosk:goodbye"] and End() in actions and d.state == State.IDLE


def test_dag_as_the_first_words_of_a_visit_is_a_greeting(dialog):
    actions = dialog.handle(Heard("dag"))
    assert said(actions) == ["kiosk:go_ahead"] and dialog.state == State.QUESTION


def test_button_while_speaking_stops(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    actions = dialog.handle(Button())
    assert isinstance(actions[0], StopSpeaking) and dialog.state == State.OFFER


def test_herhaal_repeats_the_last_section_and_the_open_offer(dialog):
    assert said(dialog.handle(Heard("herhaal")))[0] == "kiosk:nothing_to_repeat"
    dialog.handle(Heard("vertel over afvallen"))
    again = dialog.handle(Heard("nog een keer"))
    assert said(again) == ["leaflet:afvallen", "kiosk:offer_more"] and dialog.state == State.OFFER


def test_meer_reads_the_follow_up_or_says_there_is_none(dialog):
    assert said(dialog.handle(Heard("lees meer"))) == ["kiosk:no_more"]
    dialog.handle(Heard("vertel over afvallen"))
    assert "leaflet:meer-afvallen" in said(dialog.handle(Heard("lees meer")))


def test_terug_goes_to_the_previous_section(dialog):
    assert said(dialog.handle(Heard("ga terug")))[0] == "kiosk:nothing_before"
    dialog.handle(Heard("helpt een rollator"))
    dialog.handle(Heard("welke medicijnen helpen"))
    assert said(dialog.handle(Heard("ga terug")))[0] == "leaflet:hulpmiddelen"


def test_menu_names_the_topic_groups_and_how_to_leave(dialog):
    actions = dialog.handle(Heard("wat kan ik vragen"))
    assert said(actions)[0] == "kiosk:menu" and "tips zoals afvallen" in texts(actions)
    assert "stop" in texts(actions) and "tot ziens" in texts(actions)


@pytest.mark.parametrize("command, field, direction", [
    ("langzamer", "rate_wpm", -1), ("sneller", "rate_wpm", 1),
    ("zachter", "volume", -1), ("harder", "volume", 1),
])
def test_voice_commands_change_settings_within_limits(dialog, command, field, direction):
    before = getattr(dialog.voice, field)
    actions = dialog.handle(Heard(command))
    [apply] = [a for a in actions if isinstance(a, ApplyVoice)]
    assert (getattr(apply.settings, field) - before) * direction > 0
    for _ in range(10):
        actions = dialog.handle(Heard(command))
    assert said(actions)[0].endswith("_limit") and not any(isinstance(a, ApplyVoice) for a in actions)


def test_voice_command_keeps_the_open_question(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    dialog.handle(Heard("langzamer"))
    assert dialog.state == State.OFFER


def test_voice_settings_reset_when_the_visitor_leaves(dialog):
    dialog.handle(Heard("langzamer"))
    dialog.handle(Silence())
    actions = dialog.handle(Silence())
    assert ApplyVoice(VoiceSettings()) in actions and End() in actions
    assert dialog.voice == VoiceSettings() and dialog.state == State.IDLE


def test_goodbye_after_two_silences_and_the_visit_is_forgotten(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    dialog.handle(Silence())  # the offer lapses
    assert said(dialog.handle(Silence())) == ["kiosk:still_there"]
    last = dialog.handle(Silence())
    assert said(last)[0] == "kiosk:goodbye" and End() in last
    dialog.handle(Button())
    assert dialog.visit.history == [] and dialog.visit.last_said == ()


def test_answers_to_anything_else(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    dialog.handle(Heard("nee dank u"))  # no more about the follow-up
    assert said(dialog.handle(Heard("ja graag")))[0] == "kiosk:go_ahead"
    assert said(dialog.handle(Heard("weet ik niet")))[0] == "kiosk:menu"
    actions = dialog.handle(Heard("nee dank u"))
    assert said(actions)[0] == "kiosk:goodbye" and End() in actions


def test_a_hard_word_is_explained_once_a_visit(dialog):
    actions = list(dialog._read("stap-3").actions)
    assert said(actions)[:3] == ["leaflet:stap-3", "kiosk:explain_tweedelijnszorg", "leaflet:stap-3"]
    again = list(dialog._read("stap-3").actions)
    assert "kiosk:explain_tweedelijnszorg" not in said(again)


def test_a_hard_word_in_the_title_is_explained_before_the_text(tiny):
    sections = dict(tiny.sections)
    sections["stap-3"] = replace(sections["stap-3"], title="Stap 3: tweedelijnszorg",
                                 paragraphs=sections["intro"].paragraphs)
    d = make_dialog(replace(tiny, sections=sections))
    assert said(d._read("stap-3").actions)[:2] == ["kiosk:explain_tweedelijnszorg", "leaflet:stap-3"]


# ----------------------------------------------------------------------------- red flags
STATES = {
    "question": [],
    "offer": ["vertel over afvallen"],
    "choose": ["afvallen of medicijnen"],
    "confirm": ["iets met gewicht"],
    "triage": ["welke stap past bij mij"],
    "triage, later question": ["welke stap past bij mij", "nee hoor"],
}


@pytest.mark.parametrize("before", STATES.values(), ids=STATES.keys())
def test_a_red_flag_in_any_state_gets_its_own_advice(tiny, before):
    d = make_dialog(tiny)
    for line in before:
        d.handle(Heard(line))
    actions = d.handle(Heard("mijn knie is ineens dik rood en warm"))
    assert counts(actions, "red_flag") == ["heet-gewricht"]
    assert said(actions) == ["kiosk:red-flag/heet-gewricht"]  # no leaflet text, no disclaimer
    assert d.state == State.QUESTION and d.visit.triage is None
    assert d.visit.offered is None and d.visit.options == () and d.visit.guessed is None
    assert said(d.handle(Heard("herhaal"))) == ["kiosk:red-flag/heet-gewricht"]


def test_a_red_flag_while_speaking_cuts_off_first(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    actions = dialog.handle(Heard("mijn knie is dik rood en warm"))
    assert isinstance(actions[0], StopSpeaking)


def _says(actions) -> list[Say]:
    return [a for a in actions if isinstance(a, Say)]


def test_red_flag_advice_is_not_cut_by_voice_but_a_section_is(dialog):
    """Voice barge-in may stop a reading, never the advice to see a doctor (the button may)."""
    reading = dialog.handle(Heard("vertel over afvallen"))
    assert all(say.interruptible for say in _says(reading))
    advice = dialog.handle(Heard("mijn knie is dik rood en warm"))
    assert [say.interruptible for say in _says(advice)] == [False]


def test_a_test_s_safety_outcome_is_not_cut_by_voice(dialog):
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("ja dat klopt"))  # the safety outcome: see the huisarts
    safety = [say for say in _says(actions) if "huisarts" in texts([say]).lower()]
    assert safety and not any(say.interruptible for say in safety)
    assert all(say.interruptible for say in _says(actions) if say not in safety)


def test_the_button_cutting_the_advice_offers_it_again_and_herhaal_says_it(dialog):
    dialog.handle(Heard("mijn knie is dik rood en warm"))
    actions = dialog.handle(Button())  # pressed while the advice is spoken
    assert isinstance(actions[0], StopSpeaking)
    assert said(actions) == ["kiosk:advice_stopped"] and dialog.state == State.QUESTION
    assert said(dialog.handle(Heard("herhaal"))) == ["kiosk:red-flag/heet-gewricht"]


def test_the_button_after_the_advice_was_heard_out_is_a_plain_stop(dialog):
    dialog.handle(Heard("mijn knie is dik rood en warm"))
    dialog.handle(SpeechFinished())
    dialog.handle(Heard("vertel over afvallen"))
    actions = dialog.handle(Button())
    assert actions[0] == StopSpeaking() and "kiosk:advice_stopped" not in said(actions)


# ----------------------------------------------------------------------------- triage
def test_flow_starts_from_a_question_and_asks_yes_no(dialog):
    actions = dialog.handle(Heard("welke stap past bij mij"))
    assert Count("triage_start", "stap") in actions
    assert listen(actions).expect == "yesno" and dialog.state == State.TRIAGE
    assert any(o.startswith("kiosk:triage/stap/") for o in said(actions))


def test_triage_herhaal_and_meer_ask_the_same_question_again(dialog):
    first = dialog.handle(Heard("welke stap past bij mij"))
    question = [u.text for a in first if isinstance(a, Say) for u in a.utterances][-1]
    for command in ("herhaal", "meer"):
        again = dialog.handle(Heard(command))
        assert question in texts(again) and dialog.state == State.TRIAGE


def test_triage_voice_command_applies_and_asks_again(dialog):
    first = dialog.handle(Heard("welke stap past bij mij"))
    question = [u.text for a in first if isinstance(a, Say) for u in a.utterances][-1]
    actions = dialog.handle(Heard("langzamer"))
    assert any(isinstance(a, ApplyVoice) for a in actions) and question in texts(actions)
    assert dialog.state == State.TRIAGE and len([a for a in actions if isinstance(a, Listen)]) == 1


def _left_the_test(d: Dialog, actions, outcome: str) -> None:
    assert counts(actions, "triage_outcome") == [outcome]
    assert d.visit.triage is None and d.state != State.TRIAGE
    assert "kiosk:disclaimer" in said(actions)
    assert "fysiotherapeut" in texts(actions)


def test_triage_stop_leaves_the_test_with_a_pointer_and_the_disclaimer(dialog):
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("stop"))
    assert isinstance(actions[0], StopSpeaking) and dialog.state == State.QUESTION
    _left_the_test(dialog, actions, "gestopt")


def test_triage_silence_twice_leaves_the_test_with_a_pointer(dialog):
    dialog.handle(Heard("welke stap past bij mij"))
    dialog.handle(Silence())
    _left_the_test(dialog, dialog.handle(Silence()), "geen-antwoord")


def test_triage_unclear_is_asked_again_never_taken_as_yes_then_leaves(dialog):
    dialog.handle(Heard("wat voor beweger ben ik"))
    actions = dialog.handle(Heard("ja maar"))
    assert dialog.state == State.TRIAGE and not any(isinstance(a, Count) for a in actions)
    dialog.handle(Heard("blabla"))
    _left_the_test(dialog, dialog.handle(Heard("blabla")), "niet-verstaan")


def test_triage_menu_leaves_the_test_and_says_the_menu(dialog):
    """Decision: "menu" inside the test leaves it (it used to count as unclear)."""
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("menu"))
    _left_the_test(dialog, actions, "gestopt")
    assert said(actions)[-1] == "kiosk:menu" and dialog.state == State.QUESTION
    assert len([a for a in actions if isinstance(a, Listen)]) == 1


def test_triage_goodbye_leaves_the_test_then_ends_the_visit(dialog):
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("tot ziens"))
    assert counts(actions, "triage_outcome") == ["gestopt"] and End() in actions
    assert dialog.state == State.IDLE


def test_triage_yes_to_safety_ends_with_huisarts_and_no_step(dialog):
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("ja dat klopt"))
    assert counts(actions, "triage_outcome") and "huisarts" in texts(actions).lower()
    assert not any(o.startswith("leaflet:stap-") for o in said(actions))
    assert dialog.state in (State.QUESTION, State.OFFER)


#: Answers that pass the shared safety check of both tests (no red flag, no recent operation,
#: artrose diagnosed): see the path table, docs/triage-paths.md.
PASS_CHECK = ("nee", "nee", "nee", "ja", "nee", "ja")


def test_triage_reaches_advice_with_the_pointer_and_the_disclaimer(dialog, tiny):
    dialog.handle(Heard("wat voor beweger ben ik"))
    for answer in (*PASS_CHECK, *["nee hoor"] * 6):
        actions = dialog.handle(Heard(answer))
        if dialog.state != State.TRIAGE:
            break
    outcomes = counts(actions, "triage_outcome")
    assert outcomes and outcomes[0] in tiny.triage.outcome_ids()
    assert "kiosk:disclaimer" in said(actions) and "fysiotherapeut" in texts(actions)


def test_triage_safety_outcome_ends_with_its_own_closing_not_the_disclaimer(dialog):
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("ja dat klopt"))
    assert "huisarts" in texts(actions).lower() and "kiosk:disclaimer" not in said(actions)


# ----------------------------------------------------------------------------- whole leaflet
@pytest.fixture
def real(content, matcher) -> Dialog:
    d = Dialog(content, matcher)
    d.handle(Button())
    d.handle(SpeechFinished())
    return d


def test_wat_is_artrose_gets_the_leaflets_own_explanation(real):
    """The intro never says what artrose is; "lees meer: artrose is geen slijtage" does."""
    origins = said(real.handle(Heard("wat is artrose")))
    assert origins[0] in ("leaflet:meer-geen-slijtage", "leaflet:misverstand-slijtage")


@pytest.mark.parametrize("line", ["ik heb kniepijn", "mijn heup doet zeer", "ik loop zo stijf",
                                  "ik heb last van mijn heup wat nu"])
def test_real_complaints_get_the_offer(real, line):
    assert said(real.handle(Heard(line))) == ["kiosk:complaint"]


def test_every_section_has_a_spoken_name_that_is_not_its_title(content):
    for section in content.sections.values():
        assert section.spoken_name and section.spoken_name != section.title, section.id
        assert not section.spoken_name.startswith(("Meer over", "Misverstand")), section.id


def test_chat_through_stdin(content, matcher):
    out = io.StringIO()
    lines = io.StringIO("wat kan ik vragen\nhelpt een rollator\nnee dank u\ntot ziens\n")
    converse(Dialog(content, matcher), lines, out)
    text = out.getvalue()
    assert "Goedendag" in text and "stok of rollator" in text and "Tot ziens" in text
    assert "[einde bezoek" in text


@pytest.mark.slow
def test_chat_command_reads_stdin():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "chat"], input="helpt een rollator\n\n\n\n",
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "rollator" in result.stdout and "Tot ziens" in result.stdout


REAL_RED_FLAGS = ["mijn knie is ineens dik rood en warm",
                  "ik ben gevallen en kan niet meer op mijn been staan",
                  "mijn kuit is dik na de operatie", "mijn nieuwe knie is rood en warm na de operatie"]


@pytest.mark.parametrize("before", STATES.values(), ids=STATES.keys())
@pytest.mark.parametrize("line", REAL_RED_FLAGS)
def test_real_red_flags_in_any_state_send_to_the_doctor(content, before, line):
    """The real red-flag content (no matcher needed: red flags are checked before it)."""
    d = Dialog(content, MatcherDouble())
    d.handle(Button())
    for heard in before:
        d.handle(Heard(heard))
    actions = d.handle(Heard(line))
    assert len(counts(actions, "red_flag")) == 1
    assert all(o.startswith("kiosk:red-flag") for o in said(actions))
    assert "huisarts" in texts(actions) and d.state == State.QUESTION


def test_a_no_that_describes_a_red_flag_in_the_test_is_a_red_flag(content):
    d = Dialog(content, MatcherDouble())
    d.handle(Button())
    d.handle(Heard("welke stap past bij mij"))
    actions = d.handle(Heard("nee ik kan niet meer staan"))
    assert len(counts(actions, "red_flag")) == 1 and d.visit.triage is None


def test_every_count_the_dialog_makes_is_an_anonymous_statistic_the_kiosk_keeps(content):
    """The runner's Stats refuses unknown names: a new Count must be added there too."""
    from kiosk.app.stats import Stats

    stats = Stats()
    d = Dialog(content, MatcherDouble())
    lines = ["vertel over afvallen", "afvallen of medicijnen", "een", "iets met gewicht", "ja graag",
             "hoe laat is het",
             "hoe laat gaat de bus", "ik heb kniepijn", "welke stap past bij mij", "stop",
             *REAL_RED_FLAGS]
    made = [a for a in d.handle(Button()) if isinstance(a, Count)]
    for line in lines:
        made += [a for a in d.handle(Heard(line)) if isinstance(a, Count)]
    assert {c.name for c in made} >= {"visit", "topic", "guess", "no_match", "complaint", "not_in_leaflet",
                                      "triage_start", "triage_outcome", "red_flag"}
    for count in made:
        stats.count(count.name, count.key)


def test_triage_terug_asks_the_previous_question_again(dialog):
    first = dialog.handle(Heard("welke stap past bij mij"))
    question = [u.text for a in first if isinstance(a, Say) for u in a.utterances][-1]
    second = dialog.handle(Heard("nee hoor"))
    assert question not in texts(second) and dialog.state == State.TRIAGE
    back = dialog.handle(Heard("terug"))
    assert question in texts(back) and dialog.state == State.TRIAGE


def test_enums_print_as_their_plain_strings():
    assert f"{Expect.YESNO}/{State.TRIAGE}/{Cue.RED_FLAG}" == "yesno/triage/red flag"
