"""Red flags (kiosk.core.safety): the real content file, detection on recogniser-like text,
the advice said, and the file checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core.content import load_content
from kiosk.core.safety import ORIGIN, RedFlag, RedFlags, check_red_flags

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
RED_FLAGS = CONTENT / "red_flags.nl.yaml"


def _assert_found(flags: RedFlags, heard: str, group: str) -> None:
    """``heard`` fires the red-flag group ``group``."""
    found = flags.detect(heard)
    assert isinstance(found, RedFlag) and found.group == group, flags.why(heard)


def test_file_is_clean_and_its_examples_hold():
    flags, problems = check_red_flags(RED_FLAGS)
    assert problems == [] and flags is not None
    assert {g.id for g in flags.groups} == {"heet-gewricht", "koorts", "val", "na-operatie", "niet-staan"}


@pytest.mark.parametrize("heard, group", [
    # the findings of issue 11, as a recogniser writes them
    ("mijn knie is ineens dik rood en warm", "heet-gewricht"),
    ("ik ben gevallen en kan niet meer op mijn been staan", "val"),
    ("mijn kuit is dik na de operatie", "na-operatie"),
    ("mijn knie is dik en warm", "heet-gewricht"),
    ("mijn nieuwe knie is rood en warm na de operatie", "na-operatie"),
    # negated answer forms
    ("nee ik kan niet meer staan", "niet-staan"),
    ("nee hoor ik kan echt niet meer lopen", "niet-staan"),
    # typed, with punctuation and digits
    ("Ik heb 38,5 graden!", "koorts"),
    ("Mijn knie is niet warm, maar wel rood.", "heet-gewricht"),
    # unsure is not "no": only a clear negation takes a word away
    ("ik weet niet of hij warm is", "heet-gewricht"),
    # "niet meer ... staan" with several words between them
    ("hij kan sinds vannacht niet meer op zijn been staan", "niet-staan"),
    # warmth or redness that passes does not count alone, red and warm together do
    ("mijn knie is rood en warm maar dat trekt weer weg", "heet-gewricht"),
    # a child's fever counts together with a painful joint
    ("mijn kleinzoon heeft koorts en ik heb pijn in mijn knie", "koorts"),
    # sudden in other words, and 'zonder dat' is no limit like 'zonder stok'
    ("mijn heup is van de ene dag op de andere ontstoken", "heet-gewricht"),
    ("ineens kan ik niet meer op mijn been staan zonder dat ik gevallen ben", "niet-staan"),
    ("ik moest naar de badkamer kruipen", "niet-staan"),
    ("mijn benen dragen me sinds vannacht niet meer", "niet-staan"),
    ("ik geraak sinds gisteravond niet meer recht uit de zetel", "niet-staan"),  # Flemish
    ("mijn man ligt te rillen en zijn knie doet zeer", "koorts"),
    # a word that cancels a rule anywhere does not cancel a recent or sudden sign
    ("ik ben vroeger ook al eens gevallen maar vandaag viel ik op mijn heup", "val"),
    ("vorige week was hij warm maar dat ging weer over en nu is mijn knie ineens gloeiend heet",
     "heet-gewricht"),
    ("mijn kleinzoon was ziek en nu heb ik zelf ook koorts", "koorts"),
    ("ik ben gisteren gevallen", "val"),
    # 37.9 said without "komma"; festering wound (Flemish "wonde")
    ("zevenendertig negen en ik voel me beroerd", "koorts"),
    ("de wonde van mijn nieuwe heup is aan het etteren", "na-operatie"),
    # other words for a sign (from the first reading of red-flags-fresh3)
    ("vanochtend stond mijn knie bol en hij was knalrood", "heet-gewricht"),
    ("ik zweet en tegelijk heb ik het ijskoud en mijn heup doet zeer", "koorts"),
    ("mijn benen deden het opeens niet meer en ik moest gaan zitten", "niet-staan"),
    ("mijn knie is ineens felrood na de sauna", "heet-gewricht"),  # sudden: no excuse
])
def test_red_flags_are_found(flags, heard, group):
    _assert_found(flags, heard, group)


@pytest.mark.parametrize("heard", [
    "mijn knie is 's ochtends stijf",
    "pijn bij traplopen",
    "mijn knie is een beetje dik na het fietsen",
    "ik heb geen koorts",
    "koorts nee hoor",  # an answer that echoes the question
    "ik ben te dik en mijn knie doet erg pijn",
    "ik kan niet meer zo goed lopen",
    "ik kan niet lopen zonder stok",
    "moet ik mijn knie warm houden",
    "ik probeer af te vallen maar mijn gewicht gaat niet omlaag",
    "het viel me op dat de pijn minder is",
    "ik ben als kind van het klimrek gevallen op mijn knie",  # long ago
    "na het fietsen is mijn knie warm maar dat zakt weer af",
    "mijn kleindochter heeft koorts",
    "lang in de wachtrij staan lukt niet meer",
    "in de zomer als het warm is buiten heb ik minder last",  # 'buiten' is no slip for 'kuiten'
    "warm is hij niet en rood ook niet alleen wat stijf",  # negation after the word
    "ik kom met mijn rollator niet verder dan de supermarkt",
    "ik ben vorige week bijna gevallen over de mat",
    # ordinary words a letter or two from a red-flag word (red_flag_ordinary_words.nl.txt)
    "ik ben vijf kilo afgevallen en mijn knie doet minder pijn",
    "het is me opgevallen dat mijn knie 's ochtends stijver is",
    "helpt warmte bij pijn in mijn knie",
    "ik slik pillen voor mijn heup",
    "ik heb vandaag een injectie in mijn knie gekregen",
    # harmless causes and neighbours (from the first reading of red-flags-fresh3)
    "mijn knie wordt wat rood als er een coldpack op ligt",
    "van het schrobben op de vloer heb ik altijd rode knieen",
    "na de sauna voelt mijn heup heet aan",
    "als ik fiets zweet ik flink en dan doet mijn knie pijn",  # sweating alone is no fever
    "ik heb het koud hier en mijn knie doet pijn",  # feeling cold alone neither
    "mijn knie wil niet meer zo goed",  # a limit, not legs that stop working
    "ik heb een korte vraag over de operatie",
    "",
])
def test_ordinary_complaints_are_not_red_flags(flags, heard):
    assert flags.detect(heard) is None, flags.why(heard)


def test_advice_is_own_complete_and_names_the_huisarts(flags):
    for group in flags.groups:
        texts = [u.text for u in group.advice]
        assert all(u.origin.startswith(ORIGIN + "/") and u.is_kiosk_own for u in group.advice)
        assert any("huisarts" in t for t in texts), group.id
        assert any("huisartsenpost" in t for t in texts), group.id
        assert any("fysiotherapeut" in t for t in texts), group.id  # every way out points there
        # it closes with its own line, never with the general disclaimer
        disclaimer = load_content().prompts.say("disclaimer")
        assert not {u.text for u in disclaimer} & set(texts)
        assert group.advice[-1].origin == f"{ORIGIN}/afsluiting"


def test_a_slip_in_a_long_word_is_caught_but_not_an_ordinary_word(flags):
    assert flags.detect("mijn knie is gezwolle sinds vannacht") is not None
    assert flags.detect("ik ben geopereert en de wond lekt") is not None
    # words a recogniser glued together are read apart
    assert flags.detect("ik bengestruikeld en kanniet meer staan") is not None
    assert flags.detect("ik kan het niet uitstaan") is None  # "uit" is not a glued short word
    # "gewicht" is a word of its own (in the leaflet), never a slip for "gewricht"
    assert flags.detect("mijn gewicht is erg dik geworden") is None


# --------------------------------------------------------------------------- file checks
GOOD = """\
origin: kiosk
advice:
  huisarts: {text: Bel uw huisarts., reviewed: false}
words:
  warm: [warm, heet*]
  knie: [knie]
groups:
  heet:
    name: hot knee
    rules:
      - {all: [warm, knie], within: 4}
    say: [huisarts]
    examples: [mijn knie is warm]
    not_examples: [mijn knie is stijf]
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "red_flags.nl.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in check_red_flags(path)[1]]


def test_minimal_file(tmp_path):
    assert problems(tmp_path, GOOD) == []


@pytest.mark.parametrize("change, message, line", [
    ("[warm, knie]", "unknown word group 'been'", 11),
    ("say: [huisarts]", "unknown advice 'arts'", 12),
    ("mijn knie is warm]", "'mijn knee is warm' is not caught", 13),
    ("mijn knie is stijf]", "taken as red flag 'heet'", 14),
    ("origin: kiosk", "'origin: kiosk'", 1),
    ("within: 4", "'within' must be a whole number", 11),
    ("unless_said", "'unless_said' must list word groups", 11),
])
def test_file_errors_name_file_and_line(tmp_path, change, message, line):
    bad = {
        "[warm, knie]": GOOD.replace("[warm, knie]", "[warm, been]"),
        "say: [huisarts]": GOOD.replace("say: [huisarts]", "say: [arts]"),
        "mijn knie is warm]": GOOD.replace("examples: [mijn knie is warm]", "examples: [mijn knee is warm]"),
        "mijn knie is stijf]": GOOD.replace("[mijn knie is stijf]", "[mijn knie is heet]"),
        "origin: kiosk": GOOD.replace("origin: kiosk", "origin: leaflet"),
        "within: 4": GOOD.replace("within: 4", "within: 1"),
        "unless_said": GOOD.replace("within: 4}", "within: 4, unless_said: knie}"),
    }[change]
    found = problems(tmp_path, bad)
    assert any(message in p and f"red_flags.nl.yaml:{line}:" in p for p in found), found


# --------------------------------------------------------------------------- measured set
def test_clean_figures_on_the_development_half():
    """The targets of issue 11 on the development half: every red flag caught, at most 2% of
    ordinary complaints sent to the huisarts. (The held-out half is not read by any test.)"""
    from kiosk.bench.red_flags import evaluate, load_labelled

    content = load_content(CONTENT)
    rows = load_labelled(ROOT / "tests" / "data" / "red-flags-dev.nl.tsv")
    assert sum(r.is_red_flag for r in rows) >= 30 and sum(not r.is_red_flag for r in rows) >= 30
    result = evaluate(content.red_flags, rows)
    assert result["missed"] == [] and result["recall_pct"] == 100.0
    assert result["false_alarm_pct"] <= 2.0, result["false_alarm_rows"]


def test_bench_command_reports_clean_and_with_errors(capsys):
    import json

    from kiosk.cli import main

    code = main(["bench", "--red-flags", str(ROOT / "tests" / "data" / "red-flags-dev.nl.tsv"),
                 "--wer", "0.2", "--json", "--content", str(CONTENT)])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    clean, noisy = result["runs"]
    assert clean["wer"] == 0 and clean["recall_pct"] == 100.0
    assert noisy["wer"] == 0.2 and noisy["repeats"] == 5 and noisy["red_flags"] == 5 * clean["red_flags"]
    assert 0 < noisy["recall_pct"] <= 100


def test_dev_and_held_out_halves_do_not_overlap_with_the_content_examples():
    from kiosk.bench.red_flags import load_labelled
    from kiosk.core.normalize import normalize

    flags, _ = check_red_flags(RED_FLAGS)
    assert flags is not None
    examples = {normalize(e) for g in flags.groups for e in (*g.examples, *g.not_examples)}
    for half in ("dev", "heldout"):
        rows = load_labelled(ROOT / "tests" / "data" / f"red-flags-{half}.nl.tsv")
        shared = [r.text for r in rows if normalize(r.text) in examples]
        # the two sentences the issue itself quotes are in both on purpose
        assert set(shared) <= {"mijn knie is s ochtends stijf", "pijn bij traplopen"}, shared


def test_a_red_flag_label_file_that_is_missing_or_not_utf8_is_named(tmp_path: Path) -> None:
    from kiosk.bench.red_flags import load_labelled
    from kiosk.errors import KioskError

    with pytest.raises(KioskError, match="no such file"):
        load_labelled(tmp_path / "missing.tsv")
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("mijn knie is ge\xefrriteerd\tordinary\n".encode("latin-1"))
    with pytest.raises(KioskError, match=r"latin\.tsv: not UTF-8 text"):
        load_labelled(latin)


# --------------------------------------------------------------------------- rules of #11
# Each rule that cancels an alarm, with the cancelled side and the side that must still alarm
# (a recent or sudden sign, pain after a fall, swelling with redness or warmth).
@pytest.mark.parametrize("heard", [
    # a stumble without a fall (niet-gevallen)
    "ik ben gisteren gestruikeld maar kon me nog net aan de trapleuning vastgrijpen",
    "mijn moeder is over de stoep gestruikeld maar ze is niet gevallen",
    # a fall after which the person walks again, not today or yesterday, no pain (loopt-weer)
    "mijn kleinzoon viel van zijn fiets op zijn knie maar hij fietst alweer",
    "ik ben vorige maand op mijn knie gevallen maar ik kon gewoon weer opstaan",
    "ik ben vorig jaar gevallen en sindsdien is mijn knie anders",  # long ago
    # redness or warmth with a harmless cause (oorzaak-rood, oorzaak-warm)
    "mijn knie is rood van het knielen in de tuin",
    "mijn knie is rood van de zon",
    "mijn heup is warm van de kruik",
    # a fever that is over, elsewhere with the joints fine, or a question about artrose
    "ik had griep met koorts maar dat is weer over",
    "de hele familie heeft griep met koorts maar mijn gewrichten zijn in orde",
    "krijgen mensen met artrose vaak koorts",
])
def test_a_named_harmless_explanation_cancels_the_alarm(flags, heard):
    assert flags.detect(heard) is None, flags.why(heard)


@pytest.mark.parametrize("heard, group", [
    # a stumble that ends in a fall, or where catching oneself failed
    ("ik ben gisteren gestruikeld en op mijn heup gevallen", "val"),
    ("ik ben gestruikeld en kon me niet vastgrijpen nu doet mijn heup pijn", "val"),
    ("ik struikelde vanochtend over de mat", "val"),
    # walking again does not cancel a fall of today or yesterday, pain, or not standing up
    ("mijn man is vorige week gevallen hij loopt weer maar zijn heup doet erg pijn", "val"),
    ("ik ben gisteren gevallen maar ik loop alweer", "val"),
    ("ik ben gevallen en kon niet meer opstaan nu loop ik weer", "val"),
    ("ik ben op mijn knie gevallen en ik kan nog niet weer opstaan", "val"),
    # swelling, or a leg that stands or feels wrong, after a fall: also when walking again
    ("ik ben vorige week gevallen ik loop weer maar mijn knie is dik geworden", "val"),
    ("ik ben gevallen en stond weer op maar mijn been staat scheef", "val"),
    # a harmless cause does not cancel sudden redness or warmth, or swelling with it
    ("mijn knie is rood en dik van het knielen", "heet-gewricht"),
    ("mijn knie is ineens rood ik heb in de zon gezeten", "heet-gewricht"),
    ("mijn knie is heet en dik komt dat van de kruik", "heet-gewricht"),
    ("mijn knie is gloeiend heet sinds ik geknield heb", "heet-gewricht"),  # kneeling: no cause of heat
    # fever: joint signs, the visitor's own fever, a recent one
    ("ik heb de griep met koorts en mijn knie doet pijn", "koorts"),
    ("ik had vorige week koorts dat is over maar mijn knie is nu dik", "koorts"),
    ("ik heb griep met koorts en mijn knie is niet in orde", "koorts"),
    ("ik heb koorts en mijn heup is zoals altijd pijnlijk", "koorts"),
    ("krijg je van artrose koorts want ik heb koorts", "koorts"),
    ("ik heb vannacht koorts gehad", "koorts"),
])
def test_the_explanations_never_hide_a_recent_sudden_or_painful_sign(flags, heard, group):
    _assert_found(flags, heard, group)


def test_a_group_that_only_cancels_never_matches_by_a_guessed_slip(flags):
    # "buigen" is one letter from "buiten" (a source of warmth): a guess must not cancel
    assert flags.detect("ik kan hem niet buigen en hij is gloeiend heet") is not None
    assert "loopt-weer" in flags.negation.negatable  # group names with a hyphen stay whole


@pytest.mark.parametrize("heard, group", [
    # sound-alikes a recogniser writes for a red-flag word (none is an ordinary word here)
    ("mijn hup is ineens gloeiend heet", "heet-gewricht"),
    ("mijn kniep is ineens dik en rood", "heet-gewricht"),
    ("sinds de opera tie is mijn kuit dik", "na-operatie"),
    ("ik kan niets meer op mijn been staan", "niet-staan"),
    ("ik kan nie meer staan", "niet-staan"),  # also the Flemish "nie"
    # two red-flag words glued together
    ("mijn knieineens dik en rood", "heet-gewricht"),
    ("na de operatie is mijn kuithard", "na-operatie"),
    # a compound with operatie
    ("na mijn heupoperatie doet mijn heup ineens erg pijn", "na-operatie"),
    # a common word glued to a red-flag word, also to a longer form of a * word
    ("mijn knie is rood en dik en ik ben beetjekoortsig", "heet-gewricht"),
    ("mijn knie voelt heet aan en is helemaalopgezwollen", "heet-gewricht"),
    ("ik ben gevallenmet de fiets en kan niet meer lopen", "val"),
])
def test_sound_alikes_and_glued_words_are_caught(flags, heard, group):
    _assert_found(flags, heard, group)


@pytest.mark.parametrize("heard", [
    "hup hup en dan weer verder met de oefeningen",  # "hup" alone is no sign
    "ik kan niets meer vinden over artrose in dit boekje",
    "ik heb een kniebrace en een warmwaterkruik",  # ordinary compounds are not split
    "het voorbeen van de stoel is gebroken",  # "voorbeen" is no "voor been"
])
def test_sound_alikes_alone_are_no_red_flag(flags, heard):
    assert flags.detect(heard) is None, flags.why(heard)


def test_ordinary_words_file_is_up_to_date():
    """content/red_flag_ordinary_words.nl.txt is what script/red-flag-ordinary-words writes from
    the Dutch word list (package wdutch, installed by script/setup)."""
    from kiosk.bench.red_flags import DUTCH_WORDS, ordinary_words_text

    if not DUTCH_WORDS.exists():
        pytest.skip(f"{DUTCH_WORDS} is missing: install the package wdutch (script/setup does)")
    written = (CONTENT / "red_flag_ordinary_words.nl.txt").read_text(encoding="utf-8")
    assert written == ordinary_words_text(CONTENT), "run script/red-flag-ordinary-words"

