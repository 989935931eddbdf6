"""Boxes that follow the picture between inferences: optical flow on real frames."""

import cv2
import numpy as np
import pytest

from stream_ocr.engines.base import read_lines
from stream_ocr.live.box_follower import BoxFollower
from stream_ocr.live.preview import StreamPreview
from stream_ocr.types import Frame, Line

from ..conftest import SAMPLES


def frames(name, start, end, fps=12.0):
    capture = cv2.VideoCapture(str(SAMPLES / f"{name}.mp4"))
    out, t = [], start
    while t <= end + 1e-6:
        capture.set(cv2.CAP_PROP_POS_MSEC, t * 1000)
        ok, frame = capture.read()
        assert ok
        out.append(frame)
        t += 1.0 / fps
    return out


def iou(a, b):
    ax0, ay0 = np.min(a, axis=0)
    ax1, ay1 = np.max(a, axis=0)
    bx0, by0 = np.min(b, axis=0)
    bx1, by1 = np.max(b, axis=0)
    inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union


def test_a_box_follows_a_shifted_picture():
    image = frames("glare", 1.0, 1.0)[0]
    box = ((160.0, 100.0), (590.0, 100.0), (590.0, 140.0), (160.0, 140.0))
    follower = BoxFollower()
    follower.reset(image, [(7, box)])
    shifted = np.roll(image, (12, -30), axis=(0, 1))  # 30 px left, 12 px down
    (moved,) = follower.advance(shifted)
    assert moved.track_id == 7
    expected = np.array(box) + [-30, 12]
    assert np.abs(np.array(moved.points) - expected).max() < 2.0


def test_nothing_to_follow_and_a_new_frame_size_are_harmless():
    follower = BoxFollower()
    image = frames("glare", 1.0, 1.0)[0]
    assert follower.advance(image) == []
    follower.reset(image, [(1, ((0, 0), (50, 0), (50, 20), (0, 20)))])
    assert follower.advance(cv2.resize(image, (320, 180))) == []


@pytest.mark.slow
def test_following_keeps_boxes_on_a_panning_sign(keras_engine):
    # signs.mp4 pans and zooms over a sign for its first 6 s: read at 1.0 s, then 0.75 s later.
    clip = frames("signs", 1.0, 1.75)
    first, last = read_lines(keras_engine, clip[0]), read_lines(keras_engine, clip[-1])
    (line,) = [x for x in first.lines if "COFFEE" in x.text]
    (truth,) = [x for x in last.lines if "COFFEE" in x.text]
    preview = StreamPreview("s")
    preview.on_result(Frame("s", 0, clip[0], 0.0), (line,))
    for k, image in enumerate(clip[1:], 1):
        preview._last = 0.0  # every frame is a preview frame here
        preview.on_frame(Frame("s", k, image, k / 12))
    moved = preview.ready.take_nowait()
    assert moved is not None and moved.frame_id == len(clip) - 1
    (box,) = moved.boxes
    still = iou(np.array(line.points), np.array(truth.points))
    followed = iou(np.array(box["points"]), np.array(truth.points))
    assert followed > 0.8 and followed > still + 0.1, (still, followed)


def test_at_a_cut_every_box_is_dropped_and_named_gone():
    # signs.mp4 cuts from the coffee sign to the launch pad at 6 s.
    before, after = frames("signs", 5.8, 5.8)[0], frames("signs", 6.2, 6.2)[0]
    follower = BoxFollower()
    follower.reset(before, [(3, ((250.0, 200.0), (700.0, 200.0), (700.0, 300.0), (250.0, 300.0)))])
    assert follower.advance(before)  # the same picture: the box stays
    boxes, gone = follower.follow(after)
    assert boxes == [] and gone == (3,)


def test_a_box_too_plain_to_follow_still_goes_at_a_cut():
    """A box with no corners of its own (plain print on a flat panel) cannot tell a cut;
    the picture's corners around it can."""
    before, after = frames("signs", 5.8, 5.8)[0], frames("signs", 6.2, 6.2)[0]
    before = before.copy()
    before[200:300, 250:700] = (40, 40, 40)  # a flat panel: no corners inside the box
    box = ((260.0, 210.0), (690.0, 210.0), (690.0, 290.0), (260.0, 290.0))
    follower = BoxFollower()
    follower.reset(before, [(3, box)])
    assert follower.advance(before)  # the same picture: the box stays where it was read
    boxes, gone = follower.follow(after)
    assert boxes == [] and gone == (3,)


def test_a_box_that_leaves_the_picture_is_dropped_not_stretched():
    image = frames("glare", 1.0, 1.0)[0]
    box = ((20.0, 100.0), (200.0, 100.0), (200.0, 140.0), (20.0, 140.0))
    follower = BoxFollower()
    follower.reset(image, [(5, box)])
    h, w = image.shape[:2]
    seen = []
    for dx in (40, 80, 120, 160):  # the picture pans right to left: the box goes out on the left
        moved = cv2.warpAffine(image, np.float32([[1, 0, -dx], [0, 1, 0]]), (w, h), borderMode=cv2.BORDER_REPLICATE)
        boxes, gone = follower.follow(moved)
        seen.append((boxes, gone))
        for b in boxes:
            xs = [p[0] for p in b.points]
            assert max(xs) - min(xs) < 1.3 * 180, b.points  # never stretched
    assert seen[-1] == ([], (5,))


def test_the_frame_event_after_a_cut_names_the_last_results_lines_gone():
    before, after = frames("signs", 5.8, 5.8)[0], frames("signs", 6.2, 6.2)[0]
    line = Line(((250.0, 200.0), (700.0, 200.0), (700.0, 300.0), (250.0, 300.0)), "FRESH COFFEE", 0.9, 4)
    preview = StreamPreview("s")
    preview.on_result(Frame("s", 0, before, 0.0), (line,))
    preview.on_frame(Frame("s", 1, before, 0.1))
    kept = preview.ready.take_nowait().to_dict()
    assert [b["track_id"] for b in kept["boxes"]] == [4] and kept["gone"] == []
    preview._last = 0.0
    preview.on_frame(Frame("s", 2, after, 0.4))
    event = preview.ready.take_nowait().to_dict()
    assert event["boxes"] == [] and event["gone"] == [4]


def test_a_result_that_comes_after_a_cut_names_the_frames_on_which_its_texts_had_gone():
    """A slow read of the coffee sign comes back after the cut: the frames sent meanwhile
    were followed with an older result, so their own ``gone`` lists cannot name this
    result's lines. The result's ``gone_at`` does, with the first frame after the cut."""
    before, after = frames("signs", 5.8, 5.8)[0], frames("signs", 6.2, 6.2)[0]
    preview = StreamPreview("s")
    preview.on_frame(Frame("s", 1, before, 1.0))
    preview._last = 0.0
    preview.on_frame(Frame("s", 2, after, 2.0))
    preview._last = 0.0
    preview.on_frame(Frame("s", 3, after, 3.0))
    old = preview.ready.take_nowait().to_dict()
    assert old["gone"] == []  # nothing was followed then: the frames cannot tell
    line = Line(((250.0, 200.0), (700.0, 200.0), (700.0, 300.0), (250.0, 300.0)), "FRESH COFFEE", 0.9, 9)
    gone_at = preview.on_result(Frame("s", 0, before, 0.5), (line,))
    assert gone_at == [[9, 2.0]]
    # A result read after the cut names nothing: its lines are on the frames since.
    assert preview.on_result(Frame("s", 2, after, 2.0), (line,)) == []


def test_a_result_seconds_old_is_carried_through_the_frames_since_not_in_one_leap():
    """A slow engine: the boxes were read on a frame taken 10 s ago (120 preview frames),
    and the picture has moved 3 px a frame since, 360 px in all. Carried frame by frame
    through the follower's history they land where the text is now; in one leap from the
    old frame to the new, optical flow loses them and they are dropped."""
    image = frames("glare", 1.0, 1.0)[0]
    box = ((160.0, 100.0), (590.0, 100.0), (590.0, 140.0), (160.0, 140.0))
    wide = cv2.copyMakeBorder(image, 0, 0, 0, 400, cv2.BORDER_REFLECT)

    def view(step):  # the picture moved ``3 * step`` px left
        return np.ascontiguousarray(wide[:, 3 * step : 3 * step + image.shape[1]])

    for replay in (True, False):
        follower = BoxFollower()
        for step in range(121):
            follower.follow(view(step), taken=float(step) if replay else None)
        follower.reset(view(0), [(7, box)], taken=0.0)
        boxes, gone = follower.follow(view(121), taken=121.0)
        if replay:
            (moved,) = boxes
            expected = np.array(box) + [-3 * 121, 0]
            assert np.abs(np.array(moved.points) - expected).max() < 4.0, moved.points
            assert gone == ()
        else:
            assert boxes == [] and gone == (7,)
