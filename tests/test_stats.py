"""Anonymous statistics: per day, saved atomically after each visit, checked at start, and
`kiosk stats` (table, --json, --since, --html)."""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import date
from pathlib import Path

import pytest

from kiosk.app import stats as stats_module
from kiosk.app.stats import Stats, StatsFile, load, totals
from kiosk.cli.main import main
from kiosk.errors import KioskError


def counted(**counts: int) -> Stats:
    stats = Stats()
    for key, n in counts.items():
        name, _, ident = key.partition("__")
        for _ in range(n):
            stats.count(name, ident.replace("_", "-"))
    return stats


def test_counts_are_kept_per_day_and_added_after_each_visit(tmp_path):
    path = tmp_path / "stats.json"
    today = [date(2026, 11, 30)]
    opened = StatsFile.open(path, today=lambda: today[0])
    opened.add(counted(visit=1, topic__afvallen=2))
    assert load(path) == {"2026-11-30": {"visit": 1, "topic:afvallen": 2}}
    today[0] = date(2026, 12, 1)
    opened.add(counted(visit=1, no_match=1))
    # A restart reads what was saved and goes on adding.
    StatsFile.open(path, today=lambda: today[0]).add(counted(visit=1))
    assert load(path) == {"2026-11-30": {"visit": 1, "topic:afvallen": 2},
                          "2026-12-01": {"visit": 2, "no_match": 1}}


def test_the_file_holds_ids_and_counts_only(tmp_path):
    stats = Stats()
    with pytest.raises(ValueError):
        stats.count("topic", "ik heb pijn in mijn knie")  # never free text
    with pytest.raises(ValueError):
        stats.count("heard", "")
    path = tmp_path / "stats.json"
    StatsFile.open(path).add(counted(visit=1, triage_outcome__stap_2=1))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"format", "days"}
    (day, counts), = data["days"].items()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)  # a day, never a time of a visit
    assert counts == {"visit": 1, "triage_outcome:stap-2": 1}


def test_a_save_that_breaks_off_leaves_the_last_complete_file(tmp_path, monkeypatch):
    """A power cut during a save: the rename never happened, so the old file is whole and
    only the visit in progress is lost; no temporary file is left to be taken for it."""
    path = tmp_path / "stats.json"
    opened = StatsFile.open(path, today=lambda: date(2026, 12, 1))
    opened.add(counted(visit=1))
    before = path.read_bytes()

    def power_cut(*args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(stats_module.os, "replace", power_cut)
    opened.add(counted(visit=1, topic__intro=1))  # logged, not raised
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"]


def test_a_corrupt_file_is_moved_aside_at_start_with_one_log_line(tmp_path, caplog):
    path = tmp_path / "stats.json"
    path.write_text('{"format": "kiosk-stats/2", "days": {"2026-12-01": {"visit": ', "utf-8")
    caplog.set_level(logging.INFO, logger="kiosk.app.stats")
    opened = StatsFile.open(path)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("stats.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_text("utf-8").startswith('{"format"')
    assert len(caplog.records) == 1 and "moved it to" in caplog.text
    assert load(path) == {} and opened.days == {}


@pytest.mark.parametrize("text", ['{"counts": {"visit": "many"}}', '[1, 2]',
                                  '{"format": "kiosk-stats/2", "days": {"monday": {}}}',
                                  '{"format": "kiosk-stats/2", "days": {"2026-12-01": '
                                  '{"said:hallo": 1}}}'])
def test_files_the_kiosk_did_not_write_count_as_corrupt(tmp_path, text):
    path = tmp_path / "stats.json"
    path.write_text(text, encoding="utf-8")
    StatsFile.open(path)
    assert any(p.name.startswith("stats.json.corrupt-") for p in tmp_path.iterdir())


def test_the_first_format_without_days_is_read(tmp_path):
    path = tmp_path / "stats.json"
    path.write_text('{"counts": {"visit": 3, "topic:intro": 1}}', encoding="utf-8")
    assert totals(StatsFile.open(path).days) == {"visit": 3, "topic:intro": 1}


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere, so an unwritable "
                    "file cannot be made; the read-only file system case below still runs")
def test_an_unwritable_file_is_an_error_at_start(tmp_path):
    path = tmp_path / "stats.json"
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(KioskError, match="cannot write the statistics file"):
            StatsFile.open(path)
    finally:
        tmp_path.chmod(0o700)


def test_a_statistics_file_in_a_place_that_cannot_be_written_is_an_error_at_start(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(KioskError, match="cannot read the statistics file"):
        StatsFile.open(blocker / "stats.json")
    with pytest.raises(KioskError, match="cannot write the statistics file"):
        StatsFile.open(Path("/proc/kiosk-stats.json"))  # read-only for root too


# --------------------------------------------------------------------------- kiosk stats


@pytest.fixture
def stats_file(tmp_path: Path) -> Path:
    path = tmp_path / "stats.json"
    days = {
        "2026-11-23": {"visit": 2, "topic:intro": 2, "no_match": 1},         # week 48
        "2026-11-27": {"visit": 1, "topic:afvallen": 1, "guess:afvallen": 1},  # week 48
        "2026-12-01": {"visit": 3, "topic:intro": 1, "no_match": 2,            # week 49
                       "triage_start:stap": 1, "triage_outcome:stap-2": 1,
                       "red_flag:val": 1, "complaint": 2, "not_in_leaflet:supplementen": 1},
    }
    path.write_text(json.dumps({"format": "kiosk-stats/2", "days": days}), encoding="utf-8")
    return path


def test_kiosk_stats_prints_a_table_per_week(stats_file, capsys):
    assert main(["stats", "--file", str(stats_file)]) == 0
    out = capsys.readouterr().out
    assert "visits 6, topics read 4, not understood 3, guesses asked 1" in out
    assert "sent to the huisarts (red flag) 1, complaints 2, not in the leaflet 1" in out
    assert re.search(r"^2026-W48\s+3\s+3\s+1\s+1\s+0\s+0$", out, flags=re.M)
    assert re.search(r"^2026-W49\s+3\s+1\s+2\s+0\s+1\s+1$", out, flags=re.M)
    assert re.search(r"^  intro\s+3$", out, flags=re.M)
    assert re.search(r"^  stap-2\s+1$", out, flags=re.M)
    assert re.search(r"^  val\s+1$", out, flags=re.M)
    assert re.search(r"^  supplementen\s+1$", out, flags=re.M)


def test_kiosk_stats_json_and_since(stats_file, capsys):
    assert main(["stats", "--file", str(stats_file), "--json", "--since", "2026-11-27"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["days"], data["visits"], data["misses"]) == (2, 4, 2)
    assert data["topics"] == {"afvallen": 1, "intro": 1}
    assert data["triage_outcomes"] == {"stap-2": 1}
    assert (data["red_flags"], data["complaints"], data["not_in_leaflet"]) == (1, 2, 1)
    assert data["red_flag_groups"] == {"val": 1}
    assert [w["week"] for w in data["weeks"]] == ["2026-W48", "2026-W49"]


def test_kiosk_stats_reads_the_file_the_config_names(stats_file, tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"stats_file: {stats_file}\n", encoding="utf-8")
    assert main(["stats", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["visits"] == 6


def test_kiosk_stats_html_is_one_page_with_an_svg_chart_and_no_scripts(stats_file, tmp_path):
    page = tmp_path / "stats.html"
    assert main(["stats", "--file", str(stats_file), "--html", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1 and "<script" not in text.lower()
    assert not re.search(r"(src|href)=|url\(|@import|http", text)  # nothing to load
    # Two bars per week (topics, misses), each titled with its count.
    assert "2026-W48: 3 topics" in text and "2026-W49: 2 misses" in text
    assert text.count("<rect") == 4
    assert "<b>1</b> visitors sent to the huisarts because of a red flag" in text
