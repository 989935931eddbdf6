"""Follow each piece of text across frames, so it is reported once, with a stable text.

Owns association (box overlap, motion and string similarity, matched greedily), track
life (a track survives short misses), and the confidence-weighted vote that gives a
track its text. Times are seconds (video position, or wall clock for live streams). It
runs no OCR and draws nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from stream_ocr.evaluation import edit_distance
from stream_ocr.types import Detection, Point


@dataclass(frozen=True)
class TrackerConfig:
    # A track not matched for this long (seconds) is finished.
    max_gap_s: float = 2.0
    # A detection joins a track only if their match score reaches this.
    min_score: float = 0.45
    # Reads with no confidence (some recognizers give none) vote with this weight.
    default_weight: float = 0.5
    # Video timelines keep every box and finished track; live streams keep only recent
    # boxes and forget finished tracks, so memory stays flat however long they run.
    keep_history: bool = True
    recent_boxes: int = 30


@dataclass(frozen=True)
class TrackBox:
    time: float
    points: tuple[Point, Point, Point, Point]
    text: str
    confidence: float | None


@dataclass
class Track:
    track_id: int
    first_time: float
    last_time: float
    boxes: list[TrackBox] = field(default_factory=list)
    votes: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    velocity: tuple[float, float] = (0.0, 0.0)  # of the box centre, pixels per second
    # Frames it was on: read, or carried forward over frames skipped as unchanged.
    frames_seen: int = 0

    @property
    def text(self) -> str:
        """The text with the largest sum of read confidences."""
        return max(self.votes.items(), key=lambda kv: (kv[1], len(kv[0])))[0] if self.votes else ""

    @property
    def confidence(self) -> float:
        """The winning text's share of all the votes, times its mean read confidence."""
        total = sum(self.votes.values())
        if not total:
            return 0.0
        text = self.text
        reads = [b for b in self.boxes if b.text == text]
        mean = sum(b.confidence if b.confidence is not None else 0.5 for b in reads) / max(1, len(reads))
        return round(self.votes[text] / total * mean, 4)

    @property
    def hits(self) -> int:
        return len(self.boxes)

    def to_dict(self) -> dict:
        return {
            "id": self.track_id,
            "text": self.text,
            "confidence": self.confidence,
            "first_time": round(self.first_time, 3),
            "last_time": round(self.last_time, 3),
            "frames_seen": self.frames_seen,
            "reads": {t: round(v, 3) for t, v in sorted(self.votes.items(), key=lambda kv: -kv[1])},
            "boxes": [
                {"time": round(b.time, 3), "points": [[round(x, 1), round(y, 1)] for x, y in b.points], "text": b.text}
                for b in self.boxes
            ],
        }


def _centre(points) -> tuple[float, float]:
    return sum(p[0] for p in points) / 4, sum(p[1] for p in points) / 4


def _bbox(points) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def similarity(a: str, b: str) -> float:
    """1 for equal strings (case-insensitive), falling to 0 with edit distance."""
    a, b = a.lower(), b.lower()
    if not a or not b:
        return 0.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))


class Tracker:
    """Call ``update`` with each processed frame's detections, in time order."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.active: list[Track] = []
        self.finished: list[Track] = []
        self._next_id = 1
        self._last_time: float | None = None

    def _score(self, track: Track, det: Detection, t: float) -> float:
        last = track.boxes[-1]
        dt = max(0.0, t - last.time)
        cx, cy = _centre(last.points)
        px, py = cx + track.velocity[0] * dt, cy + track.velocity[1] * dt
        x0, y0, x1, y1 = _bbox(last.points)
        predicted = (x0 + px - cx, y0 + py - cy, x1 + px - cx, y1 + py - cy)
        det_box = _bbox(det.points)
        overlap = _iou(predicted, det_box)
        height = max(y1 - y0, det_box[3] - det_box[1], 1.0)
        dx, dy = _centre(det.points)
        distance = ((dx - px) ** 2 + (dy - py) ** 2) ** 0.5 / height
        text_sim = max(similarity(track.text, det.text), similarity(last.text, det.text))
        near = max(0.0, 1.0 - distance / 4.0)
        if overlap == 0.0 and distance > 4.0:
            # Far away: the same text may have moved with a camera cut, but only a
            # near-identical read of a word of some length is trusted to follow it.
            return 0.6 * text_sim if text_sim >= 0.8 and len(det.text) >= 3 else 0.0
        return 0.4 * overlap + 0.35 * text_sim + 0.25 * near

    def update(self, detections: tuple[Detection, ...] | list[Detection], t: float) -> tuple[Detection, ...]:
        """Match ``detections`` (seen at time ``t``) to tracks; return them with track ids and voted texts."""
        self._expire(t)
        pairs = []
        for ti, track in enumerate(self.active):
            for di, det in enumerate(detections):
                score = self._score(track, det, t)
                if score >= self.config.min_score:
                    pairs.append((score, ti, di))
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for _, ti, di in sorted(pairs, reverse=True):
            if ti in used_tracks or di in assigned:
                continue
            used_tracks.add(ti)
            assigned[di] = self.active[ti]
        out = []
        for di, det in enumerate(detections):
            track = assigned.get(di)
            if track is None:
                track = Track(self._next_id, t, t)
                self._next_id += 1
                self.active.append(track)
            self._add(track, det, t)
            out.append(replace(det, text=track.text, track_id=track.track_id))
        self._last_time = t
        return tuple(out)

    def _add(self, track: Track, det: Detection, t: float) -> None:
        if track.boxes:
            last = track.boxes[-1]
            dt = t - last.time
            if dt > 0:
                (cx, cy), (nx, ny) = _centre(last.points), _centre(det.points)
                vx, vy = (nx - cx) / dt, (ny - cy) / dt
                # Smooth, so one jittery box does not fling the prediction.
                track.velocity = (0.5 * track.velocity[0] + 0.5 * vx, 0.5 * track.velocity[1] + 0.5 * vy)
        weight = det.confidence if det.confidence is not None else self.config.default_weight
        track.votes[det.text] += max(weight, 1e-3)
        track.boxes.append(TrackBox(t, det.points, det.text, det.confidence))
        track.last_time = max(track.last_time, t)
        track.frames_seen += 1
        if not self.config.keep_history:
            del track.boxes[: -self.config.recent_boxes]
            if len(track.votes) > 4 * self.config.recent_boxes:
                top = sorted(track.votes.items(), key=lambda kv: -kv[1])[: self.config.recent_boxes]
                track.votes = defaultdict(float, top)

    def carry_forward(self, t: float) -> None:
        """A frame at ``t`` was skipped as unchanged: the tracks seen last are still on screen."""
        for track in self.active:
            if self._last_time is not None and track.last_time >= self._last_time:
                track.last_time = t
                track.frames_seen += 1
        self._last_time = t

    def _expire(self, t: float) -> None:
        still = []
        for track in self.active:
            if t - track.last_time > self.config.max_gap_s:
                if self.config.keep_history:
                    self.finished.append(track)
            else:
                still.append(track)
        self.active = still

    def finish(self) -> list[Track]:
        """End every track; return all tracks, ordered by first appearance."""
        self.finished.extend(self.active)
        self.active = []
        return sorted(self.finished, key=lambda tr: (tr.first_time, tr.track_id))
