"""The pure core: content, matching, dialog, triage, answers.

Nothing here opens a microphone, a speaker, a clock or a thread; files are read only while
loading content. Time and audio come in as events, speech goes out as actions.
"""
