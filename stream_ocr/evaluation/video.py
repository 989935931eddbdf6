"""Score a video's text timeline against ground truth lines with their time spans.

Owns the protocol only; it runs no engine. Used by the tests and ``benchmarks/video.py``.

* Texts are compared after NFKC and case folding, with punctuation (Chinese and Japanese
  marks too) removed and spaces collapsed.
* A truth line is **found** when a cue overlapping its time span has a line (or, for a
  block, the whole cue) within character error rate 0.2 of it; its timing error is the
  distance between the cue's start and end and the truth's.
* **Cue CER** is, per truth line, the best such CER among overlapping cues (1 if none).
* A **duplicate** is a second cue that also finds the same truth line.
* A **false cue** is one of which no line (nor the whole cue) is within CER
  ``FALSE_CUE_CER`` (0.4: a misread of a real line is a bad cue, not a false one) of a
  truth line overlapping its time.
* **Word recall**: a truth word is found when a track overlapping its line's span holds
  it exactly (after normalisation). **Track CER**: per truth line, the best CER among
  overlapping tracks' fused texts.

``score_subtitles`` scores what a subtitle reader sees, character for character: a truth
line is **exact** when one cue overlapping it holds it as printed (case, punctuation and
dashes included; only runs of spaces are folded), and a truth cue is exact when one
output cue is its lines, in order, exactly.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from stream_ocr.tracking.similarity import edit_distance

FOUND_CER = 0.2
FALSE_CUE_CER = 0.4
_PUNCT = re.compile("[" + re.escape(string.punctuation + "“”‘’«»…。、「」『』《》【】・") + "]")


def normalise(text: str) -> str:
    # NFKC first: a full-width "？" or "！" is the ASCII mark, and goes with it.
    return " ".join(_PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def cer(truth: str, read: str) -> float:
    t, r = normalise(truth), normalise(read)
    return edit_distance(t, r) / max(1, len(t))


def truth_lines(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """A sample's truth as lines with spans: its ``lines``, or the lines of its ``cues``."""
    if "lines" in truth:
        return list(truth["lines"])
    return [{"text": line, "start": c["start"], "end": c["end"]} for c in truth.get("cues", []) for line in c["lines"]]


def _overlaps(a_start: float, a_end: float, b_start: float, b_end: float) -> bool:
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True)
class TimelineScores:
    lines: int
    lines_found: int
    line_recall: float
    cue_cer: float
    duplicates: int
    false_cues: int
    timing_error_s: float
    words: int
    words_found: int
    word_recall: float
    track_cer: float

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def score_timeline(
    cues: list[tuple[float, float, str]], tracks: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> TimelineScores:
    """Score ``cues`` (start, end, text) and ``tracks`` (dicts with text, first_time, end_time)."""
    found = duplicates = 0
    cers, timing = [], []
    for line in truth:
        best, best_cue, hits = 1.0, None, 0
        for start, end, text in cues:
            if not _overlaps(start, end, line["start"], line["end"]):
                continue
            value = min(cer(line["text"], part) for part in [*text.split("\n"), text])
            hits += value <= FOUND_CER
            if value < best:
                best, best_cue = value, (start, end)
        cers.append(min(best, 1.0))
        if best <= FOUND_CER and best_cue is not None:
            found += 1
            duplicates += max(0, hits - 1)
            timing += [abs(best_cue[0] - line["start"]), abs(best_cue[1] - line["end"])]
    words = words_found = 0
    track_cers = []
    for line in truth:
        near = [t for t in tracks if _overlaps(t["first_time"], t["end_time"], line["start"], line["end"])]
        track_cers.append(min([cer(line["text"], t["text"]) for t in near] + [1.0]))
        held = {w for t in near for w in normalise(t["text"]).split()}
        for w in normalise(line["text"]).split():
            words += 1
            words_found += w in held
    false_cues = sum(
        not any(
            _overlaps(start, end, line["start"], line["end"])
            and min(cer(line["text"], part) for part in [*text.split("\n"), text]) <= FALSE_CUE_CER
            for line in truth
        )
        for start, end, text in cues
    )
    n = max(1, len(truth))
    return TimelineScores(
        lines=len(truth),
        lines_found=found,
        line_recall=found / n,
        cue_cer=sum(cers) / n,
        duplicates=duplicates,
        false_cues=false_cues,
        timing_error_s=sum(timing) / len(timing) if timing else 0.0,
        words=words,
        words_found=words_found,
        word_recall=words_found / max(1, words),
        track_cer=sum(track_cers) / n,
    )


def fold(text: str) -> str:
    """``text`` as a reader compares it: exact, but for runs of spaces (NFC, so a composed
    and a decomposed accent are one character)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def exact_cer(truth: str, read: str) -> float:
    """Character error rate with case and punctuation counted (spaces folded)."""
    t = fold(truth)
    return edit_distance(t, fold(read)) / max(1, len(t))


@dataclass(frozen=True)
class SubtitleScores:
    cues: int
    lines: int
    exact_lines: float
    exact_cues: float
    lines_found: float  # within CER 0.1 with case and punctuation forgiven (``normalise``)
    cer: float  # per truth line, the best exact CER among overlapping cues' lines
    output_cues: int
    phantom_cues: int  # output cues with no line within ``FALSE_CUE_CER`` of a truth line of their time
    split_cues: int  # truth cues whose lines came out in more than one output cue
    timing_error_s: float  # median |start| and |end| error of the exact or found cues
    wrong: tuple[tuple[str, str], ...]  # (truth line, the closest read) for each line not exact
    phantoms: tuple[tuple[float, str], ...] = ()  # (start, text) of each phantom cue

    def to_dict(self) -> dict[str, Any]:
        out = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}
        out["wrong"] = [list(pair) for pair in self.wrong]
        out["phantoms"] = [[round(start, 3), text] for start, text in self.phantoms]
        return out


def score_subtitles(output: list[tuple[float, float, str]], truth_cues: list[dict[str, Any]]) -> SubtitleScores:
    """Score SRT cues (start, end, text with lines split by newlines) against truth cues
    (``start``, ``end``, ``lines``) as a subtitle reader would."""
    out_lines = [[fold(line) for line in text.split("\n") if line.strip()] for _, _, text in output]
    exact_lines = found = exact_cues = split = 0
    cers: list[float] = []
    timing: list[float] = []
    wrong: list[tuple[str, str]] = []
    for cue in truth_cues:
        near = [i for i, (s, e, _) in enumerate(output) if _overlaps(s, e, cue["start"], cue["end"])]
        holders = set()
        for line in cue["lines"]:
            line = fold(line)
            candidates = [(exact_cer(line, read), read, i) for i in near for read in out_lines[i]]
            best = min(candidates, default=(1.0, "", -1))
            cers.append(min(best[0], 1.0))
            exact_lines += best[0] == 0
            found += any(cer(line, read) <= 0.1 for _, read, _ in candidates)
            if best[0] > 0:
                wrong.append((line, best[1]))
            if best[2] >= 0 and cer(line, best[1]) <= FOUND_CER:
                holders.add(best[2])
        split += len(holders) > 1
        whole = [fold(line) for line in cue["lines"]]
        hit = [i for i in near if out_lines[i] == whole]
        exact_cues += bool(hit)
        matched = hit or sorted(holders)
        if matched:
            s, e, _ = output[matched[0]]
            timing += [abs(s - cue["start"]), abs(output[matched[-1]][1] - cue["end"])]
    phantoms = [
        (s, text)
        for s, e, text in output
        if not any(
            _overlaps(s, e, cue["start"], cue["end"])
            and min(cer(line, part) for part in [*text.split("\n"), text]) <= FALSE_CUE_CER
            for cue in truth_cues
            for line in cue["lines"]
        )
    ]
    n_lines = max(1, len(cers))
    timing.sort()
    return SubtitleScores(
        cues=len(truth_cues),
        lines=len(cers),
        exact_lines=exact_lines / n_lines,
        exact_cues=exact_cues / max(1, len(truth_cues)),
        lines_found=found / n_lines,
        cer=sum(cers) / n_lines,
        output_cues=len(output),
        phantom_cues=len(phantoms),
        split_cues=split,
        timing_error_s=timing[len(timing) // 2] if timing else 0.0,
        wrong=tuple(wrong),
        phantoms=tuple(phantoms),
    )
