"""The tracker on synthetic detections: association, survival of short misses, stable voted text."""

from stream_ocr.tracking.similarity import similarity
from stream_ocr.tracking.tracker import Tracker, TrackerConfig
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


def test_reads_slower_than_the_gap_do_not_split_a_text_that_stayed():
    """A live stream read every 5 s (a slow CPU, many streams): nothing was read in between,
    so the text was never seen gone and stays one track, and a rule fires on it once. A
    text gone on a read frame still ends, at the first read past the gap."""
    tracker = Tracker(TrackerConfig(max_gap_s=2.0))
    ids = [tracker.update([det(10, 10, "Budget and hiring", w=300)], t)[0].track_id for t in (0.0, 5.0, 10.0)]
    assert len(set(ids)) == 1
    (out,) = tracker.update([det(10, 100, "Open questions", w=300)], 15.0)
    assert out.track_id != ids[0]
    tracks = tracker.finish()
    assert [(t.text, t.first_time, t.last_time) for t in tracks] == [
        ("Budget and hiring", 0.0, 10.0),
        ("Open questions", 15.0, 15.0),
    ]


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
    word = "WAREHOUSE"
    for i in range(200):
        k = i % len(word)  # a different one-letter misreading each frame
        tracker.update([det(10, 10, word[:k] + "x" + word[k + 1 :], 0.6)], i * 0.5)
        tracker.update([det(500, 500, "GONE")], i * 0.5) if i == 0 else None
    assert len(tracker.active) == 1
    assert len(tracker.active[0].boxes) == 5
    assert len(tracker.active[0].votes) <= 10
    assert tracker.finished == []


def test_similarity():
    assert similarity("Exit", "EXIT") == 1.0
    assert similarity("", "x") == 0.0
    assert 0.7 < similarity("REPORT", "REP0RT") < 0.9


def test_new_text_in_the_same_place_starts_a_new_track_and_ends_the_old():
    tracker = Tracker()
    slides = ["A"] * 4 + ["B"] * 4 + ["C"] * 4
    counters = ["1/5"] * 4 + ["2/5"] * 4 + ["3/5"] * 4
    seen = []
    for i, (letter, counter) in enumerate(zip(slides, counters)):
        out = tracker.update([det(300, 100, letter, w=60, h=80), det(560, 320, counter, w=40, h=20)], i * 0.5)
        seen.append([(o.text, o.track_id) for o in out])
    # The label changes on the first frame of the new text, never keeping the old one.
    assert [s[0][0] for s in seen] == slides
    assert [s[1][0] for s in seen] == counters
    tracks = tracker.finish()
    assert sorted(t.text for t in tracks) == ["1/5", "2/5", "3/5", "A", "B", "C"]
    by_text = {t.text: t for t in tracks}
    # Each ends at its last sighting, not when the next one's gap runs out.
    assert by_text["A"].last_time == 1.5 and by_text["B"].first_time == 2.0 and by_text["B"].last_time == 3.5
    assert by_text["1/5"].last_time == 1.5 and by_text["3/5"].first_time == 4.0


def test_a_changed_subtitle_line_is_a_new_track():
    tracker = Tracker()
    lines = ["I've decided, Rem."] * 3 + ["Yes?"] * 2 + ["Where are my keys?"] * 3 + ["Where are my bags?"] * 3
    for i, text in enumerate(lines):
        tracker.update([det(200, 300, text, 0.97, w=12 * len(text), h=28)], i * 0.25)
    assert [t.text for t in tracker.finish()] == [
        "I've decided, Rem.",
        "Yes?",
        "Where are my keys?",
        "Where are my bags?",
    ]


def test_misreadings_join_the_track_and_fuse():
    tracker = Tracker()
    reads = ["WATCH YOUR STEP", "Waich YOUR STEP", "WATCH YOUR 5TEP", "WATCH Y0UR STEP", "WATCH YOUR STEP"]
    ids = {tracker.update([det(100, 100, r, 0.8, w=300)], i * 0.5)[0].track_id for i, r in enumerate(reads)}
    assert len(ids) == 1
    (track,) = tracker.finish()
    assert track.text == "WATCH YOUR STEP"
    assert set(track.votes) == set(reads)  # every raw read is kept


def test_an_unsure_garbled_read_joins_only_where_the_track_is():
    def garbled(x, y):
        return det(x, y, "comr garden", 0.8, w=340, h=45)

    here, there = Tracker(), Tracker()
    for tracker in (here, there):
        tracker.update([det(100, 200, "community garden", 0.99, w=340, h=45)], 0.0)
    assert here.update([garbled(104, 202)], 0.5)[0].track_id == 1
    assert there.update([garbled(600, 20)], 0.5)[0].track_id == 2


def test_a_line_split_by_a_hidden_word_stays_one_track():
    tracker = Tracker()
    first = tracker.update([det(100, 100, "WATCH YOUR STEP", w=420, h=40)], 0.0)[0].track_id
    # Glare hides YOUR: the line is read as two pieces.
    pieces = tracker.update([det(100, 100, "WATCH", w=150, h=40), det(400, 100, "STEP", w=120, h=40)], 0.5)
    assert {p.track_id for p in pieces} == {first}
    tracker.update([det(100, 100, "WATCH YOUR STEP", w=420, h=40)], 1.0)
    (track,) = tracker.finish()
    assert track.text == "WATCH YOUR STEP" and track.frames_seen == 3 and track.last_time == 1.0


def test_a_line_first_seen_in_part_takes_over_its_fragment():
    tracker = Tracker()
    tracker.update([det(100, 100, "WATCH", w=150, h=40)], 0.0)
    tracker.update([det(100, 100, "WATCH YOUR STEP", w=420, h=40)], 0.5)
    tracker.update([det(100, 100, "WATCH YOUR STEP", w=420, h=40)], 1.0)
    (track,) = tracker.finish()
    assert track.text == "WATCH YOUR STEP" and track.first_time == 0.0


def test_a_subtitle_that_is_the_start_of_the_last_one_is_a_new_track_with_fragments_off():
    """Two subtitles in one place, the second the first's opening words (the tune film's
    "- Yeah, that's next." then "- Yeah."): in a scene a shorter read is the line with a
    word hidden; as subtitles it is the next line, and neither text may be lost."""
    lines = ["- Yeah, that's next."] * 4 + ["- Yeah."] * 4

    def run(config):
        tracker = Tracker(config)
        for i, text in enumerate(lines):
            w = 14 * len(text)
            tracker.update([det(640 - w // 2, 660, text, 0.99, w=w, h=30)], i * 0.25)
        return [(t.text, t.first_time) for t in tracker.finish()]

    assert run(TrackerConfig(fragments=False)) == [("- Yeah, that's next.", 0.0), ("- Yeah.", 1.0)]
    # In a scene (the default), the shorter read is a piece of the line, which stays.
    assert run(TrackerConfig()) == [("- Yeah, that's next.", 0.0)]
    # And a line first seen with a word missing is not folded into the whole with them off.
    tracker = Tracker(TrackerConfig(fragments=False))
    tracker.update([det(100, 100, "WATCH", w=150, h=40)], 0.0)
    tracker.update([det(100, 100, "WATCH YOUR STEP", w=420, h=40)], 0.5)
    assert [t.text for t in tracker.finish()] == ["WATCH", "WATCH YOUR STEP"]


def test_two_captions_one_sample_each_in_one_place_are_two_cues_and_a_block_is_one():
    from stream_ocr.video.exporters import cues

    tracker = Tracker()
    # A cut: "DON'T" on one sample, "STOP" in its place on the next.
    tracker.update([det(100, 200, "DON'T", 0.95)], 5.6)
    tracker.update([det(100, 200, "STOP", 0.95)], 6.1)
    tracker.update([], 6.6)
    tracks = tracker.finish()
    assert [c.lines for c in cues(tracks, hold_s=0.5)] == [("DON'T",), ("STOP",)]
    # A two-line subtitle whose second line was missed on its first sample: one cue.
    tracker = Tracker()
    tracker.update([det(100, 200, "first line")], 1.0)
    tracker.update([det(100, 200, "first line"), det(100, 235, "second line")], 1.5)
    tracker.update([det(100, 200, "first line"), det(100, 235, "second line")], 2.0)
    tracker.update([], 2.5)
    assert [c.lines for c in cues(tracker.finish(), hold_s=0.5)] == [("first line", "second line")]


def test_a_text_ends_at_the_first_frame_read_without_it_when_that_comes_before_one_interval():
    tracker = Tracker()
    tracker.update([det(100, 200, "rock'n'roll", 0.95)], 6.5)
    tracker.update([det(100, 200, "rock'n'roll", 0.95)], 8.0)
    # An extra sample just after a cut: another caption in its place.
    tracker.update([det(100, 200, "Yes?", 0.95)], 8.07)
    tracker.update([], 8.5)
    old, new = tracker.finish()
    assert old.end_time(hold_s=0.5) == 8.07  # not 8.5: the read at 8.07 saw it gone
    assert new.end_time(hold_s=0.5) == 8.5  # read at 8.07, gone at the read of 8.5
    # Without a read in between, one interval after the last sighting.
    tracker = Tracker()
    tracker.update([det(100, 200, "STOP", 0.95)], 1.0)
    (track,) = tracker.finish()
    assert track.end_time(hold_s=0.5) == 1.5


def test_subtitle_files_keep_each_cue_text_and_time_as_read(tmp_path):
    """SRT and WebVTT (through pysubs2) give back what was written: two-line cues, braces,
    angle brackets and apostrophes in read text, times to the millisecond past an hour."""
    from stream_ocr.video.exporters import Cue, parse_srt, parse_vtt, write_srt, write_vtt

    cue_list = [
        Cue(0.5, 2.0, ("Hello {world}", "I'm <b>here</b>")),
        Cue(2.5, 3.25, ("rock'n'roll & #1",)),
        Cue(3661.001, 3662.5, ("WAIT...",)),
    ]
    write_srt(tmp_path / "a.srt", cue_list)
    write_vtt(tmp_path / "a.vtt", cue_list)
    expected = [(c.start, c.end, c.text) for c in cue_list]
    assert parse_srt((tmp_path / "a.srt").read_text(encoding="utf-8")) == expected
    assert parse_vtt((tmp_path / "a.vtt").read_text(encoding="utf-8")) == expected
    assert (tmp_path / "a.srt").read_text().startswith("1\n00:00:00,500 --> 00:00:02,000\nHello {world}\n")
    assert (tmp_path / "a.vtt").read_text().startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n")
    write_srt(tmp_path / "none.srt", [])
    assert parse_srt((tmp_path / "none.srt").read_text()) == []
