"""Video jobs submitted through the web page: uploads, a queue, one worker thread, progress events.

Owns the jobs' files (folders, uploads copied in, results, deletion) and runs
``video.job.read_video`` for each job in turn in a real OS thread, publishing progress to
the hub's event queue. What a job may take (queue slots, disk bytes, per visitor) is
``job_book``'s to grant. A job that fails keeps its partial results, not its input, and
reports why; the server stays up.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stream_ocr.config import UploadLimits
from stream_ocr.engines.base import FrameReader
from stream_ocr.errors import BadInputError, StreamOCRError
from stream_ocr.live.sinks import Publish
from stream_ocr.realthreads import queue, threading, time
from stream_ocr.server.job_book import JobBook, JobState
from stream_ocr.service import Service
from stream_ocr.video.job import VideoJob, read_video

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


def clean_filename(filename: str | None) -> str:
    """The name a client gave its upload, as shown back: its last path part, without
    control, formatting or bidirectional characters (a right-to-left override would show
    "evil.mp4" reversed), at most 200 characters."""
    name = Path(filename or "").name
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    return name.strip()[:200] or "video"


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def sniff_container(head: bytes) -> str | None:
    """The media type of a video container from its first bytes, or None if not one we take."""
    for media_type, matches in CONTAINERS:
        if matches(head):
            return media_type
    return None


class VideoJobs(Service):
    """Accepts uploaded videos and processes them one at a time (``video-jobs`` thread).

    ``limits`` caps the jobs waiting and the bytes kept, for all visitors and for each (past
    one, ``JobsFullError``: the web layer's 429); finished jobs' folders are removed after
    ``retention_s`` or when more than ``keep`` have finished, whichever comes first, or
    when their owner deletes them.
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
        limits: UploadLimits | None = None,
        keep: int = 20,
        retention_s: float = 24 * 3600,
    ) -> None:
        super().__init__("video-jobs")
        self.engine = engine
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        self.publish = publish  # (event name, payload, room) -> None
        self.job = job or VideoJob(annotate=True)
        self.book = JobBook(limits)
        self.keep = keep
        self.retention_s = retention_s
        self._finished_at: dict[str, float] = {}
        self._lock = threading.Lock()  # retention and deletion, one at a time
        self._current: str | None = None  # the job being read now
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
        self.request_stop()
        for state in self._running():
            state.cancel.set()
        return super().stop(timeout)

    def _running(self) -> list[JobState]:
        state = self.book.get(self._current) if self._current is not None else None
        return [state] if state is not None else []

    def queued(self) -> int:
        """Jobs waiting: uploads being copied, and jobs queued."""
        return self.book.waiting()

    def submit(self, filename: str, stream, visitor: str = "") -> JobState:
        """Save an upload from ``visitor`` (a client address) and queue it. ``stream`` is a
        file-like object. Its slot and every byte are granted before they are used."""
        name = clean_filename(filename)
        head = stream.read(SNIFF_BYTES)
        if not head:
            raise BadInputError("the uploaded video is empty (0 bytes)")
        media_type = sniff_container(head)
        if media_type is None:
            raise BadInputError(
                "the upload is not a video container we read (MP4/MOV, WebM/MKV, AVI, MPEG, MPEG-TS, FLV, ASF, Ogg); "
                "playlists and other files are refused"
            )
        # The job's id is its visitor's capability: whoever knows it may see the job, its
        # files and its tracks, and delete them; nobody else can guess it (128 bits).
        job_id = secrets.token_urlsafe(16)
        state = JobState(job_id, name, self.root / job_id, owner=visitor, media_type=media_type)
        self.book.reserve(state)
        try:
            state.folder.mkdir(parents=True)
            with open(state.video_path, "wb") as f:
                chunk = head
                while chunk:
                    self.book.grow(state, len(chunk))
                    f.write(chunk)
                    chunk = stream.read(1 << 20)
        except BaseException:
            self.book.drop(job_id)
            shutil.rmtree(state.folder, ignore_errors=True)
            raise
        self.book.queue(state)
        with self._lock:
            self._forget_old()
        self._pending.put(job_id)
        return state

    def delete(self, job_id: str) -> bool:
        """Remove a job, its input, its results and its tracks in the history; a running
        one is stopped first (by the worker, as soon as it notices). False if unknown."""
        state = self.get(job_id)
        if state is None:
            return False
        state.deleted = True
        if state.state == "running":
            state.cancel.set()  # the worker removes it when the job has stopped
            return True
        with self._lock:
            self._remove([state])
        return True

    def _remove(self, states: list[JobState]) -> None:
        for state in states:
            self.book.drop(state.job_id)
            self._finished_at.pop(state.job_id, None)
            shutil.rmtree(state.folder, ignore_errors=True)
        if states and self.on_forget is not None:
            try:
                self.on_forget([state.job_id for state in states])
            except Exception:  # noqa: BLE001  (the files are gone either way)
                logger.exception("forgetting the tracks of removed video jobs failed")

    def disk_bytes(self) -> int:
        """What every job's files take, as counted when they were written."""
        return self.book.disk_bytes()

    def get(self, job_id: str) -> JobState | None:
        """A job, unless unknown or deleted (a running one's files go when it has stopped)."""
        state = self.book.get(job_id)
        return None if state is None or state.deleted else state

    def file_path(self, job_id: str, name: str) -> Path | None:
        state = self.get(job_id)
        if state is None or name not in state.files:
            return None
        return state.folder / "out" / name

    def _forget_old(self) -> None:
        """Remove finished jobs past the retention time, then the oldest past ``keep``."""
        self._remove(self.book.expired(self._finished_at, time.monotonic(), self.retention_s, self.keep))

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
            state = self.book.get(job_id)
            if state is None or state.deleted:
                continue
            self._current = job_id
            try:
                self._process(state)
            finally:
                self._current = None
            with self._lock:
                if state.deleted:
                    self._remove([state])
                    continue
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
                stop=state.cancel,
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
        if state.state == "error":
            state.video_path.unlink(missing_ok=True)  # a failed job keeps its reasons, not the video
        if out.is_dir():
            state.files = sorted(p.name for p in out.iterdir() if p.is_file())
        self.book.set_bytes(state, folder_bytes(state.folder))
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
