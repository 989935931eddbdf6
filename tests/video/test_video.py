"""``stream-ocr video`` on the bundled sample with known text: tracks, timings, exports, bad input."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from stream_ocr.evaluation.video import cer
from stream_ocr.video.exporters import parse_srt, parse_vtt

from ..conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow
TRUTH = json.loads((SAMPLES / "signs.json").read_text())
# Sampling at 2 fps puts a sighting within 0.5 s of the truth; allow one more sample for
# a read missed on a blurred frame.
TOLERANCE_S = 1.0


def run(*args, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "stream_ocr", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    out = tmp_path_factory.mktemp("signs")
    proc = run("video", str(SAMPLES / "signs.mp4"), "--out", str(out), "--annotate")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def test_every_known_line_is_one_track_with_the_right_span(timeline):
    out, _ = timeline
    tracks = json.loads((out / "tracks.json").read_text())["tracks"]
    for truth in TRUTH["lines"]:
        found = [t for t in tracks if cer(truth["text"], t["text"]) <= 0.1]
        assert len(found) == 1, f"{truth['text']}: {len(found)} tracks; all: {[t['text'] for t in tracks]}"
        (track,) = found
        assert abs(track["first_time"] - truth["start"]) <= TOLERANCE_S, (truth, track["first_time"])
        assert abs(track["end_time"] - truth["end"]) <= TOLERANCE_S, (truth, track["end_time"])
        assert track["boxes"] and all(len(b["points"]) == 4 for b in track["boxes"])
        # The line's words stay available inside it.
        assert [w["text"] for w in track["words"]] == track["text"].split()
        assert 0 < track["confidence"] <= 1


def test_no_phantom_tracks(timeline):
    out, _ = timeline
    tracks = json.loads((out / "tracks.json").read_text())["tracks"]
    unknown = [t["text"] for t in tracks if min(cer(line["text"], t["text"]) for line in TRUTH["lines"]) > 0.1]
    assert len(unknown) <= 1, unknown


def test_subtitles_parse_and_match_tracks(timeline):
    out, _ = timeline
    tracks = json.loads((out / "tracks.json").read_text())["tracks"]
    srt = parse_srt((out / "signs.srt").read_text())
    vtt = parse_vtt((out / "signs.vtt").read_text())
    assert srt == vtt
    cue_lines = [line for _, _, text in srt for line in text.split("\n")]
    # One cue line per track, none twice.
    assert sorted(cue_lines) == sorted(t["text"] for t in tracks)
    assert all(end > start for start, end, _ in srt)


def test_frames_summary_and_skipping(timeline):
    out, proc = timeline
    lines = [json.loads(line) for line in (out / "frames.jsonl").read_text().splitlines()]
    assert len(lines) == 36  # 18 s at 2 fps
    summary = json.loads((out / "summary.json").read_text())
    # The last 6 s are a static slide: read once, then skipped as unchanged.
    assert summary["frames_skipped_unchanged"] >= 10
    assert summary["frames_read"] + summary["frames_skipped_unchanged"] == 36
    assert summary["error"] is None
    assert "skipped unchanged" in proc.stdout
    assert sum(1 for line in lines if line.get("skipped")) == summary["frames_skipped_unchanged"]


def test_annotated_video(timeline):
    out, _ = timeline
    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert cap.isOpened()
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 18 * 30
    cap.set(cv2.CAP_PROP_POS_FRAMES, 60)
    ok, frame = cap.read()
    assert ok and frame.shape == (540, 960, 3)
    original = cv2.VideoCapture(str(SAMPLES / "signs.mp4"))
    original.set(cv2.CAP_PROP_POS_FRAMES, 60)
    _, raw = original.read()
    # Boxes are drawn in pure-ish green where the original has none.
    green = (frame[:, :, 1] > 200) & (frame[:, :, 0] < 80) & (frame[:, :, 2] < 80)
    green_raw = (raw[:, :, 1] > 200) & (raw[:, :, 0] < 80) & (raw[:, :, 2] < 80)
    assert green.sum() > green_raw.sum() + 200


def test_roi_and_time_range(tmp_path):
    # Only the rocket scene (6-12 s), only the left half: LAUNCH and PAD, never GATE.
    proc = run(
        "video",
        str(SAMPLES / "signs.mp4"),
        "--out",
        str(tmp_path),
        "--start",
        "6",
        "--end",
        "12",
        "--roi",
        "0,0,480,540",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    tracks = json.loads((tmp_path / "tracks.json").read_text())["tracks"]
    texts = {t["text"].upper() for t in tracks}
    assert "LAUNCH PAD" in texts and not any("GATE" in t or "FRESH" in t for t in texts)
    assert all(6.0 <= t["first_time"] <= 12.0 for t in tracks)
    for t in tracks:
        for b in t["boxes"]:
            assert all(x <= 480 for x, _ in b["points"])


def _mjpeg_avi(path, frames=40):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(frames):
        image = np.full((240, 320, 3), 255, np.uint8)
        cv2.putText(image, "HELLO", (40, 140), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (0, 0, 0), 6)
        cv2.putText(image, str(i), (10, 230), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
        writer.write(image)
    writer.release()
    return path


def test_truncated_video_keeps_what_was_read(tmp_path):
    video = _mjpeg_avi(tmp_path / "full.avi")
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    proc = run("video", str(cut), "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 1
    assert "truncated or corrupt" in proc.stderr and "broke at frame" in proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["error"] and summary["frames_sampled"] == 4  # frames 0, 5, 10, 15 of the 20 readable
    texts = [t["text"] for t in json.loads((tmp_path / "out" / "tracks.json").read_text())["tracks"]]
    assert "HELLO" in texts


def test_bad_videos_are_clear_errors(tmp_path):
    # One run (one engine load) for both kinds of bad file, with a good one after them.
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "text.mp4"
    text.write_bytes(b"this is a text file, not a video\n" * 50)
    good = _mjpeg_avi(tmp_path / "good.avi", frames=10)
    proc = run("video", str(empty), str(text), str(good), "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if "empty.mp4" in line or "text.mp4" in line]
    assert any("empty.mp4" in line and "is empty (0 bytes)" in line for line in errors), proc.stderr
    assert any("text.mp4" in line and "cannot open" in line for line in errors), proc.stderr
    # The bad files did not stop the good one.
    assert (tmp_path / "out" / "good" / "tracks.json").exists()
