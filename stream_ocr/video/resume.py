"""A video job's checkpoint: where a job stood, so that one killed part-way goes on from there.

Owns ``resume.pickle`` in the job's output folder: written (atomically) every
``VideoJob.checkpoint_s`` seconds of work after a sampled frame, removed when the job ends.
It holds the frame the job had reached, the per-frame step's state (change gate, tracker,
the lines shown), the cut watch's state after that frame, the summary's counts, the regions
read and how much of ``frames.jsonl`` was written by then. ``stream-ocr video --resume``
loads it, and the job goes on from the next frame with everything as it was: the samples
fall on the same frames, so the SRT is the one an uninterrupted run writes.

The file is a pickle, written by this program into the folder the user named: resume only
your own jobs, as you would run only your own scripts. It is refused (``BadInputError``) for
another video, a changed file, other job settings, another engine, or another version.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stream_ocr.errors import BadInputError
from stream_ocr.geometry import Region
from stream_ocr.step.cuts import CutWatch

FILE_NAME = "resume.pickle"
VERSION = 1


@dataclass
class Checkpoint:
    video: dict[str, Any]  # what identifies the file: its path, size and modification time
    job: Any  # the VideoJob, as given
    engine: str  # what identifies the engine: its name and settings
    next_frame: int  # the first frame not yet taken from the reader
    done: int  # frames taken from the reader so far
    rois: tuple[Region, ...]
    cut_state: CutWatch | None
    step: dict[str, Any]  # ``FrameStep.state()``
    summary: Any  # the VideoSummary's counts so far
    frames_bytes: int  # how much of frames.jsonl belongs to the frames done
    version: int = VERSION


def video_identity(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def engine_identity(engine: Any) -> str:
    return f"{engine.name}:{getattr(engine, 'config', '')!r}"


def save(out: Path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``out`` whole or not at all (a kill mid-write leaves the last)."""
    path = out / FILE_NAME
    part = path.with_suffix(".part")
    with open(part, "wb") as f:
        pickle.dump(checkpoint, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, path)


def load(out: Path, video: Path, job: Any, engine: Any) -> Checkpoint | None:
    """The checkpoint in ``out`` for this video, job and engine; None if there is none.
    Raises BadInputError for one that is of something else, or that cannot be read."""
    path = out / FILE_NAME
    if not path.exists():
        return None
    try:
        with open(path, "rb") as f:
            checkpoint = pickle.load(f)  # noqa: S301  (this program's own file; see the module's note)
    except Exception as e:  # noqa: BLE001  (any damage: say so, never half-resume)
        raise BadInputError(f"{path} cannot be read ({e}); delete it to start the job again") from e
    if not isinstance(checkpoint, Checkpoint) or checkpoint.version != VERSION:
        raise BadInputError(f"{path} was written by another version of stream-ocr; delete it to start again")
    if checkpoint.video != video_identity(video):
        raise BadInputError(f"{path} is of another video, or the video changed since; delete it to start again")
    if checkpoint.job != job:
        raise BadInputError(f"{path} is of a job with other settings; run it with the same options, or delete it")
    if checkpoint.engine != engine_identity(engine):
        raise BadInputError(f"{path} is of a job run with another engine or engine settings; delete it to start again")
    return checkpoint


def remove(out: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (out / FILE_NAME).unlink()
