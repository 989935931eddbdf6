"""What every response and every state-changing request goes through: headers and origin checks.

Owns the browser-facing defences only: a Content-Security-Policy that lets the page load
nothing but its own scripts and styles, ``nosniff`` so that no served file is ever taken
for another type, no framing, no referrer; and a refusal of POSTs whose ``Origin`` is
another site (a page elsewhere cannot make a visitor's browser upload to this server).
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, jsonify, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def same_origin(origin: str, host: str) -> bool:
    """Whether an ``Origin`` header names this server (``host`` as the request gives it)."""
    parsed = urlparse(origin)
    return bool(parsed.scheme in ("http", "https") and parsed.netloc and parsed.netloc.lower() == host.lower())


def install(app: Flask) -> None:
    @app.before_request
    def refuse_foreign_posts():
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            origin = request.headers.get("Origin")
            # No Origin: not a browser's cross-site request (curl, scripts) and allowed.
            if origin is not None and not same_origin(origin, request.host):
                response = jsonify({"error": f"cross-origin request from {origin} refused"})
                response.status_code = 403
                return response
        return None

    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
