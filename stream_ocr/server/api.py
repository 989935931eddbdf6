"""HTTP routes: the still-image API (``POST /api/``, ``POST /api/ocr``), health, Prometheus metrics.

``POST /api/`` keeps the original app's contract: JSON ``{"image": "data:image/...;base64,..."}``
(the data-URL prefix optional). Every error is JSON with an ``error`` message and a 4xx/5xx code.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.exceptions import HTTPException

from stream_ocr.engines.base import read_lines
from stream_ocr.errors import BadInputError, EngineBusyError, InputTooLargeError, JobsFullError, StreamOCRError
from stream_ocr.server.blocking import run_blocking
from stream_ocr.sources.images import decode_data_url, decode_image
from stream_ocr.types import FrameResult

logger = logging.getLogger(__name__)

api = Blueprint("api", __name__)


def error(message: str, status: int):
    return jsonify({"error": message}), status


def _state():
    return current_app.extensions["stream_ocr"]


def _reply(result: FrameResult) -> dict[str, Any]:
    body = result.to_dict()
    # The keras-ocr Pipeline shape, [text, box] pairs, as the original app returned them.
    body["predictions"] = [[d.text, [list(p) for p in d.points]] for d in result.detections]
    body["text"] = result.text
    return body


def _ocr(decode, value):
    state = _state()

    def work():
        return read_lines(state.api_engine, decode(value, state.config.image_limits))

    return _reply(run_blocking(state.config.async_mode, work))


# Bodies of routes that take none (GETs, and POSTs to anything but the three below).
OTHER_BODY_BYTES = 64 * 1024


@api.before_app_request
def limit_body():
    """Each route's own body limit, enforced by Werkzeug while the body is read, so a body
    without Content-Length (chunked) is cut off at the limit, never buffered whole."""
    config = _state().config
    limits = {
        "api.ocr_json": config.max_request_bytes,
        "api.ocr_upload": config.max_request_bytes,
        "api.video_upload": config.max_video_bytes,
    }
    request.max_content_length = limits.get(request.endpoint or "", OTHER_BODY_BYTES)


def _check_size():
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise InputTooLargeError(f"request is {request.content_length:,} bytes, over the limit of {limit:,}")


def _check_read_size(data: bytes) -> None:
    """A body without Content-Length stops at the route's limit: one that reached it was cut."""
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(data) >= limit:
        raise InputTooLargeError(f"request body is over the limit of {limit:,} bytes")


@api.post("/api")
@api.post("/api/")
def ocr_json():
    """Read a still image sent as JSON (the original app's contract).

    The image is a base64 data URL in ``image``; the ``data:`` prefix is optional.
    ``/api`` is the same route without the slash.
    ---
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ImageRequest'}
      responses:
        '200':
          description: the words and lines found
          content:
            application/json:
              schema: {$ref: '#/components/schemas/OcrResult'}
        '400': {$ref: '#/components/responses/BadInput'}
        '413': {$ref: '#/components/responses/TooLarge'}
        '415': {$ref: '#/components/responses/WrongType'}
        '429': {$ref: '#/components/responses/TooMany'}
        '503': {$ref: '#/components/responses/Busy'}
    """
    _check_size()
    if not request.is_json:
        return error('send JSON with Content-Type: application/json, as {"image": "data:image/jpeg;base64,..."}', 415)
    _check_read_size(request.get_data(cache=True))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "image" not in body:
        return error('the JSON body must be an object with an "image" field (a base64 data URL)', 400)
    return jsonify(_ocr(decode_data_url, body["image"]))


@api.post("/api/ocr")
def ocr_upload():
    """Read a still image sent as a multipart upload (field ``image``).
    ---
    post:
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: {$ref: '#/components/schemas/ImageUpload'}
      responses:
        '200':
          description: the words and lines found
          content:
            application/json:
              schema: {$ref: '#/components/schemas/OcrResult'}
        '400': {$ref: '#/components/responses/BadInput'}
        '413': {$ref: '#/components/responses/TooLarge'}
        '415': {$ref: '#/components/responses/WrongType'}
        '429': {$ref: '#/components/responses/TooMany'}
        '503': {$ref: '#/components/responses/Busy'}
    """
    _check_size()
    if not request.content_type or not request.content_type.startswith("multipart/form-data"):
        return error('send multipart/form-data with the image in a field named "image"', 415)
    upload = request.files.get("image") or next(iter(request.files.values()), None)
    if upload is None:
        return error('no file in the upload: send the image in a field named "image"', 400)
    return jsonify(_ocr(decode_image, upload.read()))


@api.post("/api/videos")
def video_upload():
    """Upload a video to read (multipart, field ``video``); answers the job, queued.

    Follow it with ``GET /api/videos/{job_id}`` or the Socket.IO event ``watch_job``.
    ---
    post:
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: {$ref: '#/components/schemas/VideoUpload'}
      responses:
        '202':
          description: the job, queued
          content:
            application/json:
              schema: {$ref: '#/components/schemas/VideoJob'}
        '400': {$ref: '#/components/responses/BadInput'}
        '413': {$ref: '#/components/responses/TooLarge'}
        '415': {$ref: '#/components/responses/WrongType'}
        '429': {$ref: '#/components/responses/TooMany'}
    """
    _check_size()
    if not request.content_type or not request.content_type.startswith("multipart/form-data"):
        return error('send multipart/form-data with the video in a field named "video"', 415)
    upload = request.files.get("video")
    if upload is None:
        return error('no file in the upload: send the video in a field named "video"', 400)
    state = _state().jobs.submit(upload.filename or "video", upload.stream, visitor=get_remote_address())
    return jsonify(state.to_dict()), 202


@api.delete("/api/videos/<job_id>")
def video_delete(job_id: str):
    """Remove a video job: the video, its results, its tracks and crops in the history.

    Its owner is whoever holds its id. A running job is stopped first.
    ---
    delete:
      responses:
        '204': {description: removed}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    if not _state().jobs.delete(job_id):
        return error(f"no such video job: {job_id}", 404)
    return "", 204


@api.get("/api/videos/<job_id>")
def video_status(job_id: str):
    """A video job's state and progress.
    ---
    get:
      responses:
        '200':
          description: the job
          content:
            application/json:
              schema: {$ref: '#/components/schemas/VideoJob'}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    state = _state().jobs.get(job_id)
    if state is None:
        return error(f"no such video job: {job_id}", 404)
    return jsonify(state.to_dict())


OUTPUT_TYPES = {
    ".json": "application/json",
    ".jsonl": "text/plain; charset=utf-8",
    ".srt": "text/plain; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".mp4": "video/mp4",
}


@api.get("/api/videos/<job_id>/files/<name>")
def video_file(job_id: str, name: str):
    """One of a finished job's results: SRT, WebVTT, JSON, JSON lines or the annotated MP4.

    Its name is one of the job's ``files``; ``?download=1`` asks for it as an attachment.
    ---
    get:
      parameters:
        - {name: download, in: query, required: false, schema: {type: string, enum: ['1']}}
      responses:
        '200':
          description: the file
          content:
            text/plain: {schema: {type: string}}
            text/vtt: {schema: {type: string}}
            application/json: {schema: {type: object}}
            video/mp4: {schema: {type: string, contentMediaType: video/mp4}}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    path = _state().jobs.file_path(job_id, name)
    if path is None or not path.is_file():
        return error(f"no file {name!r} for job {job_id}", 404)
    # Only the types this server wrote, by their own suffix; anything else is a download.
    media_type = OUTPUT_TYPES.get(path.suffix.lower())
    attachment = media_type is None or request.args.get("download") == "1"
    return send_file(
        path, mimetype=media_type or "application/octet-stream", as_attachment=attachment, download_name=name
    )


@api.get("/api/videos/<job_id>/input")
def video_input(job_id: str):
    """The uploaded video, served as the container type its bytes showed (ranges allowed).
    ---
    get:
      responses:
        '200':
          description: the video
          content:
            video/*: {schema: {type: string, contentMediaType: video/*}}
        '206': {description: part of the video (a Range request)}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    state = _state().jobs.get(job_id)
    if state is None or not state.video_path.is_file():
        return error(f"no such video job: {job_id}", 404)
    # Served as the container type its bytes showed at upload, never as what its name claims.
    return send_file(state.video_path, mimetype=state.media_type, conditional=True)


@api.get("/healthz")
def healthz():
    """Health: 200 while inference serves; 503 when its thread died or one frame has taken past the stall limit.
    ---
    get:
      responses:
        '200':
          description: serving
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Health'}
        '503':
          description: inference has stopped or stalled
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Health'}
    """
    state = _state()
    health = state.hub.health(state.config.inference_stall_s)
    body = {
        "status": "ok" if health["ok"] else "unhealthy",
        "engine": state.engine.name,
        "inference": health["inference"],
        "streams": state.hub.configured_streams(),
        "capture": health["streams"],
    }
    if "cluster" in health:
        body["engine_actors"] = health["cluster"]["engines"]
    writer = state.recorder.writer if state.recorder is not None else None
    if writer is not None:
        # Degraded history (writes failing, tracks kept in memory) is said, not fatal: 200.
        body["history"] = writer.health()
    return jsonify(body), 200 if health["ok"] else 503


@api.get("/metrics")
def metrics():
    """Prometheus metrics: streams, inference, engine shares, connections and the history.
    ---
    get:
      responses:
        '200':
          description: the Prometheus text format
          content:
            text/plain: {schema: {type: string}}
    """
    return Response(generate_latest(_state().registry), mimetype=CONTENT_TYPE_LATEST)


@api.get("/api/streams")
def streams():
    """The configured streams and their status.
    ---
    get:
      responses:
        '200':
          description: the streams
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Streams'}
    """
    return jsonify({"streams": _state().hub.configured_streams()})


@api.app_errorhandler(InputTooLargeError)
def too_large(e):
    return error(str(e), 413)


@api.app_errorhandler(BadInputError)
def bad_input(e):
    return error(str(e), 400)


@api.app_errorhandler(EngineBusyError)
def busy(e: EngineBusyError):
    response, status = error(str(e), 503)
    response.headers["Retry-After"] = str(e.retry_after_s)
    return response, status


@api.app_errorhandler(RateLimitExceeded)
def rate_limited(e: RateLimitExceeded):
    response, status = error(f"too many requests from your address (limit: {e.description}); slow down", 429)
    return response, status


@api.app_errorhandler(JobsFullError)
def jobs_full(e: JobsFullError):
    response, status = error(str(e), 429)
    response.headers["Retry-After"] = "30"
    return response, status


@api.app_errorhandler(StreamOCRError)
def our_error(e):
    logger.error("request failed: %s", e)
    return error(str(e), 503)


@api.app_errorhandler(HTTPException)
def http_error(e: HTTPException):
    return error(e.description or e.name, e.code or 500)


@api.app_errorhandler(Exception)
def unexpected(e):
    logger.exception("unexpected error in a request")
    return error("internal error; see the server log", 500)
