"""The documents in docs/ that other things point at stay true to the code and content."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.core.content import SECTION_IDS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_section_table_names_exactly_the_content_ids() -> None:
    table = re.findall(r"^\| `([a-z0-9-]+)` \|", (DOCS / "sections.md").read_text(), re.M)
    assert table == list(SECTION_IDS)
