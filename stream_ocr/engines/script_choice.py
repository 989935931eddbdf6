"""Which recogniser's read each box keeps: english_g2's for Latin, PP-OCR's for Chinese and Japanese.

Owns the choice only. english_g2 reads every box first (it is the default engine's
recogniser, and tuned on the footage it meets). A Chinese or Japanese line is a guess in
Latin letters to it, read under 0.28 nine times in ten (drawn lines), where the Latin
text of the samples reads at 0.85 or more. So a box goes to PP-OCR's multilingual recogniser
(``ppocr_recognizer``) only when english_g2's read is under ``second_read_below``, or when
English is not among the languages at all; PP-OCR's read then replaces english_g2's when
it is in a language being read and not Latin (english_g2 stays the Latin reader), and is
read more surely. English-only footage pays only for its unsure boxes' second reads
(``benchmarks/video.py --lang``).
"""

from __future__ import annotations

import numpy as np

from stream_ocr.engines.english_g2 import Read
from stream_ocr.engines.ppocr_recognizer import PPOCRRecognizer
from stream_ocr.step.scripts import CJK_LANGUAGES, language_of

# english_g2 reads below this are read again by PP-OCR's recogniser. Chosen on training
# material (tools/tune_scripts.py; BENCHMARKS.md): of 400 Chinese and Japanese lines drawn
# in Noto Serif CJK over ICDAR 2015 training photos, 0.917 are found at 0.7 (0.866 of those
# of one or two characters), against 0.885 (0.768) at 0.4 and 0.925 (0.884) at 0.9; of the
# engine's 601 boxes on 100 training photos, 0.7 reads 40% again (0.4: 24%, 0.9: 60%) and
# 13 become CJK (0.4: 11).
SECOND_READ_BELOW = 0.7


class ScriptChooser:
    """Boxes and english_g2's reads of them in, each box's chosen read out."""

    def __init__(
        self, recognizer: PPOCRRecognizer, languages: tuple[str, ...], second_read_below: float = SECOND_READ_BELOW
    ) -> None:
        self.recognizer = recognizer
        self.languages = languages
        self.second_read_below = second_read_below

    def needs_second_read(self, read: Read) -> bool:
        if "en" not in self.languages:
            return True
        return read.confidence is None or read.confidence < self.second_read_below

    def choose(
        self, bgr: np.ndarray, boxes: list[np.ndarray], reads: list[Read], timings: dict[str, float] | None = None
    ) -> list[Read]:
        """``reads`` of ``boxes`` with the second reads that won put in their place.

        PP-OCR reads the detector's box as it stands in the frame: english_g2 may have
        turned an unreadable line upside down (its orientation choice goes by confidence, and
        a Chinese line is unsure either way), and a turned line reads as other characters."""
        todo = [i for i, read in enumerate(reads) if self.needs_second_read(read)]
        if not todo:
            return reads
        second = self.recognizer.read_boxes(bgr, [boxes[i] for i in todo], timings)
        out = list(reads)
        for i, (text, confidence) in zip(todo, second):
            if self.better(reads[i], text, confidence):
                out[i] = Read(np.asarray(boxes[i], dtype=np.float32), text, confidence)
        return out

    def better(self, first: Read, text: str, confidence: float) -> bool:
        """Whether PP-OCR's read (``text``, ``confidence``) of a box beats english_g2's ``first``."""
        if not text.strip():
            return False
        if "en" not in self.languages:
            # Every box is its to read (the junk rules drop what is not asked for), but for
            # digits and punctuation english_g2 read more surely: a full-width question mark
            # boxed on its own is a "?" to english_g2 (0.85), an "8" to PP-OCR (0.49).
            surer = first.confidence is not None and first.confidence >= confidence
            return not (surer and language_of(first.text) is None)
        language = language_of(text, self.languages)
        if language not in CJK_LANGUAGES or language not in self.languages:
            return False
        return first.confidence is None or confidence > first.confidence
