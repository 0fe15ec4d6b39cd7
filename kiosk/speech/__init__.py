"""Adapters for speech in and out: the Vosk recogniser and its grammar, voice models, espeak-ng
speech output with its lexicon, microphone and speaker, WAV files."""
