"""The app factory: one Flask app, one SocketIO object, one stream hub, one event pump."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory
from flask_socketio import SocketIO
from prometheus_client import CollectorRegistry

from stream_ocr.config import ServerConfig
from stream_ocr.engines.base import Engine
from stream_ocr.jobs import VideoJobs
from stream_ocr.realthreads import threading
from stream_ocr.server import security
from stream_ocr.server.api import api
from stream_ocr.server.events import pump_events, register_events
from stream_ocr.server.prometheus import HubCollector
from stream_ocr.sources import SourceSpec
from stream_ocr.streams import HubConfig, StreamHub

logger = logging.getLogger(__name__)


def find_web_dir(config: ServerConfig) -> Path:
    """The page's folder: as configured, else ``web/`` of the source tree."""
    if config.web_dir is not None:
        return Path(config.web_dir)
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
    _stop: Any = field(default_factory=threading.Event)
    _pump_lock: Any = field(default_factory=threading.Lock)
    _pump_started: bool = False
    _temp_jobs_dir: Path | None = None

    def start(self) -> None:
        """Start capture, inference and the event pump (once)."""
        with self._pump_lock:
            if self._pump_started:
                return
            self._pump_started = True
        self.hub.start()
        self.jobs.start()
        self.socketio.start_background_task(
            pump_events, self.socketio, self.hub, self.config.metrics_interval_s, self._stop
        )

    def stop(self) -> None:
        self._stop.set()
        self.jobs.stop()
        self.hub.stop()
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


def create_app(
    config: ServerConfig,
    engine: Engine,
    sources: list[SourceSpec] | None = None,
    hub_config: HubConfig | None = None,
) -> ServerApp:
    hub_config = hub_config or HubConfig(image_limits=config.image_limits)
    hub = StreamHub(engine, sources or [], hub_config)
    web_dir = find_web_dir(config)
    app = Flask(__name__, static_folder=None)
    # The largest body of any route; /api/ and /api/ocr check their own, smaller limit.
    app.config["MAX_CONTENT_LENGTH"] = max(config.max_request_bytes, config.max_video_bytes)
    app.json.sort_keys = False
    registry = CollectorRegistry()
    registry.register(HubCollector(hub))
    app.register_blueprint(api)
    security.install(app)

    @app.get("/")
    def index():
        return send_from_directory(web_dir, "index.html")

    @app.get("/static/<path:name>")
    def static_files(name: str):
        return send_from_directory(web_dir, name)

    socketio = SocketIO(
        app,
        async_mode=config.async_mode,
        max_http_buffer_size=config.image_limits.max_bytes + 1024,
        logger=False,
        engineio_logger=False,
    )
    temp_jobs_dir = None
    jobs_dir = config.jobs_dir
    if jobs_dir is None:
        jobs_dir = temp_jobs_dir = Path(tempfile.mkdtemp(prefix="stream-ocr-jobs-"))
    jobs = VideoJobs(engine, jobs_dir, hub.publish)
    register_events(socketio, hub, jobs)
    server = ServerApp(app, socketio, hub, engine, config, registry, jobs, _temp_jobs_dir=temp_jobs_dir)
    app.extensions["stream_ocr"] = server
    return server
