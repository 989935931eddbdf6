"""The HTTP API described: an OpenAPI 3.1 document built from the app's routes (``GET /openapi.json``).

Owns the description, not the routes. ``apispec`` assembles it: every rule of the app's URL
map is a path (none is left out: a route without a description fails the build); each
operation is the YAML after ``---`` in its view's docstring, with the docstring's first
line as its summary; path parameters come from the rule's converters; the body shapes are
``server/schemas.py``'s. The Socket.IO events are listed under ``x-socketio-events``.

    stream-ocr openapi --out docs/reference/openapi.json   # the docs' copy, without a server
"""

from __future__ import annotations

import copy
import inspect
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec, yaml_utils
from flask import Flask
from werkzeug.routing import Rule

from stream_ocr.server.schemas import COMPONENTS, SOCKET_EVENTS

OPENAPI_VERSION = "3.1.0"
# Methods every Flask rule answers by itself.
IMPLIED = {"HEAD", "OPTIONS"}
# The answers many routes share, by status.
RESPONSES = {
    "BadInput": (400, "the request was not what the route takes (the error says why)"),
    "NotFound": (404, "no such thing, or not yours to see"),
    "TooLarge": (413, "over the route's byte limit, or an image over the pixel limit"),
    "WrongType": (415, "the wrong Content-Type"),
    "TooMany": (429, "too many requests from this address, or too many waiting videos; see Retry-After"),
    "Busy": (503, "the engine is busy or the history database cannot be used now; see Retry-After"),
}
CONVERTER_TYPES = {"IntegerConverter": {"type": "integer", "minimum": 0}, "FloatConverter": {"type": "number"}}


def _version() -> str:
    try:
        return version("stream-ocr")
    except PackageNotFoundError:
        return "0"


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    params = []
    for name in sorted(rule.arguments):
        converter = rule._converters[name]  # noqa: SLF001  (werkzeug keeps them here only)
        schema = CONVERTER_TYPES.get(type(converter).__name__, {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": dict(schema)})
    return params


def _openapi_path(rule: Rule) -> str:
    """``/api/videos/<job_id>`` as ``/api/videos/{job_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _operations(rule: Rule, view: Any) -> dict[str, dict[str, Any]]:
    """The rule's operations from its view's docstring; an error if one is not described."""
    doc = inspect.getdoc(view) or ""
    described = yaml_utils.load_operations_from_docstring(doc)
    prose = doc.split("---", 1)[0].strip()
    summary, _, description = prose.partition("\n")
    out = {}
    for method in sorted((rule.methods or set()) - IMPLIED):
        operation = copy.deepcopy(described.get(method.lower()))
        if not operation or "responses" not in operation:
            raise ValueError(f"{method} {rule.rule} ({rule.endpoint}) has no description: add a --- YAML block")
        operation.setdefault("summary", summary.strip())
        if description.strip():
            operation.setdefault("description", " ".join(description.split()))
        out[method.lower()] = operation
    return out


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every route ``app`` answers."""
    spec = APISpec(
        title="stream-ocr",
        version=_version(),
        openapi_version=OPENAPI_VERSION,
        info={
            "description": "Reads text from live video, recorded video and still images. "
            "Errors are JSON {error}; the live events go over Socket.IO (x-socketio-events).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
    )
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, copy.deepcopy(schema))
    for name, (status, description) in RESPONSES.items():
        spec.components.response(
            name,
            {
                "description": f"{status}: {description}",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
    spec.components.security_scheme("admin", {"type": "http", "scheme": "bearer", "description": "--admin-token"})
    # Operation ids in the order the routes were added, so that a route's first rule (``/api/``)
    # keeps the plain id and a second rule for the same view (``/api``) is numbered.
    seen: dict[str, int] = {}
    described = []
    for rule in app.url_map.iter_rules():
        operations = _operations(rule, app.view_functions[rule.endpoint])
        seen[rule.endpoint] = n = seen.get(rule.endpoint, 0) + 1
        for operation in operations.values():
            operation["operationId"] = rule.endpoint.replace(".", "_") + ("" if n == 1 else f"_{n}")
        described.append((_openapi_path(rule), operations, _path_parameters(rule)))
    for path, operations, parameters in sorted(described, key=lambda item: item[0]):
        spec.path(path=path, operations=operations, parameters=parameters)
    document = spec.to_dict()
    document["x-socketio-events"] = {
        name: {"direction": direction, "description": description, "payload": copy.deepcopy(schema)}
        for name, (direction, schema, description) in SOCKET_EVENTS.items()
    }
    return document


def describe_routes() -> dict[str, Any]:
    """The document of the server's routes without a server: an app that holds its
    blueprints and nothing else (what ``docs/reference/openapi.json`` is written from)."""
    from stream_ocr.server.api import api
    from stream_ocr.server.history_api import history_api
    from stream_ocr.server.pages import pages

    app = Flask(__name__, static_folder=None)
    for blueprint in (pages, api, history_api):
        app.register_blueprint(blueprint)
    return build_spec(app)
