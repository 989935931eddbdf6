"""Recorded video to a text timeline: sample frames, skip unchanged ones, read, track, export.

Owns one job over one file: a reader thread decodes frames into a bounded queue; this
thread detects change, runs the engine on sampled frames that changed, and tracks text;
a writer thread draws and encodes the annotated video. Files are written as it goes, so
a truncated or corrupt video still leaves everything read before the break.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from stream_ocr import exporters
from stream_ocr.engines.base import Engine
from stream_ocr.errors import BadInputError, SourceUnavailableError
from stream_ocr.realthreads import queue, start_thread, threading, time
from stream_ocr.sources import SourceSpec, frame_rate, open_capture
from stream_ocr.tracking import Tracker, TrackerConfig
from stream_ocr.types import Detection

logger = logging.getLogger(__name__)

_END = object()  # the reader's sentinel


@dataclass(frozen=True)
class VideoJob:
    """What to do with one video. Times are seconds; ``roi`` is (x, y, w, h) in pixels."""

    sample_fps: float = 2.0
    roi: tuple[int, int, int, int] | None = None
    start: float = 0.0
    end: float | None = None
    annotate: bool = False
    # Mean absolute difference (0-1) of a small, blurred grey copy of the frame against the
    # last frame read; below this the frame counts as unchanged and is not read again.
    change_threshold: float = 0.012
    # A track must be on at least this many sampled frames to be exported (noise filter).
    min_frames: int = 2
    tracker: TrackerConfig = field(default_factory=TrackerConfig)

    def __post_init__(self) -> None:
        if self.sample_fps <= 0:
            raise BadInputError("--sample-fps must be positive")
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise BadInputError("--start must be >= 0 and --end after it")
        if self.roi is not None and (
            len(self.roi) != 4 or self.roi[2] <= 0 or self.roi[3] <= 0 or min(self.roi[:2]) < 0
        ):
            raise BadInputError("--roi is x,y,w,h with positive width and height")
        if not 0 <= self.change_threshold < 1:
            raise BadInputError("change threshold must be in [0, 1)")


@dataclass
class VideoSummary:
    video: str
    out_dir: str
    frames_total: int = 0
    frames_sampled: int = 0
    frames_read: int = 0
    frames_skipped_unchanged: int = 0
    engine_errors: int = 0
    distinct_texts: list[str] = field(default_factory=list)
    tracks: int = 0
    wall_s: float = 0.0
    fps: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def parse_roi(text: str) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise BadInputError(f"--roi is x,y,w,h in pixels, got {text!r}") from None
    return x, y, w, h


def _change_signature(image: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (160, max(1, round(160 * gray.shape[0] / gray.shape[1]))), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (5, 5), 0).astype(np.float32)


def changed(previous: np.ndarray | None, current: np.ndarray, threshold: float) -> bool:
    if previous is None or previous.shape != current.shape:
        return True
    return float(np.mean(np.abs(current - previous))) / 255 >= threshold


def draw_detections(image: np.ndarray, detections: list[Detection]) -> np.ndarray:
    out = image.copy()
    scale = max(0.5, image.shape[1] / 1600)
    for det in detections:
        pts = np.array(det.points, dtype=np.int32)
        cv2.polylines(out, [pts], True, (40, 220, 40), max(2, round(2 * scale)))
        x, y = int(pts[0][0]), int(pts[0][1])
        label = det.text if det.track_id is None else f"{det.text} #{det.track_id}"
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, 2)
        cv2.rectangle(out, (x, max(0, y - th - 8)), (x + tw + 6, y), (0, 0, 0), -1)
        cv2.putText(out, label, (x + 3, y - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, (255, 255, 255), 2, cv2.LINE_AA)
    return out


class _AnnotatedWriter:
    """The writer thread: frames in through a bounded queue, an MP4 out."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self.writer.isOpened():
            raise SourceUnavailableError(f"cannot write {path}: no MP4 encoder available")
        self.frames: queue.Queue = queue.Queue(maxsize=32)
        self.thread = start_thread(self._run, f"write:{path.name}")

    def _run(self) -> None:
        while True:
            item = self.frames.get()
            if item is _END:
                break
            image, detections = item
            self.writer.write(draw_detections(image, detections))

    def close(self) -> None:
        self.frames.put(_END)
        self.thread.join(120)
        self.writer.release()


def process_video(
    path: str | Path,
    out_dir: str | Path,
    engine: Engine,
    job: VideoJob | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,  # type: ignore[name-defined]
) -> VideoSummary:
    """Turn one video into a timeline in ``out_dir``. ``progress(done, total)`` is called as frames are read.

    Raises SourceUnavailableError when the file cannot be opened at all. A file that breaks
    part-way is not an exception: what was read is written, and ``summary.error`` says where.
    """
    job = job or VideoJob()
    path = Path(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    capture = open_capture(SourceSpec("video", str(path)))
    fps = frame_rate(capture)
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    first = round(job.start * fps)
    last = declared if job.end is None else min(declared or 10**9, math.ceil(job.end * fps))
    total = max(0, last - first) if declared else 0
    if job.roi is not None:
        x, y, w, h = job.roi
        if x + w > width or y + h > height:
            capture.release()
            raise BadInputError(f"--roi {x},{y},{w},{h} lies outside the {width}x{height} frame")
    step = max(1, round(fps / job.sample_fps))
    if first:
        capture.set(cv2.CAP_PROP_POS_FRAMES, first)

    summary = VideoSummary(video=str(path), out_dir=str(out), frames_total=total)
    frames_queue: queue.Queue = queue.Queue(maxsize=16)
    reader_state: dict[str, Any] = {"error": None}
    stop = stop or threading.Event()

    end_index = math.ceil(job.end * fps) if job.end is not None else None

    def read_frames() -> None:
        """The reader thread: decode sampled frames (every frame when annotating)."""
        index = first
        try:
            while not stop.is_set() and (end_index is None or index < end_index):
                sampled = (index - first) % step == 0
                if sampled or job.annotate:
                    ok, image = capture.read()
                else:
                    ok, image = capture.grab(), None
                if not ok:
                    if declared and index < declared - 1:
                        reader_state["error"] = (
                            f"the video broke at frame {index} ({index / fps:.2f} s) of {declared}: "
                            "it is truncated or corrupt; results up to there were kept"
                        )
                    break
                frames_queue.put((index, sampled, image))
                index += 1
        except Exception as e:  # noqa: BLE001  (report, and let the job keep what it has)
            logger.exception("reading %s failed", path)
            reader_state["error"] = f"reading the video failed at frame {index}: {e}"
        finally:
            frames_queue.put(_END)

    tracker = Tracker(job.tracker)
    frames_out = exporters.FramesWriter(out / "frames.jsonl")
    writer = _AnnotatedWriter(out / "annotated.mp4", fps, (width, height)) if job.annotate else None
    reader = start_thread(read_frames, f"read:{path.name}")
    started = time.monotonic()
    signature: np.ndarray | None = None
    shown: list[Detection] = []
    done = 0
    try:
        while True:
            item = frames_queue.get()
            if item is _END:
                break
            index, sampled, image = item
            done += 1
            t = index / fps
            if sampled:
                summary.frames_sampled += 1
                view = image
                if job.roi is not None:
                    x, y, w, h = job.roi
                    view = image[y : y + h, x : x + w]
                current = _change_signature(view)
                if changed(signature, current, job.change_threshold):
                    signature = current
                    try:
                        result = engine.read(np.ascontiguousarray(view))
                        detections = list(result.detections)
                        if job.roi is not None:
                            detections = [_shift(d, job.roi[0], job.roi[1]) for d in detections]
                        shown = list(tracker.update(detections, t))
                        summary.frames_read += 1
                        frames_out.write(
                            {
                                "time": round(t, 3),
                                "frame": index,
                                "skipped": False,
                                "timings_ms": {k: round(v, 1) for k, v in result.timings_ms.items()},
                                "detections": [d.to_dict() for d in shown],
                            }
                        )
                    except Exception as e:  # noqa: BLE001  (one bad frame must not end the job)
                        summary.engine_errors += 1
                        logger.exception("frame %d: engine failed", index)
                        frames_out.write({"time": round(t, 3), "frame": index, "error": str(e)})
                else:
                    tracker.carry_forward(t)
                    summary.frames_skipped_unchanged += 1
                    frames_out.write(
                        {
                            "time": round(t, 3),
                            "frame": index,
                            "skipped": True,
                            "detections": [d.to_dict() for d in shown],
                        }
                    )
            if writer is not None:
                writer.frames.put((image, shown))
            if progress is not None:
                progress(done, total)
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue
            with contextlib.suppress(queue.Empty):
                frames_queue.get(timeout=0.1)
        reader.join(5)
        capture.release()
        frames_out.close()
        if writer is not None:
            writer.close()

    hold = 1.0 / job.sample_fps
    tracks = [t for t in tracker.finish() if t.frames_seen >= job.min_frames and t.text]
    exporters.write_tracks(out / "tracks.json", tracks, hold)
    stem = path.stem
    exporters.write_srt(out / f"{stem}.srt", tracks, hold)
    exporters.write_vtt(out / f"{stem}.vtt", tracks, hold)
    summary.error = reader_state["error"]
    if summary.error is None and done == 0:
        summary.error = "no frame could be decoded: the file is corrupt or uses a codec this OpenCV build cannot read"
    summary.tracks = len(tracks)
    summary.distinct_texts = sorted({t.text for t in tracks})
    summary.wall_s = round(time.monotonic() - started, 2)
    summary.fps = round(done / summary.wall_s, 2) if summary.wall_s else 0.0
    exporters.write_json(out / "summary.json", summary.to_dict())
    return summary


def _shift(det: Detection, dx: float, dy: float) -> Detection:
    points = tuple((x + dx, y + dy) for x, y in det.points)
    return Detection(points, det.text, det.confidence, det.track_id)  # type: ignore[arg-type]
