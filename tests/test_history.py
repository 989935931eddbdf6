"""The track history on SQLite: real tracks from the real pipeline stored, searched with
OCR errors forgiven, kept across a restart; the live server stores what its streams read."""

from __future__ import annotations

import time

import pytest

from stream_ocr.config import ServerConfig
from stream_ocr.history.store import TrackStore, text_key
from stream_ocr.history.writer import HistoryWriter
from stream_ocr.server import create_app
from stream_ocr.sources import SourceSpec
from stream_ocr.video import process_video

from .conftest import SAMPLES


@pytest.fixture(scope="module")
def slide_tracks(keras_engine, tmp_path_factory):
    """The tracks of samples/slides.mp4 as the video pipeline finishes them."""
    import json

    out = tmp_path_factory.mktemp("slides")
    process_video(SAMPLES / "slides.mp4", out, keras_engine)
    return json.loads((out / "tracks.json").read_text())["tracks"]


def test_text_keys_fold_case_and_punctuation_and_pad_the_ends():
    assert text_key("WATCH out!") == " watch out "
    assert text_key("3/5") == " 3 5 "
    assert text_key(" -- ") == ""


@pytest.fixture
def store_with_slides(tmp_path, slide_tracks):
    from stream_ocr.history.store import TrackRow

    store = TrackStore(f"sqlite:///{tmp_path / 'history' / 'tracks.db'}")
    base = 1_796_000_000.0  # epoch seconds: the video's times shifted onto a real day
    rows = [
        TrackRow(
            "deck", t["text"], base + t["first_time"], base + t["last_time"], t["confidence"], t["boxes"][-1]["points"]
        )
        for t in slide_tracks
    ]
    store.add(rows)
    return store, base, len(rows)


def test_search_finds_exact_and_misread_texts_and_nothing_unrelated(store_with_slides):
    store, _, _ = store_with_slides
    assert [h.text for h in store.search("Budget and hiring")][:1] == ["Budget and hiring"]
    # OCR errors forgiven: a letter wrong, missing or extra.
    assert store.search("Budqet and hirinq")[0].text == "Budget and hiring"
    assert store.search("Chaptr C")[0].text == "Chapter C"
    assert store.search("OPEN QUESTIOMS")[0].text == "Open questions"
    assert store.search("zebra crossing") == []


def test_search_filters_by_stream_and_time(store_with_slides):
    store, base, _ = store_with_slides
    assert store.search("Chapter", stream_id="other") == []
    late = store.search("Chapter", since=base + 12.0)
    assert late and {h.text for h in late} <= {"Chapter D", "Chapter E"}
    early = store.search("Chapter", until=base + 5.0)
    assert early and {h.text for h in early} <= {"Chapter A", "Chapter B"}


def test_the_history_survives_reopening_and_migrating_again(store_with_slides, tmp_path):
    store, _, count = store_with_slides
    again = TrackStore(store.url)
    assert again.count() == count > 0
    assert again.search("Thank you")[0].text == "Thank you"


def test_the_writer_keeps_a_failed_batch_and_writes_it_when_the_database_is_back(tmp_path, slide_tracks):
    from stream_ocr.tracking import Track, TrackBox

    store = TrackStore(f"sqlite:///{tmp_path / 'tracks.db'}")
    real_add = store.add
    calls = {"n": 0}

    def failing_at_first(rows):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError("database is away")
        real_add(rows)

    store.add = failing_at_first
    writer = HistoryWriter(store, flush_s=0.1)
    t = slide_tracks[0]
    track = Track(1, 10.0, 12.0, [TrackBox(12.0, tuple(map(tuple, t["boxes"][-1]["points"])), t["text"], 0.9)])
    track.votes[t["text"]] += 0.9
    track.reads, track.confidence_sum = 1, 0.9
    writer.record("deck", track)
    deadline = time.monotonic() + 20
    while writer.written == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    writer.close()
    assert writer.failures == 2 and writer.written == 1
    assert store.search(t["text"])[0].text == t["text"]


def _search(client, **args):
    return client.get("/api/search", query_string=args)


def test_the_live_server_stores_what_its_stream_read_and_finds_it_after_a_restart(keras_engine, tmp_path):
    db = f"sqlite:///{tmp_path / 'data' / 'history.db'}"
    config = ServerConfig(db_url=db, jobs_dir=tmp_path / "jobs")
    app = create_app(config, keras_engine, [SourceSpec("deck", str(SAMPLES / "slides.mp4"), loop=True)])
    app.start()
    try:
        client = app.app.test_client()
        deadline = time.monotonic() + 180
        results = []
        while time.monotonic() < deadline:
            # A slide's texts end when the next slide replaces them; then they are stored.
            results = _search(client, q="Chapter").get_json()["results"]
            if results:
                break
            time.sleep(1)
        assert results, "no track of the stream was stored"
        hit = results[0]
        assert hit["stream_id"] == "deck" and hit["text"].startswith("Chapter")
        assert hit["first_seen"] <= hit["last_seen"] and hit["first_seen"].startswith("20")
        assert _search(client, q="Chapter", stream="elsewhere").get_json()["results"] == []
        assert _search(client, q="Chapter", limit="x").status_code == 400
        assert _search(client, q="Chapter", since="yesterday").status_code == 400
        assert _search(client, q="!!").status_code == 400
    finally:
        app.stop()
    restarted = create_app(config, keras_engine, [])
    try:
        again = _search(restarted.app.test_client(), q="Chapter").get_json()["results"]
        assert {r["id"] for r in results} <= {r["id"] for r in again}
    finally:
        restarted.stop()


def test_without_a_database_search_says_how_to_turn_it_on(keras_engine, tmp_path):
    app = create_app(ServerConfig(jobs_dir=tmp_path / "jobs"), keras_engine, [])
    res = app.app.test_client().get("/api/search?q=x")
    assert res.status_code == 404 and "--db" in res.get_json()["error"]


def test_a_word_misread_by_one_letter_is_found_by_its_true_spelling(tmp_path):
    """The street-sign misreading of issue 8 ("Waich" for WATCH): no trigram inside the
    word is shared, only those at its ends."""
    from stream_ocr.history.store import TrackRow

    store = TrackStore(f"sqlite:///{tmp_path / 'tracks.db'}")
    box = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))
    store.add([TrackRow("sign", "Waich", 1.0, 2.0, 0.6, box), TrackRow("sign", "PEDESTRIANS", 1.0, 2.0, 0.9, box)])
    assert [h.text for h in store.search("WATCH")] == ["Waich"]
