"""Video jobs submitted through the web page: a queue, one worker thread, progress events.

Owns job bookkeeping (ids, folders, states) and runs ``video.job.process_video`` for each
job in turn in a real OS thread, publishing progress to the hub's event queue. A job that
fails keeps its partial files and reports why; the server stays up.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream_ocr.engines.base import FrameReader
from stream_ocr.errors import BadInputError, JobsFullError, StreamOCRError
from stream_ocr.live.sinks import Publish
from stream_ocr.realthreads import queue, threading, time
from stream_ocr.service import Service
from stream_ocr.video.job import VideoJob, read_video
from stream_ocr.video.timeline import Timeline

logger = logging.getLogger(__name__)

OUTPUT_FILES = ("tracks.json", "frames.jsonl", "summary.json", "annotated.mp4")

# The containers an upload may be, told from their first bytes (never from the name the
# client gave): playlists, HTML, SVG and anything else are refused before FFmpeg sees them.
CONTAINERS = (
    ("video/mp4", lambda b: b[4:8] == b"ftyp"),  # MP4, MOV, 3GP, M4V
    ("video/webm", lambda b: b[:4] == b"\x1a\x45\xdf\xa3"),  # Matroska, WebM
    ("video/x-msvideo", lambda b: b[:4] == b"RIFF" and b[8:12] == b"AVI "),
    ("video/mpeg", lambda b: b[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")),
    ("video/mp2t", lambda b: len(b) >= 377 and b[0] == b[188] == b[376] == 0x47),
    ("video/x-flv", lambda b: b[:3] == b"FLV"),
    ("video/x-ms-asf", lambda b: b[:4] == b"\x30\x26\xb2\x75"),
    ("video/ogg", lambda b: b[:4] == b"OggS"),
)
SNIFF_BYTES = 4096


def sniff_container(head: bytes) -> str | None:
    """The media type of a video container from its first bytes, or None if not one we take."""
    for media_type, matches in CONTAINERS:
        if matches(head):
            return media_type
    return None


@dataclass
class JobState:
    job_id: str
    filename: str
    folder: Path
    state: str = "queued"  # queued, running, done, error
    done: int = 0
    total: int = 0
    started: float = 0.0
    summary: dict[str, Any] | None = None
    error: str | None = None
    files: list[str] = field(default_factory=list)
    media_type: str = "application/octet-stream"
    timeline: Timeline | None = None  # once done: the results in memory (not in ``to_dict``)

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


class VideoJobs(Service):
    """Accepts uploaded videos and processes them one at a time (``video-jobs`` thread).

    At most ``max_queued`` jobs wait at once, and all jobs' files take at most
    ``max_disk_bytes`` (past either, ``JobsFullError``: the web layer's 429); finished jobs'
    folders are removed after ``retention_s`` or when more than ``keep`` have finished,
    whichever comes first.
    """

    def __init__(
        self,
        engine: FrameReader,
        root: Path,
        publish: Publish,
        job: VideoJob | None = None,
        *,
        on_done: Callable[[JobState, float], None] | None = None,
        on_forget: Callable[[list[str]], None] | None = None,
        keep: int = 20,
        max_queued: int = 4,
        retention_s: float = 24 * 3600,
        max_disk_bytes: int = 10 * 1024**3,
    ) -> None:
        super().__init__("video-jobs")
        self.engine = engine
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        self.publish = publish  # (event name, payload, room) -> None
        self.job = job or VideoJob(annotate=True)
        self.keep = keep
        self.max_queued = max_queued
        self.retention_s = retention_s
        self.max_disk_bytes = max_disk_bytes
        self._jobs: dict[str, JobState] = {}
        self._finished_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pending: queue.Queue[str | None] = queue.Queue()
        # Called with (job, wall-clock start) when a job is done (the history stores its tracks),
        # and with the ids of jobs whose files were removed (the history forgets their tracks).
        self.on_done = on_done
        self.on_forget = on_forget

    def _remove_leftovers(self) -> None:
        """Job folders of an earlier run (jobs live in memory only, so nobody can reach them)."""
        gone = 0
        for folder in self.root.iterdir():
            if folder.is_dir() and (folder / "input.video").exists():
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        if gone:
            logger.info("removed %d video job folders left by an earlier run in %s", gone, self.root)

    def wake(self) -> None:
        self._pending.put(None)

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the running job where it is (its partial files are kept) and end the thread."""
        return super().stop(timeout)

    def queued(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.state == "queued")

    def submit(self, filename: str, stream) -> JobState:
        """Save an upload and queue it. ``stream`` is a file-like object."""
        name = (Path(filename or "video").name or "video")[:200]
        head = stream.read(SNIFF_BYTES)
        if not head:
            raise BadInputError("the uploaded video is empty (0 bytes)")
        media_type = sniff_container(head)
        if media_type is None:
            raise BadInputError(
                "the upload is not a video container we read (MP4/MOV, WebM/MKV, AVI, MPEG, MPEG-TS, FLV, ASF, Ogg); "
                "playlists and other files are refused"
            )
        if self.queued() >= self.max_queued:
            raise JobsFullError(f"{self.max_queued} videos are already waiting; try again when one has finished")
        if self.disk_bytes() >= self.max_disk_bytes:
            raise JobsFullError("the server's room for videos is full; try again when older jobs have expired")
        # The job's id is its visitor's capability: whoever knows it may see the job, its
        # files and its tracks, and nobody else can guess it (128 bits).
        job_id = secrets.token_urlsafe(16)
        state = JobState(job_id, name, self.root / job_id, media_type=media_type)
        state.folder.mkdir(parents=True)
        try:
            room = self.max_disk_bytes - self.disk_bytes()
            with open(state.video_path, "wb") as f:
                f.write(head)
                while chunk := stream.read(1 << 20):
                    f.write(chunk)
                    if f.tell() > room:
                        raise JobsFullError("the server's room for videos is full; try a smaller video or later")
        except BaseException:
            shutil.rmtree(state.folder, ignore_errors=True)
            raise
        with self._lock:
            self._jobs[job_id] = state
            self._forget_old()
        self._pending.put(job_id)
        return state

    def disk_bytes(self) -> int:
        """What every job's files take on disk now."""
        return sum(f.stat().st_size for f in self.root.rglob("*") if f.is_file())

    def get(self, job_id: str) -> JobState | None:
        with self._lock:
            return self._jobs.get(job_id)

    def file_path(self, job_id: str, name: str) -> Path | None:
        state = self.get(job_id)
        if state is None or name not in state.files:
            return None
        return state.folder / "out" / name

    def _forget_old(self) -> None:
        """Remove finished jobs past the retention time, then the oldest past ``keep``."""
        now = time.monotonic()
        finished = [j for j in self._jobs.values() if j.state in ("done", "error")]
        expired = [j for j in finished if now - self._finished_at.get(j.job_id, now) > self.retention_s]
        kept = [j for j in finished if j not in expired]
        gone = expired + kept[: max(0, len(kept) - self.keep)]
        for old in gone:
            shutil.rmtree(old.folder, ignore_errors=True)
            del self._jobs[old.job_id]
            self._finished_at.pop(old.job_id, None)
        if gone and self.on_forget is not None:
            try:
                self.on_forget([old.job_id for old in gone])
            except Exception:  # noqa: BLE001  (the files are gone either way)
                logger.exception("forgetting the tracks of removed video jobs failed")

    def run(self) -> None:
        while not self.stopping:
            try:
                job_id = self._pending.get(timeout=60)
            except queue.Empty:
                with self._lock:
                    self._forget_old()  # retention also runs while no uploads come
                continue
            if job_id is None:
                return
            state = self.get(job_id)
            if state is not None:
                self._process(state)
                with self._lock:
                    self._finished_at[state.job_id] = time.monotonic()
                    self._forget_old()

    def _process(self, state: JobState) -> None:
        room = f"job:{state.job_id}"
        state.state, state.started = "running", time.monotonic()
        wall_started = time.time()
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            state.done, state.total = done, total
            now = time.monotonic()
            if now - last >= 0.5 or done == total:
                last = now
                elapsed = now - state.started
                fps = done / elapsed if elapsed > 0 else 0.0
                eta = (total - done) / fps if fps and total else None
                self.publish(
                    "video_progress",
                    {
                        "job_id": state.job_id,
                        "done": done,
                        "total": total,
                        "fps": round(fps, 1),
                        "eta_s": None if eta is None else round(eta, 1),
                    },
                    room,
                )

        out = state.folder / "out"
        try:
            summary, state.timeline = read_video(
                state.video_path,
                out,
                self.engine,
                self.job,
                progress,
                stop=self.stop_event,
                name=state.stem,
                keep_crops=self.on_done is not None,  # the history stores each track's best crop
            )
        except StreamOCRError as e:
            state.state, state.error = "error", str(e)
        except Exception as e:  # noqa: BLE001  (a bad video must not take the server down)
            logger.exception("video job %s failed", state.job_id)
            state.state, state.error = "error", f"processing failed: {e}"
        else:
            # Without the server's paths (where the upload and results are kept).
            state.summary = {k: v for k, v in summary.to_dict().items() if k not in ("video", "out_dir")}
            state.error = summary.error
            state.state = "done"
        if out.is_dir():
            state.files = sorted(p.name for p in out.iterdir() if p.is_file())
        if state.state == "done" and self.on_done is not None:
            try:
                self.on_done(state, wall_started)
            except Exception:  # noqa: BLE001  (the job's own results stand whatever the history does)
                logger.exception("storing video job %s in the history failed", state.job_id)
        self.publish(*self.final_event(state), room)

    def final_event(self, state: JobState) -> tuple[str, dict[str, Any]]:
        """``video_done`` with the timeline, or ``video_error``: what a watcher gets when a job ends
        (and at once, if it starts watching a job that already has)."""
        payload = state.to_dict()
        if state.state != "done":
            return "video_error", payload
        if state.timeline is not None:
            payload.update(state.timeline.brief())
        return "video_done", payload
