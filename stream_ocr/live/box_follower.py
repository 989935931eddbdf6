"""Carry text boxes from the frame they were read on to every later frame: sparse optical flow.

Owns box following only, between inferences. When a result arrives, the corners inside
each line's box on the frame it was read from are remembered (``reset``); on each later
frame (``advance``), pyramidal Lucas-Kanade flow (``cv2.calcOpticalFlowPyrLK``) moves
them, and each box moves by its points' median shift, scaled by how far they spread
(a zoom). A point counts only if flow carries it back to where it came from (a
forward-backward check), so a cut loses every point; corners over the whole picture are
followed too, so that a cut is seen even when the boxes themselves are too plain to follow. A box that loses its points, whose
points spread or shrink beyond a bound, or that leaves the picture is dropped, never
stretched or left where its text was. Images are shrunk to at most
``max_side`` pixels first; boxes stay in the frame's own pixels. Thread-safe: results
arrive in the inference thread, frames in the capture thread.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from stream_ocr.geometry import rounded
from stream_ocr.realthreads import threading


@dataclass(frozen=True)
class MotionConfig:
    max_side: int = 480
    # Corners looked for inside each box, and how few may remain before a box is dropped.
    points_per_box: int = 12
    min_points: int = 3
    # A point whose flow back lands further than this (shrunk pixels) from where it started is lost.
    max_back_error: float = 1.0
    # A box whose points' spread changes by more than this factor since the last frame is dropped.
    max_zoom_step: float = 1.25
    # A box with less than this share of its area inside the picture is dropped.
    min_inside: float = 0.5
    # When fewer than this share of all points survive a frame, it was a cut: all boxes go.
    min_kept_share: float = 0.3
    # Corners looked for over the whole picture, for telling a cut when the boxes have too few.
    scene_points: int = 40
    # Shrunk frames kept, so that boxes read on a frame taken seconds ago (a slow engine:
    # 12 s on a 2-core AVX2 CPU) are carried through every frame since, not in one leap
    # across a pan: 20 s at the preview's 12 fps, about 30 MB a watched stream.
    history: int = 240
    enabled: bool = True


@dataclass(frozen=True)
class FollowedBox:
    track_id: int | None
    points: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict:
        return {"track_id": self.track_id, "points": rounded(self.points)}


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
        self._scene = _NO_POINTS  # corners over the whole picture, for seeing a cut
        # Ids dropped since the last reset, each with when the frame that dropped it was taken.
        self._gone: dict[int | None, float | None] = {}
        # (when taken, shrunk grey frame) of the frames followed lately, oldest first.
        self._recent: deque[tuple[float, np.ndarray]] = deque(maxlen=self.config.history)

    def reset(
        self, image: np.ndarray, boxes: list[tuple[int | None, tuple]], taken: float | None = None
    ) -> dict[int | None, float | None]:
        """Boxes (track id, 4 points) as read on ``image`` (taken at ``taken``): follow them
        from there, through every frame followed since, onto the latest. Returns the ids of
        the boxes dropped on the way, each with when the frame that dropped it was taken:
        frames sent before this result came were followed with an older one, so a viewer
        learns from this which of them no longer show the result's texts (a cut meanwhile)."""
        if not self.config.enabled:
            return {}
        gray, scale = _gray(image, self.config.max_side)
        found = []
        for _, pts in boxes:
            box = np.asarray(pts, dtype=np.float32) * scale
            mask = np.zeros(gray.shape, np.uint8)
            cv2.fillConvexPoly(mask, box.astype(np.int32), 255)
            found.append(_corners(gray, self.config.points_per_box, 3, mask))
        scene = _corners(gray, self.config.scene_points, 10)
        with self._lock:
            self._gray, self._scale, self._scene = gray, scale, scene
            self._boxes = [np.asarray(pts, dtype=np.float32) for _, pts in boxes]
            self._ids = [track_id for track_id, _ in boxes]
            self._points = found
            self._gone = {}
            if taken is not None:
                for when, later in list(self._recent):
                    if when > taken and later.shape == gray.shape:
                        self._step(later, scale, when)
            return dict(self._gone)

    def advance(self, image: np.ndarray) -> list[FollowedBox]:
        """Move the boxes onto ``image`` (a later frame of the same stream); return them."""
        return self.follow(image)[0]

    def follow(self, image: np.ndarray, taken: float | None = None) -> tuple[list[FollowedBox], tuple[int | None, ...]]:
        """Move the boxes onto ``image`` (taken at ``taken``); return them, and the ids of the
        boxes dropped since the last result (their text has gone: a cut, lost points, or out
        of the picture)."""
        gray, scale = _gray(image, self.config.max_side)
        with self._lock:
            if taken is not None:
                self._recent.append((taken, gray))
            if self._gray is None or not self._boxes:
                return [], tuple(self._gone)
            self._step(gray, scale, taken)
            boxes = [
                FollowedBox(i, tuple((float(x), float(y)) for x, y in box)) for i, box in zip(self._ids, self._boxes)
            ]
            return boxes, tuple(self._gone)

    def _step(self, gray: np.ndarray, scale: float, taken: float | None = None) -> None:
        """Carry the boxes from the last frame onto ``gray`` (taken at ``taken``; the lock held)."""
        if self._gray is None or not self._boxes:
            return
        if gray.shape != self._gray.shape:
            self._gone.update(dict.fromkeys(self._ids, taken))
            self._gray, self._boxes, self._ids, self._points = None, [], [], []
            return
        counts = [len(p) for p in self._points]
        keep = [True] * len(counts)
        if sum(counts) + len(self._scene):
            ok_all, moved = self._flow(gray, np.concatenate([*self._points, self._scene]))
            ok_boxes, ok_scene = ok_all[: sum(counts)], ok_all[sum(counts) :]
            # Most of the boxes' points lost at once: a cut, and every box goes. A box too
            # plain to follow also goes when most of the picture's corners are lost (the
            # picture alone decides for text that stays put over a cut, like subtitles).
            cut = ok_boxes.size > 0 and ok_boxes.mean() < self.config.min_kept_share
            scene_cut = ok_scene.size > 0 and ok_scene.mean() < self.config.min_kept_share
            self._scene = self._next_scene(gray, moved[sum(counts) :], ok_scene, scene_cut)
            start = 0
            for i, n in enumerate(counts):
                old, new = self._points[i], moved[start : start + n]
                ok = ok_all[start : start + n]
                start += n
                if cut:
                    keep[i] = False
                elif n < self.config.min_points:
                    # Found too few corners to follow from the start: stays where it was read.
                    keep[i] = not scene_cut
                elif ok.sum() < self.config.min_points:
                    keep[i] = False
                else:
                    box = _moved_box(self._boxes[i], old[ok, 0] / scale, new[ok, 0] / scale, self.config.max_zoom_step)
                    if box is None or not self._plausible(box, gray, scale):
                        keep[i] = False
                    else:
                        self._boxes[i], self._points[i] = box, new[ok]
        self._gone.update({i: taken for i, k in zip(self._ids, keep) if not k})
        self._boxes = [b for b, k in zip(self._boxes, keep) if k]
        self._ids = [b for b, k in zip(self._ids, keep) if k]
        self._points = [b for b, k in zip(self._points, keep) if k]
        self._gray = gray

    def _flow(self, gray: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points carried from the last frame to ``gray``, and which of them flow carries back home."""
        lk = {"winSize": (21, 21), "maxLevel": 3}
        moved, status, _ = cv2.calcOpticalFlowPyrLK(self._gray, gray, points, None, **lk)
        back, back_status, _ = cv2.calcOpticalFlowPyrLK(gray, self._gray, moved, None, **lk)
        error = np.linalg.norm((back - points).reshape(-1, 2), axis=1)
        ok = (status.ravel() == 1) & (back_status.ravel() == 1) & (error <= self.config.max_back_error)
        return ok, moved

    def _next_scene(self, gray: np.ndarray, moved: np.ndarray, ok: np.ndarray, cut: bool) -> np.ndarray:
        """The picture's corners kept for the next frame: those followed, or new ones once
        half are lost (texture leaving the picture in a pan); none after a cut."""
        if cut:
            return _NO_POINTS
        if ok.sum() * 2 < self.config.scene_points:
            return _corners(gray, self.config.scene_points, 10)
        return moved[ok]

    def _plausible(self, box: np.ndarray, gray: np.ndarray, scale: float) -> bool:
        """Enough of ``box`` (frame pixels) is inside the picture, and it did not jump in size."""
        h, w = gray.shape[0] / scale, gray.shape[1] / scale
        x0, y0 = box.min(axis=0)
        x1, y1 = box.max(axis=0)
        area = max(1e-6, float((x1 - x0) * (y1 - y0)))
        inside = max(0.0, min(x1, w) - max(x0, 0)) * max(0.0, min(y1, h) - max(y0, 0))
        return inside / area >= self.config.min_inside


_NO_POINTS = np.empty((0, 1, 2), np.float32)


def _corners(gray: np.ndarray, count: int, spacing: float, mask: np.ndarray | None = None) -> np.ndarray:
    """Up to ``count`` strong corners of ``gray`` (within ``mask``), as Nx1x2 float32."""
    corners = cv2.goodFeaturesToTrack(gray, count, 0.01, spacing, mask=mask)
    return corners if corners is not None else _NO_POINTS


def _moved_box(box: np.ndarray, old: np.ndarray, new: np.ndarray, max_zoom_step: float = 1.25) -> np.ndarray | None:
    """``box`` shifted by the points' median motion, and scaled by the change in their
    spread; None when the spread changed by more than ``max_zoom_step`` (the points no
    longer hold together: they are not on one rigid text)."""
    shift = np.median(new - old, axis=0)
    spread_old = np.median(np.linalg.norm(old - old.mean(axis=0), axis=1))
    spread_new = np.median(np.linalg.norm(new - new.mean(axis=0), axis=1))
    zoom = float(spread_new / spread_old) if spread_old > 2 else 1.0
    if not 1 / max_zoom_step <= zoom <= max_zoom_step:
        return None
    centre = box.mean(axis=0)
    return (centre + shift + (box - centre) * zoom).astype(np.float32)
