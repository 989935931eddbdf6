"""Follow each piece of text across frames, so that it is reported once, with a stable text.

Owns association and track life. A track follows a text, not a place: a read joins a
track only when it is the same text (``fusion.same_text``: a misreading joins, another
text does not) and its box is where the track's box is predicted to be (overlap after
the track's motion, nearness). A new text that takes an old one's place ends the old
track at its last sighting. A track survives short misses; its text is fused from all
its reads (``fusion.fuse``). Times are seconds (video position, or wall clock for live
streams). It runs no OCR and draws nothing. Lines or words may be tracked alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from stream_ocr.errors import BadInputError
from stream_ocr.geometry import area, bbox, centre, intersection, iou, rounded
from stream_ocr.settings import setting
from stream_ocr.tracking.fusion import DIFFERENT, SAME, UNSURE, Fused, IdentityConfig, fuse, is_fragment, relation
from stream_ocr.tracking.similarity import similarity
from stream_ocr.types import Detection, Line, P, Placed, Point


@dataclass(frozen=True)
class TrackerConfig:
    # A track not matched for this long (seconds), by frames that were read, is finished.
    # A text that comes back after a shorter gap continues its track (the cue merge gap of
    # a subtitle file). A gap with no frame read in it (a live stream whose reads are
    # slower than this) ends nothing: the text was not seen gone.
    max_gap_s: float = setting(
        2.0,
        flag="--merge-gap",
        help="a line that comes back after a gap shorter than this (seconds) continues its cue "
        "(with --subtitles 0.6 unless given)",
    )
    # A detection joins a track only if their match score reaches this.
    min_score: float = 0.45
    # Reads with no confidence (some recognizers give none) vote with this weight.
    default_weight: float = 0.5
    # Video timelines keep every box and finished track; live streams keep only recent
    # boxes and forget finished tracks, so memory stays flat however long they run.
    keep_history: bool = True
    recent_boxes: int = 30
    # A new text whose box and an old track's last box cover this share of each other
    # has taken the old one's place: the old track ends at once.
    supersede_cover: float = 0.5
    # A read that holds only some of a track's words, inside its box, is a piece of that
    # line (a word of it hidden by glare or a hand), and a track that was such a piece of
    # a new line is folded into it. Subtitles are never hidden in part, and a shorter line
    # in the place of a longer one is the next subtitle ("- Yeah, that's next." then
    # "- Yeah."): ``--subtitles`` turns this off.
    fragments: bool = True
    identity: IdentityConfig = field(default_factory=IdentityConfig)

    def __post_init__(self) -> None:
        if self.max_gap_s < 0:
            raise BadInputError("--merge-gap must be >= 0")


@dataclass(frozen=True)
class TrackBox:
    """One sighting: where, what was read there, and the words of the line."""

    time: float
    points: tuple[Point, Point, Point, Point]
    text: str
    confidence: float | None
    words: tuple[Detection, ...] = ()


@dataclass
class Track:
    track_id: int
    first_time: float
    last_time: float
    boxes: list[TrackBox] = field(default_factory=list)
    # Each distinct raw read and the sum of its confidences.
    votes: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    velocity: tuple[float, float] = (0.0, 0.0)  # of the box centre over the picture, pixels per second
    # The tracker's ``camera`` when the last box was added: the picture has moved by the
    # difference since (a pan or scroll followed by the change gate).
    camera_at_last: tuple[float, float] = (0.0, 0.0)
    # Frames it was on: read, or carried forward over frames skipped as unchanged.
    frames_seen: int = 0
    reads: int = 0
    confidence_sum: float = 0.0
    # How much its glyphs are edged as subtitles are drawn (``video.subtitles.outline_share``),
    # summed over the reads measured, and how many were: the video job's ``--subtitles``
    # measures them, and only the lines that look like subtitles become cues.
    outline_sum: float = 0.0
    outline_reads: int = 0
    # When a frame was first read without it since it was last seen (None: not yet).
    missed_at: float | None = None
    _fused: Fused | None = None

    def fused(self) -> Fused:
        if self._fused is None:
            self._fused = fuse(dict(self.votes))
        return self._fused

    @property
    def text(self) -> str:
        """The text fused from every read (``fusion.fuse``)."""
        return self.fused().text

    @property
    def confidence(self) -> float:
        """How far the reads agree on the fused text, times their mean confidence."""
        if not self.reads:
            return 0.0
        return round(self.fused().confidence * self.confidence_sum / self.reads, 4)

    def end_time(self, hold_s: float) -> float:
        """When the text went: one sample interval (``hold_s``) after its last sighting, or
        the first frame read without it if that came sooner (an extra sample after a cut)."""
        end = self.last_time + hold_s
        if self.missed_at is not None and self.last_time < self.missed_at < end:
            return self.missed_at
        return end

    def expected_box(
        self, t: float, camera: tuple[float, float], moving: bool = True
    ) -> tuple[float, float, float, float]:
        """Where the last box is expected at ``t`` with the picture moved to ``camera`` (the
        tracker's): moved with the picture since, and (``moving``) by its own velocity."""
        last = self.boxes[-1]
        dt = max(0.0, t - last.time) if moving else 0.0
        dx = camera[0] - self.camera_at_last[0] + self.velocity[0] * dt
        dy = camera[1] - self.camera_at_last[1] + self.velocity[1] * dt
        x0, y0, x1, y1 = bbox(last.points)
        return x0 + dx, y0 + dy, x1 + dx, y1 + dy

    @property
    def hits(self) -> int:
        return len(self.boxes)

    def to_dict(self) -> dict:
        last_words = self.boxes[-1].words if self.boxes else ()
        return {
            "id": self.track_id,
            "text": self.text,
            "confidence": self.confidence,
            "first_time": round(self.first_time, 3),
            "last_time": round(self.last_time, 3),
            "frames_seen": self.frames_seen,
            "reads": {t: round(v, 3) for t, v in sorted(self.votes.items(), key=lambda kv: -kv[1])},
            "words": [w.to_dict() for w in last_words],
            "boxes": [
                {
                    "time": round(b.time, 3),
                    "points": rounded(b.points),
                    "text": b.text,
                    "confidence": None if b.confidence is None else round(b.confidence, 4),
                }
                for b in self.boxes
            ],
        }


def _certainty(det: Placed) -> float | None:
    """The recognizer's confidence in the least sure word of a line (or in the word)."""
    if isinstance(det, Line) and det.words and all(w.confidence is not None for w in det.words):
        return min(w.confidence for w in det.words)  # type: ignore[type-var]
    return det.confidence


def text_relation(track: Track, det: Placed, config: TrackerConfig) -> str:
    """How ``det``'s text stands to the track's fused text and to its last read: the closer."""
    certainty = _certainty(det)
    found = {relation(text, det.text, certainty, config.identity) for text in (track.text, track.boxes[-1].text)}
    return SAME if SAME in found else UNSURE if UNSURE in found else DIFFERENT


def match_score(track: Track, det: Placed, t: float, camera: tuple[float, float], config: TrackerConfig) -> float:
    """How well ``det`` (seen at ``t``) continues ``track``: 0 for another text; else from
    its overlap with and distance to where the track is expected, and the texts' likeness."""
    related = text_relation(track, det, config)
    if related == DIFFERENT:
        return 0.0
    last = track.boxes[-1]
    predicted = track.expected_box(t, camera)
    px, py = (predicted[0] + predicted[2]) / 2, (predicted[1] + predicted[3]) / 2
    x0, y0, x1, y1 = bbox(last.points)
    det_box = bbox(det.points)
    overlap = iou(predicted, det_box)
    height = max(y1 - y0, det_box[3] - det_box[1], 1.0)
    dx, dy = centre(det.points)
    distance = ((dx - px) ** 2 + (dy - py) ** 2) ** 0.5 / height
    text_sim = max(similarity(track.text, det.text), similarity(last.text, det.text))
    if related == UNSURE:
        # Maybe a misreading: only where the track is expected does it join it.
        return 0.2 + 0.4 * overlap if overlap >= 0.5 else 0.0
    if overlap == 0.0 and distance > 4.0:
        # Far away: the same text may have moved with a camera cut, but only a
        # near-identical read of some length is trusted to follow it.
        return 0.6 * text_sim if text_sim >= 0.8 and len(det.text) >= 3 else 0.0
    near = max(0.0, 1.0 - distance / 4.0)
    return 0.25 + 0.4 * overlap + 0.25 * near + 0.1 * text_sim


class Tracker:
    """Call ``update`` with each processed frame's detections (lines or words), in time order."""

    def __init__(self, config: TrackerConfig | None = None, *, on_end: Callable[[Track], None] | None = None) -> None:
        self.config = config or TrackerConfig()
        self.active: list[Track] = []
        self.finished: list[Track] = []
        self._next_id = 1
        self._last_time: float | None = None
        # How far the picture has moved, summed over the frames read ((dx, dy) pixels): a
        # track is looked for where the picture carried it since it was last seen.
        self.camera = (0.0, 0.0)
        # Called with each track as it ends (gone past ``max_gap_s``, or replaced by another
        # text in its place); the live history store listens here.
        self.on_end = on_end

    def _end(self, track: Track) -> None:
        if self.config.keep_history:
            self.finished.append(track)
        if self.on_end is not None:
            self.on_end(track)

    def update(
        self,
        detections: Sequence[P],
        t: float,
        moved: tuple[float, float] | None = None,
        carried: Callable[[P], bool] | None = None,
    ) -> tuple[P, ...]:
        """Match ``detections`` (seen at time ``t``) to tracks; return them with track ids and
        fused texts. ``moved``: how far the whole picture moved since the last frame read.
        ``carried(det)`` is true of a detection read on an earlier frame and carried to this
        one unread (a region read elsewhere): it keeps its track on screen but is no new
        read, so it casts no vote (a subtitle read once as it appeared, "smaller" for
        "smaller.", outvoted its later reads by being carried on every frame between them)."""
        if moved is not None:
            self.camera = (self.camera[0] + moved[0], self.camera[1] + moved[1])
        self._expire(t)
        pairs = []
        for ti, track in enumerate(self.active):
            for di, det in enumerate(detections):
                score = match_score(track, det, t, self.camera, self.config)
                if score >= self.config.min_score:
                    pairs.append((score, ti, di))
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for _, ti, di in sorted(pairs, reverse=True):
            if ti in used_tracks or di in assigned:
                continue
            used_tracks.add(ti)
            assigned[di] = self.active[ti]
        unmatched = [tr for i, tr in enumerate(self.active) if i not in used_tracks]
        out = []
        for di, det in enumerate(detections):
            track = assigned.get(di)
            if track is None:
                whole = self._whole_of(det, t)
                if whole is not None:
                    # A piece of a known line (a word of it hidden): the line was seen.
                    if whole in unmatched:
                        unmatched.remove(whole)
                        whole.frames_seen += 1
                    whole.last_time = max(whole.last_time, t)
                    whole.missed_at = None
                    out.append(replace(det, track_id=whole.track_id))
                    continue
                track = Track(self._next_id, t, t)
                self._next_id += 1
                self._supersede(unmatched, det, track, t)
                self.active.append(track)
            self._add(track, det, t, vote=carried is None or not carried(det) or not track.votes)
            out.append(replace(det, text=track.text, track_id=track.track_id))
        for track in unmatched:
            if track not in self.active:
                continue
            if t - track.last_time > self.config.max_gap_s:
                # Gone on this frame, and seen last too long ago to be a flicker.
                self._end(track)
                self.active.remove(track)
            elif track.missed_at is None:
                track.missed_at = t
        self._last_time = t
        return tuple(out)

    def _whole_of(self, det: Placed, t: float) -> Track | None:
        """The active track of which ``det`` is a fragment: its words, inside its box."""
        box = bbox(det.points)
        for track in self.active:
            if not self.config.fragments or not track.boxes or not is_fragment(det.text, track.text):
                continue
            if intersection(box, track.expected_box(t, self.camera)) >= 0.7 * area(box):
                return track
        return None

    def _supersede(self, unmatched: list[Track], det: Placed, new: Track, t: float) -> None:
        """Settle the tracks in the place of a new track's first detection.

        A track that was a fragment of the new line (a word of it hidden when it started)
        is folded into the new track, which then starts when it did. A track with another
        text in the same place (a slide, a counter, a subtitle changed) ends at once.
        """
        box = bbox(det.points)
        for track in list(unmatched):
            if track not in self.active:
                continue
            old = track.expected_box(t, self.camera, moving=False)
            inter = intersection(box, old)
            cover = self.config.supersede_cover
            same_place = inter >= cover * area(box) and inter >= cover * area(old)
            if self.config.fragments and inter >= 0.7 * area(old) and is_fragment(track.text, det.text):
                new.first_time = min(new.first_time, track.first_time)
            elif not same_place or text_relation(track, det, self.config) != DIFFERENT:
                continue
            else:
                track.missed_at = t if track.missed_at is None else track.missed_at  # gone by now
                self._end(track)
            self.active.remove(track)
            unmatched.remove(track)

    def _add(self, track: Track, det: Placed, t: float, vote: bool = True) -> None:
        if track.boxes:
            last = track.boxes[-1]
            dt = t - last.time
            if dt > 0:
                (cx, cy), (nx, ny) = centre(last.points), centre(det.points)
                # Its own motion: what the picture's did not account for.
                nx -= self.camera[0] - track.camera_at_last[0]
                ny -= self.camera[1] - track.camera_at_last[1]
                vx, vy = (nx - cx) / dt, (ny - cy) / dt
                # Smooth, so one jittery box does not fling the prediction.
                track.velocity = (0.5 * track.velocity[0] + 0.5 * vx, 0.5 * track.velocity[1] + 0.5 * vy)
        weight = det.confidence if det.confidence is not None else self.config.default_weight
        if vote:
            track.votes[det.text] += max(weight, 1e-3)
        track.reads += 1
        track.confidence_sum += weight
        track._fused = None
        words = det.words if isinstance(det, Line) else ()
        track.boxes.append(TrackBox(t, det.points, det.text, det.confidence, words))
        track.camera_at_last = self.camera
        track.last_time = max(track.last_time, t)
        track.missed_at = None
        track.frames_seen += 1
        if not self.config.keep_history:
            del track.boxes[: -self.config.recent_boxes]
            if len(track.votes) > 2 * self.config.recent_boxes:
                top = sorted(track.votes.items(), key=lambda kv: -kv[1])[: self.config.recent_boxes]
                track.votes = defaultdict(float, top)

    def carry_forward(self, t: float) -> None:
        """A frame at ``t`` was skipped as unchanged: the tracks seen last are still on screen."""
        for track in self.active:
            if self._last_time is not None and track.last_time >= self._last_time:
                track.last_time = t
                track.frames_seen += 1
        self._last_time = t

    def current(self) -> list[Track]:
        """The tracks on screen now: seen on the last frame read, or carried over since."""
        return [tr for tr in self.active if self._last_time is not None and tr.last_time >= self._last_time]

    def _expire(self, t: float) -> None:
        """End the tracks that a frame read since their last sighting did not see, long enough ago."""
        still = []
        for track in self.active:
            if track.missed_at is not None and t - track.last_time > self.config.max_gap_s:
                self._end(track)
            else:
                still.append(track)
        self.active = still

    def finish(self) -> list[Track]:
        """End every track; return all tracks, ordered by first appearance."""
        self.finished.extend(self.active)
        self.active = []
        return sorted(self.finished, key=lambda tr: (tr.first_time, tr.track_id))
