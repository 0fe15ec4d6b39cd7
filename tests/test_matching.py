"""Matching heard text to intents: examples from the issue, recogniser-style text, rejection."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import REPO

from kiosk.bench.text import evaluate, load_questions, run_text_bench
from kiosk.cli import main
from kiosk.core.matching import Intent, Matcher

QUESTIONS = REPO / "tests" / "data" / "questions.nl.tsv"
DEV_QUESTIONS = REPO / "tests" / "data" / "dev-questions.nl.tsv"


@pytest.mark.parametrize("question, expected", [
    ("klopt het dat artrose gewoon slijtage is", {"misverstand-slijtage"}),
    ("hoe kan ik het beste afvallen", {"afvallen", "meer-afvallen"}),
    ("Mag ik wel bewegen?", {"misverstand-bewegen", "gezond-bewegen"}),
    ("eh nou mag ik nog wel bewegen met mijn knie", {"misverstand-bewegen", "gezond-bewegen"}),
    ("vertel over afvallen", {"afvallen", "meer-afvallen"}),
    ("lees meer over afvallen", {"meer-afvallen"}),
    ("lees meer over de operatie", {"meer-operatie"}),
    ("ik ben vorig jaar geopereerd aan mijn heup", {"operatie", "meer-operatie"}),
    ("helpt een rollator", {"hulpmiddelen"}),
    ("wat doet een fysio therapeut bij artrose",
     {"stap-2", "stapsgewijze-aanpak", "misverstand-nieuw-gewricht", "meer-geen-slijtage"}),
])
def test_topics(matcher, question, expected):
    match = matcher.match(question)
    assert match.intent.kind == "topic" and match.intent.key in expected, match.to_json()


@pytest.mark.parametrize("question, label", [
    ("stop", "command:stop"),
    ("nog een keer", "command:herhaal"),
    ("kunt u dat herhalen", "command:herhaal"),
    ("lees meer", "command:meer"),
    ("verder", "command:meer"),
    ("ga terug", "command:terug"),
    ("wat kan ik vragen", "command:menu"),
    ("help", "command:menu"),
    ("kunt u wat langzamer praten", "command:langzamer"),
    ("sneller", "command:sneller"),
    ("harder", "command:harder"),
    ("zachter alstublieft", "command:zachter"),
    ("ik versta u niet goed kunt u wat harder praten", "command:harder"),
    ("welke stap past bij mij", "flow:stap"),
    ("wat voor beweger ben ik", "flow:beweger"),
])
def test_commands_and_flows(matcher, question, label):
    assert matcher.match(question).intent.label() == label


@pytest.mark.parametrize("question", [
    "hoe laat gaat de bus", "hoe laat is het", "wat voor weer wordt het morgen",
    "drie", "twee twee", "ik heb een blaasontsteking",
    "waar kan ik parkeren", "ik heb hoofdpijn", "", "eh", "ehm nou",
    "wanneer begint de volgende cursus", "mijn kat heeft een stijve poot", "ik heb buikpijn",
])
def test_out_of_domain_is_nothing(matcher, question):
    found = matcher.match(question)
    assert found.intent == Intent("none") and found.guess is None


@pytest.mark.parametrize("question", [
    "waait het hard",  # "hard" is in "te hard", but the weather is no command
    "zachte winter dit jaar",
    "is het al avond",  # one word shared with an example ("stijf in de ochtend"), not a topic word
    "is het nog ochtend",
])
def test_small_talk_sharing_one_word_with_a_command_or_section_is_nothing(matcher, question):
    assert matcher.match(question).intent == Intent("none")


@pytest.mark.parametrize("question, label", [
    ("kraakbeen", "meer-geen-slijtage"),  # one word, the section's own keyword
    ("tips", "tips"),
    ("stijf in de ochtend", "intro"),
    ("kan het wat harder", "command:harder"),
    ("harder ik hoor niks", "command:harder"),
])
def test_one_topic_word_or_a_command_said_in_command_words_still_counts(matcher, question, label):
    assert matcher.match(question).intent.label() == label


@pytest.mark.parametrize("question", [
    "mag ik nog tennissen met artrose in mijn knie",  # a sport by name, a joint, "mag ik nog"
    "gaat joggen nog met mijn versleten heup",
    "kan ik met mijn knieen nog meefietsen met de club",
])
def test_an_activity_a_joint_and_may_i_still_is_a_movement_question(matcher, question):
    assert matcher.match(question).intent.label() in (
        "misverstand-bewegen", "gezond-bewegen", "overbelasten")


def test_an_activity_without_a_joint_is_no_movement_question(matcher):
    assert not matcher._movement_question(["mag", "ik", "nog", "fietsen", "naar", "huis"])
    assert matcher._movement_question(["mag", "ik", "nog", "fietsen", "met", "mijn", "knie"])


def test_loading_the_knee_too_heavily_is_overloading_not_weight(matcher):
    found = matcher.match("kan ik met al dat klussen mijn heup te zwaar belasten")
    assert found.intent.label() == "overbelasten"


@pytest.mark.parametrize("question", [
    "onze kat is veel te dik wat moet ik doen",
    "mijn hond heeft artrose in zijn heup",
])
def test_a_question_about_an_animal_is_not_about_the_visitor(matcher, question):
    assert matcher.match(question).intent == Intent("none")


def test_an_animal_and_the_visitors_own_joint_is_still_a_question(matcher):
    assert not matcher._about_an_animal(["mag", "ik", "met", "de", "hond", "wandelen", "met", "mijn", "knie"])
    assert matcher._about_an_animal(["mijn", "hond", "loopt", "mank", "met", "zijn", "heup"])


@pytest.mark.parametrize("question", [
    "de televisie hiernaast staat te hard",
    "de muziek van de buren is te hard",
])
def test_a_remark_about_another_sound_source_is_no_command(matcher, question):
    assert matcher.match(question).intent.kind != "command"


def test_a_declined_question_naming_another_illness_and_a_joint_is_stap_2(matcher):
    words = ["ik", "heb", "astma", "en", "artrose", "in", "mijn", "knie"]
    assert matcher._declined_match("", "", words, 0.3, None).intent.label() == "stap-2"
    assert matcher._declined_match("", "", ["ik", "heb", "astma"], 0.3, None).intent.kind == "none"


def test_a_declined_question_about_the_course_and_a_joint_is_the_course_section(matcher):
    words = ["hoe", "is", "het", "verloop", "van", "mijn", "heup"]
    assert matcher._declined_match("", "", words, 0.3, None).intent.label() == "meer-zorgen"


def test_repair_does_not_join_two_stopwords(matcher):
    assert matcher.repair(["skien", "met", "een", "nieuwe", "knie"])[1:3] == ["met", "een"]
    assert matcher.repair(["fysio", "therapeut"]) == ["fysiotherapeut"]


def test_an_unsure_topic_is_a_guess_to_confirm_not_an_answer(matcher):
    found = matcher.match("en mijn heup dan eigenlijk")
    assert found.intent == Intent("none") and found.guess is not None
    intent, score = found.guess
    assert intent.kind == "topic"
    assert matcher.guess_threshold <= score < matcher.threshold
    assert found.to_json()["guess"] == {"kind": "topic", "id": intent.key, "score": round(score, 3)}
    assert "guess" not in matcher.match("wat is artrose").to_json()


def test_guesses_can_be_switched_off(content, matcher, trainer):
    never = Matcher(content, guess_threshold=matcher.threshold, trainer=trainer)
    found = never.match("en mijn heup dan eigenlijk")
    assert found.intent == Intent("none") and found.guess is None


def test_recogniser_style_variants_agree_with_typed(matcher):
    typed = matcher.match("Wat is een fysiotherapeut-behandeling bij knieartrose?").intent
    heard = matcher.match("wat is een fysio therapeut behandeling bij knie artrose").intent
    assert typed == heard


def test_numbers_as_words_or_digits(matcher):
    digits = matcher.match("hebben 900.000 mensen artrose").intent
    words = matcher.match("hebben negen honderd duizend mensen artrose").intent
    assert digits == words == Intent("topic", "intro")


def test_close_topics_are_both_offered(matcher):
    match = matcher.match("wat is artrose")
    assert match.intent.kind == "topic"
    for intent, score in match.candidates:
        assert intent.kind == "topic" and match.score - score <= matcher.margin


def test_json_contract(capsys):
    assert main(["ask", "klopt het dat artrose gewoon slijtage is", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["intent"] == {"kind": "topic", "id": "misverstand-slijtage"}
    assert 0 < result["score"] <= 1
    assert result["spoken"] and result["spoken"][0]["origin"] == "leaflet:misverstand-slijtage"
    assert "match_s" in result["timings"]
    assert "red_flag" not in result


def test_json_names_the_red_flag_and_speaks_only_safety_advice(capsys):
    assert main(["ask", "mijn knie is dik en warm", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["red_flag"] == "heet-gewricht"
    assert result["spoken"] and all(s["origin"].startswith("kiosk:red-flag/") for s in result["spoken"])
    assert any("huisarts" in s["text"] for s in result["spoken"])


def test_batch_answers_in_order(tmp_path, capsys):
    batch = tmp_path / "q.txt"
    batch.write_text("hoe laat gaat de bus\nstop\nhoe kan ik het beste afvallen\n", encoding="utf-8")
    assert main(["ask", "--json", "--batch", str(batch)]) == 0
    lines = [json.loads(raw) for raw in capsys.readouterr().out.splitlines()]
    heard = [line["heard"] for line in lines]
    assert heard == ["hoe laat gaat de bus", "stop", "hoe kan ik het beste afvallen"]
    assert lines[0]["intent"] == {"kind": "none"}
    assert lines[1]["intent"] == {"kind": "command", "name": "stop"}


def test_question_set_is_big_enough_and_held_out(content):
    questions = load_questions(QUESTIONS)
    in_domain = [q for q in questions if not q.expects_none]
    assert len(in_domain) >= 250 and len(questions) - len(in_domain) >= 60
    labels = {option for q in questions for option in q.expected}
    assert set(content.sections) <= labels
    assert {f"command:{c}" for c in content.intents.commands} <= labels
    for path in (QUESTIONS, DEV_QUESTIONS):  # neither set may leak into what the matcher learns
        copied = [q.text for q in load_questions(path) if q.text in _phrasings(content)]
        assert len(copied) <= 0.02 * len(questions), (path.name, copied)


def _phrasings(content) -> set[str]:
    """Example questions of the sections and of what is out of scope. (Command and flow
    phrasings are short fixed forms, "stop", "welke stap past bij mij": both sides have them.)"""
    texts = [e for s in content.sections.values() for e in s.examples]
    texts += content.intents.out_of_scope_examples
    return {" ".join(t.lower().split()) for t in texts}


def test_question_set_accuracy_is_measured_not_assumed(matcher):
    """Guards the measured figures against regressions (measured: 97.7% right, 3/71 false
    accepts; the issue's targets are 95% and 5%, see `kiosk bench --questions`)."""
    result = evaluate(matcher, load_questions(QUESTIONS))
    assert result["false_accept_rate"] <= 0.05
    assert result["accuracy"] >= 0.95


def test_development_set_accuracy_is_measured_not_assumed(matcher):
    """The set the matcher was tuned on (measured: 94.6% right, 6/151 false accepts)."""
    result = evaluate(matcher, load_questions(DEV_QUESTIONS))
    assert result["false_accept_rate"] <= 0.06
    assert result["accuracy"] >= 0.92


@pytest.mark.slow
def test_development_set_with_simulated_errors_stays_above_its_regression_floor(matcher):
    """A regression guard, not the target: the development set three times with 20% simulated
    word errors (measured 2026-12-02: 84.0% right, 4.2% false accepts) must not fall below 82%
    and 6%. Three draws, as `kiosk bench` takes: one draw moves by two points with any
    retraining. The target for real speech (90% right, 5% false accepts on the held-out set) is
    not reached with simulated errors; it is measured by `kiosk bench --wer`, not asserted here."""
    result = run_text_bench(DEV_QUESTIONS, matcher, [0.2], repeats=3)["simulated"]["0.20"]
    assert result["false_accept_rate"] <= 0.06
    assert result["accuracy"] >= 0.82


def test_bench_command_reports_side_by_side_and_readiness(tmp_path, capsys):
    questions = tmp_path / "q.tsv"
    questions.write_text("question\texpected\nhoe kan ik het beste afvallen\tafvallen|meer-afvallen\n"
                         "hoe laat gaat de bus\tnone\nstop\tcommand:stop\n", encoding="utf-8")
    assert main(["bench", "--questions", str(questions), "--wer", "0.2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["clean"]["accuracy"] == 1.0 and result["clean"]["false_accepts"] == 0
    assert set(result["simulated"]) == {"0.20"}
    assert result["clean"]["right_after_confirming"] == 1.0
    assert result["clean"]["asked_on_none_rate"] == 0.0
    assert result["clean"]["accuracy_by_kind"] == {
        "command": {"right": 1, "of": 1, "accuracy": 1.0},
        "section": {"right": 1, "of": 1, "accuracy": 1.0},
    }
    assert result["matcher_ready_s"] >= 0


def test_simulated_errors_use_words_a_recogniser_can_write(matcher):
    assert "stapeen" in matcher.vocabulary  # "stap een" is kept together inside the matcher
    assert "stapeen" not in matcher.spoken_vocabulary
    assert {"stap", "een", "artrose"} <= matcher.spoken_vocabulary


def test_compounds_of_the_out_of_scope_examples_stay_whole(matcher):
    """"hoofdpijn" is a word the kiosk knows (to decline), not "hoofd" + "pijn" glued."""
    assert matcher.repair(["ik", "heb", "hoofdpijn"]) == ["ik", "heb", "hoofdpijn"]


def test_only_the_ranking_classifier_learns_from_misheard_phrasings(matcher):
    """Misheard copies of the in-domain phrasings train the classifier that ranks intents;
    the one that decides what is out of scope learns from the phrasings as written."""
    as_written, with_misheard = matcher.training_sets(matcher.content)
    assert matcher.classifier.fingerprint == as_written.fingerprint
    assert matcher.ranking_classifier.fingerprint == with_misheard.fingerprint
    assert set(as_written.texts) < set(with_misheard.texts)
    copies = Counter(with_misheard.labels) - Counter(as_written.labels)
    assert "none" not in copies
    assert sum(copies.values()) > len(as_written.texts)


@pytest.mark.parametrize("heard, with_question, without", [
    ("nee dank u", "nee", "nee"),  # short: the answer beats every intent
    ("ja graag", "ja", "ja"),
    ("ja ik heb veel pijn in mijn knie als ik fiets", "ja", None),  # long: a question
    ("mag ik fietsen met artrose", None, None),  # no yes or no in it
])
def test_answer_against_topic_is_one_rule(matcher, heard, with_question, without):
    """``Match.answer``: with a yes/no question open any clear answer counts; with none open
    only one the matcher took as the intent (the dialog asks nothing else)."""
    match = matcher.match(heard)
    assert match.answer(question_open=True) == with_question, match.to_json()
    assert match.answer(question_open=False) == without, match.to_json()
    assert (match.intent.kind == "answer") == (without is not None)
