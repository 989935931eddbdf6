"""Write a video's text timeline to files: frames.jsonl, tracks.json, SRT, WebVTT, summary.json.

Owns file formats, and how tracks become cues: one cue per on-screen line, or per block
of stacked lines that come and go together (a two-line subtitle), never two for one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from stream_ocr.geometry import bbox
from stream_ocr.tracking import Track


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def srt_time(seconds: float) -> str:
    return _clock(seconds, ",")


def vtt_time(seconds: float) -> str:
    return _clock(seconds, ".")


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


def write_srt(path: Path, cue_list: list[Cue]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, cue in enumerate(cue_list, 1):
            f.write(f"{i}\n{srt_time(cue.start)} --> {srt_time(cue.end)}\n{cue.text}\n\n")


def write_vtt(path: Path, cue_list: list[Cue]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("WEBVTT\n\n")
        for i, cue in enumerate(cue_list, 1):
            f.write(f"{i}\n{vtt_time(cue.start)} --> {vtt_time(cue.end)}\n{cue.text}\n\n")


def write_tracks(path: Path, tracks: list[dict[str, Any]]) -> None:
    """tracks.json: the tracks as ``Timeline.track_dict`` gives them."""
    path.write_text(json.dumps({"tracks": tracks}, indent=1) + "\n", encoding="utf-8")


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


class FramesWriter:
    """``frames.jsonl``: one line per processed (or skipped-as-unchanged) frame, flushed as it goes."""

    def __init__(self, path: Path) -> None:
        self._file: TextIO = open(path, "w", encoding="utf-8")  # noqa: SIM115  (open for the whole job)

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """Parse SRT back into (start, end, text) cues; raises ValueError on malformed input."""
    if not text.strip():
        return []
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.strip().splitlines()
        if len(lines) < 3 or not lines[0].strip().isdigit() or " --> " not in lines[1]:
            raise ValueError(f"malformed SRT cue: {block!r}")
        start, end = (_parse_clock(v.strip(), ",") for v in lines[1].split(" --> "))
        if end < start:
            raise ValueError(f"cue ends before it starts: {block!r}")
        out.append((start, end, "\n".join(lines[2:])))
    return out


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    """Parse WebVTT (as written here) into cues; raises ValueError on malformed input."""
    if not text.startswith("WEBVTT"):
        raise ValueError("a WebVTT file starts with WEBVTT")
    out = []
    for block in text.split("\n\n")[1:]:
        lines = block.strip().splitlines()
        if not lines:
            continue
        timing = next((i for i, line in enumerate(lines) if " --> " in line), None)
        if timing is None:
            raise ValueError(f"malformed WebVTT cue: {block!r}")
        start, end = (_parse_clock(v.strip().split(" ")[0], ".") for v in lines[timing].split(" --> "))
        out.append((start, end, "\n".join(lines[timing + 1 :])))
    return out


def _parse_clock(value: str, separator: str) -> float:
    hms, ms = value.split(separator)
    h, m, s = (int(v) for v in hms.split(":"))
    return h * 3600 + m * 60 + s + int(ms) / 1000
