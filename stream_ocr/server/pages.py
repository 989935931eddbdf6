"""HTTP routes that are not the API's: the page, its static files, and the API's description.

``GET /openapi.json`` is built once per app from its own routes (``server/openapi.py``).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_from_directory

from stream_ocr.server.openapi import build_spec

pages = Blueprint("pages", __name__)
# The app's config key of the page's folder (``app.find_web_dir``).
WEB_DIR = "STREAM_OCR_WEB_DIR"


@pages.get("/")
def index():
    """The page: the live overlay, your camera, video uploads and the history.
    ---
    get:
      responses:
        '200': {description: the page, content: {text/html: {schema: {type: string}}}}
    """
    return send_from_directory(current_app.config[WEB_DIR], "index.html")


@pages.get("/static/<path:name>")
def static_files(name: str):
    """The page's scripts, styles and fonts.
    ---
    get:
      responses:
        '200': {description: the file}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    return send_from_directory(current_app.config[WEB_DIR], name)


@pages.get("/openapi.json")
def openapi_json():
    """This description of the HTTP API (OpenAPI 3.1), with the Socket.IO events.
    ---
    get:
      responses:
        '200': {description: the OpenAPI document, content: {application/json: {schema: {type: object}}}}
    """
    app = current_app._get_current_object()  # noqa: SLF001  (the app itself, to cache on)
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = build_spec(app)
    return jsonify(app.extensions["openapi"])
