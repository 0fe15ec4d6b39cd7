"""What the statistics say, for staff: totals, top topics and a row per week, as a text table,
JSON, or a self-contained HTML page with an inline SVG chart (no scripts, nothing loaded from
the network) for the practice manager."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kiosk.app.stats import Days


@dataclass
class Week:
    """Counts of one ISO week (Monday to Sunday)."""

    week: str  # "2026-W49"
    visits: int = 0
    topics: int = 0
    misses: int = 0
    guesses: int = 0
    triage_outcomes: int = 0
    red_flags: int = 0  # visitors sent to the huisarts by a red flag


#: Which statistic adds to which column of the weekly rows.
_WEEK_COLUMNS = {"visit": "visits", "topic": "topics", "no_match": "misses", "guess": "guesses",
                 "triage_outcome": "triage_outcomes", "red_flag": "red_flags"}


@dataclass
class Summary:
    first_day: str | None
    last_day: str | None
    days: int
    totals: Counter[str] = field(default_factory=Counter)
    weeks: list[Week] = field(default_factory=list)

    def by(self, name: str) -> Counter[str]:
        """Counts of one statistic by its id, e.g. ``by("topic")`` → {"intro": 12, ...}."""
        prefix = f"{name}:"
        return Counter({k[len(prefix):]: v for k, v in self.totals.items()
                        if k.startswith(prefix)})

    def total(self, name: str) -> int:
        return sum(v for k, v in self.totals.items() if k == name or k.startswith(f"{name}:"))

    def to_json(self) -> dict[str, Any]:
        return {
            "first_day": self.first_day, "last_day": self.last_day, "days": self.days,
            "visits": self.total("visit"), "topics_read": self.total("topic"),
            "misses": self.total("no_match"), "guesses": self.total("guess"),
            "triage_starts": self.total("triage_start"),
            "red_flags": self.total("red_flag"), "complaints": self.total("complaint"),
            "not_in_leaflet": self.total("not_in_leaflet"),
            "topics": dict(self.by("topic").most_common()),
            "guessed_topics": dict(self.by("guess").most_common()),
            "triage_started": dict(self.by("triage_start").most_common()),
            "triage_outcomes": dict(self.by("triage_outcome").most_common()),
            "red_flag_groups": dict(self.by("red_flag").most_common()),
            "not_in_leaflet_topics": dict(self.by("not_in_leaflet").most_common()),
            "weeks": [vars(w) for w in self.weeks],
        }


def _week_of(day: str) -> str:
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def summarize(days: Days, since: date | None = None) -> Summary:
    chosen = sorted(d for d in days if since is None or date.fromisoformat(d) >= since)
    summary = Summary(chosen[0] if chosen else None, chosen[-1] if chosen else None, len(chosen))
    weeks: dict[str, Week] = {}
    for day in chosen:
        counts = days[day]
        summary.totals.update(counts)
        week = weeks.setdefault(_week_of(day), Week(_week_of(day)))
        for key, value in counts.items():
            column = _WEEK_COLUMNS.get(key.split(":", 1)[0])
            if column:
                setattr(week, column, getattr(week, column) + value)
    summary.weeks = [weeks[w] for w in sorted(weeks)]
    return summary


def text_table(summary: Summary, source: str, top: int = 10) -> str:
    if not summary.days:
        return f"{source}: no visits counted yet\n"
    lines = [f"{source}: {summary.first_day} to {summary.last_day} ({summary.days} days with "
             f"counts)", "",
             f"visits {summary.total('visit')}, topics read {summary.total('topic')}, "
             f"not understood {summary.total('no_match')}, guesses asked "
             f"{summary.total('guess')}, tests started {summary.total('triage_start')}",
             f"sent to the huisarts (red flag) {summary.total('red_flag')}, complaints "
             f"{summary.total('complaint')}, not in the leaflet {summary.total('not_in_leaflet')}",
             ""]
    lines.append(f"{'week':<10} {'visits':>7} {'topics':>7} {'misses':>7} {'guesses':>8} "
                 f"{'tests':>6} {'red flags':>10}")
    for w in summary.weeks:
        lines.append(f"{w.week:<10} {w.visits:>7} {w.topics:>7} {w.misses:>7} {w.guesses:>8} "
                     f"{w.triage_outcomes:>6} {w.red_flags:>10}")
    for title, name in (("top topics", "topic"), ("triage outcomes", "triage_outcome"),
                        ("red flags (sent to the huisarts)", "red_flag"),
                        ("asked, not in the leaflet", "not_in_leaflet")):
        counted = summary.by(name).most_common(top)
        lines += ["", f"{title}:"]
        lines += [f"  {key:<28} {value:>6}" for key, value in counted] or ["  (none)"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML

_COLOURS = {"topics": "#1b6ca8", "misses": "#c0392b"}


def _nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``raw``."""
    scale = 1
    while True:
        for factor in (1, 2, 5):
            if factor * scale >= raw:
                return factor * scale
        scale *= 10


def _chart(weeks: list[Week]) -> str:
    """Bars per week: topics read (blue) and not understood (red), with numbers on them."""
    width, height, left, bottom, top = 720, 300, 48, 40, 20
    plot_h = height - bottom - top
    step = _nice_step(max([1] + [max(w.topics, w.misses) for w in weeks]) / 4)
    biggest = step * 4  # the axis ends on a round number
    slot = (width - left - 10) / max(1, len(weeks))
    bar = min(28.0, slot / 2.6)
    parts = [f'<svg viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="Topics read and questions not understood '
             f'per week">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
             f'stroke="#444"/>']
    for step in range(0, 5):
        value = biggest * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y + 5:.1f}" font-size="13" '
                     f'text-anchor="end" fill="#444">{value:.0f}</text>')
    for i, w in enumerate(weeks):
        x0 = left + i * slot + (slot - 2 * bar) / 2
        for j, (label, value) in enumerate((("topics", w.topics), ("misses", w.misses))):
            h = plot_h * value / biggest
            x, y = x0 + j * bar, top + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                         f'fill="{_COLOURS[label]}"><title>{w.week}: {value} {label}</title>'
                         f'</rect>')
            if value:
                parts.append(f'<text x="{x + bar / 2 - 1:.1f}" y="{y - 4:.1f}" font-size="12" '
                             f'text-anchor="middle" fill="#222">{value}</text>')
        parts.append(f'<text x="{x0 + bar:.1f}" y="{top + plot_h + 20}" font-size="13" '
                     f'text-anchor="middle" fill="#222">{html.escape(w.week[5:])}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def html_page(summary: Summary, source: str, top: int = 10) -> str:
    """One self-contained page: inline CSS and SVG, no scripts, no links to load."""
    esc = html.escape

    def table(title: str, rows: list[tuple[str, int]]) -> str:
        body = "".join(f"<tr><td>{esc(k)}</td><td class=n>{v}</td></tr>" for k, v in rows)
        return (f"<h2>{esc(title)}</h2><table><tr><th>id</th><th class=n>count</th></tr>"
                f"{body or '<tr><td colspan=2>(none)</td></tr>'}</table>")

    week_rows = "".join(
        f"<tr><td>{esc(w.week)}</td><td class=n>{w.visits}</td><td class=n>{w.topics}</td>"
        f"<td class=n>{w.misses}</td><td class=n>{w.guesses}</td>"
        f"<td class=n>{w.triage_outcomes}</td><td class=n>{w.red_flags}</td></tr>"
        for w in summary.weeks)
    period = (f"{summary.first_day} to {summary.last_day}" if summary.days
              else "no visits counted yet")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kiosk statistics {esc(period)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 50em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1em; }}
td, th {{ border-bottom: 1px solid #ccc; padding: .25em .8em; text-align: left; }}
.n {{ text-align: right; }}
.key span {{ display: inline-block; width: 1em; height: 1em; vertical-align: middle; }}
</style></head><body>
<h1>Kiosk statistics</h1>
<p>{esc(period)} &middot; {summary.days} days with counts &middot; from {esc(source)}.<br>
Anonymous counts only: which topics were read, how often a question was not understood.
Nothing a visitor said is stored.</p>
<p><b>{summary.total('visit')}</b> visits, <b>{summary.total('topic')}</b> topics read,
<b>{summary.total('no_match')}</b> questions not understood, <b>{summary.total('guess')}</b>
times the kiosk asked &ldquo;bedoelt u &hellip;?&rdquo;,
<b>{summary.total('triage_start')}</b> yes/no tests started,
<b>{summary.total('red_flag')}</b> visitors sent to the huisarts because of a red flag,
<b>{summary.total('complaint')}</b> complaints without a question,
<b>{summary.total('not_in_leaflet')}</b> questions the leaflet does not answer.</p>
<h2>Per week</h2>
<p class=key><span style="background:{_COLOURS['topics']}"></span> topics read &nbsp;
<span style="background:{_COLOURS['misses']}"></span> not understood</p>
{_chart(summary.weeks)}
<table><tr><th>week</th><th class=n>visits</th><th class=n>topics</th><th class=n>not
understood</th><th class=n>guesses</th><th class=n>test outcomes</th><th class=n>red
flags</th></tr>{week_rows}</table>
{table("Top topics", summary.by("topic").most_common(top))}
{table("Outcomes of the yes/no test", summary.by("triage_outcome").most_common())}
{table("Red flags: sent to the huisarts, by group", summary.by("red_flag").most_common())}
{table("Asked, but not in the leaflet, by topic", summary.by("not_in_leaflet").most_common(top))}
</body></html>
"""
