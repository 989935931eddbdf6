"""A video's results in memory: the tracks kept, their cues, and each track's best crop.

Owns what the video path hands on once a file has been read: the exporters write a
``Timeline`` to tracks.json, SRT and WebVTT; a server's video job sends it to the page
and gives it to the history, which takes the crops kept during the pass. Nothing reads
back a file written in the same run, and nothing reopens the video.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stream_ocr.tracking.tracker import Track
from stream_ocr.video.exporters import Cue


@dataclass
class Timeline:
    tracks: list[Track]  # exported, in order of first appearance
    cues: list[Cue]
    hold_s: float  # the sample interval: how long past its last sighting a text is shown
    crops: dict[int, bytes] = field(default_factory=dict)  # track id -> JPEG of its best read
    # With lines in more than one language: each language's own cues, timed on their own
    # (digits and punctuation alone go in every language's).
    cues_by_language: dict[str, list[Cue]] = field(default_factory=dict)

    def track_dict(self, track: Track) -> dict[str, Any]:
        """A track as tracks.json holds it: ``Track.to_dict`` and when it went."""
        return {**track.to_dict(), "end_time": round(track.end_time(self.hold_s), 3)}

    def brief(self) -> dict[str, Any]:
        """Tracks and cues without their boxes and reads: what a page's timeline shows."""
        keys = ("id", "text", "confidence", "first_time", "last_time", "end_time")
        tracks = [self.track_dict(t) for t in self.tracks]
        return {
            "tracks": [{k: t[k] for k in keys} for t in tracks],
            "cues": [{"start": round(c.start, 3), "end": round(c.end, 3), "text": c.text} for c in self.cues],
        }
