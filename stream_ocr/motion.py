"""Carry text boxes from the frame they were read on to every later frame: sparse optical flow.

Owns box following only, between inferences. When a result arrives, the corners inside
each line's box on the frame it was read from are remembered (``reset``); on each later
frame (``advance``), pyramidal Lucas-Kanade flow (``cv2.calcOpticalFlowPyrLK``) moves
them, and each box moves by its points' median shift, scaled by how far they spread
(a zoom). A box whose points are lost keeps its last place. Images are shrunk to at most
``max_side`` pixels first; boxes stay in the frame's own pixels. Thread-safe: results
arrive in the inference thread, frames in the capture thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from stream_ocr.realthreads import threading


@dataclass(frozen=True)
class MotionConfig:
    max_side: int = 480
    # Corners looked for inside each box, and how few may remain before a box stops moving.
    points_per_box: int = 12
    min_points: int = 3
    enabled: bool = True


@dataclass(frozen=True)
class FollowedBox:
    track_id: int | None
    points: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict:
        return {"track_id": self.track_id, "points": [[round(x, 1), round(y, 1)] for x, y in self.points]}


def _gray(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, max_side / max(gray.shape[:2]))
    if scale < 1.0:
        gray = cv2.resize(
            gray, (round(gray.shape[1] * scale), round(gray.shape[0] * scale)), interpolation=cv2.INTER_AREA
        )
    return gray, scale


class BoxFollower:
    """One stream's boxes, moved along with the picture from one frame to the next."""

    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._lock = threading.Lock()
        self._gray: np.ndarray | None = None
        self._scale = 1.0
        self._boxes: list[np.ndarray] = []  # each 4x2, in frame pixels
        self._ids: list[int | None] = []
        self._points: list[np.ndarray] = []  # each Nx1x2 float32, in shrunk pixels

    def reset(self, image: np.ndarray, boxes: list[tuple[int | None, tuple]]) -> None:
        """Boxes (track id, 4 points) as read on ``image``: follow them from here."""
        if not self.config.enabled:
            return
        gray, scale = _gray(image, self.config.max_side)
        found = []
        for _, pts in boxes:
            box = np.asarray(pts, dtype=np.float32) * scale
            mask = np.zeros(gray.shape, np.uint8)
            cv2.fillConvexPoly(mask, box.astype(np.int32), 255)
            corners = cv2.goodFeaturesToTrack(gray, self.config.points_per_box, 0.01, 3, mask=mask)
            found.append(corners if corners is not None else np.empty((0, 1, 2), np.float32))
        with self._lock:
            self._gray, self._scale = gray, scale
            self._boxes = [np.asarray(pts, dtype=np.float32) for _, pts in boxes]
            self._ids = [track_id for track_id, _ in boxes]
            self._points = found

    def advance(self, image: np.ndarray) -> list[FollowedBox]:
        """Move the boxes onto ``image`` (a later frame of the same stream); return them."""
        with self._lock:
            if self._gray is None or not self._boxes:
                return []
            gray, scale = _gray(image, self.config.max_side)
            if gray.shape != self._gray.shape:
                self._gray, self._boxes, self._ids, self._points = None, [], [], []
                return []
            counts = [len(p) for p in self._points]
            if sum(counts):
                moved, status, _ = cv2.calcOpticalFlowPyrLK(
                    self._gray, gray, np.concatenate(self._points), None, winSize=(21, 21), maxLevel=3
                )
                start = 0
                for i, n in enumerate(counts):
                    old, new = self._points[i], moved[start : start + n]
                    ok = status[start : start + n].ravel() == 1
                    start += n
                    if ok.sum() >= self.config.min_points:
                        self._boxes[i] = _moved_box(self._boxes[i], old[ok, 0] / scale, new[ok, 0] / scale)
                        self._points[i] = new[ok]
                    else:
                        self._points[i] = old[ok]
            self._gray = gray
            return [
                FollowedBox(i, tuple((float(x), float(y)) for x, y in box)) for i, box in zip(self._ids, self._boxes)
            ]


def _moved_box(box: np.ndarray, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``box`` shifted by the points' median motion, and scaled by the change in their spread."""
    shift = np.median(new - old, axis=0)
    spread_old = np.median(np.linalg.norm(old - old.mean(axis=0), axis=1))
    spread_new = np.median(np.linalg.norm(new - new.mean(axis=0), axis=1))
    zoom = float(np.clip(spread_new / spread_old, 0.8, 1.25)) if spread_old > 2 else 1.0
    centre = box.mean(axis=0)
    return (centre + shift + (box - centre) * zoom).astype(np.float32)
