"""Write a video's text timeline to files: frames.jsonl, tracks.json, SRT, WebVTT, summary.json.

Owns file formats, and how tracks become cues: one cue per on-screen line, or per block
of stacked lines that come and go together (a two-line subtitle), never two for one line;
and, for a video in several languages, each language's cues from its own lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pysubs2

from stream_ocr.geometry import bbox
from stream_ocr.service import Closing
from stream_ocr.step.scripts import languages_of
from stream_ocr.tracking.tracker import Track


@dataclass(frozen=True)
class Cue:
    """One subtitle cue: its lines, top to bottom, from first sighting to last plus one sample interval."""

    start: float
    end: float
    lines: tuple[str, ...]
    top: float = 0.0  # where the cue's first line stood: cues that start together go top to bottom

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _box(track: Track) -> tuple[float, float, float, float]:
    return bbox(track.boxes[-1].points)


def _stacked(a: Track, b: Track) -> bool:
    """Two lines one above the other, close and overlapping sideways: one block, as a subtitle."""
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = _box(a), _box(b)
    height = max(ay1 - ay0, by1 - by0, 1.0)
    gap = max(ay0, by0) - min(ay1, by1)
    overlap = min(ax1, bx1) - max(ax0, bx0)
    return gap <= 0.8 * height and overlap >= 0.3 * min(ax1 - ax0, bx1 - bx0)


def cues(tracks: list[Track], hold_s: float) -> list[Cue]:
    """One cue per on-screen line or block, in time and reading order.

    Lines stacked into a block that are seen together and appear and go together (within
    ``hold_s``, one sample interval) make one cue of several lines, as a two-line subtitle. Two tracks of the
    same text whose times overlap make one cue, never two.
    """
    tracks = sorted((t for t in tracks if t.text and t.boxes), key=lambda t: (t.first_time, _box(t)[1]))
    groups: list[list[Track]] = []
    for track in tracks:
        for group in groups:
            lead = group[0]
            same_span = (
                abs(lead.first_time - track.first_time) <= hold_s + 1e-6
                and abs(lead.last_time - track.last_time) <= hold_s + 1e-6
                # and seen together at least once: two captions of one sample each, one
                # sample apart in one place, are two cues (a cut), not a two-line block
                and max(lead.first_time, track.first_time) <= min(lead.last_time, track.last_time) + 1e-6
            )
            if same_span and any(_stacked(member, track) for member in group):
                group.append(track)
                break
            if all(m.text == track.text for m in group) and track.first_time <= lead.last_time + hold_s:
                group.append(track)  # the same line twice at once: one cue
                break
        else:
            groups.append([track])
    out = []
    for group in groups:
        group.sort(key=lambda t: _box(t)[1])
        start = min(t.first_time for t in group)
        end = max(t.end_time(hold_s) for t in group)
        out.append(Cue(start, end, tuple(dict.fromkeys(t.text for t in group)), _box(group[0])[1]))
    return sorted(out, key=lambda c: (round(c.start, 3), c.top))


def cues_by_language(tracks: list[Track], hold: float) -> dict[str, list[Cue]]:
    """Each language's cues from its own tracks, when ``tracks`` hold more than one language."""
    languages = languages_of([t.text for t in tracks])
    named = sorted({language for language in languages if language is not None})
    if len(named) < 2:
        return {}
    return {
        language: cues([t for t, of in zip(tracks, languages) if of in (language, None)], hold) for language in named
    }


def _subtitles(cue_list: list[Cue]) -> pysubs2.SSAFile:
    # A cue's lines joined with SSA's line break, \N (a read text holding a literal "\N",
    # "\n" or "\h" would be broken there: OCR does not read such texts off a screen).
    subs = pysubs2.SSAFile()
    for cue in cue_list:
        start, end = (max(0, round(t * 1000)) for t in (cue.start, cue.end))
        subs.append(pysubs2.SSAEvent(start=start, end=end, text=r"\N".join(cue.lines)))
    return subs


def write_srt(path: Path, cue_list: list[Cue]) -> None:
    # keep_ssa_tags: a read text is written as it was read ("{" and "}" included).
    _subtitles(cue_list).save(str(path), encoding="utf-8", format_="srt", keep_ssa_tags=True)


def write_vtt(path: Path, cue_list: list[Cue]) -> None:
    _subtitles(cue_list).save(str(path), encoding="utf-8", format_="vtt", keep_ssa_tags=True)


def write_tracks(path: Path, tracks: list[dict[str, Any]]) -> None:
    """tracks.json: the tracks as ``Timeline.track_dict`` gives them."""
    path.write_text(json.dumps({"tracks": tracks}, indent=1) + "\n", encoding="utf-8")


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


class FramesWriter(Closing):
    """``frames.jsonl``: one line per processed (or skipped-as-unchanged) frame, flushed as it goes."""

    def __init__(self, path: Path, keep_bytes: int = 0) -> None:
        """``keep_bytes``: go on after that much of an earlier run's file (a resumed job)."""
        if keep_bytes:
            self._file: TextIO = open(path, "r+", encoding="utf-8")  # noqa: SIM115  (open for the whole job)
            self._file.seek(keep_bytes)
            self._file.truncate()
        else:
            self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115
        self._bytes = keep_bytes

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record) + "\n"
        self._file.write(line)
        self._file.flush()
        self._bytes += len(line.encode("utf-8"))

    def tell(self) -> int:
        """Bytes written to the file so far (an earlier run's kept part included)."""
        return self._bytes

    def close(self) -> None:
        self._file.close()


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """SRT back into (start, end, text) cues."""
    return _cues_of(text, "srt")


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    """WebVTT back into (start, end, text) cues."""
    return _cues_of(text, "vtt")


def _cues_of(text: str, format_: str) -> list[tuple[float, float, str]]:
    subs = pysubs2.SSAFile.from_string(text, format_=format_, keep_html_tags=True, keep_unknown_html_tags=True)
    return [(e.start / 1000, e.end / 1000, e.text.replace(r"\N", "\n")) for e in subs]
