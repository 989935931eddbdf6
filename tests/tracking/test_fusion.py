"""Text identity and fusion: which reads are one text, and what many reads of one text say."""

import pytest

from stream_ocr.tracking.fusion import (
    DIFFERENT,
    SAME,
    UNSURE,
    IdentityConfig,
    fuse,
    is_fragment,
    relation,
    repair_case,
    same_text,
)


@pytest.mark.parametrize(
    "known, read, confidence",
    [
        ("WATCH", "Waich", 0.9),
        ("community", "communiiy", 0.9),
        ("PROTECTED", "PROTECTeD", 0.95),
        ("OPEN", "0PEN", 0.6),
        ("I'm going grocery shopping.", "Tm going grocery shopping:", 0.9),
        ("I'm going grocery shopping.", "I'm going shopping.", 0.9),  # a word missed on one frame
        ("HOME 1 - 0 AWAY", "HOME 1 -0 AWAY", 0.9),
        ("8/10", "B/10", 0.6),  # B read for 8
    ],
)
def test_misreadings_are_the_same_text(known, read, confidence):
    assert same_text(known, read, confidence)
    assert relation(known, read, confidence) == SAME


@pytest.mark.parametrize(
    "known, read",
    [
        ("A", "B"),  # a slide's letter
        ("Chapter A", "Chapter B"),
        ("1/5", "2/5"),  # a page counter
        ("HOME 1 - 0 AWAY", "HOME 1 - 1 AWAY"),  # a score
        ("LAP 7/10", "LAP 8/10"),
        ("I've decided, Rem.", "Yes?"),  # subtitles
        ("Yes?", "Yes, I know."),
        ("Where are my keys?", "Where are my bags?"),
        ("Where are my keys?", "On the table."),
        ("10:59", "11:00"),  # a clock
    ],
)
def test_other_texts_are_different_even_in_the_same_place(known, read):
    assert not same_text(known, read, 0.99)
    assert relation(known, read, 0.99) == DIFFERENT


def test_an_unsure_garbled_read_is_left_to_geometry():
    # Glare hid most of a word: far from the text, but the recognizer was unsure of it.
    assert relation("community garden", "comr garden", 0.85) == UNSURE
    # The same read, confidently made, is another text.
    assert relation("community garden", "comr garden", 0.99) == DIFFERENT
    # A lesser garbling from an unsure recognizer is simply the same text.
    assert relation("community garden", "commur garden", 0.85) == SAME
    # Digits never become unsure.
    assert relation("LAP 7/10", "LAP 8/10", 0.3) == DIFFERENT


def test_a_confident_close_misread_is_left_to_geometry_unless_a_word_was_replaced():
    # Two reads of "community garden" under glare, each made with confidence 0.95-1.0.
    assert relation("ommunity arden", "commun garden", 0.95) == UNSURE
    assert relation("communit garden", "comm ity garder", 1.0) == UNSURE
    # A word put for another stays another text, however sure and however close.
    assert relation("Where are my keys?", "Where are my bags?", 1.0) == DIFFERENT


def test_fragments():
    assert is_fragment("WATCH", "WATCH YOUR STEP")
    assert is_fragment("STEP", "WATCH YOUR STEP")
    assert not is_fragment("WATCH YOUR STEP", "WATCH")
    assert not is_fragment("EXIT", "WATCH YOUR STEP")


def test_fusion_recovers_text_no_single_read_has():
    # Each read lost or garbled a different letter, as glare moving across a sign does.
    reads = {
        "WATCH YOUR STEP": 0.0,
        "VATCH YOUR STEP": 1.9,
        "WATCH YOUI STEP": 1.9,
        "WATCH YOUR ST P": 1.9,
        "WATC 4 YOUR STEP": 1.0,
        "ATCH YOUR STEP": 1.0,
        "WATCH OUR STEP": 2.0,
    }
    fused = fuse(reads)
    assert fused.text == "WATCH YOUR STEP"
    # The old rule, the read with the largest summed confidence, is wrong here.
    assert max(reads, key=reads.get) != "WATCH YOUR STEP"
    assert 0.5 < fused.confidence < 1.0


def test_fusion_of_agreeing_reads_is_confident_and_single_reads_pass_through():
    assert fuse({"OPEN": 3.0}).text == "OPEN"
    assert fuse({"OPEN": 3.0}).confidence == 1.0
    assert fuse({}).text == ""
    fused = fuse({"community": 2.0, "communiiy": 0.9, "comunity": 0.8})
    assert fused.text == "community"


def test_case_repair():
    assert repair_case("PROTECTeD AREA") == "PROTECTED AREA"
    assert repair_case("iPhone") == "iPhone"
    assert repair_case("I'm going") == "I'm going"


def test_a_faint_mark_read_by_about_half_the_reads_is_kept_and_a_mark_read_by_few_is_not():
    """The tune film: two reads of a subtitle ended "the a end.", two "the a end..."; the
    printed line has the ellipsis."""
    assert fuse({"When it gets back to the a end.": 2.0, "When it gets back to the a end...": 1.999}).text == (
        "When it gets back to the a end..."
    )
    assert fuse({"When it gets back to the a end...": 1.999, "When it gets back to the a end.": 2.0}).text == (
        "When it gets back to the a end..."
    )
    assert fuse({"work We'd": 1.0, "work. We'd": 0.95}).text == "work. We'd"
    # A mark read by a clear minority is a misread: nothing wins.
    assert fuse({"Getting the check": 3.0, "Getting the check.": 1.0}).text == "Getting the check"
    assert fuse({"I said": 3.0, "- I said": 1.0}).text == "I said"
    # Letters get no such help: a tie between a letter and nothing still goes to nothing.
    assert fuse({"cat": 2.0, "cats": 1.999}).text == "cat"


def test_with_partial_reads_off_a_shorter_line_of_the_same_words_is_another_text():
    """Subtitles are never hidden in part: the tune film's "- I believe you." came in the
    place of "- I want you to believe it.", and was taken for it with a word hidden."""
    old, new = "- I want you to believe it.", "- I believe you."
    assert same_text(old, new, 0.99)  # a scene's line with words hidden by glare or a hand
    subtitles = IdentityConfig(partial=False)
    assert not same_text(old, new, 0.99, subtitles)
    assert relation(old, new, 0.99, subtitles) == "different"
    # A word or two misread is still the same line.
    assert same_text(old, "- I want yOu to beleive it.", 0.9, subtitles)
