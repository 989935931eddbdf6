"""Recorded video to a text timeline: sample frames, read those that changed, track, export.

Owns the job over one file (``VideoJob``, ``read_video``), as a skeleton with the
per-frame work passed in. The data path, by module: ``sources.video_frames`` (a thread decodes
frames into a bounded queue) -> ``step.frame_step.FrameStep`` on the sampled frames, on this
thread (change gate, engine, lines, tracker) -> ``timeline`` (the tracks kept, their
cues and crops) -> ``exporters`` (frames.jsonl as it goes, then tracks.json, SRT,
WebVTT) and ``annotated`` (a thread draws and encodes the annotated video). Files are
written as it goes, so a truncated or corrupt video still leaves everything read before
the break.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from stream_ocr.engines.base import FrameReader
from stream_ocr.errors import BadInputError, InputTooLargeError
from stream_ocr.geometry import Region, bbox, overlaps, region_from_xywh, xywh
from stream_ocr.realthreads import threading, time
from stream_ocr.settings import setting
from stream_ocr.sources.video_frames import VideoFrame, VideoFrames
from stream_ocr.step.change import ChangeConfig
from stream_ocr.step.cuts import CutConfig
from stream_ocr.step.frame_step import FrameStep, StepConfig, StepResult
from stream_ocr.tracking.similarity import part_likeness
from stream_ocr.tracking.tracker import Track, TrackerConfig
from stream_ocr.video import exporters, resume
from stream_ocr.video.annotated import AnnotatedWriter
from stream_ocr.video.crops import BestCrops
from stream_ocr.video.subtitles import measure_outlines
from stream_ocr.video.timeline import Timeline

logger = logging.getLogger(__name__)

# Crops of each track's best read, when kept (a server's video job, for its history).
MAX_CROPS = 5000
CROPS_KEY = "video"


# Chosen on the samples (BENCHMARKS.md, "Short-lived text"; again for the recogniser
# retrained on whole lines, "Session of 2026-12-07 (fourth)"): every caption seen on one
# sample only reads at 0.65 or more ("DON'T" 0.65, "STOP" 1.00; the recogniser before read
# them at 0.94 or more), and no false text seen once reads 0.5 or more on any of the seven
# samples (the recogniser before read "con" under glare at 0.84).
KEEP_ONCE_CONFIDENCE = 0.6
KEEP_ONCE_MIN_CHARS = 2


# The subtitle preset (``subtitle_job``): sample at least this often, and merge only gaps
# shorter than this.
SUBTITLE_FPS = 4.0
SUBTITLE_MERGE_GAP_S = 0.6


def parse_roi(text: str) -> Region:
    """``--roi x,y,w,h`` as the region it names."""
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise BadInputError(f"--roi is x,y,w,h in pixels, got {text!r}") from None
    if w <= 0 or h <= 0 or min(x, y) < 0:
        raise BadInputError(f"--roi needs x, y >= 0 and w, h > 0, got {text!r}")
    return region_from_xywh(x, y, w, h)


@dataclass(frozen=True)
class VideoJob:
    """What to do with one video. Times are seconds; ``roi`` is a region (x0, y0, x1, y1) in pixels."""

    sample_fps: float = setting(2.0, help="frames per second to read")
    roi: Region | None = setting(
        None, parse=parse_roi, metavar="X,Y,W,H", help="only read this region: x,y,w,h in pixels"
    )
    start: float = setting(0.0, help="start time in seconds")
    end: float | None = setting(None, help="end time in seconds")
    annotate: bool = setting(False, help="also write annotated.mp4 with boxes and text drawn")
    # Which sampled frames are read, and which parts of them (the stage the live path uses too).
    change: ChangeConfig = field(default_factory=ChangeConfig)
    # A track must be on at least this many sampled frames to be exported (noise filter),
    # unless its confidence reaches ``keep_once_confidence`` (and it has two letters or
    # digits): text on screen for less than two sample intervals (a 0.5 s caption) is seen
    # once, and kept if read surely.
    min_frames: int = 2
    keep_once_confidence: float = KEEP_ONCE_CONFIDENCE
    # Between samples, a sudden change (a cut, text popping in) has the frame just after it
    # read too, so that text shown for less than a sample interval is seen (``cuts``).
    cuts: CutConfig = field(default_factory=CutConfig)
    # Burned-in subtitles: find the subtitle band (unless ``roi`` is given), sample at
    # ``SUBTITLE_FPS`` or more, and merge only short gaps.
    subtitles: bool = setting(
        False,
        help=f"burned-in subtitles: find the subtitle band (unless --roi is given), sample at least "
        f"{SUBTITLE_FPS:g} fps, one cue per subtitle line or block",
    )
    # Lines across frames; a line that comes back after a gap shorter than ``max_gap_s``
    # (``--merge-gap``) continues its track and its cue.
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    # Refused before any frame is read (the server's uploads; none for the CLI): frames of
    # more pixels than this, and videos declared longer than this; a video that declares no
    # length is read up to it.
    max_pixels: int | None = None
    max_duration_s: float | None = None
    # A checkpoint (``resume``) is written this often, in seconds of work (0: never); with
    # ``resume``, a job killed part-way goes on from its last one.
    checkpoint_s: float = setting(
        60.0, flag="--checkpoint-every", metavar="SECONDS", help="save where the job stands this often (0: never)"
    )
    resume: bool = setting(False, help="go on from where a killed job with the same video, options and --out stood")

    def __post_init__(self) -> None:
        if self.sample_fps <= 0:
            raise BadInputError("--sample-fps must be positive")
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise BadInputError("--start must be >= 0 and --end after it")
        if self.roi is not None and (
            len(self.roi) != 4 or self.roi[2] <= self.roi[0] or self.roi[3] <= self.roi[1] or min(self.roi[:2]) < 0
        ):
            raise BadInputError("--roi is x,y,w,h with positive width and height")
        if not 0 <= self.keep_once_confidence <= 1:
            raise BadInputError("keep_once_confidence must be in [0, 1]")
        if self.checkpoint_s < 0:
            raise BadInputError("--checkpoint-every must be >= 0")
        if self.resume and self.annotate:
            raise BadInputError("--resume cannot go on writing an annotated video: run without --annotate")

    def work(self) -> VideoJob:
        """The job less how it is run (checkpoints, resume): what a checkpoint must match."""
        return replace(self, checkpoint_s=0.0, resume=False)

    def exported(self, track: Track) -> bool:
        """Whether a finished track goes into the timeline: it has text, and was seen on
        ``min_frames`` samples or read once with ``keep_once_confidence``."""
        if not track.text:
            return False
        if track.frames_seen >= self.min_frames:
            return True
        chars = sum(c.isalnum() for c in track.text)
        return track.confidence >= self.keep_once_confidence and chars >= KEEP_ONCE_MIN_CHARS

    def step_config(self, rois: tuple[Region, ...]) -> StepConfig:
        return StepConfig(change=self.change, tracker=self.tracker, rois=rois)


def rois_to_read(path: Path, engine: FrameReader, job: VideoJob, width: int, height: int) -> tuple[Region, ...]:
    """The parts of the frame the job reads: ``--roi``, else the subtitle bands with
    ``--subtitles``, else none (the whole frame)."""
    roi = job.roi
    if roi is not None:
        if roi[2] > width or roi[3] > height:
            x, y, w, h = xywh(roi)
            raise BadInputError(f"--roi {x},{y},{w},{h} lies outside the {width}x{height} frame")
        return (roi,)
    if job.subtitles:
        from stream_ocr.video.subtitles import find_subtitle_bands

        return tuple(find_subtitle_bands(path, engine, job.start, job.end))
    return ()


def subtitle_job(job: VideoJob) -> VideoJob:
    """``job`` with the subtitle preset's sampling and gap applied, no line taken for a
    piece of another (``TrackerConfig.fragments``, ``IdentityConfig.partial``), and no
    second look in the change gate's fine cells: a subtitle changes whole lines, which the
    coarse cells see (``ChangeConfig.fine_cell``), and the preset's speed is at its bar."""
    return replace(
        job,
        subtitles=True,
        sample_fps=max(job.sample_fps, SUBTITLE_FPS),
        change=replace(job.change, fine_cell=0),
        tracker=replace(
            job.tracker,
            max_gap_s=min(job.tracker.max_gap_s, SUBTITLE_MERGE_GAP_S),
            fragments=False,
            identity=replace(job.tracker.identity, partial=False),
        ),
    )


@dataclass(kw_only=True)
class SampleCounts:
    """What became of the sampled frames; declared once, added up once (``add``)."""

    frames_sampled: int = 0
    # Of the sampled frames, those read because a sudden change came between samples.
    frames_sampled_on_change: int = 0
    frames_read: int = 0
    frames_skipped_unchanged: int = 0
    # Of the sampled frames, those where the picture only moved: their lines moved with
    # it, and the engine read no pixel.
    frames_followed: int = 0
    # Of the frames read, those of which only a changed region was read; and the share of
    # the read frames' pixels that the engine was given.
    frames_read_region: int = 0
    pixels_read: int = 0
    pixels_of_frames_read: int = 0
    engine_errors: int = 0

    def add(self, other: SampleCounts) -> None:
        """Count ``other``'s frames in these (a chunk's, read elsewhere)."""
        for f in fields(SampleCounts):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class VideoSummary(SampleCounts):
    """A video job's summary.json: its counts, what it found, where, and how fast."""

    video: str
    out_dir: str
    frames_total: int = 0
    distinct_texts: list[str] = field(default_factory=list)
    tracks: int = 0
    cues: int = 0
    # The region read, as (x, y, w, h) like --roi: --roi, or the subtitle band (the lowest,
    # where there are more).
    roi: list[int] | None = None
    # Every region read, top to bottom, each (x, y, w, h) (two subtitle bands: stacked as one picture).
    bands: list[list[int]] = field(default_factory=list)
    wall_s: float = 0.0
    fps: float = 0.0
    error: str | None = None

    def set_regions(self, rois: tuple[Region, ...]) -> None:
        self.bands = [list(xywh(r)) for r in rois]
        self.roi = self.bands[-1] if rois else None

    def regions(self) -> list[Region]:
        """The regions read (``bands``), as regions."""
        return [region_from_xywh(*b) for b in self.bands]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def run_frames(
    reader: VideoFrames,
    step: Callable[[np.ndarray, float], StepResult],
    on_step: Callable[[VideoFrame, StepResult | Exception], None],
    writer: AnnotatedWriter | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """The skeleton: every frame from ``reader``; sampled ones through ``step``, results to ``on_step``.

    An exception from ``step`` goes to ``on_step`` and the loop goes on. Returns the
    number of frames the reader gave. The caller closes the reader and the writer.
    """
    done = 0
    shown: tuple = ()
    reader.start()
    for frame in reader:
        done += 1
        if frame.sampled:
            try:
                outcome: StepResult | Exception = step(frame.image, frame.time)  # type: ignore[arg-type]
            except Exception as e:  # noqa: BLE001  (one bad frame must not end the job)
                logger.exception("frame %d: engine failed", frame.index)
                outcome = e
            else:
                shown = outcome.lines
            on_step(frame, outcome)
        if writer is not None:
            writer.frames.put((frame.image, shown))
        if progress is not None:
            progress(done, reader.total)
    return done


def frame_record(frame: VideoFrame, outcome: StepResult | Exception, summary: VideoSummary) -> dict[str, Any]:
    """A sampled frame's frames.jsonl record; counts it in ``summary`` (read, skipped or failed)."""
    count_sample(frame.on_change, outcome, summary)
    return sample_record(frame.index, frame.time, outcome)


def count_sample(on_change: bool, outcome: StepResult | Exception | str, summary: VideoSummary) -> None:
    """Count one sampled frame in ``summary``: read, skipped, followed, or failed (an error)."""
    summary.frames_sampled += 1
    summary.frames_sampled_on_change += on_change
    if not isinstance(outcome, StepResult):
        summary.engine_errors += 1
    elif outcome.skipped:
        summary.frames_skipped_unchanged += 1
    elif outcome.followed:
        summary.frames_followed += 1
    else:
        summary.frames_read += 1
        summary.frames_read_region += outcome.regions is not None
        summary.pixels_read += outcome.pixels_read
        summary.pixels_of_frames_read += outcome.width * outcome.height


def sample_record(index: int, time_s: float, outcome: StepResult | Exception | str) -> dict[str, Any]:
    """The frames.jsonl record of frame ``index``: its step's, or the error it met."""
    if not isinstance(outcome, StepResult):
        return {"time": round(time_s, 3), "frame": index, "error": str(outcome)}
    return {"frame": index, **outcome.to_dict()}


def check_limits(reader: VideoFrames, job: VideoJob) -> None:
    """Raise InputTooLargeError for a video over ``job``'s pixel or duration limit, from its header."""
    pixels = reader.width * reader.height
    if job.max_pixels is not None and pixels > job.max_pixels:
        raise InputTooLargeError(
            f"the video's frames are {reader.width}x{reader.height} = {pixels:,} pixels, "
            f"over the limit of {job.max_pixels:,}"
        )
    if job.max_duration_s is None:
        return
    # The longer of frames over frame rate and the container's own end: either can lie.
    lengths = [reader.declared / reader.fps if reader.declared and reader.fps else None, reader.container_seconds()]
    declared_s = max((s for s in lengths if s is not None), default=None)
    if declared_s is not None and declared_s > job.max_duration_s:
        raise InputTooLargeError(
            f"the video lasts {declared_s:,.0f} s, over the limit of {job.max_duration_s:,.0f} s; "
            "cut it shorter (or process it with the stream-ocr video command)"
        )


def process_video(
    path: str | Path,
    out_dir: str | Path,
    engine: FrameReader,
    job: VideoJob | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VideoSummary:
    """``read_video`` for those who want only its summary: the files in ``out_dir``."""
    return read_video(path, out_dir, engine, job, progress)[0]


def read_video(
    path: str | Path,
    out_dir: str | Path,
    engine: FrameReader,
    job: VideoJob | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    stop: threading.Event | None = None,  # type: ignore[name-defined]
    name: str | None = None,
    keep_crops: bool = False,
) -> tuple[VideoSummary, Timeline]:
    """Turn one video into a timeline in ``out_dir``, and return it with its summary.
    ``progress(done, total)`` is called as frames are read; ``keep_crops``: the timeline
    holds a JPEG of each track's best read, cut from the frame it was read on.

    Subtitle and WebVTT files are named ``name`` (default: the video's file name stem).
    Raises SourceUnavailableError when the file cannot be opened at all. A file that
    breaks part-way is not an exception: what was read is written, and ``summary.error``
    says where.
    """
    job = job or VideoJob()
    path, out = Path(path), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    end = job.end
    if job.max_duration_s is not None:
        end = job.max_duration_s if end is None else min(end, job.max_duration_s)
    was = resume.load(out, path, job.work(), engine) if job.resume else None
    if job.resume:
        if was is None:
            logger.warning("%s holds no checkpoint to resume from: reading %s from the start", out, path.name)
        else:
            logger.info("resuming %s from frame %d (the checkpoint in %s)", path.name, was.next_frame, out)
    if not job.resume and (out / resume.FILE_NAME).exists():
        logger.warning("%s holds a killed job's checkpoint: starting again (--resume goes on from it)", out)
    checkpoints = job.checkpoint_s > 0 and not job.annotate and not keep_crops
    with VideoFrames(
        path,
        job.sample_fps,
        job.start,
        end,
        job.annotate,
        cancel=stop,
        cuts=job.cuts,
        resume_at=was.next_frame if was else None,
        cut_state=was.cut_state if was else None,
        resumable=checkpoints,
    ) as reader:
        check_limits(reader, job)
        rois = was.rois if was else rois_to_read(path, engine, job, reader.width, reader.height)
        summary = was.summary if was else VideoSummary(video=str(path), out_dir=str(out), frames_total=reader.total)
        summary.set_regions(rois)
        step = FrameStep(engine, job.step_config(rois))
        if was:
            step.restore(was.step)
        crops = BestCrops(max_tracks=MAX_CROPS) if keep_crops else None
        started = time.monotonic()
        done_before = was.done if was else 0  # frames an earlier run took from the reader
        begun_at = reader.resume_at or reader.first
        last_saved = [started]
        with (
            exporters.FramesWriter(out / "frames.jsonl", keep_bytes=was.frames_bytes if was else 0) as frames_out,
            AnnotatedWriter(out / "annotated.mp4", reader.fps, (reader.width, reader.height))
            if job.annotate
            else contextlib.nullcontext() as writer,
        ):

            def on_step(frame: VideoFrame, outcome: StepResult | Exception) -> None:
                frames_out.write(frame_record(frame, outcome, summary))
                if crops is not None and isinstance(outcome, StepResult) and not outcome.skipped:
                    crops.observe(CROPS_KEY, frame.image, outcome.lines)
                if job.subtitles and isinstance(outcome, StepResult) and not outcome.skipped:
                    measure_outlines(frame.image, outcome.lines, step.tracker.active)
                if checkpoints and time.monotonic() - last_saved[0] >= job.checkpoint_s:
                    resume.save(
                        out,
                        resume.Checkpoint(
                            video=resume.video_identity(path),
                            job=job.work(),
                            engine=resume.engine_identity(engine),
                            next_frame=frame.index + 1,
                            done=done_before + frame.index + 1 - begun_at,
                            rois=rois,
                            cut_state=frame.cut_state,
                            step=step.state(),
                            summary=summary,
                            frames_bytes=frames_out.tell(),
                        ),
                    )
                    last_saved[0] = time.monotonic()

            def progress_from(given: int, total: int) -> None:
                if progress is not None:
                    progress(done_before + given, total)

            done = done_before + run_frames(reader, step, on_step, writer, progress_from if progress else None)

    timeline = build_timeline(step.tracker.finish(), reader.step / reader.fps, job, summary, crops)
    write_timeline(out, name or path.stem, timeline)
    summary.error = reader.error
    if summary.error is None and stop is not None and stop.is_set():
        summary.error = f"stopped at frame {done} of {reader.total} (the server shut down); what was read is kept"
    if summary.error is None:
        resume.remove(out)
    return finish_summary(summary, out, done, started), timeline


def finish_summary(summary: VideoSummary, out: Path, done: int, started: float) -> VideoSummary:
    """Time and speed into ``summary`` (``done`` frames since ``started``, monotonic), an
    error if no frame was decoded, and summary.json written."""
    if summary.error is None and done == 0:
        summary.error = "no frame could be decoded: the file is corrupt or uses a codec this OpenCV build cannot read"
    summary.wall_s = round(time.monotonic() - started, 2)
    summary.fps = round(done / summary.wall_s, 2) if summary.wall_s else 0.0
    exporters.write_json(out / "summary.json", summary.to_dict())
    return summary


def _on_a_lasting_text(track: Track, lasting: list[Track]) -> bool:
    for box in track.boxes:
        place = bbox(box.points)
        for other in lasting:
            if part_likeness(track.text, other.text) < 0.7:
                continue
            for b in other.boxes:
                if abs(b.time - box.time) <= 1.0 and overlaps(place, bbox(b.points)):
                    return True
    return False


def build_timeline(
    tracks: list[Track], hold: float, job: VideoJob, summary: VideoSummary, crops: BestCrops | None = None
) -> Timeline:
    """The timeline of every finished track that ``job.exported`` keeps, with its cues (and
    the crops kept of them); counted in ``summary``. ``hold`` is the sample interval: how
    long past its last sighting a text is shown."""
    kept = [t for t in tracks if job.exported(t)]
    # A text seen once, like a text seen on more frames that stood in its place within a
    # second, is a misread piece of it (glare), not a short caption.
    lasting = [t for t in kept if t.frames_seen >= job.min_frames]
    kept = [t for t in kept if t.frames_seen >= job.min_frames or not _on_a_lasting_text(t, lasting)]
    # With --subtitles, only the lines that stand as subtitles do are cues (all are tracks).
    spoken = kept
    if job.subtitles and summary.bands:
        from stream_ocr.video.subtitles import subtitle_tracks

        spoken = subtitle_tracks(kept, summary.regions())
    cues = exporters.cues(spoken, hold)
    summary.tracks = len(kept)
    summary.cues = len(cues)
    summary.distinct_texts = sorted({t.text for t in kept})
    kept_crops = {}
    if crops is not None:
        kept_crops = {t.track_id: jpeg for t in kept if (jpeg := crops.get(CROPS_KEY, t.track_id)) is not None}
    return Timeline(kept, cues, hold, kept_crops, exporters.cues_by_language(spoken, hold))


def write_timeline(out: Path, stem: str, timeline: Timeline) -> None:
    """tracks.json, ``stem``.srt and ``stem``.vtt in ``out``; with several languages, also
    ``stem``.LANG.srt and .vtt for each (``stem``.en.srt, ``stem``.zh.srt)."""
    exporters.write_tracks(out / "tracks.json", [timeline.track_dict(t) for t in timeline.tracks])
    exporters.write_srt(out / f"{stem}.srt", timeline.cues)
    exporters.write_vtt(out / f"{stem}.vtt", timeline.cues)
    for language, cues in timeline.cues_by_language.items():
        exporters.write_srt(out / f"{stem}.{language}.srt", cues)
        exporters.write_vtt(out / f"{stem}.{language}.vtt", cues)
