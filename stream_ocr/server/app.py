"""The app factory: one Flask app, one SocketIO object, one stream hub, one event pump."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO
from prometheus_client import CollectorRegistry

from stream_ocr.config import ImageLimits, ServerConfig
from stream_ocr.engines.base import Engine
from stream_ocr.engines.sharing import EngineShares, SharedEngine
from stream_ocr.live.hub import HubConfig, StreamHub
from stream_ocr.live.sinks import EventQueue
from stream_ocr.realthreads import threading
from stream_ocr.server import security
from stream_ocr.server.api import api
from stream_ocr.server.connection_limits import RESERVED_THREADS, CloseSilentSessions, EngineIOSlots
from stream_ocr.server.events import pump_events, register_events
from stream_ocr.server.history_api import history_api
from stream_ocr.server.inbound import InboundGuard
from stream_ocr.server.jobs import VideoJobs
from stream_ocr.server.pages import WEB_DIR, pages
from stream_ocr.server.prometheus import ConnectionsCollector, HubCollector, RecorderCollector, SharesCollector
from stream_ocr.server.recorder import LiveRecorder, open_recorder
from stream_ocr.server.websocket import limit_websocket_messages
from stream_ocr.sources.opening import SourceSpec
from stream_ocr.video.job import VideoJob

logger = logging.getLogger(__name__)
# How long shutdown waits for a read in flight (live or video job) to finish: one read of
# a 1280 px frame takes up to about 15 s on a 2-core CPU without AVX-512, more when shared.
SHUTDOWN_WAIT_S = 45.0


def find_web_dir(config: ServerConfig) -> Path:
    """The page's folder: as configured, else the one installed with the package
    (``stream_ocr/web`` in a wheel), else ``web/`` of the source tree."""
    if config.web_dir is not None:
        return Path(config.web_dir)
    installed = Path(__file__).resolve().parents[1] / "web"
    if (installed / "index.html").is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "web"


@dataclass
class ServerApp:
    app: Flask
    socketio: SocketIO
    hub: StreamHub
    engine: Engine
    config: ServerConfig
    registry: CollectorRegistry
    jobs: VideoJobs
    # Still images read through the API lane; the hub and jobs hold the other lanes.
    api_engine: SharedEngine
    # Signs crop URLs (``security.sign``): a crop is fetched only through a URL this server gave.
    secret: bytes = field(default_factory=security.server_secret)
    _stop: Any = field(default_factory=threading.Event)
    _pump_lock: Any = field(default_factory=threading.Lock)
    _pump_started: bool = False
    _temp_jobs_dir: Path | None = None
    # The track history's writer, the watchlist and webhooks (``server.recorder``).
    recorder: LiveRecorder | None = None
    # Engine.IO sessions that never send Socket.IO's CONNECT are closed (connection_limits).
    silent_sessions: CloseSilentSessions | None = None
    # What clients may send over Socket.IO, and what was dropped or closed (``inbound``).
    inbound: InboundGuard | None = None
    # Text, status and alerts to an MQTT broker (``live.mqtt``), with --mqtt.
    mqtt: Any = None

    def start(self) -> None:
        """Start capture, inference and the event pump (once)."""
        with self._pump_lock:
            if self._pump_started:
                return
            self._pump_started = True
        self.hub.start()
        self.jobs.start()
        self.socketio.start_background_task(
            pump_events,
            self.socketio,
            self.hub,
            self.config.metrics_interval_s,
            self._stop,
            self.config.preview_sends_per_s,
            self.mqtt.observe if self.mqtt is not None else None,
        )
        if self.mqtt is not None:
            self.mqtt.start()
        if self.silent_sessions is not None:
            self.silent_sessions.start(self._stop)

    def stop(self) -> None:
        """Stop capture, jobs and inference, letting a read in flight finish; close the history."""
        self._stop.set()
        self.jobs.stop(SHUTDOWN_WAIT_S)
        self.hub.stop(SHUTDOWN_WAIT_S)
        if self.recorder is not None:
            self.recorder.close()
        if self.mqtt is not None:
            self.mqtt.close()
        if self.config.ray_address is not None:
            import ray

            ray.shutdown()  # this process's stream and engine actors end with it
        if self._temp_jobs_dir is not None:
            shutil.rmtree(self._temp_jobs_dir, ignore_errors=True)

    def run(self) -> None:
        """Serve until interrupted (SIGINT or SIGTERM), then shut down cleanly."""
        self.start()
        logger.info(
            "serving on http://%s:%d (async mode %s)", self.config.host, self.config.port, self.config.async_mode
        )
        try:
            kwargs: dict[str, Any] = {
                "host": self.config.host,
                "port": self.config.port,
                "use_reloader": False,
                "log_output": False,
            }
            if self.config.async_mode == "threading":
                kwargs["allow_unsafe_werkzeug"] = True
            self.socketio.run(self.app, **kwargs)
        except KeyboardInterrupt:
            pass
        finally:
            logger.info("shutting down")
            self.stop()


def engineio_slots(config: ServerConfig) -> int:
    """Open Engine.IO requests allowed in all: on gunicorn, its thread pool less a reserve."""
    if config.async_mode == "threading" and not config.dev_server:
        return max(1, config.server_threads - RESERVED_THREADS)
    return config.server_max_connections


def _limit_rates(app: Flask, config: ServerConfig) -> None:
    """Per-address request rates on the routes that cost engine time or disk (flask-limiter,
    in memory: one process holds them). Over the rate is a JSON 429 with Retry-After."""
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
    for endpoint, rate in (
        ("api.ocr_json", config.api_rate_limit),
        ("api.ocr_upload", config.api_rate_limit),
        ("api.video_upload", config.upload_rate_limit),
        ("history_api.add_rule", config.api_rate_limit),
        ("history_api.search", config.api_rate_limit),
    ):
        app.view_functions[endpoint] = limiter.limit(rate)(app.view_functions[endpoint])


def create_app(
    config: ServerConfig,
    engine: Engine,
    sources: list[SourceSpec] | None = None,
    hub_config: HubConfig | None = None,
) -> ServerApp:
    if hub_config is None:
        # Camera frames: the hub's own caps, and never more than a still image may be.
        camera = HubConfig().camera_limits
        limits = config.image_limits
        hub_config = HubConfig(
            camera_limits=ImageLimits(
                min(camera.max_bytes, limits.max_bytes), min(camera.max_pixels, limits.max_pixels)
            )
        )
    # One engine, three lanes: live streams keep their share whatever the API and jobs send.
    shares = EngineShares(config.shares)
    # History, watchlist and webhooks (the watcher is there even with no rules: the API adds them).
    # Every outgoing event waits here: the streams', the jobs' and the watchlist's alerts.
    events = EventQueue(hub_config.event_queue_size)
    mqtt = None
    if config.mqtt.url is not None:
        from stream_ocr.live.mqtt import MqttLink

        mqtt = MqttLink(config.mqtt, [s.name for s in sources or []])
    recorder = open_recorder(config.history, config.watch, events.publish, mqtt)
    if mqtt is not None:
        mqtt.rules = [rule.name for rule in recorder.watcher.rules()]
    live_engine = SharedEngine(engine, shares, "live")
    cluster_streams = None
    if config.ray_address is None:
        hub = StreamHub(live_engine, list(sources or []), hub_config, recorder=recorder, events=events)
    else:
        # The configured streams run as Ray actors; this process shows them.
        from stream_ocr.cluster.hub import ClusterHub
        from stream_ocr.cluster.stream_actors import ClusterStreams, start_stream_actors

        start_stream_actors(
            list(sources or []),
            hub_config,
            config.message_queue or "",
            getattr(engine, "names", []),
            engine.text_config,
        )
        cluster_streams = ClusterStreams()
        hub = ClusterHub(live_engine, cluster_streams, hub_config, recorder=recorder, events=events)
    web_dir = find_web_dir(config)
    app = Flask(__name__, static_folder=None)
    # The largest body of any route; each route sets its own, smaller one (api.limit_body).
    app.config["MAX_CONTENT_LENGTH"] = max(config.max_request_bytes, config.max_video_bytes)
    app.json.sort_keys = False
    registry = CollectorRegistry()
    registry.register(HubCollector(hub))
    registry.register(SharesCollector(shares))
    registry.register(RecorderCollector(recorder))
    if cluster_streams is not None:
        from stream_ocr.server.prometheus import ClusterCollector

        registry.register(ClusterCollector(cluster_streams))
    app.config[WEB_DIR] = web_dir
    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(history_api)
    security.install(app)
    _limit_rates(app, config)

    socketio = SocketIO(
        app,
        async_mode=config.async_mode,
        max_http_buffer_size=config.image_limits.max_bytes + 1024,
        # Several web processes: every emit goes through Redis to the clients of all of them.
        message_queue=config.message_queue,
        logger=False,
        engineio_logger=False,
        # Each client's events are handled in order, in its own connection's thread: a flood
        # can only slow its sender, never pile up work for every other client (the handlers
        # do no blocking work: camera frames go into a slot as bytes).
        async_handlers=False,
    )
    limit_websocket_messages(
        socketio,
        config.image_limits.max_bytes + 1024,
        config.inbound.bytes_per_s_per_address,
        config.inbound.bytes_per_s_total,
    )
    # What a client may send, checked per packet before any handler runs.
    inbound = InboundGuard(socketio, config.inbound, config.image_limits.max_bytes + 1024)
    # Engine.IO requests never take the threads the page, the API and /healthz need.
    slots = EngineIOSlots(
        app.wsgi_app,
        config.max_connections_per_address,
        engineio_slots(config),
        shut_out=inbound.shut_out_for,
        sessions_per_s=config.inbound.sessions_per_s,
    )
    app.wsgi_app = slots
    # Outermost, so that Socket.IO's routes are behind it too.
    app.wsgi_app = security.HostAllowlist(app.wsgi_app, config.allowed_hosts)
    silent_sessions = CloseSilentSessions(socketio)
    registry.register(ConnectionsCollector(slots, silent_sessions, inbound))
    temp_jobs_dir = None
    jobs_dir = config.jobs_dir
    if jobs_dir is None:
        jobs_dir = temp_jobs_dir = Path(tempfile.mkdtemp(prefix="stream-ocr-jobs-"))
    job = VideoJob(annotate=True, max_pixels=config.image_limits.max_pixels, max_duration_s=config.max_video_seconds)
    # Uploads live as long as their files: tracks of jobs whose folders are gone (an earlier
    # run's, and those retention removes) leave the history too.
    jobs = VideoJobs(
        SharedEngine(engine, shares, "video"),
        jobs_dir,
        hub.publish,
        job,
        on_done=recorder.on_video_done,
        on_forget=recorder.on_videos_forgotten,
        limits=config.uploads,
    )
    recorder.on_videos_forgotten(None)
    register_events(socketio, hub, jobs, config.max_connections_per_address)
    server = ServerApp(
        app,
        socketio,
        hub,
        engine,
        config,
        registry,
        jobs,
        SharedEngine(engine, shares, "api"),
        _temp_jobs_dir=temp_jobs_dir,
        recorder=recorder,
        silent_sessions=silent_sessions,
        inbound=inbound,
        mqtt=mqtt,
    )
    app.extensions["stream_ocr"] = server
    return server
