"""Honest answers for what the leaflet does not cover, and short answers to waiting-room
requests: the intent stays ``none`` (the evaluation contract), the kiosk says its own sentence,
and a section that only touches the subject is offered, never read as if it answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core.content import check_content
from kiosk.core.dialog import OFFER, QUESTION, Count, Dialog, Heard, Say, Wake
from kiosk.core.not_in_leaflet import ORIGIN

DATA = Path(__file__).parent / "data"

#: Asked often, not answered by the leaflet (docs/needs.md); written apart from the content.
TOPICS = [
    ("slikken mensen met artrose vaak glucosamine en helpt dat", "supplementen"),
    ("heeft een hyaluronzuur injectie zin bij mijn knie", "injecties"),
    ("helpt zo een brace om de knie", "brace-zolen"),
    ("hoeveel jaar gaat een nieuwe heup mee", "prothese"),
    ("hoe lang lig je in het ziekenhuis als je een nieuwe heup krijgt", "ziekenhuis"),
    ("wordt de fysiotherapie vergoed door mijn verzekering", "kosten"),
    ("waarom heb ik meer pijn als het koud en nat weer is", "weer-pijn"),
]
REQUESTS = [
    ("speel eens een liedje", "media"),
    ("ik moet naar het toilet", "gebouw"),
    ("hoeveel is acht keer acht", "quiz"),
    ("ik wil graag een afspraak maken voor volgende week", "afspraak"),
]
#: Red flags (issue 11): the safety check before matching must see them, so they never get
#: a "not in the leaflet" answer that could sound like an all-clear.
RED_FLAGS = [
    "mijn knie is ineens dik rood en warm",
    "ik ben gevallen en kan niet meer op mijn been staan",
    "mijn kuit is dik na de operatie",
    "mijn nieuwe knie is rood en warm na de operatie",
    "ik heb koorts en mijn heup doet erg pijn",
    "de wond van mijn nieuwe heup lekt",
    "ik kan ineens niet meer lopen",
]


@pytest.mark.parametrize("question,key", TOPICS + REQUESTS)
def test_a_question_the_leaflet_does_not_answer_is_none_with_its_key(matcher, question, key):
    match = matcher.match(question)
    assert match.intent.kind == "none"
    assert match.not_in_leaflet == key
    assert match.to_json()["intent"] == {"kind": "none"}
    assert match.to_json()["not_in_leaflet"] == key


@pytest.mark.parametrize("question", RED_FLAGS)
def test_red_flags_get_no_not_in_leaflet_answer(matcher, question):
    assert matcher.match(question).not_in_leaflet is None


def test_no_red_flag_of_the_safety_sets_gets_a_not_in_leaflet_answer(matcher):
    """Both halves of the red-flag sets (tests/data/red-flags-*.nl.tsv): the safety check runs
    first in the dialog, but should a red flag ever reach the matcher, it must not be told
    "the leaflet says nothing about that"."""
    swallowed = []
    for name in ("red-flags-dev.nl.tsv", "red-flags-heldout.nl.tsv"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()[1:]:
            heard, _, expected = line.partition("\t")
            if expected.startswith("red-flag") and matcher.match(heard).not_in_leaflet:
                swallowed.append((heard, matcher.match(heard).not_in_leaflet))
    assert not swallowed


def test_leaflet_questions_get_no_not_in_leaflet_answer(matcher):
    for question in ("welke pijnstillers mag ik nemen bij artrose", "helpt een stok bij heupartrose",
                     "wanneer is een operatie nodig", "wat is artrose"):
        match = matcher.match(question)
        assert match.intent.kind == "topic" and match.not_in_leaflet is None, question


def _said(actions) -> list:
    return [u for a in actions if isinstance(a, Say) for u in a.utterances]


def test_the_dialog_says_its_own_answer_and_offers_the_section_that_touches_it(content, matcher):
    dialog = Dialog(content, matcher)
    dialog.handle(Wake())
    actions = dialog.handle(Heard(TOPICS[0][0]))
    said = _said(actions)
    assert said and all(u.origin == f"{ORIGIN}.supplementen" for u in said)
    assert "glucosamine" in said[0].text and "niets" in said[0].text
    assert "Wilt u dat horen?" in said[-1].text
    assert Count("not_in_leaflet", "supplementen") in actions
    assert dialog.state == OFFER and dialog.visit.offered == "medicatie"
    read = _said(dialog.handle(Heard("ja graag")))
    assert read[0].origin == "leaflet:medicatie"


def test_a_request_gets_its_answer_and_what_the_kiosk_can_do(content, matcher):
    dialog = Dialog(content, matcher)
    dialog.handle(Wake())
    said = _said(dialog.handle(Heard("speel eens een liedje")))
    assert [u.origin for u in said] == [f"{ORIGIN}.media"] * len(said)
    assert said[-1].text == content.not_in_leaflet.hint.split(". ")[-1] or \
        content.not_in_leaflet.hint.startswith(said[-2].text)
    assert not any(u.origin.startswith("leaflet:") for u in said)
    assert dialog.state == QUESTION


def test_the_pointer_is_not_offered_again_once_read(content, matcher):
    dialog = Dialog(content, matcher)
    dialog.handle(Wake())
    dialog.visit.read.add("medicatie")
    said = _said(dialog.handle(Heard(TOPICS[0][0])))
    assert not any("Wilt u dat horen?" in u.text for u in said)
    assert dialog.state == QUESTION


def _break(content_copy: Path, old: str, new: str) -> list[str]:
    path = content_copy / "not_in_leaflet.nl.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    content, problems = check_content(content_copy)
    assert content is None
    return [str(p) for p in problems if p.severity == "error"]


def test_check_names_file_and_line_of_an_unknown_pointer(content_copy):
    errors = _break(content_copy, "pointer: medicatie", "pointer: medicijnen")
    assert any("not_in_leaflet.nl.yaml:" in e and "'medicijnen' is not a section id" in e
               for e in errors), errors


def test_check_wants_the_kiosk_origin_and_enough_examples(content_copy):
    errors = _break(content_copy, "origin: kiosk", "origin: leaflet")
    assert any("origin: kiosk" in e for e in errors), errors


def test_check_refuses_an_example_that_is_also_a_section_example(content, content_copy):
    example = content.sections["afvallen"].examples[0]
    errors = _break(content_copy, "      - helpt glucosamine bij artrose",
                    f"      - {example}")
    assert any("is also in afvallen" in e for e in errors), errors


@pytest.mark.parametrize("question", [
    "moet ik naar de huisarts met mijn knie",  # issue 11: this once read stap-1's "folder is enough"
    "wanneer moet ik nou eigenlijk naar de dokter met mijn heup",
])
def test_asking_whether_to_see_the_huisarts_gets_the_safe_own_answer_not_a_step(content, matcher,
                                                                                 question):
    dialog = Dialog(content, matcher)
    dialog.handle(Wake())
    said = _said(dialog.handle(Heard(question)))
    assert said[0].origin == f"{ORIGIN}.naar-de-huisarts"
    text = " ".join(u.text for u in said)
    assert "Bel dan de huisarts" in text and "huisartsenpost" in text
    assert not any(u.origin.startswith("leaflet:") for u in said)


#: A subject named by one of an entry's 'names' (alone or inside a compound) gets that
#: entry's answer even when a section shares the other words; written apart from the sets.
NAMED = [
    ("krijg ik een cortisone injectie in de heup als de oefeningen niet helpen", "injecties"),
    ("zijn magnesiumtabletten goed voor versleten knieen", "supplementen"),
    ("wat vindt u van een kijkoperatie aan de knie", "andere-behandeling"),
    ("ik heb een kniebrace gekocht moet ik die de hele dag om", "brace-zolen"),
    ("wat moet ik tegen mijn werkgever zeggen over mijn heup", "werk"),
    ("mijn elleboog is stijf kan de fysiotherapeut daar iets aan doen", "andere-klacht"),
    ("welk kniekussen raadt u aan om in de moestuin op te knielen", "brace-zolen"),
    ("helpen van die kniebeschermers als ik de vloer moet dweilen", "brace-zolen"),
    ("mijn kleindochter van zeven heeft 's nachts pijn in haar knieen is dat groeipijn", "andere-klacht"),
]




def test_a_short_name_counts_only_as_a_word_of_its_own(content):
    table = content.not_in_leaflet
    assert table.named_in(["wat", "is", "prp"]) == "injecties"
    assert table.named_in(["wat", "is", "prpx"]) is None  # "prp" is too short to find inside words
    assert table.named_in(["glucosaminepillen"]) == "supplementen"
    assert table.named_in(["wat", "is", "artrose"]) is None
    assert table.named_in(["glucos", "amine"]) is None  # a name is found inside one word only


def test_check_refuses_a_name_that_the_leaflet_part_uses(content_copy):
    errors = _break(content_copy, "names: [hyaluron,", "names: [hulpmiddel, hyaluron,")
    assert any("a name of 'injecties' occurs in section" in e for e in errors), errors


def test_check_refuses_a_request_name_that_the_leaflet_part_uses(content_copy):
    errors = _break(content_copy, "  - key: tijd\n", "  - key: tijd\n    names: [lift]\n")
    assert any("a name of 'tijd' occurs in section" in e for e in errors), errors


# Waiting-room practicalities that share words with a section ("de trap", "mijn knie", "de
# fysio"): a name of the building or of work wins, whatever section the words would read.
# Own phrasings, in no test set.
NAMED_REQUESTS = [
    ("op welke verdieping zit de fysiotherapeut voor mijn knie", "gebouw"),
    ("ik kan slecht traplopen zit de oefenzaal op de begane grond of op een andere verdieping", "gebouw"),
    ("mag ik mijn elektrische fiets hier even aan het stopcontact zetten", "gebouw"),
    ("heeft u een oplader voor mijn telefoon", "gebouw"),
    ("mijn baas vraagt of ik met mijn heup nog zwaar werk kan doen", "werk"),
    ("hoeveel verlof krijg je na een operatie aan je knie", "werk"),
    ("is er een speelhoek waar mijn kleinzoon kan spelen terwijl ik mijn oefeningen doe", "gebouw"),
]


@pytest.mark.parametrize("question,key", NAMED + NAMED_REQUESTS)
def test_a_named_subject_or_request_gets_its_own_answer_not_the_section_sharing_its_words(
        matcher, question, key):
    match = matcher.match(question)
    assert match.intent.kind == "none"
    assert match.not_in_leaflet == key



@pytest.mark.parametrize("question", [
    "tot welke leeftijd kun je nog een nieuwe heup krijgen",
    "kan ik met een nieuwe knie nog skien",
    "mag ik met mijn kunstknie nog volleybal spelen",
])
def test_living_with_a_new_joint_gets_the_prosthesis_answer(matcher, question):
    match = matcher.match(question)
    assert match.intent.kind == "none" and match.not_in_leaflet == "prothese"


def test_a_question_about_getting_a_new_joint_is_still_answered(matcher):
    assert matcher.match("heb ik echt een nieuwe knie nodig of helpt oefenen ook").intent.key in {
        "misverstand-nieuw-gewricht", "operatie"}
