"""Errors that staff see as one clear English message (no traceback) from the ``kiosk`` CLI."""


class KioskError(Exception):
    """A problem with input, configuration, a model or a device that a person can fix.

    The message says what is wrong and, where possible, what to do about it.
    """
