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


@pytest.fixture(scope="module")
def flags() -> RedFlags:
    content = load_content(CONTENT)
    assert isinstance(content.red_flags, RedFlags)
    return content.red_flags


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
])
def test_red_flags_are_found(flags, heard, group):
    found = flags.detect(heard)
    assert isinstance(found, RedFlag) and found.group == group, flags.why(heard)


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
