"""The annotated video: each frame with its boxes and texts drawn, written on its own thread.

Owns ``AnnotatedWriter`` (a thread, ``write:NAME``, that takes frames and their lines
through a bounded queue and encodes an MP4) and ``draw_detections``. The last stage of
the video path when ``VideoJob.annotate`` is set.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from stream_ocr.errors import SourceUnavailableError
from stream_ocr.realthreads import queue
from stream_ocr.service import Closing, Service
from stream_ocr.types import Detection

_END = object()  # after the last frame


def draw_detections(image: np.ndarray, detections: list[Detection] | tuple[Detection, ...]) -> np.ndarray:
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


class AnnotatedWriter(Service, Closing):
    """The writer thread: frames and their lines in through a bounded queue, an MP4 out."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        super().__init__(f"write:{path.name}")
        self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self.writer.isOpened():
            raise SourceUnavailableError(f"cannot write {path}: no MP4 encoder available")
        self.frames: queue.Queue = queue.Queue(maxsize=32)
        self.start()

    def run(self) -> None:
        while True:
            item = self.frames.get()
            if item is _END:
                break
            image, detections = item
            self.writer.write(draw_detections(image, detections))

    def close(self) -> None:
        """Write every frame queued, then the file's end."""
        self.frames.put(_END)
        self.join(120)
        self.writer.release()
