"""The JSON shapes the server takes and sends, as JSON Schema (2020-12, as OpenAPI 3.1 uses).

Owns the payload descriptions, over HTTP (``COMPONENTS``, which ``server/openapi.py`` puts
in ``/openapi.json``) and over Socket.IO (``SOCKET_EVENTS``, each event's name, direction
and payload). The serializers stay where their types are (``to_dict``); the tests check
real answers and real events against these schemas, so that a field added to one is
added here too (objects allow no other properties).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Schema], optional: tuple[str, ...] = (), **extra: Any) -> Schema:
    """An object with exactly these properties; all required but ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
        **extra,
    }


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}
EPOCH = {"type": "number", "description": "the server's wall clock, seconds since the epoch"}

COMPONENTS: dict[str, Schema] = {
    "Error": _object({"error": {**STRING, "description": "what was wrong, in words"}}),
    "Points": {
        "type": "array",
        "description": "the box's 4 corners, clockwise from the text's top-left, in the image's pixels",
        "items": {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2},
        "minItems": 4,
        "maxItems": 4,
    },
    "Word": _object(
        {"points": ref("Points"), "text": STRING, "confidence": _nullable(NUMBER), "track_id": INTEGER},
        optional=("track_id",),
    ),
    "Line": _object(
        {
            "points": ref("Points"),
            "text": STRING,
            "confidence": _nullable(NUMBER),
            "track_id": INTEGER,
            "block": {**INTEGER, "description": "lines that belong together (a two-line subtitle) share one"},
            "words": {"type": "array", "items": ref("Word")},
        },
        optional=("track_id",),
    ),
    "Timings": {"type": "object", "additionalProperties": NUMBER, "description": "milliseconds per stage"},
    "ImageRequest": _object(
        {
            "image": {
                **STRING,
                "description": "the image as a data URL (data:image/jpeg;base64,...); the prefix may be left out",
            }
        },
        description="The original app's contract.",
    ),
    "ImageUpload": {
        "type": "object",
        "properties": {"image": {"type": "string", "contentMediaType": "application/octet-stream"}},
        "required": ["image"],
    },
    "OcrResult": _object(
        {
            "engine": STRING,
            "width": INTEGER,
            "height": INTEGER,
            "detections": {"type": "array", "items": ref("Word"), "description": "the engine's word boxes"},
            "lines": {"type": "array", "items": ref("Line"), "description": "in reading order"},
            "timings_ms": ref("Timings"),
            "predictions": {
                "type": "array",
                "description": "keras-ocr's [text, box] pairs, as the original app returned them",
                "items": {"type": "array", "prefixItems": [STRING, ref("Points")], "minItems": 2, "maxItems": 2},
            },
            "text": {**STRING, "description": "the lines, one per line"},
        }
    ),
    "VideoUpload": {
        "type": "object",
        "properties": {"video": {"type": "string", "contentMediaType": "application/octet-stream"}},
        "required": ["video"],
    },
    "VideoJob": _object(
        {
            "job_id": {**STRING, "description": "unguessable: whoever holds it owns the job"},
            "filename": STRING,
            "state": {"enum": ["uploading", "queued", "running", "done", "error"]},
            "done": {**INTEGER, "description": "frames sampled so far"},
            "total": INTEGER,
            "summary": _nullable({"type": "object", "description": "the job's counts, once done"}),
            "error": _nullable(STRING),
            "files": {"type": "array", "items": STRING, "description": "results to fetch from .../files/NAME"},
        }
    ),
    "Stream": _object(
        {
            "id": STRING,
            "kind": {"enum": ["webcam", "url", "file", "browser"]},
            "source": {**STRING, "description": "without credentials"},
            "status": {"enum": ["connecting", "live", "reconnecting", "ended", "error"]},
            "reason": STRING,
            "node": {**STRING, "description": "the Ray node it runs on; empty in one process"},
        }
    ),
    "Streams": _object({"streams": {"type": "array", "items": ref("Stream")}}),
    "Health": _object(
        {
            "status": {"enum": ["ok", "unhealthy"]},
            "engine": STRING,
            "inference": _object({"alive": BOOLEAN, "busy_s": NUMBER, "stalled": BOOLEAN}),
            "streams": {"type": "array", "items": ref("Stream")},
            "capture": {
                "type": "array",
                "items": _object({"id": STRING, "status": STRING, "capture_alive": BOOLEAN, "node": STRING}),
            },
            "engine_actors": {"type": "array", "items": {"type": "object"}},
            "history": _object(
                {"state": {"enum": ["ok", "degraded"]}, "pending": INTEGER, "dropped": INTEGER, "error": STRING},
                optional=("error",),
            ),
        },
        optional=("engine_actors", "history"),
    ),
    "SearchHit": _object(
        {
            "id": INTEGER,
            "text": STRING,
            "stream_id": STRING,
            "first_seen": TIME,
            "last_seen": TIME,
            "confidence": NUMBER,
            "score": {**NUMBER, "description": "0-100: how well the text matches the query"},
            "crop_url": _nullable({**STRING, "description": "signed for this visitor; expires"}),
            "job_id": _nullable(STRING),
            "video_time": _nullable({**NUMBER, "description": "seconds into the video, for a video job's track"}),
        }
    ),
    "SearchResults": _object({"results": {"type": "array", "items": ref("SearchHit")}}),
    "Alert": _object(
        {
            "id": STRING,
            "rule": STRING,
            "stream_id": STRING,
            "text": STRING,
            "confidence": NUMBER,
            "time": TIME,
            "crop_url": _nullable(STRING),
        }
    ),
    "Alerts": _object({"alerts": {"type": "array", "items": ref("Alert")}}),
    "WatchRuleIn": _object(
        {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,100}$"},
            "pattern": {**STRING, "description": "words to find, OCR errors forgiven; or a regular expression"},
            "regex": BOOLEAN,
            "max_errors": _nullable({"type": "integer", "minimum": 0, "maximum": 3}),
            "streams": {"type": "array", "items": STRING, "description": "empty: every stream"},
        },
        optional=("regex", "max_errors", "streams"),
    ),
    "WatchRule": _object(
        {
            "name": STRING,
            "pattern": STRING,
            "regex": BOOLEAN,
            "max_errors": _nullable(INTEGER),
            "streams": {"type": "array", "items": STRING},
            "source": {"enum": ["api", "cli", "file"]},
            "disabled": {**STRING, "description": "why the rule was taken out"},
        },
        optional=("disabled",),
    ),
    "WatchRules": _object({"rules": {"type": "array", "items": ref("WatchRule")}}),
}

# -- Socket.IO -----------------------------------------------------------------------------

_FRAME = {"stream_id": STRING, "frame_id": INTEGER}
_PROGRESS = _object({"job_id": STRING, "done": INTEGER, "total": INTEGER, "fps": NUMBER, "eta_s": _nullable(NUMBER)})


def _job_event(**more: Schema) -> Schema:
    job = COMPONENTS["VideoJob"]
    properties = {**job["properties"], **more}
    return {**job, "properties": properties, "required": [*job["required"], *more]}


# name -> (direction, payload schema, what it does or says). Directions: "client" sends it
# to the server, "server" sends it to the client.
SOCKET_EVENTS: dict[str, tuple[str, Schema, str]] = {
    "join": ("client", _object({"stream_id": STRING}), "watch a configured stream (leaves the one watched before)"),
    "leave": ("client", _object({"stream_id": STRING}), "stop watching"),
    "camera_start": ("client", {"type": "null"}, "start your own camera stream, cam-<sid>"),
    "camera_frame": (
        "client",
        {"type": "string", "contentMediaType": "image/jpeg", "description": "one binary attachment"},
        "one camera frame (send one at a time, at most 640 px)",
    ),
    "camera_stop": ("client", {"type": "null"}, "end your camera stream"),
    "watch_job": ("client", _object({"job_id": STRING}), "follow a video job's progress"),
    "streams": ("server", COMPONENTS["Streams"], "the configured streams, on connect and when one ends"),
    "stream_status": (
        "server",
        _object(
            {
                "stream_id": STRING,
                "status": COMPONENTS["Stream"]["properties"]["status"],
                "reason": STRING,
                "time": EPOCH,
            }
        ),
        "a watched stream's state changed",
    ),
    "ocr_result": (
        "server",
        _object(
            {
                **_FRAME,
                "captured_at": EPOCH,
                "result_at": EPOCH,
                "latency_ms": NUMBER,
                "position_s": _nullable({**NUMBER, "description": "seconds into a file source"}),
                "skipped": {**BOOLEAN, "description": "the picture had not changed: the last lines stand"},
                "width": INTEGER,
                "height": INTEGER,
                "timings_ms": ref("Timings"),
                "regions": _nullable(
                    {
                        "type": "array",
                        "description": "the changed regions read (x0, y0, x1, y1); null: the whole frame",
                        "items": {"type": "array", "items": INTEGER, "minItems": 4, "maxItems": 4},
                    }
                ),
                "lines": {"type": "array", "items": ref("Line")},
                "detections": {"type": "array", "items": ref("Word"), "description": "the lines' words"},
                "gone_at": {
                    "type": "array",
                    "description": "[track_id, captured_at] of lines gone by a preview frame sent before this result",
                    "items": {"type": "array", "minItems": 2, "maxItems": 2},
                },
            }
        ),
        "one frame's text",
    ),
    "frame": (
        "server",
        _object(
            {
                **_FRAME,
                "captured_at": EPOCH,
                "width": INTEGER,
                "height": INTEGER,
                "jpeg": {"type": "string", "contentMediaType": "image/jpeg", "description": "a binary attachment"},
                "boxes": {"type": "array", "items": _object({"track_id": _nullable(INTEGER), "points": ref("Points")})},
                "gone": {"type": "array", "items": _nullable(INTEGER)},
            }
        ),
        "preview video (at most 12 fps, 960 px), only while someone watches",
    ),
    "metrics": (
        "server",
        _object(
            {
                "stream_id": STRING,
                "captured": INTEGER,
                "dropped": INTEGER,
                "inferred": INTEGER,
                "skipped": INTEGER,
                "errors": INTEGER,
                "capture_fps": NUMBER,
                "inference_fps": NUMBER,
                "latency_p50_ms": NUMBER,
                "latency_p95_ms": NUMBER,
            }
        ),
        "a watched stream's counters, every second",
    ),
    "frame_error": ("server", _object({**_FRAME, "error": STRING}), "a camera frame that was not an image"),
    "video_state": ("server", COMPONENTS["VideoJob"], "a watched job's state, when watching starts"),
    "video_progress": ("server", _PROGRESS, "a watched job's progress, at most twice a second"),
    "video_done": (
        "server",
        _job_event(
            tracks={
                "type": "array",
                "items": _object(
                    {
                        "id": INTEGER,
                        "text": STRING,
                        "confidence": _nullable(NUMBER),
                        "first_time": NUMBER,
                        "last_time": NUMBER,
                        "end_time": NUMBER,
                    }
                ),
            },
            cues={"type": "array", "items": _object({"start": NUMBER, "end": NUMBER, "text": STRING})},
        ),
        "a watched job ended well: the job, with its timeline's tracks and cues",
    ),
    "video_error": ("server", COMPONENTS["VideoJob"], "a watched job failed or was stopped"),
    "alert": ("server", COMPONENTS["Alert"], "a watchlist rule matched a track (once per track)"),
    "error": ("server", COMPONENTS["Error"], "a request the server refused"),
}


def event_schema(name: str) -> Schema:
    """A Socket.IO event's payload schema, standalone (its references resolved against
    ``COMPONENTS``), for a validator."""
    return {**SOCKET_EVENTS[name][1], "components": {"schemas": COMPONENTS}}
