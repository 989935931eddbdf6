"""A video job killed part-way goes on from its last checkpoint, and writes the SRT an
uninterrupted run writes (``stream_ocr/video/resume.py``)."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from stream_ocr.errors import BadInputError
from stream_ocr.video import resume
from stream_ocr.video.job import VideoJob

from ..conftest import ROOT, SAMPLES

VIDEO = SAMPLES / "subtitles.mp4"


def stream_ocr(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "stream_ocr", "video", *args, "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finished(proc: subprocess.Popen, timeout: float = 600) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def frames_of(out: Path) -> list[int]:
    return [json.loads(line)["frame"] for line in (out / "frames.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_a_killed_job_resumes_to_the_same_subtitles(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    uninterrupted = stream_ocr(str(VIDEO), "--subtitles", "--out", str(whole))
    killed = stream_ocr(str(VIDEO), "--subtitles", "--out", str(broken), "--checkpoint-every", "0.2")
    checkpoint = broken / resume.FILE_NAME
    deadline = time.monotonic() + 600
    # Killed (SIGKILL: nothing of its own runs) once it has saved a checkpoint past the
    # film's first third, so that there is work before and after it.
    while time.monotonic() < deadline and killed.poll() is None:
        if checkpoint.exists():
            with open(checkpoint, "rb") as f:
                reached = pickle.load(f).next_frame
            if reached > 120:
                break
        time.sleep(0.2)
    assert killed.poll() is None, "the job ended before it could be killed"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    with open(checkpoint, "rb") as f:
        saved = pickle.load(f)
    assert 120 < saved.next_frame < 360

    finished(stream_ocr(str(VIDEO), "--subtitles", "--out", str(broken), "--resume"))
    finished(uninterrupted)

    srt = (whole / "subtitles.srt").read_text()
    assert srt.count("-->") >= 4
    assert (broken / "subtitles.srt").read_text() == srt
    assert not checkpoint.exists()  # a finished job leaves no checkpoint
    # Every sample once, in order: the resumed run read none of the frames before its
    # checkpoint again, and frames.jsonl holds what both runs wrote, as one run writes it.
    assert frames_of(broken) == frames_of(whole)
    summary = json.loads((broken / "summary.json").read_text())
    assert summary["frames_sampled"] == json.loads((whole / "summary.json").read_text())["frames_sampled"]


def checkpoint_of(video: Path, job: VideoJob, engine) -> resume.Checkpoint:
    return resume.Checkpoint(
        video=resume.video_identity(video),
        job=job.work(),
        engine=resume.engine_identity(engine),
        next_frame=10,
        done=10,
        rois=(),
        cut_state=None,
        step={},
        summary=None,
        frames_bytes=0,
    )


def test_a_checkpoint_of_something_else_is_refused(tmp_path):
    engine = SimpleNamespace(name="keras-ocr", config="settings A")
    video = tmp_path / "film.mp4"
    video.write_bytes(b"frames")
    job = VideoJob(subtitles=True)
    resume.save(tmp_path, checkpoint_of(video, job, engine))
    # How it is run may change: how often it saves, and --resume itself.
    assert resume.load(tmp_path, video, VideoJob(subtitles=True, resume=True, checkpoint_s=5).work(), engine)
    with pytest.raises(BadInputError, match="other settings"):
        resume.load(tmp_path, video, VideoJob(subtitles=True, sample_fps=8).work(), engine)
    with pytest.raises(BadInputError, match="another engine"):
        resume.load(tmp_path, video, job.work(), SimpleNamespace(name="rapidocr", config="settings A"))
    other = tmp_path / "other.mp4"
    other.write_bytes(b"frames")
    with pytest.raises(BadInputError, match="another video"):
        resume.load(tmp_path, other, job.work(), engine)
    video.write_bytes(b"frames, changed")
    with pytest.raises(BadInputError, match="another video"):
        resume.load(tmp_path, video, job.work(), engine)
    (tmp_path / resume.FILE_NAME).write_bytes(b"not a pickle")
    with pytest.raises(BadInputError, match="cannot be read"):
        resume.load(tmp_path, video, job.work(), engine)
    resume.remove(tmp_path)
    assert resume.load(tmp_path, video, job.work(), engine) is None


def test_an_annotated_job_cannot_resume():
    with pytest.raises(BadInputError, match="annotated"):
        VideoJob(annotate=True, resume=True)
