"""A finished video job's tracks as history rows, each with the crop of its best read.

Owns the mapping from a ``Timeline`` to ``TrackRow``s: the stream id is ``video:JOB``,
times are the job's start plus the video position (so the history's time filters work
on video jobs too), and ``video_time`` keeps the position itself. The crops are those the
video pass kept (``read_video(keep_crops=True)``): the video is not opened again.
"""

from __future__ import annotations

from stream_ocr.history.store import VIDEO_PREFIX, TrackRow
from stream_ocr.video.timeline import Timeline


def video_rows(timeline: Timeline, job_id: str, started: float) -> list[TrackRow]:
    """Rows for the tracks of ``timeline`` (job ``job_id``, begun at epoch ``started``)."""
    return [
        TrackRow(
            VIDEO_PREFIX + job_id,
            track.text,
            started + track.first_time,
            started + track.last_time,
            track.confidence,
            track.boxes[-1].points,
            timeline.crops.get(track.track_id),
            track.first_time,
        )
        for track in timeline.tracks
        if track.text and track.boxes
    ]
