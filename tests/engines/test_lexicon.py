"""English words against word frequencies: what the lexicon mends, and what it must leave alone."""

import pytest

from stream_ocr.engines.lexicon import correct_line


def mended(line: str) -> str:
    return " ".join(part for parts in correct_line(line.split()) for part in parts)


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("Okay, Iook..", "Okay, look..."),  # I for l, and an ellipsis run together
        ("AIl he really did was just take", "All he really did was just take"),
        ("Iwas going to come give you this", "I was going to come give you this"),  # a lost space after I
        ("So lguess it's over.", "So I guess it's over."),
        ("Asmall chance it won't curve", "A small chance it won't curve"),
        ("And ifyou would just tell him", "And if you would just tell him"),
        ("Look, ! made a mistake, all right?", "Look, I made a mistake, all right?"),  # a lone I read as "!"
        ("that sample | brought?", "that sample I brought?"),
        ("1 think so.", "I think so."),
        ("so l said no", "so I said no"),
        ("NO, Dad.", "No, Dad."),  # case the glyphs cannot tell, by the line's case
        ("Thank you. DO you have", "Thank you. Do you have"),
        ("I am so glad you are accommodating US.", "I am so glad you are accommodating us."),
        ("sO he may be a little defensive.", "so he may be a little defensive."),
        ("to fit into.As far as", "to fit into. As far as"),
        ("- 1,347,man, you got that fast.", "- 1,347, man, you got that fast."),
        ("that box comnes ungrounded.", "that box comes ungrounded."),  # a stray glyph
        ("Okay, so wihat is it?", "Okay, so what is it?"),
        ("one bbig one", "one big one"),
        ("we'Ill find some place.", "we'll find some place."),
        ("Goodbyel", "Goodbye!"),
        (
            "There's an 'a'end and a'b'end.",
            "There's an 'a' end and a 'b' end.",
        ),  # a letter in quotes  # a closing "!" read as "l"
        ("Whatwe can do...", "What we can do..."),
        ("- SO you'd do it?", "- So you'd do it?"),  # a sentence starts after the dash
    ],
)
def test_misreads_are_mended(read, meant):
    assert mended(read) == meant


@pytest.mark.parametrize(
    "line",
    [
        "What, Bradshaw? Terger. Aspergillus ticor.",  # names in no list stay as read
        "Room 101 is on floor 1 of 3",  # numbers stay numbers
        "It is a 1 time thing",  # "1" before a word, after an article, is a number
        "THE LAST OF US",  # a line in capitals keeps its capitals
        "UOB OCBC DBS",
        "OK, so it's a TV show.",
        "Il Divo sang in Iowa.",
        "- Hi.",
        "e.g. M.I.T. and U.S.A.",
        "along the way",  # a real word is never split ("a long")
        "at cortex seni.",  # no split into syllables of other languages ("se ni")
        "it'll start secreting",  # a rare word is no word and a suffix ("secret ing")
        "It should be accumulative",  # nor a syllable and a word ("ac cumulative")
        "So your meter's jacked up.",  # no split at an apostrophe ("meter 's")
        "failsafe running...",  # a compound of two rarer words is no lost space
        "drove to russellfield.",
        "maybe it was the dramamine",
        "-Margarethe Lorenz.",  # a name is not split ("Margaret he")
        "Hotel Lovel, Eliseo.",  # names in some list, or none, keep their letters
        "- So you'd do it?",
        "rock'n'roll, we'd, don't, 'Tis",
    ],
)
def test_what_is_right_is_left_alone(line):
    assert mended(line) == line


def test_each_word_maps_to_its_parts_in_order():
    assert correct_line(["Iwas", "here", "AIl", "day"]) == [["I", "was"], ["here"], ["All"], ["day"]]
