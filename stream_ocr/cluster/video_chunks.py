"""A recorded video on a Ray cluster: time chunks read in parallel, tracks joined at the seams.

The sampled frames are split into contiguous chunks, one per worker (more for long
videos, at most ``MAX_CHUNK_S`` each), cut on sample boundaries so that every chunk
samples exactly the frames a single run would. Each ``VideoWorker`` actor loads the
engine once and runs the same per-frame step as a single run (``step.frame_step.FrameStep``)
over its chunks. A track that ends near a seam and one that starts near it with the
same text in the same place become one track (``join_chunks``), so the timeline is the
single run's, within a sample interval. The video file must be readable at the same
path on every node (shared storage).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ray

from stream_ocr.cluster.runtime import node_label
from stream_ocr.config import EngineConfig
from stream_ocr.errors import BadInputError
from stream_ocr.geometry import Region, bbox, iou
from stream_ocr.realthreads import time
from stream_ocr.sources.video_frames import VideoFrames
from stream_ocr.step.frame_step import FrameStep, StepResult
from stream_ocr.tracking.fusion import same_text
from stream_ocr.tracking.tracker import Track
from stream_ocr.video import exporters
from stream_ocr.video.job import (
    VideoJob,
    VideoSummary,
    build_timeline,
    count_sample,
    finish_summary,
    rois_to_read,
    run_frames,
    sample_record,
    write_timeline,
)
from stream_ocr.video.subtitles import measure_outlines

logger = logging.getLogger(__name__)

# The longest chunk: a long video is cut finer than one chunk per worker, so that a
# worker that finishes early takes another, and progress shows.
MAX_CHUNK_S = 300.0
# Boxes on either side of a seam must overlap this much (IoU) to be the same text.
SEAM_MIN_IOU = 0.3


@dataclass(frozen=True)
class Chunk:
    """Frames ``first`` (sampled) up to ``end`` (exclusive) of the video, at ``fps``."""

    index: int
    first: int
    end: int
    fps: float


@dataclass
class ChunkResult:
    """What a worker read in one chunk: each sampled frame's step (its index, time, and
    ``StepResult`` or error text), every track, and its counts."""

    index: int
    start_time: float
    steps: list[tuple[int, float, StepResult | str]] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    frames: int = 0
    summary: VideoSummary | None = None
    error: str | None = None
    node: str = ""


def split(first: int, end: int, step: int, fps: float, workers: int) -> list[Chunk]:
    """Chunks of ``first`` .. ``end`` cut on multiples of ``step`` after ``first``."""
    samples = math.ceil((end - first) / step)
    if samples <= 0:
        return []
    count = max(workers, math.ceil((end - first) / fps / MAX_CHUNK_S))
    count = min(count, samples)
    cuts = [first + round(samples * k / count) * step for k in range(count)] + [end]
    return [Chunk(k, cuts[k], cuts[k + 1], fps) for k in range(count) if cuts[k] < cuts[k + 1]]


class VideoWorker:
    """One loaded engine that reads chunks of videos."""

    def __init__(self, config: EngineConfig) -> None:
        from stream_ocr.engines import create_engine

        self.engine = create_engine(config)
        self.node = node_label()

    def rois_to_read(self, path: str, job: VideoJob, width: int, height: int) -> tuple[Region, ...]:
        return rois_to_read(Path(path), self.engine, job, width, height)

    def run(self, path: str, job: VideoJob, rois: tuple[Region, ...], chunk: Chunk) -> ChunkResult:
        fps = chunk.fps
        reader = VideoFrames(
            Path(path), job.sample_fps, chunk.first / fps, (chunk.end - 0.5) / fps, False, cuts=job.cuts
        )
        summary = VideoSummary(video=path, out_dir="")
        out = ChunkResult(chunk.index, chunk.first / fps, summary=summary, node=self.node)
        step = FrameStep(self.engine, job.step_config(rois))

        def on_step(frame, outcome) -> None:
            count_sample(frame.on_change, outcome, summary)
            if job.subtitles and isinstance(outcome, StepResult) and not outcome.skipped:
                measure_outlines(frame.image, outcome.lines, step.tracker.active)
            # The image stays here; an error goes back as its text (any exception pickles so).
            out.steps.append((frame.index, frame.time, outcome if isinstance(outcome, StepResult) else str(outcome)))

        with reader:
            out.frames = run_frames(reader, step, on_step)
        out.tracks = step.tracker.finish()
        out.error = reader.error
        return out


RemoteVideoWorker = ray.remote(VideoWorker)


def join_chunks(results: list[ChunkResult], max_gap_s: float) -> tuple[list[Track], dict[tuple[int, int], int]]:
    """Every chunk's tracks as one list, those that meet at a seam joined; ids renumbered in
    order of first sighting. Also returns (chunk index, old id) -> new id."""
    merged: list[Track] = []
    owner: dict[tuple[int, int], Track] = {}
    for res in sorted(results, key=lambda r: r.index):
        seam = res.start_time
        tails = [t for t in merged if t.last_time >= seam - max_gap_s]
        taken: set[int] = set()
        for track in sorted(res.tracks, key=lambda t: t.first_time):
            target = _seam_partner(tails, taken, track, max_gap_s) if track.first_time <= seam + max_gap_s else None
            if target is None:
                merged.append(track)
                owner[(res.index, track.track_id)] = track
            else:
                taken.add(id(target))
                _absorb(target, track)
                owner[(res.index, track.track_id)] = target
    merged.sort(key=lambda t: (t.first_time, t.track_id))
    new_ids = {id(t): i for i, t in enumerate(merged, 1)}
    for t in merged:
        t.track_id = new_ids[id(t)]
    return merged, {key: t.track_id for key, t in owner.items()}


def _seam_partner(tails: list[Track], taken: set[int], track: Track, max_gap_s: float) -> Track | None:
    """The track before the seam that ``track`` continues: same text, same place, short gap."""
    best, best_iou = None, SEAM_MIN_IOU
    first_box = bbox(track.boxes[0].points)
    for tail in tails:
        gap = track.first_time - tail.last_time
        if id(tail) in taken or not 0 <= gap <= max_gap_s or not tail.boxes:
            continue
        if not same_text(tail.text, track.text, track.confidence):
            continue
        overlap = iou(bbox(tail.boxes[-1].points), first_box)
        if overlap >= best_iou:
            best, best_iou = tail, overlap
    return best


def _absorb(track: Track, later: Track) -> None:
    """``later``'s sightings and reads added to ``track``."""
    track.last_time = max(track.last_time, later.last_time)
    track.missed_at = later.missed_at  # when it went is the later half's to say
    track.boxes.extend(later.boxes)
    for text, weight in later.votes.items():
        track.votes[text] += weight
    track.frames_seen += later.frames_seen
    track.reads += later.reads
    track.confidence_sum += later.confidence_sum
    track.outline_sum += later.outline_sum
    track.outline_reads += later.outline_reads
    track.velocity = later.velocity
    track._fused = None


def renumbered(step: StepResult | str, chunk: int, ids: dict[tuple[int, int], int]) -> StepResult | str:
    """``step`` with its lines' track ids those of the joined timeline (``join_chunks``)."""
    if not isinstance(step, StepResult):
        return step
    lines = tuple(
        line if line.track_id is None else replace(line, track_id=ids.get((chunk, line.track_id), line.track_id))
        for line in step.lines
    )
    return replace(step, lines=lines)


def process_video_on_ray(
    path: str | Path,
    out_dir: str | Path,
    engine_config: EngineConfig,
    job: VideoJob | None = None,
    workers: int = 2,
    worker_cpus: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
    name: str | None = None,
) -> VideoSummary:
    """``video.job.process_video`` on the cluster, with ``workers`` engine actors reading chunks.

    Writes the same files (no annotated video). Raises BadInputError for what it cannot do:
    ``annotate``, or a video that does not declare its length.
    """
    job = job or VideoJob()
    if job.annotate:
        raise BadInputError("--annotate is not available with --ray: run without --ray for the annotated video")
    if workers < 1:
        raise BadInputError("--workers must be at least 1")
    path, out = Path(path), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with VideoFrames(path, job.sample_fps, job.start, job.end, False) as header:
        pass  # only its header is wanted
    if not header.declared:
        raise BadInputError(
            f"{path.name} does not declare its length, so it cannot be cut into chunks; run without --ray"
        )
    end = header.declared if header.end_index is None else min(header.declared, header.end_index)
    chunks = split(header.first, end, header.step, header.fps, workers)
    actors = [
        RemoteVideoWorker.options(num_cpus=worker_cpus, scheduling_strategy="SPREAD").remote(engine_config)
        for _ in range(min(workers, max(1, len(chunks))))
    ]
    rois = ray.get(actors[0].rois_to_read.remote(str(path), job, header.width, header.height))
    summary = VideoSummary(video=str(path), out_dir=str(out), frames_total=end - header.first)
    summary.set_regions(rois)
    results = _run_chunks(actors, str(path), job, rois, chunks, progress, summary.frames_total)
    for actor in actors:
        ray.kill(actor)
    tracks, ids = join_chunks(results, job.step_config(rois).tracker.max_gap_s)
    done = 0
    errors = []
    frames_out = exporters.FramesWriter(out / "frames.jsonl")
    try:
        for res in results:
            for index, time_s, step in res.steps:
                frames_out.write(sample_record(index, time_s, renumbered(step, res.index, ids)))
            done += res.frames
            part = res.summary or VideoSummary("", "")
            summary.add(part)
            if res.error:
                errors.append(res.error)
    finally:
        frames_out.close()
    write_timeline(out, name or path.stem, build_timeline(tracks, header.step / header.fps, job, summary))
    summary.error = "; ".join(errors) or None
    return finish_summary(summary, out, done, started)


def _run_chunks(actors, path, job, rois, chunks, progress, total) -> list[ChunkResult]:
    """Each free actor takes the next chunk; results in chunk order."""
    todo = list(chunks)
    pending: dict[Any, Any] = {}
    results: list[ChunkResult] = []
    done = 0
    for actor in actors:
        if todo:
            pending[actor.run.remote(path, replace(job, annotate=False), rois, todo.pop(0))] = actor
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        actor = pending.pop(ready[0])
        result = ray.get(ready[0])
        results.append(result)
        logger.info("chunk %d done on %s: %d frames", result.index, result.node, result.frames)
        done += result.frames
        if progress is not None:
            progress(done, total)
        if todo:
            pending[actor.run.remote(path, replace(job, annotate=False), rois, todo.pop(0))] = actor
    return sorted(results, key=lambda r: r.index)
