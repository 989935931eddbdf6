"""Write a video's text timeline to files: frames.jsonl, tracks.json, SRT, WebVTT, summary.json.

Owns file formats only; it computes nothing. SRT and WebVTT hold one cue per track.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

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


def cues(tracks: list[Track], hold_s: float) -> list[tuple[float, float, str]]:
    """(start, end, text) per track, in time order; each cue holds ``hold_s`` past its last sighting."""
    out = [(t.first_time, t.last_time + hold_s, t.text) for t in tracks if t.text]
    return sorted(out)


def write_srt(path: Path, tracks: list[Track], hold_s: float) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, (start, end, text) in enumerate(cues(tracks, hold_s), 1):
            f.write(f"{i}\n{srt_time(start)} --> {srt_time(end)}\n{text}\n\n")


def write_vtt(path: Path, tracks: list[Track], hold_s: float) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("WEBVTT\n\n")
        for i, (start, end, text) in enumerate(cues(tracks, hold_s), 1):
            f.write(f"{i}\n{vtt_time(start)} --> {vtt_time(end)}\n{text}\n\n")


def write_tracks(path: Path, tracks: list[Track], hold_s: float) -> None:
    data = []
    for track in tracks:
        item = track.to_dict()
        item["end_time"] = round(track.last_time + hold_s, 3)
        data.append(item)
    path.write_text(json.dumps({"tracks": data}, indent=1) + "\n", encoding="utf-8")


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
