"""Speaking rate and volume chosen by the visitor ("langzamer", "harder"), in steps with limits.

Pure data: the dialog keeps one of these per visitor and resets it when the visitor leaves;
the speech output applies it to every chunk it synthesises.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Words per minute: older listeners are most comfortable around 150-200 wpm.
DEFAULT_RATE_WPM = 165
RATE_STEP_WPM = 20
MIN_RATE_WPM = 105
MAX_RATE_WPM = 225

#: Linear gain 0..1 applied to the synthesised samples.
DEFAULT_VOLUME = 0.8
VOLUME_STEP = 0.15
MIN_VOLUME = 0.35
MAX_VOLUME = 1.0

#: The commands that change settings, mapped to (field, direction).
ADJUSTMENTS = {
    "langzamer": ("rate_wpm", -1),
    "sneller": ("rate_wpm", +1),
    "zachter": ("volume", -1),
    "harder": ("volume", +1),
}


@dataclass(frozen=True)
class VoiceSettings:
    rate_wpm: int = DEFAULT_RATE_WPM
    volume: float = DEFAULT_VOLUME

    def adjusted(self, command: str) -> VoiceSettings:
        """The settings after one "langzamer"/"sneller"/"zachter"/"harder" (clamped)."""
        field, direction = ADJUSTMENTS[command]
        if field == "rate_wpm":
            rate = self.rate_wpm + direction * RATE_STEP_WPM
            return replace(self, rate_wpm=max(MIN_RATE_WPM, min(MAX_RATE_WPM, rate)))
        volume = round(self.volume + direction * VOLUME_STEP, 2)
        return replace(self, volume=max(MIN_VOLUME, min(MAX_VOLUME, volume)))

    def at_limit(self, command: str) -> bool:
        """True when ``command`` can change nothing any more."""
        return self.adjusted(command) == self
