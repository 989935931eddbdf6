"""The video jobs a server keeps, and what they may take: queue slots and disk bytes.

Owns admission. A slot in the queue and every byte of an upload are reserved under one
lock before they are used, so parallel uploads cannot pass a cap between a check and a
copy; a refused or failed upload gives back what it held. Caps hold for all visitors
together and for each visitor (their client address) alone. It runs no job and touches
no file: ``jobs.VideoJobs`` does both.
"""

from __future__ import annotations

import re
import threading as _threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream_ocr.config import UploadLimits
from stream_ocr.errors import JobsFullError
from stream_ocr.realthreads import threading
from stream_ocr.video.timeline import Timeline

# Jobs waiting for the engine: an upload being copied, or one queued.
WAITING = ("uploading", "queued")
FINISHED = ("done", "error")


@dataclass
class JobState:
    """One uploaded video's job: who sent it, where its files are, how far it got."""

    job_id: str
    filename: str
    folder: Path
    owner: str = ""  # the client address that uploaded it
    state: str = "uploading"  # uploading, queued, running, done, error
    done: int = 0
    total: int = 0
    started: float = 0.0
    summary: dict[str, Any] | None = None
    error: str | None = None
    files: list[str] = field(default_factory=list)
    media_type: str = "application/octet-stream"
    timeline: Timeline | None = None  # once done: the results in memory (not in ``to_dict``)
    # What its files take on disk (counted as they are written), and its own stop signal.
    bytes: int = 0
    cancel: _threading.Event = field(default_factory=threading.Event)
    deleted: bool = False

    @property
    def stem(self) -> str:
        """The uploaded file's name without its suffix, safe as a file name: the downloads' name."""
        stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(self.filename).stem).strip(" ._")[:80]
        return stem or "video"

    @property
    def video_path(self) -> Path:
        """Where the upload is kept: a fixed name, whatever the client called it."""
        return self.folder / "input.video"

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "filename": self.filename,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "summary": self.summary,
            "error": self.error,
            "files": self.files,
        }


class JobBook:
    """Every job kept, by id; slots and bytes reserved under one lock."""

    def __init__(self, limits: UploadLimits | None = None) -> None:
        self.limits = limits or UploadLimits()
        self._jobs: dict[str, JobState] = {}
        self._lock = threading.Lock()

    def reserve(self, state: JobState) -> None:
        """Take a waiting slot for ``state`` (a new upload), or raise JobsFullError."""
        limits = self.limits
        with self._lock:
            waiting = [j for j in self._jobs.values() if j.state in WAITING]
            if len(waiting) >= limits.max_waiting:
                raise JobsFullError(f"{limits.max_waiting} videos are already waiting; try again when one has finished")
            # A visitor's running job counts too: four long videos of one visitor would
            # otherwise hold the engine for hours while each waits its turn.
            unfinished = [j for j in self._jobs.values() if j.owner == state.owner and j.state not in FINISHED]
            if len(unfinished) >= limits.max_waiting_per_visitor:
                raise JobsFullError(
                    f"you have {limits.max_waiting_per_visitor} videos waiting or being read already; "
                    "try again when one of yours has finished"
                )
            self._check_room(state.owner, 1)
            self._jobs[state.job_id] = state

    def grow(self, state: JobState, more: int) -> None:
        """Count ``more`` bytes of ``state``'s files, or raise JobsFullError if they pass a cap."""
        with self._lock:
            self._check_room(state.owner, more)
            state.bytes += more

    def _check_room(self, owner: str, more: int) -> None:
        used = sum(j.bytes for j in self._jobs.values())
        if used + more > self.limits.max_disk_bytes:
            raise JobsFullError("the server's room for videos is full; try a smaller video, or later")
        mine = sum(j.bytes for j in self._jobs.values() if j.owner == owner)
        if mine + more > self.limits.max_disk_bytes_per_visitor:
            raise JobsFullError("your videos take all the room you have; delete one, or wait until they expire")

    def set_bytes(self, state: JobState, size: int) -> None:
        """What ``state``'s files take now that it has run (its outputs written)."""
        with self._lock:
            state.bytes = size

    def queue(self, state: JobState) -> None:
        with self._lock:
            state.state = "queued"

    def drop(self, job_id: str) -> JobState | None:
        """Forget a job (a refused upload, a deleted job): what it held is free again."""
        with self._lock:
            return self._jobs.pop(job_id, None)

    def get(self, job_id: str) -> JobState | None:
        with self._lock:
            return self._jobs.get(job_id)

    def waiting(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.state in WAITING)

    def disk_bytes(self) -> int:
        """What every job's files take, as counted."""
        with self._lock:
            return sum(j.bytes for j in self._jobs.values())

    def expired(self, finished_at: dict[str, float], now: float, retention_s: float, keep: int) -> list[JobState]:
        """Finished jobs past ``retention_s``, then the oldest past ``keep``: taken out of the book."""
        with self._lock:
            finished = [j for j in self._jobs.values() if j.state in FINISHED]
            expired = [j for j in finished if now - finished_at.get(j.job_id, now) > retention_s]
            kept = [j for j in finished if j not in expired]
            gone = expired + kept[: max(0, len(kept) - keep)]
            for old in gone:
                del self._jobs[old.job_id]
            return gone
