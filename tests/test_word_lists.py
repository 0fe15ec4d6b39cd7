"""The matcher's word lists (content/word_lists.nl.yaml): loaded through Content, checked by
kiosk check with file and line, and used by the matcher's rules."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.core.content import check_content
from kiosk.core.matching import Matcher
from kiosk.core.word_lists import validate_word_lists
from kiosk.core.yamlfile import load_yaml_text

GOOD = """\
activities: [fietsen, Tuinieren]
joints: [knie, Knieën]
permission: [mag]
movement_asks: [kan]
new_joint: [prothese]
other_sound_sources: [radio]
animals: [hond]
own: [mijn]
declined_cues:
  - section: stap-2
    words: [diabetes]
"""


def test_the_bundled_lists_are_loaded_through_content(content):
    lists = content.word_lists
    assert lists is not None
    assert {"fietsen", "sporten"} <= lists.activities
    assert "knieen" in lists.joints  # written "knieen" as the matcher hears it
    assert (frozenset({"beloop", "verloop", "rolstoel", "toekomst"}), "meer-zorgen") in lists.declined_cues


def test_words_are_stored_as_the_matcher_hears_them():
    lists, problems = validate_word_lists(load_yaml_text(GOOD, "w.yaml"), "w.yaml", ["stap-2"])
    assert problems == []
    assert lists is not None
    assert lists.joints == {"knie", "knieen"} and "tuinieren" in lists.activities
    assert lists.declined_cues == ((frozenset({"diabetes"}), "stap-2"),)


def test_two_words_a_double_and_an_unknown_section_are_named_at_their_line():
    text = GOOD.replace("[fietsen, Tuinieren]", "\n  - fietsen\n  - met de fiets\n  - Fietsen")
    text = text.replace("section: stap-2", "section: stap-9")
    _, problems = validate_word_lists(load_yaml_text(text, "w.yaml"), "w.yaml", ["stap-2"])
    shown = [str(p) for p in problems]
    assert any(s.startswith("w.yaml:3: error:") and "one word" in s and "met de fiets" in s
               for s in shown), shown
    text = GOOD.replace("[fietsen, Tuinieren]", "\n  - fietsen\n  - Fietsen")
    text = text.replace("section: stap-2", "section: stap-9")
    _, problems = validate_word_lists(load_yaml_text(text, "w.yaml"), "w.yaml", ["stap-2"])
    shown = [str(p) for p in problems]
    assert "w.yaml:3: error: activities: 'fietsen' is listed twice" in shown
    assert any(s.startswith("w.yaml:12: error:") and "'stap-9' does not exist" in s for s in shown), shown


def test_a_missing_or_empty_list_is_an_error():
    text = GOOD.replace("animals: [hond]\n", "").replace("own: [mijn]", "own: []")
    _, problems = validate_word_lists(load_yaml_text(text, "w.yaml"), "w.yaml", ["stap-2"])
    shown = " ".join(str(p) for p in problems)
    assert "missing field 'animals'" in shown and "own" in shown


def test_kiosk_check_reports_a_broken_entry_with_file_and_line(content_copy):
    path = content_copy / "word_lists.nl.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.strip() == "- golfen") + 1
    lines[number - 1] = "  - golfen op zondag\n"
    path.write_text("".join(lines), encoding="utf-8")
    content, problems = check_content(content_copy)
    assert content is None
    assert any(f"word_lists.nl.yaml:{number}:" in str(p) and "one word" in str(p)
               for p in problems), [str(p) for p in problems]


def test_the_matcher_uses_the_lists_of_the_content(content, trainer):
    """A new activity in the file makes a new movement question; without the lists the rule
    is off (the lists are data, not code)."""
    question = ["mag", "ik", "nog", "kegelen", "met", "mijn", "knie"]
    lists = content.word_lists
    assert lists is not None
    assert not Matcher(content, trainer=trainer)._movement_question(question)
    more = dataclasses.replace(lists, activities=lists.activities | {"kegelen"})
    with_kegelen = Matcher(dataclasses.replace(content, word_lists=more), trainer=trainer)
    assert with_kegelen._movement_question(question)
    off = Matcher(dataclasses.replace(content, word_lists=None), trainer=trainer)
    assert not off._movement_question(["mag", "ik", "nog", "fietsen", "met", "mijn", "knie"])


def test_an_activity_counts_at_the_end_of_a_longer_word(matcher):
    assert matcher._movement_question(["mag", "ik", "nog", "stijldansen", "met", "mijn", "heup"])
    assert not matcher._movement_question(["mag", "ik", "nog", "dans", "met", "mijn", "heup"])
    assert not matcher._is_activity("achtertuin", frozenset({"tuin"}))  # too short to count inside


def test_wider_question_words_count_only_when_nothing_else_is_read(matcher):
    words = ["volleybal", "met", "artrose", "in", "de", "knie", "waar", "moet", "ik", "op", "letten"]
    assert not matcher._movement_question(words)
    assert matcher._movement_question(words, declined=True)


@pytest.mark.parametrize("question", [
    "Volleybal en springen bij artrose in de knie: waar moet ik op letten?",
    "mag ik nog met de velo naar de markt met mijn slechte knie",
])
def test_a_named_activity_with_a_joint_reads_the_movement_section(matcher, question):
    assert matcher.match(question).intent.key == "misverstand-bewegen"


def test_a_declined_question_about_a_new_joint_gets_no_movement_section(matcher):
    """Moving with a prosthesis is not what the leaflet answers."""
    def declined(text: str) -> str:
        return matcher._declined_match(text, text, text.split(), 0.3, None).intent.key
    assert declined("mag ik nog volleybal spelen met mijn heup") == "misverstand-bewegen"
    assert declined("mag ik nog volleybal spelen met mijn nieuwe heup") != "misverstand-bewegen"


def test_a_declined_question_whose_words_name_a_section_reads_it(matcher):
    def declined(text: str, absent: str | None = None) -> str:
        return matcher._declined_match(text, text, text.split(), 0.3, absent).intent.label()
    assert declined("hoe merk je dat je artrose in je knie hebt") == "intro"
    assert declined("heeft het zin om met mijn heup naar de fysiotherapeut te gaan") == "stap-2"
    assert declined("hoe stellen ze de diagnose bij een knie") == "meer-geen-slijtage"
    # not without a joint, not for an entry of "not in the leaflet", not for a request
    assert declined("heeft het zin om naar de fysiotherapeut te gaan") == "none"
    assert declined("vergoedt de verzekering de fysiotherapeut voor mijn knie", "kosten") == "none"
    assert declined("waar is de fysiotherapeut voor mijn knie") == "none"


def _w(text: str) -> list[str]:
    return text.split()


def test_a_cue_replaces_only_the_sections_it_names_and_they_must_exist():
    text = GOOD + "    instead_of: [tips, stap-7]\n"
    lists, problems = validate_word_lists(load_yaml_text(text, "w.yaml"), "w.yaml", ["stap-2", "tips"])
    assert [str(p) for p in problems] == [
        "w.yaml:10: error: declined_cues[1]: section 'stap-7' does not exist"]
    assert lists is not None
    assert lists.replacing_cues == ((frozenset({"diabetes"}), "stap-2", frozenset({"tips", "stap-7"})),)
    plain, _ = validate_word_lists(load_yaml_text(GOOD, "w.yaml"), "w.yaml", ["stap-2"])
    assert plain is not None and plain.replacing_cues == ()  # a cue without instead_of: declines only


def test_a_cue_with_instead_of_replaces_a_section_that_does_not_answer(matcher):
    """Own phrasings (no test set has them): the course of artrose, and another illness with
    artrose, read the section about them rather than the neighbour their other words found."""
    replacing = matcher._replacing_cue
    assert replacing(_w("wordt mijn heupartrose met de jaren slechter"), "misverstand-pijn") == "meer-zorgen"
    assert replacing(_w("ik heb ook astma naast mijn knie wat nu"), "tips") == "stap-2"
    # not over a section that the cue does not name, not without a joint, not when an
    # activity is named (then moving is the question)
    assert replacing(_w("wordt mijn knie erger als ik beweeg"), "misverstand-bewegen") is None
    assert replacing(_w("gaat mijn heup elk jaar verder achteruit"), "misverstand-bewegen") == "meer-zorgen"
    assert replacing(_w("wat voor klachten geeft artrose in de heup"), "stapsgewijze-aanpak") == "intro"
    assert replacing(_w("wat voor klachten geeft artrose in de heup"), "stap-2") is None
    assert replacing(_w("wordt het met de jaren slechter"), "misverstand-pijn") is None
    assert replacing(_w("wordt mijn knie slechter van fietsen"), "misverstand-pijn") is None


@pytest.mark.parametrize("question", [
    "met de fietsclub rijden we zaterdag zestig kilometer gaat dat nog met mijn artrose",
    "kan ik die lange fietstocht nog wel aan met mijn linkerheup",
])
def test_a_club_ride_and_a_left_or_right_joint_count_for_a_movement_question(matcher, question):
    """Own phrasings: "fietsclub", "fietstocht" are activities, "linkerheup" a joint."""
    assert matcher.match(question).intent.key == "misverstand-bewegen"


@pytest.mark.parametrize("question", [
    "ik zwem al jaren drie keer per week moet ik daarmee ophouden",
    "wij gaan elke vrijdag linedancen met de vereniging moet ik daarmee stoppen",
    "ik golf al heel mijn leven moet ik daar nu mee stoppen",
])
def test_stopping_a_named_activity_is_a_movement_question_without_a_joint(matcher, question):
    assert matcher.match(question).intent.key == "misverstand-bewegen"


def test_stopping_needs_an_activity_by_name_and_no_new_joint(matcher):
    assert not matcher._stops_an_activity(_w("moet ik stoppen met bewegen"))
    assert not matcher._stops_an_activity(_w("moet ik stoppen met mijn werk"))
    assert not matcher._stops_an_activity(_w("mag ik blijven fietsen met mijn prothese"))
    assert matcher._stops_an_activity(_w("mag ik blijven fietsen"))


def test_exercising_by_computer_with_a_joint_reads_step_two_when_nothing_else_would(matcher):
    """The leaflet (step 2): treatment can be supported by an online exercise programme.
    Own phrasings; without a joint it is a waiting-room request, not a cue."""
    def declined(text: str) -> str:
        return matcher._declined_match(text, text, _w(text), 0.3, None).intent.label()
    assert declined("zit er op de laptop van mijn zoon iets voor mijn knie") == "stap-2"
    assert declined("kan ik op de computer oefenen voor mijn heup") == "stap-2"
    assert declined("mijn tablet is leeg kan ik die hier ergens opladen") == "none"


def test_round_five_cues_read_the_section_of_a_declined_question(matcher):
    """Own phrasings of the kinds the fifth blind reading missed: slowing it down or it going
    away (the course), how common it is, a sign that the word repair split ("tekenen" ->
    "teken en"), what happens inside the joint."""
    def declined(text: str) -> str:
        return matcher._declined_match(text, text, _w(text), 0.3, None).intent.label()
    assert declined("valt mijn knieartrose nog wat te vertragen") == "meer-zorgen"
    assert declined("verdwijnt zo een versleten heup ooit vanzelf") == "meer-zorgen"
    assert declined("is heupartrose zeldzaam bij vrouwen van mijn leeftijd") == "intro"
    assert declined("welk aantal ouderen heeft last van hun knieen") == "intro"
    assert declined("wat is het eerste teken en van heupartrose") == "intro"
    assert declined("hoe ziet het er binnenin mijn knie uit bij artrose") == "misverstand-slijtage"
    assert declined("is mijn auto zeldzaam") == "none"  # no joint: no cue


@pytest.mark.parametrize("question", [
    "wat vind jij van het weer",
    "wat doe jij in het weekend",
])
def test_small_talk_to_the_kiosk_reads_no_section(matcher, question):
    """Own phrasings: speaking to the kiosk without a joint, activity or complaint (without
    the rule these read gezond-bewegen and beweegtypes)."""
    match = matcher.match(question)
    assert match.intent.kind not in ("topic", "flow"), match.intent


def test_speaking_to_the_kiosk_about_a_joint_is_still_a_question(matcher):
    words = _w("weet jij of fietsen goed is voor mijn knie")
    assert not matcher._talks_to_the_kiosk(words, words)
    said, heard = _w("kun jij zeggen wat artrose is"), _w("kun u zeggen wat artrose is")
    assert not matcher._talks_to_the_kiosk(said, heard)
    assert not matcher._talks_to_the_kiosk(_w("heb jij ook pijn"), _w("heb u ook pijn"))
    assert matcher._talks_to_the_kiosk(_w("hoe oud ben jij"), _w("hoe oud ben u"))
    assert matcher.match("kun jij me vertellen wat artrose is").intent.kind == "topic"


@pytest.mark.parametrize("question,expected", [
    ("kan jij me iets vertellen over afvallen", "afvallen"),
    ("wat weet jij over de operatie", "operatie"),
    ("vertel jij eens over hulpmiddelen", "hulpmiddelen"),
    ("heb jij tips voor mij", "tips"),
    ("wat vind jij van de medicijnen", "medicatie"),
])
def test_a_question_put_to_the_kiosk_that_names_a_section_is_still_answered(matcher, question,
                                                                           expected):
    """Own phrasings: "jij" with a section's own word is a question, not small talk (the
    small-talk rule alone declined these)."""
    assert matcher.match(question).intent.label() == expected


def test_a_remark_to_the_kiosk_with_a_yes_word_is_no_answer(matcher):
    """Own phrasing: "zeker" in a remark to the kiosk is not a yes when no question is open."""
    assert matcher.match("gij hebt het altijd juist").intent.kind != "answer"
    assert matcher.match("jij weet alles zeker").intent.kind != "answer"
    assert matcher.match("ja zeker").intent.kind == "answer"
