"""A video file's frames, decoded on their own thread: the first stage of the video path.

Owns ``VideoFrames`` (a thread, ``read:NAME``, that decodes the file into a bounded queue
and marks the frames to sample, with extra samples after sudden changes from
``step.cuts.CutWatch``) and ``VideoFrame``, what it hands on. ``video.job.read_video`` takes the
frames to the per-frame step (``step.frame_step``); ``annotated`` draws them.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from stream_ocr.realthreads import queue
from stream_ocr.service import Closing, Service
from stream_ocr.sources.opening import SourceSpec, frame_rate, open_capture
from stream_ocr.step.cuts import CutConfig, CutWatch

logger = logging.getLogger(__name__)

_END = object()  # after the last frame


@dataclass(frozen=True)
class VideoFrame:
    index: int
    time: float
    sampled: bool
    image: np.ndarray | None  # None for frames only skipped over (not sampled, not annotated)
    on_change: bool = False  # sampled as the frame after a sudden change, between regular samples
    # The cut watch as it stood after this frame (sampled frames, when ``VideoFrames.resumable``):
    # what a job that stopped here goes on from (``video.resume``).
    cut_state: CutWatch | None = None


class VideoFrames(Service, Closing):
    """The reader thread: decodes a file's frames into a bounded queue, sampled ones marked.

    Every frame is decoded when ``decode_all`` (the annotated video needs them) or when
    ``cuts`` watches for sudden changes (``step.cuts.CutWatch``, which adds samples after them);
    otherwise the frames between samples are only grabbed. A read that fails before the
    declared end is recorded in ``error``.

    ``resume_at`` (a frame index after ``start``'s) and ``cut_state`` go on from a frame of an
    earlier run (``video.resume``): the samples fall on the same frames as they did there.
    ``resumable``: each sampled frame carries the cut watch's state after it.
    """

    def __init__(
        self,
        path: Path,
        sample_fps: float,
        start: float,
        end: float | None,
        decode_all: bool,
        cancel: Any = None,
        cuts: CutConfig | None = None,
        *,
        resume_at: int | None = None,
        cut_state: CutWatch | None = None,
        resumable: bool = False,
    ) -> None:
        super().__init__(f"read:{path.name}")
        self.path = path
        # Set by whoever runs the job (a server stopping); ``request_stop`` is the reader's own.
        self.cancel = cancel
        self.capture = open_capture(SourceSpec("video", str(path)))
        self.fps = frame_rate(self.capture)
        self.width = int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.declared = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.first = round(start * self.fps)
        last = self.declared if end is None else min(self.declared or 10**9, math.ceil(end * self.fps))
        self.total = max(0, last - self.first) if self.declared else 0
        self.end_index = math.ceil(end * self.fps) if end is not None else None
        # Never sample more sparsely than asked.
        self.step = max(1, math.floor(self.fps / sample_fps + 1e-6))
        self.decode_all = decode_all
        self.cuts = cuts if cuts is not None and cuts.enabled else None
        self.error: str | None = None
        self.frames: queue.Queue = queue.Queue(maxsize=16)
        self.resume_at = resume_at if resume_at is not None and resume_at > self.first else None
        self.cut_state = cut_state
        self.resumable = resumable

    def container_seconds(self) -> float | None:
        """How long the container says the video lasts: the time of its end, found by a seek
        there (before the thread starts). A file can claim a frame rate that makes its
        frames look like a moment (2 frames at 12,800 fps) while their times span hours."""
        try:
            if not self.capture.set(cv2.CAP_PROP_POS_AVI_RATIO, 1.0):
                return None
            end_ms = float(self.capture.get(cv2.CAP_PROP_POS_MSEC))
        finally:
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        return end_ms / 1000 if end_ms > 0 else None

    def start(self) -> None:
        begin = self.resume_at or self.first
        if begin:
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, begin)
        super().start()

    def run(self) -> None:
        index = self.resume_at or self.first
        watch = CutWatch(self.cuts, self.fps, self.step) if self.cuts is not None else None
        if watch is not None and self.resume_at is not None and self.cut_state is not None:
            watch = self.cut_state
        try:
            while not self._stopped() and (self.end_index is None or index < self.end_index):
                regular = (index - self.first) % self.step == 0
                if regular or self.decode_all or watch is not None:
                    ok, image = self.capture.read()
                else:
                    ok, image = self.capture.grab(), None
                if not ok:
                    if self.declared and index < self.declared - 1:
                        self.error = (
                            f"the video broke at frame {index} ({index / self.fps:.2f} s) of {self.declared}: "
                            "it is truncated or corrupt; results up to there were kept"
                        )
                    break
                extra = watch is not None and ok and watch.extra_sample(index - self.first, image, regular)
                sampled = regular or extra
                kept = image if sampled or self.decode_all else None  # the queue holds only what is used
                state = copy.deepcopy(watch) if sampled and self.resumable and watch is not None else None
                self.frames.put(VideoFrame(index, index / self.fps, sampled, kept, extra, state))
                index += 1
        except Exception as e:  # noqa: BLE001  (report, and let the job keep what it has)
            logger.exception("reading %s failed", self.path)
            self.error = f"reading the video failed at frame {index}: {e}"
        finally:
            self.frames.put(_END)

    def _stopped(self) -> bool:
        return self.stopping or (self.cancel is not None and self.cancel.is_set())

    def __iter__(self) -> Iterator[VideoFrame]:
        while True:
            item = self.frames.get()
            if item is _END:
                return
            yield item

    def close(self) -> None:
        self.request_stop()
        while self.alive:  # unblock a reader on a full queue
            with contextlib.suppress(queue.Empty):
                self.frames.get(timeout=0.1)
        self.join(5)
        self.capture.release()
