"""The synonym table: visitors' words mapped onto the leaflet's, checked by kiosk check."""

from __future__ import annotations

from kiosk.core.content import check_content
from kiosk.core.synonyms import Synonyms, validate
from kiosk.core.yamlfile import load_yaml_text


def test_words_and_phrases_are_replaced_longest_first():
    table = Synonyms({("kine",): ("fysiotherapeut",), ("doet", "zeer"): ("doet", "pijn"),
                      ("zeer",): ("erg",)})
    assert table.apply(["mijn", "knie", "doet", "zeer", "bij", "de", "kine"]) == \
        ["mijn", "knie", "doet", "pijn", "bij", "de", "fysiotherapeut"]
    assert table.apply(["zeer", "stijf"]) == ["erg", "stijf"]
    assert table.apply(["doet", "het", "zeer"]) == ["doet", "het", "erg"]  # a phrase's first word alone


def test_the_bundled_table_maps_flemish_and_medical_words(content):
    apply = content.synonyms.apply
    assert apply(["kinesitherapie"]) == ["fysiotherapie"]
    assert apply(["symptomen"]) == ["klachten"]
    assert apply(["gonartrose"]) == ["knieartrose"]


def test_a_replacement_the_content_does_not_know_is_an_error():
    data = load_yaml_text("synonyms:\n  kine: fysiotherapeut\n  padel: racketsport\n", "s.yaml")
    table, problems = validate(data, "s.yaml", {"fysiotherapeut"})
    assert [str(p) for p in problems] == [
        "s.yaml:3: error: synonym 'padel': none of 'racketsport' occurs in the leaflet or "
        "the content's phrasings"]
    assert table is not None and table.apply(["kine"]) == ["fysiotherapeut"]


def test_kiosk_check_reports_a_broken_synonym_with_file_and_line(content_copy):
    path = content_copy / "synonyms.nl.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  blabla:\n", encoding="utf-8")
    content, problems = check_content(content_copy)
    assert content is None
    assert any("synonyms.nl.yaml:" in str(p) and "'blabla'" in str(p) for p in problems)


def test_the_matcher_hears_the_leaflet_word(matcher):
    assert matcher.match("wat doet de kinesist bij artrose").normalized == \
        "wat doet de fysiotherapeut bij artrose"
