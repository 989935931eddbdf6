"""The inference worker: one OS thread per loaded engine, serving every stream fairly.

Owns the loop that takes the newest frame of each stream in turn (round-robin), runs that
stream's per-frame step on it (``step.frame_step.FrameStep``: change gate, engine, tracker) and
hands the result on. Before each read, every stream whose newest frame has not changed
gets its result at once (a skip costs a millisecond or two), so a still stream never
waits behind the others' reads. A stream whose frame was skipped as unchanged, or only
moved (its lines followed the picture, no pixel read), is not looked at again for
``recheck_s``, so still streams leave the engine to the others. An error on one frame
is logged and counted, and the loop goes on. Browser frames arrive encoded and are
decoded here, off the event loop.
"""

from __future__ import annotations

import functools
import logging
import zlib
from collections.abc import Callable
from typing import Protocol

import numpy as np

from stream_ocr.config import ImageLimits
from stream_ocr.engines.base import FrameReader
from stream_ocr.errors import BadInputError
from stream_ocr.live.repeats import Repeats
from stream_ocr.live.slot import LatestSlot
from stream_ocr.realthreads import threading, time
from stream_ocr.service import Service
from stream_ocr.sources.images import decode_image
from stream_ocr.step.frame_step import FrameStep, StepConfig, StepResult
from stream_ocr.tracking.tracker import Track
from stream_ocr.types import Frame

logger = logging.getLogger(__name__)

ResultCallback = Callable[[Frame, StepResult], None]


class Recorder(Protocol):
    """What remembers a stream's reads (``server.recorder.LiveRecorder``)."""

    def on_read(self, stream_id: str, image: np.ndarray, step: StepResult) -> None: ...
    def on_track_end(self, stream_id: str, track: Track) -> None: ...


ErrorCallback = Callable[[Frame, Exception], None]


class InferenceWorker(Service):
    """Runs ``engine`` on the newest frame of each registered slot, in turn (``inference:<engine>``)."""

    def __init__(
        self,
        engine: FrameReader,
        *,
        on_result: ResultCallback,
        on_error: ErrorCallback,
        image_limits: ImageLimits | None = None,
        step_config: StepConfig | None = None,
        recorder: Recorder | None = None,
        recheck_s: float = 0.2,
    ) -> None:
        """``recorder`` is told of each frame read and each track ended (the history and
        the watchlist)."""
        super().__init__(f"inference:{engine.name}")
        self.engine = engine
        self.on_result = on_result
        self.on_error = on_error
        self.image_limits = image_limits or ImageLimits()
        self.step_config = step_config or StepConfig()
        self.recheck_s = recheck_s
        self.wakeup = threading.Event()
        self._slots: dict[str, LatestSlot[Frame]] = {}
        self._steps: dict[str, FrameStep] = {}
        self._not_before: dict[str, float] = {}
        self._slots_lock = threading.Lock()
        self._next = 0
        # When the frame being read now was taken (monotonic), for the health check.
        self._busy_since: float | None = None
        self.recorder = recorder
        self.repeats = Repeats(logger)

    def _new_step(self, stream_id: str) -> FrameStep:
        # Each stream's keyframes at their own phase: streams that start together would
        # otherwise all read a whole frame at the same moments, and every stream wait.
        phase = zlib.crc32(stream_id.encode()) / 2**32
        on_end = None if self.recorder is None else functools.partial(self.recorder.on_track_end, stream_id)
        return FrameStep(self.engine, self.step_config, keyframe_phase=phase, on_track_end=on_end)

    def new_slot(self, stream_id: str) -> LatestSlot[Frame]:
        """A slot this worker serves; capture puts frames in it."""
        slot: LatestSlot[Frame] = LatestSlot(stream_id, self.wakeup)
        with self._slots_lock:
            self._slots[stream_id] = slot
            self._steps[stream_id] = self._new_step(stream_id)
        return slot

    def remove_slot(self, stream_id: str) -> None:
        with self._slots_lock:
            self._slots.pop(stream_id, None)
            step = self._steps.pop(stream_id, None)
            self._not_before.pop(stream_id, None)
        if step is not None:
            self._end_tracks(stream_id, step)

    def _end_tracks(self, stream_id: str, step: FrameStep) -> None:
        """The stream stops: the texts still on screen end now (the history stores them)."""
        if self.recorder is None:
            return
        for track in list(step.tracker.active):
            try:
                self.recorder.on_track_end(stream_id, track)
            except Exception:  # noqa: BLE001  (one track must not keep the others from the history)
                logger.exception("stream %s: recording the end of a track failed", stream_id)
        step.tracker.active = []

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the inference thread; then every stream's tracks still on screen end."""
        ended = super().stop(timeout)
        with self._slots_lock:
            steps = list(self._steps.items())
        for stream_id, step in steps:
            self._end_tracks(stream_id, step)
        return ended

    def health(self) -> dict[str, object]:
        """Whether the inference thread runs, and how long its current frame has taken."""
        busy_since = self._busy_since
        return {
            "alive": self.alive,
            "busy_s": 0.0 if busy_since is None else round(time.monotonic() - busy_since, 1),
        }

    def _ready_slots(self) -> tuple[list[LatestSlot[Frame]], set[str]]:
        """The slots, and the names of those skipped a moment ago (their frames can wait)."""
        with self._slots_lock:
            slots = list(self._slots.values())
            waiting = {k for k, t in self._not_before.items() if t > time.monotonic()}
        return slots, waiting

    def _serve_unchanged(self) -> None:
        """Give every stream whose newest frame has not changed its (skipped) result now."""
        slots, waiting = self._ready_slots()
        for slot in slots:
            frame = slot.peek()
            if slot.name in waiting or frame is None or not isinstance(frame.image, np.ndarray):
                continue  # an encoded browser frame is decoded only when its turn comes
            with self._slots_lock:
                step = self._steps.get(frame.stream_id)
            if step is None or not step.unchanged(frame.image, frame.captured_at):
                continue
            taken = slot.take_nowait()
            if taken is not None:  # a newer frame may have come meanwhile: the step decides
                self.process(taken)

    def _next_frame(self) -> Frame | None:
        """The newest frame of the next stream that has one, round-robin."""
        slots, waiting = self._ready_slots()
        for i in range(len(slots)):
            slot = slots[(self._next + i) % len(slots)]
            if slot.name in waiting:
                continue  # still, and looked at a moment ago: its newest frame can wait
            frame = slot.take_nowait()
            if frame is not None:
                self._next = (self._next + i + 1) % len(slots)
                return frame
        return None

    def run(self) -> None:
        while not self.stopping:
            self.wakeup.wait(0.5)
            self.wakeup.clear()
            while not self.stopping:
                self._serve_unchanged()
                frame = self._next_frame()
                if frame is None:
                    break
                self.process(frame)

    def process(self, frame: Frame) -> None:
        """Run the stream's step on one frame; report the result or the error, never raise."""
        with self._slots_lock:
            step = self._steps.get(frame.stream_id)
            if step is None:
                step = self._steps[frame.stream_id] = self._new_step(frame.stream_id)
        self._busy_since = time.monotonic()
        try:
            image = frame.image
            if not isinstance(image, np.ndarray):
                image = decode_image(bytes(image), self.image_limits)
            # Wall-clock time: a looped file's position starts again, the clock does not.
            result = step(image, frame.captured_at)
        except BadInputError as e:
            # A camera can send bad frames many times a second: a line a minute, with a count.
            self.repeats.log(
                frame.stream_id, logging.WARNING, "stream %s frame %d: %s", frame.stream_id, frame.frame_id, e
            )
            self.on_error(frame, e)
            return
        except Exception as e:  # noqa: BLE001  (one bad frame must not stop the stream)
            logger.exception("stream %s frame %d: engine failed", frame.stream_id, frame.frame_id)
            self.on_error(frame, e)
            return
        finally:
            self._busy_since = None
        if result.skipped or result.followed:  # nothing new was read: look again in a moment
            with self._slots_lock:
                self._not_before[frame.stream_id] = time.monotonic() + self.recheck_s
        elif self.recorder is not None:
            try:
                self.recorder.on_read(frame.stream_id, image, result)
            except Exception:  # noqa: BLE001  (remembering must never cost the stream its results)
                logger.exception("stream %s frame %d: recording failed", frame.stream_id, frame.frame_id)
        self.on_result(frame, result)
