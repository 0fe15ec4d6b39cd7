"""What the kiosk says: one sentence (or list item) with where it comes from."""

from __future__ import annotations

from dataclasses import dataclass

#: Origin prefix of sentences taken from the leaflet: ``leaflet:<section-id>``.
LEAFLET = "leaflet"
#: Origin prefix of the kiosk's own sentences (welcome, help, safety advice): ``kiosk:<key>``.
KIOSK = "kiosk"


@dataclass(frozen=True)
class Utterance:
    """One chunk of speech.

    ``origin`` is ``"leaflet:<section-id>"`` for the leaflet's words (the section's source
    references say exactly where) or ``"kiosk:<prompt-key>"`` for the kiosk's own sentences.
    ``pause_after`` is the silence in seconds after this chunk: short inside a paragraph,
    longer at paragraph and list boundaries.
    """

    text: str
    origin: str
    pause_after: float = 0.3

    @property
    def is_kiosk_own(self) -> bool:
        return self.origin.startswith(KIOSK + ":")
