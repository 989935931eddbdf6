"""Inference hand-off and the stream hub, with a fake engine: plumbing only, no OCR claims."""

import time

import cv2
import numpy as np
import pytest

from stream_ocr.errors import BadInputError
from stream_ocr.live.hub import StreamHub
from stream_ocr.live.worker import InferenceWorker
from stream_ocr.sources.opening import SourceSpec
from stream_ocr.types import Frame

from ..fakes import FakeEngine
from ..helpers import wait_for
from ..sources.test_sources_and_capture import make_video


def test_worker_serves_streams_round_robin_in_its_own_thread():
    engine = FakeEngine()
    results = []
    worker = InferenceWorker(engine, on_result=lambda f, r: results.append(f.stream_id), on_error=lambda f, e: None)
    slots = {name: worker.new_slot(name) for name in ("a", "b", "c")}
    for name, slot in slots.items():
        slot.put(Frame(name, 1, np.zeros((8, 8, 3), np.uint8), time.time()))
    worker.start()
    assert wait_for(lambda: len(results) == 3)
    worker.stop()
    assert sorted(results) == ["a", "b", "c"]
    assert engine.thread_names == {"inference:fake"}


def test_a_still_stream_gets_its_results_while_others_are_read():
    """Three streams change on every frame and each read takes 0.4 s; a fourth shows the
    same picture. Its frames are skipped as unchanged between any two reads, not after the
    others' reads in the round robin (which gave it one result in 3 s)."""
    engine = FakeEngine(delay_s=0.4)
    results = []
    worker = InferenceWorker(
        engine, on_result=lambda f, r: results.append((f.stream_id, r.skipped, time.monotonic())), on_error=print
    )
    slots = {name: worker.new_slot(name) for name in ("busy1", "busy2", "busy3", "still")}
    worker.start()
    still = np.full((90, 160, 3), 90, np.uint8)
    start, frame_id = time.monotonic(), 0
    while time.monotonic() - start < 4.0:
        frame_id += 1
        for name, slot in slots.items():
            image = still if name == "still" else np.full((90, 160, 3), frame_id % 250, np.uint8)
            slot.put(Frame(name, frame_id, image, time.monotonic()))
        time.sleep(1 / 30)
    worker.stop()
    still_times = [t for name, skipped, t in results if name == "still" and skipped and t > start + 1.0]
    busy_reads = [1 for name, skipped, _ in results if name != "still" and not skipped]
    assert len(busy_reads) >= 5, "the busy streams were read"
    assert len(still_times) >= 5, still_times  # after every read (0.4 s)
    assert max(b - a for a, b in zip(still_times, still_times[1:])) < 0.8, still_times


def test_one_bad_frame_is_counted_and_the_stream_goes_on():
    engine = FakeEngine(fail_on_mean=7.0)
    results, errors = [], []
    worker = InferenceWorker(
        engine, on_result=lambda f, r: results.append(f.frame_id), on_error=lambda f, e: errors.append((f.frame_id, e))
    )
    worker.process(Frame("s", 1, np.full((8, 8, 3), 7, np.uint8), time.time()))
    worker.process(Frame("s", 2, np.full((8, 8, 3), 1, np.uint8), time.time()))
    worker.process(Frame("s", 3, b"not a jpeg", time.time()))
    assert results == [2]
    assert [e[0] for e in errors] == [1, 3]
    assert isinstance(errors[1][1], BadInputError)


def test_browser_frames_are_decoded_by_the_worker():
    engine = FakeEngine()
    results = []
    worker = InferenceWorker(engine, on_result=lambda f, r: results.append(r), on_error=lambda f, e: None)
    ok, jpeg = cv2.imencode(".jpg", np.full((30, 40, 3), 128, np.uint8))
    worker.process(Frame("cam-x", 1, jpeg.tobytes(), time.time()))
    assert results[0].width == 40 and results[0].height == 30


def test_capture_never_waits_for_slow_inference(tmp_path):
    path = make_video(tmp_path / "v.mp4", frames=60, fps=30)
    hub = StreamHub(FakeEngine(delay_s=0.5), [SourceSpec("v", str(path))])
    hub.start()
    try:
        assert wait_for(lambda: hub.status_of("v")[0] == "ended", 10)
        snap = hub.metrics()[0]
    finally:
        hub.stop()
    assert snap["captured"] == 60
    assert snap["inferred"] <= 6  # 2 s of video, 0.5 s per inference
    assert snap["dropped"] >= 50
    names = [e.name for e in hub.drain()]
    assert "ocr_result" in names and "stream_status" in names


def test_results_carry_track_ids_and_metadata(tmp_path):
    path = make_video(tmp_path / "v.mp4", frames=30, fps=30)
    hub = StreamHub(FakeEngine(delay_s=0.05), [SourceSpec("v", str(path))])
    hub.start()
    try:
        assert wait_for(lambda: hub.status_of("v")[0] == "ended", 10)
        time.sleep(0.2)
    finally:
        hub.stop()
    results = [e for e in hub.drain() if e.name == "ocr_result"]
    assert len(results) >= 3
    first = results[0]
    assert first.room == "stream:v"
    for key in ("stream_id", "frame_id", "captured_at", "result_at", "latency_ms", "width", "height", "detections"):
        assert key in first.payload
    assert first.payload["result_at"] >= first.payload["captured_at"]
    track_ids = {e.payload["detections"][0]["track_id"] for e in results}
    assert len(track_ids) == 1  # the same text in the same place is one track


def test_browser_streams_come_and_go_without_leaks():
    hub = StreamHub(FakeEngine(), [])
    hub.start()
    try:
        for i in range(20):
            stream_id = hub.add_browser_stream(f"client{i}")
            ok, jpeg = cv2.imencode(".jpg", np.zeros((20, 20, 3), np.uint8))
            hub.push_browser_frame(stream_id, jpeg.tobytes())
            hub.remove_stream(stream_id)
        assert hub.stream_ids() == []
        assert hub.worker._slots == {}
        with pytest.raises(BadInputError):
            hub.push_browser_frame("cam-client0", b"x")
        with pytest.raises(BadInputError):
            hub.push_browser_frame("v", b"x")
    finally:
        hub.stop()


def test_browser_stream_limit():
    from stream_ocr.live.hub import HubConfig

    hub = StreamHub(FakeEngine(), [], HubConfig(max_browser_streams=2))
    hub.add_browser_stream("a")
    hub.add_browser_stream("b")
    with pytest.raises(BadInputError, match="too many"):
        hub.add_browser_stream("c")


def test_duplicate_stream_names_are_refused():
    with pytest.raises(BadInputError, match="unique"):
        StreamHub(FakeEngine(), [SourceSpec("a", "x.mp4"), SourceSpec("a", "y.mp4")])


def test_the_texts_on_screen_when_a_stream_stops_or_leaves_are_ended_for_the_history():
    """Plumbing only (a fake engine): a server stopped, or a browser camera closed, while a
    text is on screen still hands that track to the recorder, once."""
    ended = []

    class Recorder:
        def on_read(self, stream_id, image, step):
            pass

        def on_track_end(self, stream_id, track):
            ended.append((stream_id, track.text))

    worker = InferenceWorker(FakeEngine(), on_result=lambda f, r: None, on_error=lambda f, e: None, recorder=Recorder())
    for name in ("deck", "cam-x"):
        worker.new_slot(name)
        worker.process(Frame(name, 1, np.full((40, 40, 3), 9, np.uint8), time.time()))
    worker.remove_slot("cam-x")
    assert ended == [("cam-x", "FAKE")]
    worker.stop()
    assert ended == [("cam-x", "FAKE"), ("deck", "FAKE")]
    worker.stop()  # stopping again ends nothing twice
    assert len(ended) == 2
