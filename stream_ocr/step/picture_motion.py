"""How the whole picture moved between two frames: a pan, a scroll, a slow zoom or turn.

Owns the estimate only, on two of the change gate's signatures (small grey copies):
phase correlation for one shift, then corners followed by optical flow for a shift with a
small zoom and turn. When phase correlation finds no one shift (a still overlay, such as
a subtitle or a score box, pulls its peak to zero), corners followed from where they were
can still agree, and those that held still are fitted apart from those that moved. The
change gate (``change.py``) decides what the move leaves to read.
"""

from __future__ import annotations

import cv2
import numpy as np


def picture_shift(previous: np.ndarray, current: np.ndarray, min_response: float) -> tuple[float, float] | None:
    """How far the whole picture moved from ``previous`` to ``current`` (two signatures), as
    (dx, dy) in their pixels, or None when no one shift explains it or it did not move."""
    h, w = current.shape
    window = cv2.createHanningWindow((w, h), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(previous, current, window)
    if response < min_response or abs(dx) + abs(dy) < 0.5 or abs(dx) > w / 2 or abs(dy) > h / 2:
        return None
    return float(dx), float(dy)


# A zoom or turn is taken from the picture's points only within these bounds, per frame
# read; past them (or with too few points that agree), the move is a shift alone.
MAX_ZOOM_STEP = 0.1
MAX_TURN = 0.05  # radians


def picture_motion(previous: np.ndarray, current: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """The move from ``previous`` to ``current`` (two signatures) as a 2x3 matrix: the
    ``shift`` refined with corners followed by optical flow into a shift with a small zoom
    and turn, when enough of them agree (a camera that pans and zooms); else the shift."""
    refined = followed_motion(previous, current, shift)
    return refined if refined is not None else np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])


def followed_motion(
    previous: np.ndarray, current: np.ndarray, guess: tuple[float, float] = (0.0, 0.0), levels: int = 2
) -> np.ndarray | None:
    """The move from ``previous`` to ``current`` (two signatures) as a 2x3 matrix (a shift,
    and a zoom and turn within ``MAX_ZOOM_STEP`` and ``MAX_TURN``), from corners followed by
    optical flow from ``guess``, when at least 12 of them, and 60% of those followed, agree
    within a pixel; else None (a cut, a scene that moves in parts, a picture too plain)."""
    a, b = (np.clip(x, 0, 255).astype(np.uint8) for x in (previous, current))
    points = cv2.goodFeaturesToTrack(a, maxCorners=200, qualityLevel=0.01, minDistance=8)
    if points is None or len(points) < 12:
        return None
    start = (points + np.float32(guess)).astype(np.float32)
    found, status, _ = cv2.calcOpticalFlowPyrLK(
        a, b, points, start, winSize=(15, 15), maxLevel=levels, flags=cv2.OPTFLOW_USE_INITIAL_FLOW
    )
    ok = status.ravel() == 1
    if ok.sum() < 12:
        return None
    refined, inliers = cv2.estimateAffinePartial2D(points[ok], found[ok], method=cv2.RANSAC, ransacReprojThreshold=1.0)
    if refined is None or inliers is None or inliers.sum() < max(12, 0.6 * ok.sum()):
        refined = behind_still_overlay(points[ok], found[ok])
        if refined is None:
            return None
    zoom = float(np.hypot(refined[0, 0], refined[1, 0]))
    turn = float(np.arctan2(refined[1, 0], refined[0, 0]))
    if abs(zoom - 1) > MAX_ZOOM_STEP or abs(turn) > MAX_TURN:
        return None
    return refined.astype(np.float32)


def behind_still_overlay(points: np.ndarray, found: np.ndarray) -> np.ndarray | None:
    """The picture's move when many of its corners held still: a subtitle of two scripts,
    or a score box, over a camera that moves. The corners that moved (by over half a pixel)
    must agree on one move, and with those that held still make 60% of all."""
    moved = np.hypot(*(found - points).reshape(-1, 2).T) > 0.5
    if moved.sum() < 12:
        return None
    matrix, inliers = cv2.estimateAffinePartial2D(
        points[moved], found[moved], method=cv2.RANSAC, ransacReprojThreshold=1.0
    )
    if matrix is None or inliers is None or inliers.sum() < max(12, 0.6 * moved.sum()):
        return None
    if inliers.sum() + (~moved).sum() < 0.6 * len(points):
        return None
    return matrix


def largest_move(matrix: np.ndarray, shape: tuple[int, ...]) -> float:
    """How far (in pixels) ``matrix`` moves the farthest corner of an image of ``shape``."""
    h, w = shape[:2]
    corners = np.float32([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]])
    return float(np.abs(corners @ matrix.T - corners[:, :2]).max())
