"""The capture loop: one OS thread per configured source, reading frames at the source's pace.

Owns pacing (files play at their native frame rate), looping, reconnecting with
exponential backoff, and status reports. It hands every frame to a latest-frame slot and
never waits for inference. It knows nothing of OCR or of the web.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import cv2

from stream_ocr.errors import SourceUnavailableError
from stream_ocr.live.metrics import StreamStats
from stream_ocr.live.slot import LatestSlot
from stream_ocr.realthreads import time
from stream_ocr.service import Service
from stream_ocr.sources.opening import SourceSpec, frame_rate, open_capture
from stream_ocr.types import Frame

logger = logging.getLogger(__name__)

# Status values, as the ``stream_status`` event carries them.
CONNECTING, LIVE, RECONNECTING, ENDED, ERROR = "connecting", "live", "reconnecting", "ended", "error"

StatusCallback = Callable[[str, str, str], None]  # (stream_id, status, reason)
FrameCallback = Callable[[Frame], None]


@dataclass(frozen=True)
class CaptureConfig:
    """How a capture loop waits: reconnect backoff (doubling up to the max) and open/read timeouts."""

    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0


class CaptureLoop(Service):
    """Reads one source in its own thread (``capture:<name>``) until stopped or ended."""

    def __init__(
        self,
        spec: SourceSpec,
        slot: LatestSlot[Frame],
        stats: StreamStats,
        on_status: StatusCallback,
        on_frame: FrameCallback | None = None,
        config: CaptureConfig | None = None,
    ) -> None:
        super().__init__(f"capture:{spec.name}")
        self.spec = spec
        self.slot = slot
        self.stats = stats
        self.on_status = on_status
        self.on_frame = on_frame
        self.config = config or CaptureConfig()
        self.status = CONNECTING
        self._frame_id = 0

    def _set_status(self, status: str, reason: str = "") -> None:
        self.status = status
        logger.info("stream %s: %s %s", self.spec.name, status, reason)
        self.on_status(self.spec.name, status, reason)

    def run(self) -> None:
        backoff = self.config.backoff_initial_s
        try:
            while not self.stopping:
                self._set_status(CONNECTING, self.spec.describe())
                try:
                    capture = open_capture(self.spec, self.config.open_timeout_s, self.config.read_timeout_s)
                except SourceUnavailableError as e:
                    if not self.spec.is_live:
                        self._set_status(ERROR, str(e))
                        return
                    self._set_status(RECONNECTING, f"{e}; retrying in {backoff:.1f} s")
                    self.sleep(backoff)
                    backoff = min(backoff * 2, self.config.backoff_max_s)
                    continue
                try:
                    outcome = self._read_frames(capture)
                finally:
                    capture.release()
                if outcome == "stopped":
                    return
                if outcome == "ended":
                    self._set_status(ENDED, "end of file")
                    return
                if outcome == "unreadable":
                    self._set_status(
                        ERROR, "the file opened but no frame could be decoded (corrupt, or an unsupported codec)"
                    )
                    return
                if outcome == "had_frames":
                    backoff = self.config.backoff_initial_s
                self._set_status(RECONNECTING, f"the stream stopped sending frames; retrying in {backoff:.1f} s")
                self.sleep(backoff)
                backoff = min(backoff * 2, self.config.backoff_max_s)
        except Exception as e:  # noqa: BLE001  (a capture thread must report, never die silently)
            logger.exception("stream %s: capture failed", self.spec.name)
            self._set_status(ERROR, f"capture failed: {e}")

    def _read_frames(self, capture: cv2.VideoCapture) -> str:
        """Read until the source stops; returns stopped, ended, unreadable, had_frames or no_frames."""
        is_file = not self.spec.is_live
        fps = frame_rate(capture)
        period = 1.0 / fps
        got_any = False
        started = time.monotonic()
        played = 0  # frames since ``started``, for pacing a file
        while not self.stopping:
            ok, image = capture.read()
            if not ok or image is None:
                if is_file and got_any and self.spec.loop:
                    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    ok, image = capture.read()
                    if not ok:
                        return "unreadable"
                elif is_file:
                    return "ended" if got_any else "unreadable"
                else:
                    return "had_frames" if got_any else "no_frames"
            if not got_any:
                got_any = True
                self._set_status(LIVE, f"{image.shape[1]}x{image.shape[0]} at {fps:.0f} fps")
            self._frame_id += 1
            position = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000 if is_file else None
            frame = Frame(self.spec.name, self._frame_id, image, time.time(), position)
            self.slot.put(frame)
            self.stats.frame_captured()
            if self.on_frame is not None:
                self.on_frame(frame)
            if is_file:
                played += 1
                delay = started + played * period - time.monotonic()
                if delay > 0:
                    self.sleep(delay)
                elif delay < -1.0:
                    started, played = time.monotonic(), 0  # fell far behind: don't try to catch up
        return "stopped"
