"""Scoring subtitles as a reader does, and choosing which lines of a band are subtitles."""

import math

from stream_ocr.evaluation.video import score_subtitles
from stream_ocr.tracking.tracker import Track, TrackBox
from stream_ocr.video.subtitles import _Centred, subtitle_tracks

TRUTH = [
    {"start": 1.0, "end": 3.0, "lines": ["- Every line matters.", "- I know."]},
    {"start": 4.0, "end": 6.0, "lines": ["Look, I made a mistake."]},
]


def test_exact_lines_count_case_punctuation_and_dashes():
    out = [(1.0, 3.0, "Every line matters.\n- I know."), (4.1, 6.0, "Look, made a mistake.")]
    scores = score_subtitles(out, TRUTH)
    assert scores.lines == 3 and scores.exact_lines == 1 / 3
    # "Found" forgives case and marks, and one lost letter in twenty: every line is found.
    assert scores.lines_found == 1.0
    assert scores.exact_cues == 0.0 and scores.phantom_cues == 0 and scores.split_cues == 0
    assert ("- Every line matters.", "Every line matters.") in scores.wrong


def test_runs_of_spaces_fold_and_a_split_cue_and_a_phantom_are_counted():
    out = [
        (1.0, 2.0, "-  Every line  matters."),
        (2.0, 3.0, "- I know."),
        (4.0, 6.0, "Look, I made a mistake."),
        (4.5, 5.0, "ooo"),
    ]
    scores = score_subtitles(out, TRUTH)
    assert scores.exact_lines == 1.0
    assert scores.exact_cues == 0.5
    assert scores.split_cues == 1
    assert scores.phantom_cues == 1 and scores.phantoms == ((4.5, "ooo"),)
    assert scores.timing_error_s == 0.0


def track(track_id, x0, y0, x1, y1, frames=4, t=0.0):
    box = TrackBox(t, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)), "text", 0.9)
    return Track(track_id, t, t + 1, boxes=[box], frames_seen=frames)


def test_only_centred_lines_of_the_usual_height_are_subtitles():
    band = (0, 500, 1280, 720)
    subtitle = track(1, 400, 600, 880, 640)
    second_line = track(2, 450, 645, 830, 685, t=1.0)
    sign = track(3, 1000, 560, 1260, 600)  # scene text at the side of the band
    poster = track(4, 560, 520, 720, 600, frames=2)  # centred, but twice the height
    capitals = track(5, 610, 610, 670, 638, t=2.0)  # "OK": no ascender, no descender
    kept = subtitle_tracks([subtitle, second_line, sign, poster, capitals], [band])
    assert kept == [subtitle, second_line, capitals]


def test_the_band_finder_keeps_rows_that_recur_and_drops_scene_text():
    found = _Centred()
    found.add_rows([(590.0, 632.0, "Where'd you call?"), (632.0, 676.0, "Your work and your cell.")])
    found.add_rows([(592.0, 634.0, "I'm not there.")])
    found.add_rows([(300.0, 330.0, "BANK OF CHINA"), (634.0, 678.0, "It's Carolina and Michigan.")])
    kept = found.subtitle_like()
    assert kept is not None
    assert "BANK OF CHINA" not in kept.texts and len(kept.texts) == 4
    y0, y1 = kept.band(720, above=1.5, below=0.5)
    assert 500 < y0 < 590 and 676 < y1 <= 720


def test_a_tilted_line_and_a_line_not_edged_as_the_bands_lines_are_no_subtitles():
    """The tune film's phantom cues: "TEA" on a shop window and "ALift" on a floor sign, both
    tilted, and "TER" printed white on a blue shirt, level and centred, but not edged in
    black as every subtitle of the film was."""
    band = (0, 500, 1280, 720)
    subtitles = [track(1, 400, 600, 880, 640), track(2, 450, 645, 830, 685, t=1.0), track(3, 420, 600, 860, 640, t=3.0)]
    for sub, share in zip(subtitles, (0.9, 0.6, 0.75)):
        sub.outline_sum, sub.outline_reads = 4 * share, 4
    tilted = track(4, 560, 600, 720, 640, t=2.0)
    tilted.boxes = [TrackBox(2.0, ((560, 640), (720, 600), (730, 640), (570, 680)), "TEA", 0.9)]
    shirt = track(5, 580, 600, 700, 640, t=4.0)
    shirt.outline_sum, shirt.outline_reads = 0.1, 5
    unmeasured = track(6, 500, 600, 780, 640, t=5.0)  # no read of it held bright text: kept
    kept = subtitle_tracks([*subtitles, tilted, shirt, unmeasured], [band])
    assert kept == [*subtitles, unmeasured]


def test_an_italic_line_boxed_at_a_slant_is_measured_across_its_text():
    """A yellow italic line ("Amazing, though") boxed 4 degrees off level: its bounds were
    1.64 times the usual line's height, and the cue was lost; its own height is the usual."""
    band = (0, 500, 1280, 720)
    usual = [track(k, 420, 600, 860, 640, t=float(k)) for k in range(1, 4)]
    italic = track(4, 516, 630, 766, 678, t=5.0)
    slant = 250 * math.tan(math.radians(4))
    italic.boxes = [TrackBox(5.0, ((516, 630 + slant), (766, 630), (766, 678), (516, 678 + slant)), "x", 0.9)]
    assert subtitle_tracks([*usual, italic], [band]) == [*usual, italic]
