"""The web layer: Flask app, the still-image API, Socket.IO events and the page.

A thin adapter over the core (``live.hub.StreamHub``, engines, images): it maps requests
and events to core calls, and core errors to JSON 4xx/5xx. No OCR logic lives here.
"""

from stream_ocr.server.app import ServerApp, create_app

__all__ = ["ServerApp", "create_app"]
