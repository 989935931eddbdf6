"""The tracker on synthetic detections: association, survival of short misses, stable voted text."""

from stream_ocr.tracking import Tracker, TrackerConfig, similarity
from stream_ocr.types import Detection


def det(x, y, text, conf=0.9, w=100, h=30):
    return Detection(((x, y), (x + w, y), (x + w, y + h), (x, y + h)), text, conf)


def test_moving_text_is_one_track():
    tracker = Tracker()
    ids = set()
    for i in range(10):
        (out,) = tracker.update([det(100 + 15 * i, 200 + 3 * i, "EXIT")], i * 0.5)
        ids.add(out.track_id)
    assert len(ids) == 1
    (track,) = tracker.finish()
    assert track.text == "EXIT" and track.first_time == 0.0 and track.last_time == 4.5 and track.frames_seen == 10


def test_flickering_reads_vote_to_a_stable_text():
    tracker = Tracker()
    reads = ["OPEN", "0PEN", "OPEN", "OPFN", "OPEN", "OPEN"]
    outs = [tracker.update([det(50, 50, r, 0.8 if r == "OPEN" else 0.5)], i * 0.5)[0] for i, r in enumerate(reads)]
    assert [o.text for o in outs[2:]] == ["OPEN"] * 4
    assert tracker.finish()[0].text == "OPEN"


def test_short_miss_survives_long_gap_ends_track():
    tracker = Tracker(TrackerConfig(max_gap_s=2.0))
    a = tracker.update([det(10, 10, "SALE")], 0.0)[0].track_id
    tracker.update([], 1.0)
    b = tracker.update([det(12, 10, "SALE")], 1.5)[0].track_id
    tracker.update([], 2.0)
    c = tracker.update([det(12, 10, "SALE")], 5.0)[0].track_id
    assert a == b != c
    assert len(tracker.finish()) == 2


def test_two_words_side_by_side_are_two_tracks():
    tracker = Tracker()
    for i in range(5):
        out = tracker.update([det(100, 100, "LAUNCH", w=160), det(280, 100, "PAD", w=80)], i * 0.5)
        assert out[0].track_id != out[1].track_id
    assert sorted(t.text for t in tracker.finish()) == ["LAUNCH", "PAD"]


def test_same_text_after_a_cut_follows_by_string():
    tracker = Tracker()
    a = tracker.update([det(100, 100, "QUARTERLY")], 0.0)[0].track_id
    b = tracker.update([det(700, 400, "QUARTERLY")], 0.5)[0].track_id
    assert a == b
    c = tracker.update([det(100, 100, "UP", w=40)], 1.0)[0].track_id
    d = tracker.update([det(700, 400, "UP", w=40)], 1.5)[0].track_id
    assert c != d  # a short word far away is not trusted to be the same text


def test_carry_forward_extends_the_tracks_on_screen():
    tracker = Tracker()
    tracker.update([det(10, 10, "SLIDE")], 0.0)
    for t in (0.5, 1.0, 1.5):
        tracker.carry_forward(t)
    (track,) = tracker.finish()
    assert track.last_time == 1.5 and track.frames_seen == 4


def test_live_mode_memory_is_bounded():
    tracker = Tracker(TrackerConfig(keep_history=False, recent_boxes=5, max_gap_s=1.0))
    for i in range(200):
        tracker.update([det(10, 10, f"T{i % 7}XT")], i * 0.5)
        tracker.update([det(500, 500, "GONE")], i * 0.5) if i == 0 else None
    assert len(tracker.active[0].boxes) == 5
    assert tracker.finished == []


def test_similarity():
    assert similarity("Exit", "EXIT") == 1.0
    assert similarity("", "x") == 0.0
    assert 0.7 < similarity("REPORT", "REP0RT") < 0.9
