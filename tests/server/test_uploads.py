"""Video uploads: admission that parallel uploads cannot race, caps per visitor, deleting
one's own job, and names shown back clean. Plumbing with a stand-in engine, then the real
server process attacked over HTTP."""

import io
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from stream_ocr.config import ServerConfig, UploadLimits
from stream_ocr.errors import JobsFullError
from stream_ocr.server import create_app
from stream_ocr.server.jobs import VideoJobs, clean_filename

from ..conftest import SAMPLES
from .test_limits import StandInEngine, long_video_claiming_thousands_of_fps

VIDEO = (SAMPLES / "slides.mp4").read_bytes()  # 246 KB


class SlowUpload(io.BytesIO):
    """An upload whose body trickles in, so that several are copied at once."""

    def read(self, n=-1):
        time.sleep(0.02)
        return super().read(min(n, 64 * 1024) if n and n > 0 else 64 * 1024)


def submit_all(jobs, senders):
    """Each (visitor, count) sends that many uploads at once; the outcome of each, by visitor."""
    outcomes: dict[str, list[str]] = {}
    lock = threading.Lock()

    def send(visitor):
        try:
            jobs.submit("clip.mp4", SlowUpload(VIDEO), visitor=visitor)
            result = "accepted"
        except JobsFullError as e:
            result = str(e)
        with lock:
            outcomes.setdefault(visitor, []).append(result)

    threads = [threading.Thread(target=send, args=(v,)) for v, n in senders for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_parallel_uploads_from_one_visitor_take_their_cap_and_leave_room_for_another(tmp_path):
    jobs = VideoJobs(StandInEngine(), tmp_path, lambda *e: None, limits=UploadLimits(max_waiting=4))  # not started
    outcomes = submit_all(jobs, [("10.0.0.1", 10), ("10.0.0.2", 1)])
    assert outcomes["10.0.0.1"].count("accepted") == 2, outcomes  # the default cap per visitor
    assert all("you have 2 videos waiting or being read" in r for r in outcomes["10.0.0.1"] if r != "accepted")
    assert outcomes["10.0.0.2"] == ["accepted"]
    assert jobs.queued() == 3
    # What was refused left nothing behind: three folders, three videos' bytes.
    assert len(list(tmp_path.iterdir())) == 3 and jobs.disk_bytes() == 3 * len(VIDEO)


def test_parallel_uploads_cannot_pass_the_disk_caps_between_a_check_and_a_copy(tmp_path):
    limits = UploadLimits(max_waiting=20, max_waiting_per_visitor=20, max_disk_bytes=int(2.5 * len(VIDEO)))
    jobs = VideoJobs(StandInEngine(), tmp_path, lambda *e: None, limits=limits)
    outcomes = submit_all(jobs, [("10.0.0.1", 8)])
    assert outcomes["10.0.0.1"].count("accepted") == 2, outcomes
    assert jobs.disk_bytes() == 2 * len(VIDEO) <= limits.max_disk_bytes
    assert sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file()) == 2 * len(VIDEO)

    mine = UploadLimits(max_waiting=20, max_waiting_per_visitor=20, max_disk_bytes_per_visitor=int(1.5 * len(VIDEO)))
    jobs = VideoJobs(StandInEngine(), tmp_path / "other", lambda *e: None, limits=mine)
    outcomes = submit_all(jobs, [("10.0.0.1", 4), ("10.0.0.2", 1)])
    assert outcomes["10.0.0.1"].count("accepted") == 1 and "room you have" in " ".join(outcomes["10.0.0.1"])
    assert outcomes["10.0.0.2"] == ["accepted"]


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("\u202eevil\x00gpj.mp4", "evilgpj.mp4"),
        ("../../etc/passwd", "passwd"),
        ("talk\u200b\u2066.mp4", "talk.mp4"),
        ("", "video"),
        ("\x00\x01", "video"),
        ("日本語のビデオ.mp4", "日本語のビデオ.mp4"),
    ],
)
def test_a_file_name_is_shown_back_without_control_or_bidi_characters(given, shown):
    assert clean_filename(given) == shown


def upload(client, data=VIDEO, name="clip.mp4"):
    return client.post("/api/videos", data={"video": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_the_owner_deletes_a_job_and_its_files_go(tmp_path):
    app = create_app(ServerConfig(jobs_dir=tmp_path / "jobs"), StandInEngine(), [])  # not started: it waits
    client = app.app.test_client()
    try:
        job = upload(client).get_json()
        folder = tmp_path / "jobs" / job["job_id"]
        assert folder.is_dir()
        assert client.delete(f"/api/videos/{job['job_id']}").status_code == 204
        assert not folder.exists()
        assert client.get(f"/api/videos/{job['job_id']}").status_code == 404
        assert client.get(f"/api/videos/{job['job_id']}/input").status_code == 404
        assert client.delete(f"/api/videos/{job['job_id']}").status_code == 404
        assert client.delete("/api/videos/not-a-job").status_code == 404
        # Its slot is free again: the visitor may send two more.
        assert [upload(client).status_code for _ in range(2)] == [202, 202]
        # A page elsewhere cannot delete a job for a visitor.
        res = client.delete("/api/videos/x", headers={"Origin": "http://evil.example"})
        assert res.status_code == 403
    finally:
        app.stop()


def test_a_job_that_fails_drops_its_input_at_once_and_keeps_its_reason(tmp_path):
    app = create_app(ServerConfig(jobs_dir=tmp_path / "jobs"), StandInEngine(), [])
    app.start()
    client = app.app.test_client()
    try:
        broken = VIDEO[:2000]  # an MP4's header and nothing after it
        job = upload(client, broken).get_json()
        deadline = time.monotonic() + 30
        while client.get(f"/api/videos/{job['job_id']}").get_json()["state"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        state = client.get(f"/api/videos/{job['job_id']}").get_json()
        assert state["state"] == "error" and state["error"]
        assert client.get(f"/api/videos/{job['job_id']}/input").status_code == 404
        assert not (tmp_path / "jobs" / job["job_id"] / "input.video").exists()
    finally:
        app.stop()


# -- the real server process ------------------------------------------------------------


def post_video(url: str, source_address: str, filename: str = "clip.mp4", data: bytes = VIDEO) -> tuple[int, dict]:
    """A multipart upload from ``source_address`` (any 127.x.y.z reaches the loopback server)."""
    import http.client
    from urllib.parse import urlparse

    boundary = "stream-ocr-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="{filename}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60, source_address=(source_address, 0))
    try:
        conn.request("POST", "/api/videos", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        res = conn.getresponse()
        return res.status, json.loads(res.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.slow  # a real server process
def test_the_real_server_takes_a_visitors_cap_of_ten_parallel_uploads_and_still_takes_another_visitor(tmp_path):
    from ..serverproc import ServerProcess

    proc = ServerProcess("--upload-rate-limit", "1000/hour", data_dir=tmp_path / "data")
    try:
        proc.wait_ready(timeout=300)
        results: dict[str, list[tuple[int, dict]]] = {"127.0.0.1": [], "127.0.0.2": []}

        def send(address):
            results[address].append(post_video(proc.url, address))

        threads = [threading.Thread(target=send, args=("127.0.0.1",)) for _ in range(10)]
        # The other visitor's file is named to be shown reversed: its name comes back clean.
        threads.append(
            threading.Thread(
                target=lambda: results["127.0.0.2"].append(post_video(proc.url, "127.0.0.2", "\u202eevil\x01gpj.mp4"))
            )
        )
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        first = [status for status, _ in results["127.0.0.1"]]
        assert first.count(202) <= 2 and set(first) <= {202, 429}, results["127.0.0.1"]
        assert [status for status, _ in results["127.0.0.2"]] == [202], results["127.0.0.2"]
        assert results["127.0.0.2"][0][1]["filename"] == "evilgpj.mp4"
        # The owner deletes one of theirs: its video is gone at once.
        job_id = next(body["job_id"] for status, body in results["127.0.0.1"] if status == 202)
        request = urllib.request.Request(f"{proc.url}/api/videos/{job_id}", method="DELETE")
        with urllib.request.urlopen(request, timeout=30) as res:
            assert res.status == 204
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(f"{proc.url}/api/videos/{job_id}/input", timeout=30)
        assert gone.value.code == 404
    finally:
        assert proc.stop(timeout=60) == 0, proc.log()[-3000:]


def test_deleting_a_running_job_stops_it_and_its_files_go_when_it_has(tmp_path):
    engine = StandInEngine(delay_s=0.2)
    app = create_app(ServerConfig(jobs_dir=tmp_path / "jobs"), engine, [])
    app.start()
    client = app.app.test_client()
    try:
        job_id = upload(client).get_json()["job_id"]
        deadline = time.monotonic() + 30
        while engine.reads < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.get(f"/api/videos/{job_id}").get_json()["state"] == "running"
        assert client.delete(f"/api/videos/{job_id}").status_code == 204
        assert client.get(f"/api/videos/{job_id}").status_code == 404  # at once
        while (tmp_path / "jobs" / job_id).exists():
            assert time.monotonic() < deadline, "the stopped job's folder stayed"
            time.sleep(0.05)
        reads = engine.reads
        time.sleep(0.5)
        assert engine.reads <= reads + 1  # it was stopped, not read to its end
    finally:
        app.stop()


def get_from(url: str, source_address: str) -> tuple[int, str, bytes]:
    """GET ``url`` from ``source_address``: status, media type, body."""
    import http.client
    from urllib.parse import urlparse

    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60, source_address=(source_address, 0))
    try:
        conn.request("GET", parsed.path + (f"?{parsed.query}" if parsed.query else ""))
        res = conn.getresponse()
        return res.status, res.getheader("Content-Type", ""), res.read()
    finally:
        conn.close()


@pytest.mark.slow  # a real server process, the real engine
def test_the_real_server_expires_crop_urls_ties_them_to_their_visitor_and_measures_a_video_by_its_container(
    tmp_path,
):
    """Issue 35's small findings against the real process: a signed crop URL works for the
    visitor it was given to, not for another address, and not once it has expired; a
    video of two frames that claims 12,800 fps (so frames over frame rate make it last a
    moment) is refused for the 27.8 hours its container says it lasts."""
    from urllib.parse import urljoin

    from ..serverproc import ServerProcess

    long_video = long_video_claiming_thousands_of_fps(tmp_path / "long.mp4")
    proc = ServerProcess(
        "--source",
        f"slides={SAMPLES / 'slides.mp4'}",
        "--loop",
        "--crop-url-seconds",
        "6",
        "--max-video-seconds",
        "3600",
        data_dir=tmp_path / "data",
    )
    try:
        proc.wait_ready(timeout=300)
        # The live stream's history: a search gives a crop URL signed for 127.0.0.1.
        deadline = time.monotonic() + 180
        crop_url = None
        while crop_url is None:
            assert time.monotonic() < deadline, "no track of 'Budget' with a crop in the history"
            status, _, body = get_from(f"{proc.url}/api/search?q=Budget&limit=5", "127.0.0.1")
            assert status == 200, body
            crop_url = next((h["crop_url"] for h in json.loads(body)["results"] if h["crop_url"]), None)
            if crop_url is None:
                time.sleep(2)  # searches share the still-image rate limit
        given_at = time.monotonic()
        crop_url = urljoin(proc.url, crop_url)
        status, media_type, body = get_from(crop_url, "127.0.0.1")
        assert (status, media_type) == (200, "image/jpeg") and body[:2] == b"\xff\xd8"
        # Another visitor cannot use it.
        status, _, body = get_from(crop_url, "127.0.0.2")
        assert status == 404, body
        # The owner cannot either, once it has expired (6 s, and the second it was made in).
        time.sleep(max(0.0, given_at + 8.0 - time.monotonic()))
        status, _, body = get_from(crop_url, "127.0.0.1")
        assert status == 404 and b"expired" in body, body

        status, job = post_video(proc.url, "127.0.0.3", "long.mp4", long_video.read_bytes())
        assert status == 202, job
        deadline = time.monotonic() + 60
        while True:
            status, _, body = get_from(f"{proc.url}/api/videos/{job['job_id']}", "127.0.0.3")
            state = json.loads(body)
            if state["state"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["state"] == "error" and "lasts 100,000 s, over the limit of 3,600 s" in state["error"], state
        assert state["done"] == 0, state  # not one frame was read
    finally:
        assert proc.stop(timeout=60) == 0, proc.log()[-3000:]
