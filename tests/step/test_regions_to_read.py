"""Which parts of a changed frame are read: regions grown to whole lines, and kept apart."""

from stream_ocr.geometry import cut_back, overlaps
from stream_ocr.step.regions import apart, regions_to_read, reread_wider
from stream_ocr.types import Line

SHAPE = (360, 640, 3)


def line(x0, y0, x1, y1, text="text"):
    return Line(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), text, 0.9)


def area(regions):
    return sum((r[2] - r[0]) * (r[3] - r[1]) for r in regions)


def test_a_strip_down_a_side_and_a_bottom_strip_grown_to_a_subtitle_are_read_apart():
    """A camera moving down and left shows new strips along the bottom and the right edge;
    the bottom one grows to hold the subtitle it touches, and then overlaps the side strip.
    Their bounding box was the whole frame (the subtitles sample read 8 frames whole so)."""
    subtitle = line(240, 312, 394, 340, "On the table")
    regions = regions_to_read(((0, 336, 640, 360), (608, 0, 640, 336)), (subtitle,), SHAPE)
    assert len(regions) == 2
    assert not overlaps(regions[0], regions[1])
    assert area(regions) < 0.3 * 640 * 360
    held = [r for r in regions if r[0] <= 240 and r[1] <= 312 and r[2] >= 394 and r[3] >= 340]
    assert held, regions  # the subtitle is read whole, in one region


def test_a_cut_that_would_split_a_line_merges_the_two_regions_instead():
    """The side strip would be cut back to the bottom region's edge, but a line crosses
    that edge: cut, the line would be read in two halves, so the two are merged."""
    crossing = line(600, 300, 636, 340, "9")  # in the side strip, and reaching into the bottom one
    bottom, side = (0, 320, 640, 360), (560, 0, 640, 330)
    merged = apart([bottom, side], (crossing,), SHAPE)
    assert merged == [(0, 0, 640, 360)]


def test_cut_back_leaves_one_box_or_none():
    assert cut_back((608, 0, 640, 336), (0, 300, 640, 360)) == (608, 0, 640, 300)
    assert cut_back((0, 0, 40, 360), (0, 100, 640, 200)) is None  # the middle of b: two boxes left
    assert cut_back((0, 0, 40, 100), (0, 0, 640, 360)) is None  # b wholly inside a
    assert cut_back((100, 0, 300, 50), (0, 0, 200, 360)) == (200, 0, 300, 50)


def test_regions_that_overlap_along_one_line_of_text_still_merge():
    """Two changed places on one line of text are read together, as before."""
    words = line(100, 100, 400, 130, "two changed places")
    regions = regions_to_read(((100, 95, 200, 135), (300, 95, 400, 135)), (words,), SHAPE)
    assert len(regions) == 1
    x0, y0, x1, y1 = regions[0]
    assert x0 <= 100 and x1 >= 400 and y0 <= 100 and y1 >= 130


def test_a_subtitle_band_that_grows_into_the_bottom_strip_is_merged_with_it_and_the_side_strip_cut():
    """The case of subtitles.mp4 at 14.5 s: a camera moving down and left, and the subtitle
    band grown to hold its line reaches into the new strip along the bottom. Those two
    merge; the strip down the side is then cut back above them, not merged into a box the
    size of the frame."""
    subtitle = line(235, 304, 389, 331, "On the table")
    regions = regions_to_read(((0, 336, 640, 360), (224, 288, 400, 336), (608, 0, 640, 336)), (subtitle,), SHAPE)
    assert len(regions) == 2, regions
    assert not overlaps(regions[0], regions[1])
    assert area(regions) < 0.3 * 640 * 360, regions


def test_overlapping_regions_whose_box_wastes_little_are_merged_not_cut_into_slivers():
    """A sign's changed glare spots, one region grown to hold a line: cutting one back to
    the other's edge left regions 1 to 17 px wide (each a detector call of its own, and
    cutting any new text across them); their bounding box is hardly larger, so one box."""
    sign_line = line(150, 90, 580, 130, "WATCH YOUR STEP")
    regions = regions_to_read(((128, 64, 560, 208), (145, 64, 587, 84)), (sign_line,), SHAPE)
    assert len(regions) == 1, regions
    assert min(r[2] - r[0] for r in regions) > 100 and min(r[3] - r[1] for r in regions) > 100


def test_a_change_above_a_bottom_strip_that_touches_it_is_read_with_it():
    """A subtitle appearing over a camera pan: the change gate gave a box over its upper
    part and the bottom strip under it, touching. Read apart, the new line (not yet a known
    line to grow them to) was read as two halves, and its track's text was garbage."""
    regions = regions_to_read(((208, 267, 432, 331), (0, 331, 640, 360), (608, 203, 640, 331)), (), SHAPE)
    assert (0, 267, 640, 360) in regions, regions
    # The strip down the side is higher than wide: it stays apart.
    assert any(r[0] == 608 and r[3] <= 331 for r in regions), regions


def test_a_new_line_a_region_cut_at_its_end_is_read_again_across_the_view():
    """A subtitle fading in changed least at its ends: the region stopped inside the line,
    whose box then ends at the region's edge. It is read again in its strip across the view."""
    region = (256, 200, 500, 300)
    cut = line(282, 220, 498, 260, "We'd have to")  # ends 2 px short of the region's edge
    (again,) = reread_wider((region,), (cut,), (), SHAPE)
    assert again[0] == 0 and again[2] == 640, again
    assert again[1] <= 220 - 0.25 * 40 and again[3] >= 260 + 0.25 * 40
    assert again[1] >= region[1] and again[3] <= region[3]  # the region held the strip's height


def test_a_new_line_well_inside_its_region_or_at_the_views_edge_is_not_read_again():
    inside = line(300, 220, 460, 260, "Exit")  # 40 px (a line height) short of both ends
    assert reread_wider(((256, 200, 500, 300),), (inside,), (), SHAPE) == ((256, 200, 500, 300),)
    at_edge = line(500, 220, 640, 260, "Gate 9")  # runs to the view's own edge: nothing more to see
    assert reread_wider(((480, 200, 640, 300),), (at_edge,), (), SHAPE) == ((480, 200, 640, 300),)


def test_a_new_line_cut_at_its_foot_is_read_again_with_its_room_and_known_lines_stay_whole():
    region = (100, 100, 400, 158)
    cut = line(150, 120, 350, 157, "Platform")  # its foot at the region's bottom edge
    below = line(120, 164, 380, 194, "Departures")  # known: the grown region touches it
    (again,) = reread_wider((region,), (cut,), (below,), SHAPE)
    assert again[3] >= 194 and again[0] <= 120 and again[2] >= 380, again  # holds the known line whole


def test_a_line_read_before_is_not_read_again_wider_its_region_was_grown_for_it():
    known = line(282, 220, 498, 260, "We'd have to...")
    again = line(283, 221, 497, 259, "We'd have to...")  # read again in the region grown to hold it
    assert reread_wider(((272, 210, 508, 270),), (again,), (known,), SHAPE) == ((272, 210, 508, 270),)
