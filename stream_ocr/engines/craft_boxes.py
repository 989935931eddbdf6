"""CRAFT's score maps to word boxes, without TensorFlow.

Owns the post-processing of one image's region and link score maps: the rule CRAFT's
authors published, which keras-ocr's ``detection.getBoxes`` also follows. Pixels whose
region score passes ``text_threshold`` or whose link score passes ``link_threshold``
join into components; a component of at least ``size_threshold`` cells whose peak
region score reaches ``detection_threshold`` is a word. Its cells, less those where
both scores pass (the gaps between characters that the link bridges), are dilated in
proportion to the component's thickness, and the word's box is their minimum-area
rectangle, clockwise from the top-left (an axis-aligned box when that rectangle is
nearly square). Boxes are in the pixels of the image the maps were computed for (maps
are half its size).

Here each component is worked on inside its own bounding window instead of a whole-map
copy per component, which gives the same boxes (``tests/engines/test_craft_boxes.py`` checks
them against keras-ocr's) and keeps TensorFlow out of a process that runs CRAFT on
OpenVINO: importing it costs about 590 MB.
"""

from __future__ import annotations

import cv2
import numpy as np


def word_boxes(
    maps: np.ndarray,
    detection_threshold: float,
    text_threshold: float,
    link_threshold: float,
    size_threshold: int,
) -> list[np.ndarray]:
    """Word boxes (4x2 float32) from ``maps``, one image's H x W x 2 region and link scores."""
    textmap = np.ascontiguousarray(maps[..., 0], dtype=np.float32)
    linkmap = np.ascontiguousarray(maps[..., 1], dtype=np.float32)
    h, w = textmap.shape
    text = textmap > text_threshold
    link = linkmap > link_threshold
    count, labels, stats, _ = cv2.connectedComponentsWithStats((text | link).astype(np.uint8), connectivity=4)
    bridged = text & link
    boxes = []
    for i in range(1, count):
        x, y, cw, ch, size = (int(v) for v in stats[i])
        if size < size_threshold:
            continue
        mine = labels[y : y + ch, x : x + cw] == i
        if textmap[y : y + ch, x : x + cw][mine].max() < detection_threshold:
            continue
        grow = int(np.sqrt(size * min(cw, ch) / (cw * ch)) * 2)
        sx, sy = max(x - grow, 0), max(y - grow, 0)
        ex, ey = min(x + cw + grow + 1, w), min(y + ch + grow + 1, h)
        # The window, with a border of zeros so that no contour touches its edge.
        segmap = np.zeros((ey - sy + 2, ex - sx + 2), dtype=np.uint8)
        inner = segmap[1:-1, 1:-1]
        inner[y - sy : y - sy + ch, x - sx : x - sx + cw][mine] = 255
        inner[bridged[sy:ey, sx:ex]] = 0
        inner[:] = cv2.dilate(inner, cv2.getStructuringElement(cv2.MORPH_RECT, (1 + grow, 1 + grow)))
        contours = cv2.findContours(segmap, mode=cv2.RETR_TREE, method=cv2.CHAIN_APPROX_SIMPLE)[-2]
        contour = contours[0] + np.array([sx - 1, sy - 1], dtype=np.int32)
        box = cv2.boxPoints(cv2.minAreaRect(contour))
        side_a, side_b = np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[1] - box[2])
        if abs(1 - max(side_a, side_b) / (min(side_a, side_b) + 1e-5)) <= 0.1:
            left, right = contour[:, 0, 0].min(), contour[:, 0, 0].max()
            top, bottom = contour[:, 0, 1].min(), contour[:, 0, 1].max()
            box = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], dtype=np.float32)
        else:
            box = np.roll(box, 4 - box.sum(axis=1).argmin(), 0)
        boxes.append(2 * box.astype(np.float32))
    return boxes
