"""Score OCR output against ground truth: ICDAR 2015 word boxes, and whole printed pages.

Owns the protocol only (matching, normalisation, metrics); it runs no engine. Used by
the tests and the benchmarks, and by anyone who wants to measure an engine on their data.

Protocol, exactly:
* A predicted box whose text holds spaces is split into one box per word, each a slice
  of the box's length in proportion to the word's characters.
* Words are compared case-insensitively, after stripping punctuation at both ends
  (``_normalize_word``). A prediction whose text is only punctuation is still counted.
* A prediction that overlaps a ``###`` (illegible) box with IoU >= 0.5, and matches no
  legible box, is ignored: neither a hit nor a false positive.
* A hit: IoU >= 0.5 with a legible box and equal normalised text. Matching is one to
  one, greedy by IoU. Detection-only matching is the same without the text test.
* Character error rate: edit distance / ground-truth length, summed over the
  detection-matched pairs.
"""

from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stream_ocr.geometry import polygon_iou
from stream_ocr.step.lines import reading_order
from stream_ocr.tracking.similarity import edit_distance
from stream_ocr.types import Detection

IOU_THRESHOLD = 0.5
_PUNCT = string.punctuation + "“”‘’«»…€£"


@dataclass(frozen=True)
class GroundTruthBox:
    points: np.ndarray  # 4x2
    text: str

    @property
    def legible(self) -> bool:
        return self.text != "###"


@dataclass(frozen=True)
class WordScores:
    hits: int
    predictions: int
    ground_truth: int
    detection_hits: int
    char_errors: int
    chars: int

    @property
    def recall(self) -> float:
        return self.hits / self.ground_truth if self.ground_truth else 0.0

    @property
    def precision(self) -> float:
        return self.hits / self.predictions if self.predictions else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def detection_recall(self) -> float:
        return self.detection_hits / self.ground_truth if self.ground_truth else 0.0

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else 0.0

    def __add__(self, other: WordScores) -> WordScores:
        return WordScores(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, ...]:
        return (self.hits, self.predictions, self.ground_truth, self.detection_hits, self.char_errors, self.chars)

    def summary(self) -> dict[str, float]:
        return {
            "recall": round(self.recall, 3),
            "precision": round(self.precision, 3),
            "f1": round(self.f1, 3),
            "detection_recall": round(self.detection_recall, 3),
            "cer": round(self.cer, 3),
        }


EMPTY_SCORES = WordScores(0, 0, 0, 0, 0, 0)


def _normalize_word(text: str) -> str:
    return text.strip().strip(_PUNCT).lower()


def read_icdar_gt(path: str | Path) -> list[GroundTruthBox]:
    """Read an ICDAR 2015 ``gt_img_N.txt`` (BOM and CRLF tolerated; commas in text kept)."""
    boxes = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        if not line.strip():
            continue
        parts = line.split(",", 8)
        points = np.array([float(v) for v in parts[:8]], dtype=np.float32).reshape(4, 2)
        boxes.append(GroundTruthBox(points, parts[8]))
    return boxes


def split_into_words(det: Detection) -> list[Detection]:
    """Split a line box into word boxes, in proportion to each word's characters."""
    words = det.text.split()
    if len(words) <= 1:
        return [det] if words else []
    tl, tr, br, bl = (np.array(p, dtype=np.float64) for p in det.points)
    total = len(det.text)
    out = []
    position = 0
    for word in words:
        start = det.text.index(word, position)
        end = start + len(word)
        position = end
        a, b = start / total, end / total
        pts = [tl + (tr - tl) * a, tl + (tr - tl) * b, bl + (br - bl) * b, bl + (br - bl) * a]
        out.append(Detection.from_array(pts, word, det.confidence))
    return out


def _greedy_match(pairs: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    used_p: set[int] = set()
    used_g: set[int] = set()
    matches = []
    for _, p, g in sorted(pairs, reverse=True):
        if p not in used_p and g not in used_g:
            used_p.add(p)
            used_g.add(g)
            matches.append((p, g))
    return matches


def score_words(detections: list[Detection] | tuple[Detection, ...], truth: list[GroundTruthBox]) -> WordScores:
    """End-to-end word scores of one image (see the module docstring for the protocol)."""
    preds = [w for d in detections for w in split_into_words(d)]
    legible = [g for g in truth if g.legible]
    illegible = [g for g in truth if not g.legible]
    pred_pts = [np.array(p.points, dtype=np.float32) for p in preds]
    ious = np.array([[polygon_iou(pp, g.points) for g in legible] for pp in pred_pts]).reshape(len(preds), len(legible))

    detection_pairs = [
        (ious[p, g], p, g) for p in range(len(preds)) for g in range(len(legible)) if ious[p, g] >= IOU_THRESHOLD
    ]
    detection_matches = _greedy_match(detection_pairs)
    text_pairs = [
        (iou, p, g)
        for iou, p, g in detection_pairs
        if _normalize_word(preds[p].text) == _normalize_word(legible[g].text)
    ]
    hits = _greedy_match(text_pairs)

    matched_any = {p for p, _ in detection_matches}
    ignored = 0
    for p, pp in enumerate(pred_pts):
        if p in matched_any:
            continue
        if any(polygon_iou(pp, g.points) >= IOU_THRESHOLD for g in illegible):
            ignored += 1
    char_errors = sum(edit_distance(preds[p].text.lower(), legible[g].text.lower()) for p, g in detection_matches)
    chars = sum(len(legible[g].text) for _, g in detection_matches)
    return WordScores(
        hits=len(hits),
        predictions=len(preds) - ignored,
        ground_truth=len(legible),
        detection_hits=len(detection_matches),
        char_errors=char_errors,
        chars=chars,
    )


@dataclass(frozen=True)
class PageScores:
    cer: float
    word_recall: float
    word_precision: float
    text: str


def page_text(detections: list[Detection] | tuple[Detection, ...]) -> str:
    """The detections' text in reading order, one space between words."""
    return " ".join(d.text for d in reading_order(list(detections)))


def score_page(detections: list[Detection] | tuple[Detection, ...], truth_text: str) -> PageScores:
    """Character error rate (whitespace folded) and word recall/precision of a whole page."""
    predicted = " ".join(page_text(detections).split())
    truth = " ".join(truth_text.split())
    cer = edit_distance(predicted, truth) / max(1, len(truth))
    pred_words = Counter(w for w in (_normalize_word(x) for x in predicted.split()) if w)
    true_words = Counter(w for w in (_normalize_word(x) for x in truth.split()) if w)
    common = sum((pred_words & true_words).values())
    return PageScores(
        cer=cer,
        word_recall=common / max(1, sum(true_words.values())),
        word_precision=common / max(1, sum(pred_words.values())),
        text=predicted,
    )
