"""Change detection on real sample frames: small local changes are seen, still frames are skipped."""

import cv2
import numpy as np

from stream_ocr.step.change import ChangeConfig, ChangeGate, Decision, changed_regions, largest_cell_change, signature

from ..conftest import SAMPLES


def frame_at(name, seconds):
    capture = cv2.VideoCapture(str(SAMPLES / f"{name}.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
    ok, frame = capture.read()
    assert ok
    return frame


def test_a_slide_whose_only_change_is_a_letter_and_its_counter_is_seen():
    # slides.mp4 at 6 s shows "Chapter B ... 2/5", at 10 s "Chapter C ... 3/5": the body is the same.
    before, after = frame_at("slides", 6.0), frame_at("slides", 10.0)
    gate = ChangeGate()
    assert gate.should_read(before, 6.0)
    assert gate.should_read(after, 10.0)
    # A whole-frame mean, the old measure, hardly moves: it would have missed this.
    whole = float(np.mean(np.abs(signature(after) - signature(before)))) / 255
    assert whole < 0.01 < largest_cell_change(signature(before), signature(after), 12)


def test_only_the_page_counter_changing_is_seen_and_read_as_a_small_region_around_it():
    page = frame_at("slides", 10.0)
    counter = page.copy()
    cv2.rectangle(counter, (555, 318), (600, 346), (244, 248, 248), -1)
    cv2.putText(counter, "4/5", (560, 340), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (90, 90, 90), 1)
    gate = ChangeGate()
    assert gate.decide(page, 0.0) == Decision(True, None)  # the first frame is read whole
    decision = gate.decide(counter, 0.5)
    assert decision.read and decision.regions is not None and len(decision.regions) == 1, decision
    ((x0, y0, x1, y1),) = decision.regions
    assert x0 <= 555 and y0 <= 318 and x1 >= 600 and y1 >= 346, decision.regions
    assert (x1 - x0) * (y1 - y0) < 0.05 * page.shape[0] * page.shape[1], decision.regions


def test_still_frames_are_skipped_until_the_keyframe():
    gate = ChangeGate(ChangeConfig(keyframe_s=3.0))
    frames = [frame_at("slides", 4.5 + 0.5 * i) for i in range(3)]  # slide 2, unchanged, with camera noise
    assert gate.should_read(frames[0], 0.0)
    assert not gate.should_read(frames[1], 1.0)
    assert not gate.should_read(frames[2], 2.0)
    assert gate.should_read(frames[2], 3.0)  # a keyframe


def test_unchanged_tells_what_decide_would_do_and_remembers_nothing():
    gate = ChangeGate(ChangeConfig(keyframe_s=3.0))
    still = [frame_at("slides", 4.5 + 0.5 * i) for i in range(3)]  # slide 2, with camera noise
    other = frame_at("slides", 10.0)  # slide 3
    assert not gate.unchanged(still[0], 0.0)  # nothing read yet
    gate.decide(still[0], 0.0)
    assert gate.unchanged(still[1], 1.0) and not gate.unchanged(other, 1.0)
    assert gate.unchanged(still[1], 1.0)  # asking about slide 3 did not make it the reference
    answers = []
    for frame, t in [(still[1], 1.0), (other, 1.5), (other, 2.0), (still[2], 2.5)]:
        answers.append(gate.unchanged(frame, t))
        assert gate.decide(frame, t).read == (not answers[-1]), t
    assert answers == [True, False, True, False]
    assert not gate.unchanged(still[2], 10.0)  # a keyframe is due


def test_disabled_gate_reads_everything_and_forget_rereads():
    frame = frame_at("slides", 1.0)
    assert all(ChangeGate(ChangeConfig(enabled=False)).should_read(frame, t) for t in (0.0, 0.5))
    gate = ChangeGate()
    assert gate.should_read(frame, 0.0)
    gate.forget()
    assert gate.should_read(frame, 0.5)


def test_a_cut_and_a_keyframe_are_read_whole():
    gate = ChangeGate(ChangeConfig(keyframe_s=3.0))
    slide, sign = frame_at("slides", 1.0), cv2.resize(frame_at("signs", 1.0), (640, 360))
    assert gate.decide(slide, 0.0) == Decision(True, None)
    assert gate.decide(sign, 0.5) == Decision(True, None)  # the whole picture changed
    changed = sign.copy()
    cv2.putText(changed, "99", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    assert gate.decide(changed, 1.0).regions is not None
    assert gate.decide(changed, 3.6) == Decision(True, None)  # 3 s after the last whole read


def test_a_small_timecode_that_steps_is_seen_and_only_it_is_read():
    # timeline.mp4: an editor's window at 1280x720 whose playhead timecode (19 px) steps
    # every second; the frames between steps differ by the camera's noise alone.
    gate = ChangeGate()
    assert gate.decide(frame_at("timeline", 0.0), 0.0).read
    assert not gate.decide(frame_at("timeline", 0.5), 0.5).read
    stepped = gate.decide(frame_at("timeline", 1.0), 1.0)
    assert stepped.read and stepped.regions is not None, stepped
    # Its changed digits ("01;00;00;01" to "01;00;01;19": x 90-150, y 362-383) are in a region
    # (``step/regions`` makes it the whole line), and the regions are small.
    assert any(x0 <= 90 and y0 <= 362 and x1 >= 150 and y1 >= 383 for x0, y0, x1, y1 in stepped.regions)
    assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in stepped.regions) < 0.1 * 1280 * 720


def test_the_subtitle_preset_takes_no_second_look_in_fine_cells():
    from stream_ocr.video.job import VideoJob, subtitle_job

    assert ChangeConfig().fine_cell and not subtitle_job(VideoJob()).change.fine_cell
    gate = ChangeGate(subtitle_job(VideoJob()).change)
    gate.decide(frame_at("timeline", 0.0), 0.0)
    assert not gate.decide(frame_at("timeline", 1.0), 1.0).read


def test_regions_off_reads_every_change_whole():
    page = frame_at("slides", 10.0)
    counter = page.copy()
    cv2.putText(counter, "4/5", (560, 340), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2)
    gate = ChangeGate(ChangeConfig(region_max_share=0.0))
    gate.decide(page, 0.0)
    assert gate.decide(counter, 0.5) == Decision(True, None)


def test_strips_newly_shown_along_two_edges_are_two_thin_regions_not_one_box_round_the_frame():
    config = ChangeConfig()
    rows, cols = 23, 40  # the grid of a 960x540 frame's signature
    changes = np.zeros((rows, cols), np.float32)
    changes[0, :] = 0.2  # a pan up and to the right shows a strip along the top...
    changes[:, -1] = 0.2  # ...and one down the right side
    changes[10:12, 15:18] = 0.2  # and something changed inside
    regions = changed_regions(changes, config, (540, 960))
    assert regions is not None and len(regions) == 3, regions
    area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in regions)
    assert area < 0.2 * 960 * 540, regions
    for i, a in enumerate(regions):  # they never overlap (touching is allowed)
        for b in regions[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    x0, y0, x1, y1 = min(regions, key=lambda r: (r[2] - r[0]) * (r[3] - r[1]))
    assert x0 <= 15 * 24 and y0 <= 10 * 24 and x1 >= 18 * 24 and y1 >= 12 * 24  # the inner change, with its margin
    # A zoom out shows a ring: four strips.
    ring = np.zeros((rows, cols), np.float32)
    ring[0, :], ring[-1, :], ring[:, 0], ring[:, -1] = 0.2, 0.2, 0.2, 0.2
    assert len(changed_regions(ring, config, (540, 960))) == 4


def test_a_panning_zooming_picture_under_a_still_subtitle_has_only_its_edges_and_subtitle_read():
    """On subtitles.mp4 from 0.93 s to 1.4 s the camera pans and zooms under a subtitle that
    stays put: phase correlation finds no one shift there (its peak splits between the two),
    and the frame used to be read whole. Corners followed from where they were agree on the
    picture's move, so only what that leaves changed is read."""
    from stream_ocr.step.picture_motion import picture_shift

    before, after = frame_at("subtitles", 0.933), frame_at("subtitles", 1.4)
    config = ChangeConfig()
    assert picture_shift(signature(before), signature(after), config.motion_response) is None
    gate = ChangeGate(config)
    gate.decide(before, 0.933)
    decision = gate.decide(after, 1.4)
    assert decision.read and decision.warp is not None and decision.regions is not None, decision
    h, w = after.shape[:2]
    area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in decision.regions)
    assert area < 0.35 * w * h, decision.regions
    dx, dy = decision.moved
    assert abs(dx) > 2 or abs(dy) > 2  # the picture moved; a still one would say (0, 0)


def test_streams_started_together_take_their_keyframes_at_their_own_phase():
    """Four cameras started at once all read a whole frame every 10 s at the same moment,
    and each waited for the other three (the longest gaps of benchmarks/streams.py). A
    gate's phase brings its first keyframe that share of the interval sooner."""
    still = frame_at("slides", 6.0)
    plain, early = ChangeGate(ChangeConfig(keyframe_s=10.0)), ChangeGate(ChangeConfig(keyframe_s=10.0), 0.4)
    for gate in (plain, early):
        assert gate.decide(still, 0.0) == Decision(True, None)
    assert plain.decide(still, 6.5) == Decision(False)
    assert early.decide(still, 6.5) == Decision(True, None)  # due at 6 s, not 10
    assert early.decide(still, 12.0) == Decision(False)  # then every 10 s from there
    assert early.decide(still, 16.6) == Decision(True, None)
    assert plain.decide(still, 10.1) == Decision(True, None)
