"""The ``stream-ocr`` command line: a thin adapter over the library.

Owns argument parsing, logging set-up and printing; all work is done by the modules
it calls. Subcommands: ``image``, ``video``, ``serve`` and ``engines``; each has its parser function.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from stream_ocr.config import EngineConfig, HistoryConfig, ImageLimits, ServerConfig
from stream_ocr.errors import BadInputError, StreamOCRError
from stream_ocr.realthreads import exit_now_if_an_engine_thread_runs, give_logging_real_locks
from stream_ocr.settings import add_settings, check_file_keys, fill, gather, read_config_file
from stream_ocr.video.job import VideoJob

logger = logging.getLogger("stream_ocr")


# What each command builds from its settings (``settings.py``): the option groups it
# offers and the config classes ``gather`` fills.
COMMAND_CONFIGS: dict[str, tuple[type, ...]] = {
    "image": (EngineConfig, ImageLimits),
    "video": (EngineConfig, VideoJob),
    "serve": (EngineConfig, ServerConfig),
    "engines": (EngineConfig,),
}
# Keys of a --config file that no config class holds: the commands read them.
FILE_ONLY_KEYS = ("sources",)


def given_settings(args: argparse.Namespace, file: dict[str, Any]) -> dict[str, Any]:
    """What the command line, the environment and the ``--config`` file give for
    ``args.command``'s settings (``settings.gather``); the file's unknown keys are refused."""
    check_file_keys(file, tuple({c for cs in COMMAND_CONFIGS.values() for c in cs}), FILE_ONLY_KEYS, str(args.config))
    return gather(args, COMMAND_CONFIGS[args.command], file, str(args.config))


def cmd_image(args: argparse.Namespace, given: dict[str, Any]) -> int:
    from stream_ocr.engines import create_engine
    from stream_ocr.engines.base import read_lines
    from stream_ocr.sources.images import read_image

    limits = fill(ImageLimits, given)
    engine = create_engine(fill(EngineConfig, given))
    failures = 0
    for path in args.paths:
        try:
            result = read_lines(engine, read_image(path, limits))
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


def clock(seconds: float) -> str:
    """``seconds`` as h:mm:ss."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def video_fps(path: Path) -> float:
    """The frame rate a video file declares (0 when it cannot be opened or declares none)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0.0
    finally:
        capture.release()
    return fps if 0 < fps < 1000 else 0.0


def cmd_video(args: argparse.Namespace, given: dict[str, Any]) -> int:
    from tqdm import tqdm

    from stream_ocr.engines import create_engine
    from stream_ocr.video.job import process_video, subtitle_job

    job = fill(VideoJob, given)
    if job.subtitles:  # the preset, except a gap given outright
        preset = subtitle_job(job)
        gap = given.get("merge-gap", preset.tracker.max_gap_s)
        job = replace(preset, tracker=replace(preset.tracker, max_gap_s=gap))
    engine_config = fill(EngineConfig, given)
    if job.subtitles and engine_config.line_reads == "auto":  # every glyph a subtitle prints
        engine_config = replace(engine_config, line_reads="on")
    if args.ray is not None:
        if job.resume:
            raise BadInputError("--resume goes on from a job run on this machine; it cannot be used with --ray")
        from stream_ocr.cluster.runtime import connect

        connect(args.ray)
        from stream_ocr.cluster.video_chunks import process_video_on_ray

        def run(path, out_dir, progress):
            return process_video_on_ray(path, out_dir, engine_config, job, args.workers, args.worker_cpus, progress)
    else:
        engine = create_engine(engine_config)

        def run(path, out_dir, progress):
            return process_video(path, out_dir, engine, job, progress)

    failures = 0
    for path in args.inputs:
        out_dir = args.out / path.stem if len(args.inputs) > 1 else args.out
        bar = tqdm(desc=path.name, unit="frame", dynamic_ncols=True, disable=args.quiet)
        fps = video_fps(path)

        def progress(done: int, total: int, bar=bar, fps=fps) -> None:
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)
            if fps:  # the film's own time beside the frames (tqdm gives the ETA)
                bar.set_postfix_str(
                    f"film {clock(done / fps)} of {clock(total / fps) if total else '?'}", refresh=False
                )

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


def cmd_engines(args: argparse.Namespace, given: dict[str, Any]) -> int:
    from stream_ocr.engines import DEFAULT_ENGINE, ENGINES

    config = fill(EngineConfig, given)
    for info in ENGINES.values():
        default = " (default)" if info.name == DEFAULT_ENGINE else ""
        print(f"{info.name}{default}: {info.description}")
        print(f"    {info.status(config)}")
    return 0


def serve_sources(args: argparse.Namespace, file: dict[str, Any]) -> list:
    """The streams to serve: ``--source`` (with ``--loop``), then the config file's ``sources``."""
    from stream_ocr.sources.opening import SourceSpec

    sources = [SourceSpec.parse(text, loop=args.loop) for text in args.source]
    items = file.get("sources", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) and "name" in i and "uri" in i for i in items):
        raise BadInputError(f'{args.config}: sources is a list of {{"name": ..., "uri": ..., "loop": false}}')
    sources += [SourceSpec(item["name"], str(item["uri"]), bool(item.get("loop", False))) for item in items]
    return sources


def cmd_serve(args: argparse.Namespace, given: dict[str, Any]) -> int:
    from stream_ocr.engines import create_engine, engine_info
    from stream_ocr.server import create_app
    from stream_ocr.server.recorder import check_settings

    sources = serve_sources(args, read_config_file(args.config))
    server_config = fill(ServerConfig, given)
    engine_config = fill(EngineConfig, given)
    info = engine_info(engine_config.name)  # an unknown engine is a set-up error here, not in a worker
    check_settings(server_config.history, server_config.watch)  # a bad URL or rule, likewise

    def build():
        if server_config.ray_address is None:
            return create_app(server_config, create_engine(engine_config), sources)
        # Engines run as Ray actors; this process only sends them frames.
        from stream_ocr.cluster.runtime import connect

        connect(server_config.ray_address)
        from stream_ocr.cluster.engine_actors import EnginePool, ensure_engine_actors
        from stream_ocr.engines.base import text_config_of

        names = ensure_engine_actors(
            server_config.engine_actors, engine_config, server_config.engine_actor_cpus, server_config.engine_actor_gpus
        )
        return create_app(server_config, EnginePool(names, text_config=text_config_of(engine_config)), sources)

    print(f"stream-ocr: open http://{server_config.host}:{server_config.port}/ in a browser", flush=True)
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


def _history_line(history: HistoryConfig) -> str:
    if history.db_url is None:
        return "no history kept (/api/search is off)"
    from stream_ocr.history.database import safe_url

    where = safe_url(history.db_url)  # a password is never printed
    limits = [f"{history.retain_days:g} days"] if history.retain_days else []
    limits += [f"{history.retain_rows:,} tracks"] if history.retain_rows else []
    kept = "at most " + " and ".join(limits) if limits else "until deleted"
    return f"history kept in {where} ({kept}; --no-history turns it off)"


def _install_signal_handlers() -> None:
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _add_settings_groups(parser: argparse.ArgumentParser, command: str) -> None:
    """The command's settings, a group per config class (nested ones flattened into theirs)."""
    titles = {
        EngineConfig: "engine",
        ImageLimits: "image limits",
        VideoJob: "video",
        ServerConfig: "server, history, watchlists and limits (see README: Security, History, Scaling out)",
    }
    for cls in COMMAND_CONFIGS[command]:
        add_settings(parser.add_argument_group(titles[cls]), cls)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stream-ocr",
        description="Read text from images, videos and live streams.",
        epilog="Every option NAME can also be set by the environment variable STREAM_OCR_NAME "
        '(--retain-days: STREAM_OCR_RETAIN_DAYS) or in a --config JSON file as "name": value; '
        "the command line wins over the environment, and the environment over the file.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        help='settings from a JSON file, named as the options are: {"engine": "rapidocr", "retain-days": 7}; '
        'serve also takes {"sources": [{"name": "lobby", "uri": "rtsp://...", "loop": false}]}',
    )
    sub = parser.add_subparsers(dest="command", required=True)

    image = sub.add_parser("image", parents=[common], help="read the text in image files")
    image.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    image.add_argument(
        "--json", action="store_true", help="one JSON object per image: boxes, text, confidences, timings"
    )
    image.set_defaults(func=cmd_image)

    video = sub.add_parser(
        "video", parents=[common], help="turn video files into text timelines: JSON, SRT, WebVTT, annotated MP4"
    )
    video.add_argument("inputs", nargs="+", type=Path, metavar="IN")
    video.add_argument(
        "--out", type=Path, required=True, help="output folder (one subfolder per video when there are several)"
    )
    video.add_argument("--quiet", action="store_true", help="no progress bar")
    ray = video.add_argument_group("reading on a Ray cluster")
    ray.add_argument(
        "--ray",
        metavar="ADDRESS|auto",
        help="read time chunks in parallel on the Ray cluster whose head is at ADDRESS (auto: a local Ray "
        "instance); the video must be readable at the same path on every node",
    )
    ray.add_argument("--workers", type=int, default=2, help="engine actors reading chunks (default %(default)s)")
    ray.add_argument("--worker-cpus", type=float, default=1.0, help="CPUs each worker reserves (default %(default)s)")
    video.set_defaults(func=cmd_video)

    serve = sub.add_parser("serve", parents=[common], help="run the web server: live streams, the page, and the /api/")
    serve.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=URI",
        help="a stream: NAME=0 (webcam), NAME=rtsp://..., NAME=http://..., NAME=path/to/video.mp4; repeat for more",
    )
    serve.add_argument("--loop", action="store_true", help="replay --source video files from the start when they end")
    serve.set_defaults(func=cmd_serve)

    engines = sub.add_parser("engines", parents=[common], help="list the engines and whether their weights are present")
    engines.set_defaults(func=cmd_engines)

    openapi = sub.add_parser(
        "openapi", help="print the HTTP API's OpenAPI 3.1 description (what GET /openapi.json serves), loading no model"
    )
    openapi.add_argument("--out", type=Path, help="write it to this file instead")
    openapi.set_defaults(func=cmd_openapi)
    for name, command in (("image", image), ("video", video), ("serve", serve), ("engines", engines)):
        _add_settings_groups(command, name)
    return parser


def cmd_openapi(args: argparse.Namespace, given: dict[str, Any]) -> int:
    from stream_ocr.server.openapi import describe_routes

    text = json.dumps(describe_routes(), indent=1, ensure_ascii=False) + "\n"
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


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
        # A command with settings takes them from the command line, environment and --config.
        given = given_settings(args, read_config_file(args.config)) if args.command in COMMAND_CONFIGS else {}
        return int(args.func(args, given) or 0)
    except StreamOCRError as e:
        print(f"stream-ocr: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
