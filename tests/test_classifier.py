"""The matcher's classifier: trained on phrasings, shared per training set, picklable; and its
on-disk store (kiosk/app/classifier_store.py): a second start loads instead of training, a broken
or unwritable cache only logs."""

from __future__ import annotations

import logging
import pickle

import pytest

from kiosk.app import classifier_store
from kiosk.core import classifier
from kiosk.core.classifier import Classifier, TrainingSet

STOPWORDS = frozenset({"de", "het", "een", "ik", "is", "wat", "mijn"})
TINY = TrainingSet(
    texts=("wat is artrose", "artrose uitleg", "ik wil afvallen", "hoe val ik af",
           "mijn gewicht omlaag", "stop", "hou op", "hoe laat is het", "waar is de wc"),
    labels=("intro", "intro", "afvallen", "afvallen", "afvallen", "command:stop",
            "command:stop", "none", "none"),
    stopwords=STOPWORDS,
)


@pytest.fixture(autouse=True)
def empty_memory_cache():
    classifier._CACHE.clear()
    yield
    classifier._CACHE.clear()


def test_ranks_the_label_of_similar_phrasings_first():
    trained = classifier.train(TINY)
    assert trained.ranked("ik wil graag afvallen")[0][0] == "afvallen"
    assert trained.ranked("waar is het toilet de wc")[0][0] == "none"
    assert abs(sum(trained.probabilities("stop maar").values()) - 1.0) < 1e-6


def test_character_ngrams_survive_a_misheard_ending():
    assert classifier.train(TINY).ranked("wat is artrosen")[0][0] == "intro"


def test_same_training_set_is_trained_once():
    assert classifier.train(TINY) is classifier.train(TrainingSet(TINY.texts, TINY.labels, STOPWORDS))


def test_fingerprint_changes_with_text_label_or_stopwords():
    changed_text = TrainingSet((*TINY.texts[:-1], "waar is de uitgang"), TINY.labels, STOPWORDS)
    changed_label = TrainingSet(TINY.texts, (*TINY.labels[:-1], "intro"), STOPWORDS)
    changed_stopwords = TrainingSet(TINY.texts, TINY.labels, STOPWORDS | {"hoe"})
    prints = {t.fingerprint for t in (TINY, changed_text, changed_label, changed_stopwords)}
    assert len(prints) == 4


def test_a_trained_classifier_survives_pickling():
    trained = Classifier(TINY)
    again = pickle.loads(pickle.dumps(trained))
    assert again.probabilities("ik wil afvallen") == pytest.approx(trained.probabilities("ik wil afvallen"))


def test_store_trains_once_then_loads_from_disk(tmp_path, monkeypatch, caplog):
    with caplog.at_level(logging.INFO, logger="kiosk.app.classifier_store"):
        first = classifier_store.cached_train(TINY, tmp_path)
    assert "training one on 9 phrasings" in caplog.text  # staff see why the first start is slow
    [stored] = tmp_path.glob("matcher-*.pickle")
    classifier._CACHE.clear()
    caplog.clear()

    def no_training(_training):
        raise AssertionError("trained again although the model was on disk")

    monkeypatch.setattr(classifier, "train", no_training)
    with caplog.at_level(logging.INFO, logger="kiosk.app.classifier_store"):
        loaded = classifier_store.cached_train(TINY, tmp_path)
    assert "training" not in caplog.text
    assert loaded is not first
    assert loaded.probabilities("hou op") == pytest.approx(first.probabilities("hou op"))
    assert stored.exists() and not list(tmp_path.glob(".tmp-*"))


def test_store_ignores_a_broken_cache_file_and_replaces_it(tmp_path, caplog):
    path = classifier_store.cache_path(TINY, tmp_path)
    path.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        trained = classifier_store.cached_train(TINY, tmp_path)
    assert trained.ranked("hou op")[0][0] == "command:stop"
    assert "unreadable matcher cache" in caplog.text
    classifier._CACHE.clear()
    assert pickle.loads(path.read_bytes()).fingerprint == TINY.fingerprint


def test_store_that_cannot_write_still_gives_a_classifier(tmp_path, caplog):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING):
        trained = classifier_store.cached_train(TINY, blocked)
    assert trained.ranked("hou op")[0][0] == "command:stop"
    assert "could not cache the matcher model" in caplog.text


def test_store_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_CACHE_DIR", str(tmp_path / "a"))
    assert classifier_store.default_directory() == tmp_path / "a"
    monkeypatch.delenv("KIOSK_CACHE_DIR")
    monkeypatch.setenv("CACHE_DIRECTORY", str(tmp_path / "b"))
    assert classifier_store.default_directory() == tmp_path / "b"
    monkeypatch.delenv("CACHE_DIRECTORY")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert classifier_store.default_directory() == tmp_path / "c" / "kiosk"


def test_store_keeps_only_the_model_of_the_current_content(tmp_path):
    earlier = tmp_path / "matcher-0123456789abcdef0123-sklearn0.pickle"
    earlier.write_bytes(b"model of yesterday's content")
    classifier_store.cached_train(TINY, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [classifier_store.cache_path(TINY, tmp_path).name]


def test_store_keeps_both_models_a_matcher_uses(tmp_path, monkeypatch):
    monkeypatch.setattr(classifier_store, "_in_use", set())
    misheard = TrainingSet((*TINY.texts, "wat is art rose"), (*TINY.labels, "intro"), STOPWORDS)
    classifier_store.cached_train(TINY, tmp_path)
    classifier_store.cached_train(misheard, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        classifier_store.cache_path(t, tmp_path).name for t in (TINY, misheard))
    # a later start on other content keeps only its own model
    monkeypatch.setattr(classifier_store, "_in_use", set())
    other = TrainingSet((*TINY.texts, "hoe laat gaat de bus"), (*TINY.labels, "none"), STOPWORDS)
    classifier_store.cached_train(other, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [classifier_store.cache_path(other, tmp_path).name]
