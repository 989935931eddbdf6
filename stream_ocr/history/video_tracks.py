"""A finished video job's tracks as history rows, each with a crop of its best read.

Owns the mapping from a timeline (``tracks.json``'s tracks) to ``TrackRow``s: the stream
id is ``video:JOB``, times are the job's start plus the video position (so the history's
time filters work on video jobs too), and ``video_time`` keeps the position itself. Crops
are cut from the video at each track's most confident read (one seek per track).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2

from stream_ocr.history.crops import crop_jpeg
from stream_ocr.history.store import VIDEO_PREFIX, TrackRow

logger = logging.getLogger(__name__)


def _best_box(track: dict[str, Any]) -> dict[str, Any] | None:
    boxes = [b for b in track.get("boxes", []) if b.get("points")]
    return max(boxes, key=lambda b: b.get("confidence") or 0.0) if boxes else None


def video_rows(video: Path, tracks: list[dict[str, Any]], job_id: str, started: float) -> list[TrackRow]:
    """Rows for ``tracks`` of ``video`` (job ``job_id``, begun at epoch ``started``)."""
    capture = cv2.VideoCapture(str(video))
    rows = []
    try:
        for track in tracks:
            if not track.get("text") or not track.get("boxes"):
                continue
            best = _best_box(track)
            crop = None
            if best is not None and capture.isOpened():
                capture.set(cv2.CAP_PROP_POS_MSEC, best["time"] * 1000.0)
                ok, frame = capture.read()
                if ok:
                    crop = crop_jpeg(frame, best["points"])
            rows.append(
                TrackRow(
                    VIDEO_PREFIX + job_id,
                    track["text"],
                    started + track["first_time"],
                    started + track["last_time"],
                    track["confidence"],
                    tuple(tuple(p) for p in track["boxes"][-1]["points"]),
                    crop,
                    track["first_time"],
                )
            )
    finally:
        capture.release()
    return rows
