"""The conversation as a pure state machine: every state and every command, no I/O."""

from __future__ import annotations

import io

import pytest

from kiosk.cli.chat import converse
from kiosk.core.dialog import (
    CHOOSE,
    CONFIRM,
    IDLE,
    OFFER,
    QUESTION,
    ApplyVoice,
    Button,
    Count,
    Dialog,
    End,
    Heard,
    Listen,
    Say,
    Silence,
    SpeechFinished,
    StopSpeaking,
    Wake,
)
from kiosk.core.matching import NOTHING, Match, Matcher
from kiosk.core.voice_settings import VoiceSettings


def said(actions) -> list[str]:
    return [u.origin for a in actions if isinstance(a, Say) for u in a.utterances]


def texts(actions) -> str:
    return " ".join(u.text for a in actions if isinstance(a, Say) for u in a.utterances)


def listen(actions) -> Listen:
    [found] = [a for a in actions if isinstance(a, Listen)]
    return found


@pytest.fixture
def dialog(content, matcher) -> Dialog:
    d = Dialog(content, matcher)
    d.handle(Button())
    d.handle(SpeechFinished())
    return d


def test_idle_ignores_speech_and_silence(content, matcher):
    d = Dialog(content, matcher)
    assert d.handle(Heard("wat is artrose")) == [] and d.handle(Silence()) == []
    assert d.state == IDLE


@pytest.mark.parametrize("start", [Button(), Wake()])
def test_button_or_wake_phrase_welcomes(content, matcher, start):
    d = Dialog(content, matcher)
    actions = d.handle(start)
    assert Count("visit") in actions
    assert said(actions)[0] == "kiosk:welcome"
    assert listen(actions).expect == "question" and d.state == QUESTION


def test_question_reads_section_with_disclaimer_once_and_offers_more(dialog):
    actions = dialog.handle(Heard("hoe kan ik het beste afvallen"))
    origins = said(actions)
    section = next(o for o in origins if o.startswith("leaflet:"))
    assert Count("topic", section.split(":")[1]) in actions
    assert "kiosk:disclaimer" in origins
    assert origins[-1].startswith("kiosk:offer_more") or origins[-1] == "kiosk:anything_else"
    second = dialog.handle(Heard("wat is artrose"))
    assert "kiosk:disclaimer" not in said(second)


def test_offer_yes_reads_the_follow_up(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    assert dialog.state == OFFER and dialog.visit.offered == "meer-afvallen"
    again = dialog.handle(Heard("ja maar"))  # unclear: asked again once, never taken as yes
    assert listen(again).expect == "yesno" and said(again)[0] == "kiosk:offer_more_again"
    actions = dialog.handle(Heard("ja graag"))
    assert "leaflet:meer-afvallen" in said(actions)


def test_offer_no_asks_for_another_question(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    actions = dialog.handle(Heard("nee dank u"))
    assert set(said(actions)) == {"kiosk:anything_else"} and dialog.state == QUESTION


def test_offer_accepts_a_new_question_instead(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    actions = dialog.handle(Heard("helpt een rollator"))
    assert "leaflet:hulpmiddelen" in said(actions)


def test_offer_silence_moves_on(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    actions = dialog.handle(Silence())
    assert set(said(actions)) == {"kiosk:anything_else"} and dialog.state == QUESTION


def test_not_understood_then_help(dialog):
    first = dialog.handle(Heard("hoe laat gaat de bus"))
    assert Count("no_match") in first and said(first)[0] == "kiosk:not_understood"
    second = dialog.handle(Heard("waar kan ik parkeren"))
    assert said(second)[0] == "kiosk:not_understood_again"


class UnsureMatcher(Matcher):
    """Test double: the real matcher, except that every topic it finds comes back as only a
    guess (when the real one guesses is tested in test_matching.py)."""

    def match(self, heard: str) -> Match:
        found = super().match(heard)
        if found.intent.kind != "topic":
            return found
        return Match(found.heard, found.normalized, NOTHING, found.score,
                     guess=(found.intent, found.score))


@pytest.fixture
def unsure_dialog(content, trainer) -> Dialog:
    d = Dialog(content, UnsureMatcher(content, trainer=trainer))
    d.handle(Button())
    return d


def test_an_unsure_question_is_asked_about_and_yes_reads_it(unsure_dialog):
    actions = unsure_dialog.handle(Heard("vertel over afvallen"))
    assert set(said(actions)) == {"kiosk:did_you_mean"} and Count("guess", "afvallen") in actions
    assert "Afvallen" in texts(actions)
    assert unsure_dialog.state == CONFIRM and listen(actions).expect == "yesno"
    actions = unsure_dialog.handle(Heard("ja graag"))
    assert "leaflet:afvallen" in said(actions) and Count("topic", "afvallen") in actions


def test_no_to_a_guess_asks_for_the_question_in_other_words(unsure_dialog):
    unsure_dialog.handle(Heard("vertel over afvallen"))
    actions = unsure_dialog.handle(Heard("nee"))
    assert said(actions) == ["kiosk:rephrase"] and unsure_dialog.state == QUESTION
    assert not any(o.startswith("leaflet:") for o in said(actions))
    after = unsure_dialog.handle(Heard("hoe laat gaat de bus"))  # a second miss: the menu hint
    assert said(after)[0] == "kiosk:not_understood_again"


def test_a_guess_takes_a_new_question_repeat_and_silence(unsure_dialog):
    unsure_dialog.handle(Heard("vertel over afvallen"))
    again = unsure_dialog.handle(Heard("herhaal"))
    assert said(again)[0] == "kiosk:did_you_mean" and "Afvallen" in texts(again)
    assert unsure_dialog.state == CONFIRM
    other = unsure_dialog.handle(Heard("helpt een rollator"))  # a new question, itself unsure
    assert Count("guess", "hulpmiddelen") in other and unsure_dialog.state == CONFIRM
    moved_on = unsure_dialog.handle(Silence())
    assert set(said(moved_on)) == {"kiosk:anything_else"} and unsure_dialog.state == QUESTION
    assert unsure_dialog.visit.guessed is None


def test_something_unclear_after_a_guess_is_not_understood(unsure_dialog):
    unsure_dialog.handle(Heard("vertel over afvallen"))
    actions = unsure_dialog.handle(Heard("hoe laat gaat de bus"))
    assert said(actions)[0] == "kiosk:not_understood" and unsure_dialog.state == QUESTION


def test_choose_between_two_close_topics(dialog):
    actions = dialog._ask_which("afvallen", "medicatie")
    assert said(actions) == ["kiosk:which_one"] and dialog.state == CHOOSE
    assert "Afvallen" in texts(actions)
    assert "leaflet:medicatie" in said(dialog.handle(Heard("de tweede")))
    dialog._ask_which("afvallen", "medicatie")
    assert "leaflet:afvallen" in said(dialog.handle(Heard("afvallen")))


def test_stop_while_speaking_cuts_off_then_stop_again_ends(dialog):
    dialog.handle(Heard("wat is artrose"))
    assert dialog.speaking
    actions = dialog.handle(Heard("stop"))
    assert isinstance(actions[0], StopSpeaking) and dialog.state == QUESTION
    dialog.handle(SpeechFinished())
    actions = dialog.handle(Heard("stop"))
    assert set(said(actions)) == {"kiosk:goodbye"} and End() in actions
    assert dialog.state == IDLE


def test_button_while_speaking_stops(dialog):
    dialog.handle(Heard("wat is artrose"))
    actions = dialog.handle(Button())
    assert isinstance(actions[0], StopSpeaking)


def test_herhaal_repeats_the_last_section(dialog):
    assert said(dialog.handle(Heard("herhaal")))[0] == "kiosk:nothing_to_repeat"
    dialog.handle(Heard("helpt een rollator"))
    dialog.handle(SpeechFinished())
    again = dialog.handle(Heard("nog een keer"))
    assert set(said(again)) == {"leaflet:hulpmiddelen"}


def test_meer_reads_follow_up_or_says_there_is_none(dialog):
    dialog.handle(Heard("vertel over afvallen"))
    assert "leaflet:meer-afvallen" in said(dialog.handle(Heard("lees meer")))


def test_terug_goes_to_the_previous_section(dialog):
    assert said(dialog.handle(Heard("ga terug")))[0] == "kiosk:nothing_before"
    dialog.handle(Heard("helpt een rollator"))
    dialog.handle(Heard("welke medicijnen helpen tegen artrose"))
    assert "leaflet:hulpmiddelen" in said(dialog.handle(Heard("ga terug")))


def test_menu_names_the_topic_groups(dialog):
    actions = dialog.handle(Heard("wat kan ik vragen"))
    assert said(actions)[0] == "kiosk:menu"
    assert "misverstanden" in texts(actions) and "afvallen" in texts(actions)


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


def test_voice_settings_reset_when_the_visitor_leaves(dialog):
    dialog.handle(Heard("langzamer"))
    assert dialog.voice != VoiceSettings()
    dialog.handle(Silence())
    actions = dialog.handle(Silence())
    assert ApplyVoice(VoiceSettings()) in actions and End() in actions
    assert dialog.voice == VoiceSettings() and dialog.state == IDLE


def test_goodbye_after_silence(dialog):
    first = dialog.handle(Silence())
    assert set(said(first)) == {"kiosk:still_there"}
    second = dialog.handle(Silence())
    assert said(second)[0] == "kiosk:goodbye" and End() in second


def test_visit_memory_is_forgotten_after_goodbye(dialog):
    dialog.handle(Heard("helpt een rollator"))
    dialog.handle(Silence()), dialog.handle(Silence()), dialog.handle(Silence())
    dialog.handle(Button())
    assert dialog.visit.history == [] and dialog.visit.last_said == ()


def test_chat_through_stdin(content, matcher):
    out = io.StringIO()
    lines = io.StringIO("wat kan ik vragen\nhelpt een rollator\nnee dank u\nstop\n")
    converse(Dialog(content, matcher), lines, out)
    text = out.getvalue()
    assert "Goedendag" in text and "stok of rollator" in text and "Tot ziens" in text
    assert "[einde bezoek" in text


def test_chat_command_reads_stdin(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "chat"], input="helpt een rollator\n\n\n\n",
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "rollator" in result.stdout and "Tot ziens" in result.stdout


# ----------------------------------------------------------------------------- triage
def test_flow_starts_from_a_question_and_asks_yes_no(dialog):
    actions = dialog.handle(Heard("welke stap past bij mij"))
    assert Count("triage_start", "stap") in actions
    assert listen(actions).expect == "yesno" and dialog.state == "triage"
    assert any(o.startswith("kiosk:triage/stap/") for o in said(actions))


def test_triage_repeat_asks_the_same_question_again(dialog):
    first = dialog.handle(Heard("welke stap past bij mij"))
    question = [u.text for a in first if isinstance(a, Say) for u in a.utterances][-1]
    again = dialog.handle(Heard("herhaal"))
    assert question in texts(again) and dialog.state == "triage"


def test_triage_yes_to_safety_ends_with_huisarts_and_no_step(dialog, content):
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("ja dat klopt"))
    outcome = [a.key for a in actions if isinstance(a, Count) and a.name == "triage_outcome"]
    assert outcome and "huisarts" in texts(actions).lower()
    assert not any(o.startswith("leaflet:stap-") for o in said(actions))
    assert dialog.state in (QUESTION, OFFER)


def test_triage_stop_leaves_the_flow(dialog):
    dialog.handle(Heard("welke stap past bij mij"))
    actions = dialog.handle(Heard("stop"))
    assert isinstance(actions[0], StopSpeaking) and dialog.state == QUESTION
    assert Count("triage_outcome", "gestopt") in actions


def test_triage_unclear_is_asked_again_never_taken_as_yes(dialog):
    dialog.handle(Heard("wat voor beweger ben ik"))
    actions = dialog.handle(Heard("ja maar"))
    assert dialog.state == "triage" and not any(isinstance(a, Count) for a in actions)


def test_triage_reaches_an_outcome_with_the_disclaimer(dialog, content):
    dialog.handle(Heard("wat voor beweger ben ik"))
    # the safety check first (no red flag, able to stand, not operated, diagnosed), then "nee"
    for answer in ["nee hoor"] * 3 + ["ja hoor", "nee hoor", "ja hoor"] + ["nee hoor"] * 4:
        actions = dialog.handle(Heard(answer))
        if dialog.state != "triage":
            break
    outcomes = [a.key for a in actions if isinstance(a, Count) and a.name == "triage_outcome"]
    assert outcomes and outcomes[0] in content.triage.outcome_ids()
    assert "kiosk:disclaimer" in said(actions)
    assert any(o.startswith("leaflet:") for o in said(actions))


def test_answers_to_anything_else(dialog):
    dialog.handle(Heard("helpt een rollator"))
    dialog.handle(Heard("nee dank u"))  # no more about the follow-up
    assert said(dialog.handle(Heard("ja graag")))[0] == "kiosk:go_ahead"
    assert said(dialog.handle(Heard("weet ik niet")))[0] == "kiosk:menu"
    actions = dialog.handle(Heard("nee dank u"))
    assert said(actions)[0] == "kiosk:goodbye" and End() in actions
