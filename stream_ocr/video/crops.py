"""The best read of each track, kept as a small JPEG: live until the track ends, and for a video.

Owns the crops: for each (stream, track) on screen, the JPEG of the line's box (with a
margin) from the frame where the track was read most confidently. At most ``max_tracks``
are held (the oldest go first), each at most ``max_side`` pixels on its long side.
"""

from __future__ import annotations

from collections import OrderedDict

import cv2
import numpy as np

from stream_ocr.realthreads import threading
from stream_ocr.types import Line


def crop_jpeg(image: np.ndarray, points, max_side: int = 320, quality: int = 80) -> bytes | None:
    """The JPEG of ``points``' box in ``image`` (BGR), a quarter of its height around it."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    margin = 0.25 * (max(ys) - min(ys)) + 2
    height, width = image.shape[:2]
    x0, x1 = max(0, int(min(xs) - margin)), min(width, int(max(xs) + margin) + 1)
    y0, y1 = max(0, int(min(ys) - margin)), min(height, int(max(ys) + margin) + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = image[y0:y1, x0:x1]
    scale = max_side / max(crop.shape[:2])
    if scale < 1:
        crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] * scale))))
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return data.tobytes() if ok else None


class BestCrops:
    """Per (stream id, track id): the confidence of the best read so far and its JPEG."""

    def __init__(self, max_tracks: int = 2000) -> None:
        self.max_tracks = max_tracks
        self._best: OrderedDict[tuple[str, int], tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def observe(self, stream_id: str, image: np.ndarray, lines: tuple[Line, ...]) -> None:
        """Keep the crop of each line read better than its track was before."""
        for line in lines:
            if line.track_id is None:
                continue
            key = (stream_id, line.track_id)
            confidence = line.confidence if line.confidence is not None else 0.0
            with self._lock:
                held = self._best.get(key)
            if held is not None and held[0] >= confidence:
                continue
            jpeg = crop_jpeg(image, line.points)
            if jpeg is None:
                continue
            with self._lock:
                self._best[key] = (confidence, jpeg)
                self._best.move_to_end(key)
                while len(self._best) > self.max_tracks:
                    self._best.popitem(last=False)

    def get(self, stream_id: str, track_id: int) -> bytes | None:
        with self._lock:
            held = self._best.get((stream_id, track_id))
        return held[1] if held is not None else None

    def pop(self, stream_id: str, track_id: int) -> bytes | None:
        with self._lock:
            held = self._best.pop((stream_id, track_id), None)
        return held[1] if held is not None else None
