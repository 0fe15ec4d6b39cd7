"""The pronunciation lexicon: loading, matching rules, unhandled symbols, and real espeak-ng sound."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.core.yamlfile import ContentError
from kiosk.speech.lexicon import Entry, Lexicon, find_unhandled, load_lexicon

ROOT = Path(__file__).resolve().parent.parent
LEXICON_PATH = ROOT / "content" / "lexicon.nl.yaml"
SOURCE = ROOT / "content" / "source" / "kngf-artrose-folder.txt"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(LEXICON_PATH)


def lex(*pairs: tuple[str, str]) -> Lexicon:
    return Lexicon(Entry(w, s, "test") for w, s in pairs)


# --- loading --------------------------------------------------------------------------------


def test_shipped_lexicon_loads_with_the_required_entries(lexicon: Lexicon) -> None:
    written = {e.written for e in lexicon.entries}
    for needed in [
        "BMI", "kg/m2", "2 kg/m2", "KNGF", "WHO", "TENS", "E-exercise", "900.000", "50%",
        "(nog)", "en/of", "knie- en heupartrose", "röntgenfoto", "Artrosis Deformans",
        "geen/weinig", "heup- en knieartrose", "150",
    ]:
        assert needed in written
    assert all(e.why and e.line > 0 for e in lexicon.entries)


def test_load_from_content_directory() -> None:
    assert len(load_lexicon(LEXICON_PATH.parent)) == len(load_lexicon(LEXICON_PATH))


def test_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.nl.yaml"
    path.write_text(
        "entries:\n"
        "  - written: BMI\n"
        "    spoken: bee-em-ie\n"
        "    why: one syllable\n"
        "  - written: bmi\n"          # line 5: duplicate (case-insensitive)
        "    spoken: x\n"
        "    why: y\n"
        "  - written: WHO\n"
        "    why: no spoken\n"        # line 9: missing spoken (reported at the entry)
        "  - written: KNGF\n"
        "    spoken: ka\n"
        "    why: z\n"
        "    espeak_raw: maybe\n"     # line 13
        "    colour: red\n",          # line 14
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as info:
        load_lexicon(path)
    text = str(info.value)
    assert f"{path}:5:" in text and "already in the lexicon at line 2" in text
    assert f"{path}:8:" in text and "'spoken'" in text
    assert f"{path}:13:" in text and "espeak_raw" in text
    assert f"{path}:14:" in text and "unknown field 'colour'" in text


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.nl.yaml"
    path.write_text("entries:\n  - written: [BMI\n", encoding="utf-8")
    with pytest.raises(ContentError, match=re.escape(str(path))):
        load_lexicon(path)


def test_wrong_shape_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.nl.yaml"
    path.write_text("- BMI\n", encoding="utf-8")
    with pytest.raises(ContentError, match="must be a mapping \\(entries\\), not a list"):
        load_lexicon(path)


# --- matching rules -------------------------------------------------------------------------


def test_whole_words_only() -> None:
    lx = lex(("BMI", "bee-em-ie"), ("150", "honderdvijftig"))
    assert lx.apply("het BMI is hoog") == "het bee-em-ie is hoog"
    assert lx.apply("BMIX en XBMI") == "BMIX en XBMI"
    assert lx.apply("1500 en 150.") == "1500 en honderdvijftig."


def test_abbreviations_match_case_exactly() -> None:
    lx = lex(("WHO", "wee-haa-oo"))
    assert lx.apply("de WHO zegt") == "de wee-haa-oo zegt"
    assert lx.apply("who knows, Who") == "who knows, Who"


def test_lower_case_entries_match_any_case_and_keep_the_capital() -> None:
    lx = lex(("röntgenfoto", "runtgenfoto"))
    assert lx.apply("Röntgenfoto of röntgenfoto") == "Runtgenfoto of runtgenfoto"


def test_longest_entry_wins() -> None:
    lx = lex(("kg/m2", "kilogram per vierkante meter"), ("2 kg/m2", "twee kilogram per vierkante meter"))
    assert lx.apply("met 2 kg/m2 minder") == "met twee kilogram per vierkante meter minder"
    assert lx.apply("in kg/m2") == "in kilogram per vierkante meter"


def test_spaces_in_entries_match_line_breaks() -> None:
    lx = lex(("Artrosis Deformans", "ar-trosis de-formans"))
    assert lx.apply("de naam Artrosis\n  Deformans") == "de naam ar-trosis de-formans"


def test_shipped_lexicon_on_leaflet_sentences(lexicon: Lexicon) -> None:
    said = lexicon.apply(
        "Een vermindering van het BMI met 2 kg/m2 verlaagt de kans op het ontstaan van "
        "artrose aan de knie met 50%."
    )
    assert said == (
        "Een vermindering van het bee-em-ie met twee kilogram per vierkante meter verlaagt "
        "de kans op het ontstaan van artrose aan de knie met vijftig procent."
    )
    assert lexicon.apply("mensen met knie- en/of heupartrose (E-exercise artrose)") == (
        "mensen met knie en-of heupartrose (ie-eksersais artrose)"
    )
    assert lexicon.apply("Maar bij veel mensen is dat (nog) niet nodig") == (
        "Maar bij veel mensen is dat nog niet nodig"
    )


# --- find_unhandled -------------------------------------------------------------------------


def test_find_unhandled_lists_abbreviations_and_symbols() -> None:
    lx = lex(("BMI", "bee-em-ie"))
    found = lx.find_unhandled(
        ["Het BMI en de NOV.", "eten & drinken, 3+ keer", "1/3 deel", "overgewicht1-5 en m2",
         "knie- of heupklachten", "de NOV zegt"]
    )
    assert found == ["NOV", "&", "3+", "1/3", "overgewicht1-5", "m2"]


def test_find_unhandled_ignores_plain_text() -> None:
    assert find_unhandled(["Artrose is geen slijtage. In 2018 waren er 900 mensen."]) == []


def test_leaflet_text_has_nothing_unhandled_but_footnotes(lexicon: Lexicon) -> None:
    text = SOURCE.read_text(encoding="utf-8")
    text = re.sub(r"https?://\S+", " ", text)
    # Footnote numbers glued to words ("overgewicht1-5", "50%6") are left out of the spoken
    # text (content/README.md); everything else must be covered by the lexicon.
    text = re.sub(r"(?<=[^\W\d]|%)(?<!/m)\d+(?:-\d+)?\b", "", text)
    assert lexicon.find_unhandled([text]) == []


def test_leaflet_sections_have_nothing_unhandled(lexicon: Lexicon) -> None:
    content_module = pytest.importorskip(
        "kiosk.core.content", reason="kiosk.core.content (the lead's loader) is not written yet"
    )
    content = content_module.load_content(ROOT / "content")
    texts = [u.text for sid in content.sections for u in content.section_utterances(sid)]
    assert lexicon.find_unhandled(texts) == []


# --- real espeak-ng pronunciation -----------------------------------------------------------

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")


def phonemes(text: str) -> str:
    """espeak-ng's Dutch phonemes for ``text``, one line, spaces normalised."""
    out = subprocess.run(
        ["espeak-ng", "-v", "nl", "-q", "-x", "-b", "1"],
        input=text.encode("utf-8"), capture_output=True, check=True, timeout=30,
    ).stdout.decode("utf-8")
    return " ".join(out.split())


@pytest.mark.slow
@needs_espeak
def test_each_entry_sounds_as_its_spoken_form(lexicon: Lexicon) -> None:
    """The kiosk sends apply(written); it must sound exactly like the intended spoken form."""
    wrong = []
    for entry in lexicon.entries:
        sent = phonemes(lexicon.apply(entry.test_phrase))
        intended = phonemes(entry.intended_phrase)
        if sent != intended:
            wrong.append(
                f"{entry.test_phrase!r}: sent {sent!r} but {entry.intended_phrase!r} is {intended!r}"
            )
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
@needs_espeak
def test_entries_marked_wrong_really_sound_different_without_the_lexicon(lexicon: Lexicon) -> None:
    same = [
        f"{e.test_phrase!r} (line {e.line}) already sounds like {e.intended_phrase!r}: "
        "mark it espeak_raw: ok"
        for e in lexicon.entries
        if e.espeak_raw == "wrong" and phonemes(e.test_phrase) == phonemes(e.intended_phrase)
    ]
    assert not same, "\n".join(same)


@pytest.mark.slow
@needs_espeak
def test_entries_work_inside_a_leaflet_sentence(lexicon: Lexicon) -> None:
    raw = "Een vermindering van het BMI met 2 kg/m2 verlaagt de kans met 50%."
    assert "sl'ES" in phonemes(raw)  # espeak-ng alone says "slash"
    sent = phonemes(lexicon.apply(raw))
    assert "sl'ES" not in sent
    assert sent == phonemes(
        "Een vermindering van het bee-em-ie met twee kilogram per vierkante meter verlaagt "
        "de kans met vijftig procent."
    )
