"""What every response and every state-changing request goes through: headers and origin checks.

Owns the browser-facing defences only: a Content-Security-Policy that lets the page load
nothing but its own scripts and styles, ``nosniff`` so that no served file is ever taken
for another type, no framing, no referrer; and a refusal of POSTs whose ``Origin`` is
another site (a page elsewhere cannot make a visitor's browser upload to this server).

And a ``Host`` allowlist in front of every route, Socket.IO's included (DNS rebinding: a
page served from ``rebind.example`` that resolves to 127.0.0.1 sends ``Host:
rebind.example``, and its own origin matches that Host). Allowed: any IP address
literal (no DNS, so nothing to rebind), ``localhost``, and the names given with
``--allowed-hosts`` (``*`` turns the check off, for a reverse proxy that checks it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from collections.abc import Callable, Iterable
from typing import Any
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


def hostname_of(host: str) -> str:
    """``Host`` without its port, brackets or trailing dot, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether a request's ``Host`` may be served: an IP literal, localhost, or a listed name."""
    names = {name.lower().rstrip(".") for name in allowed}
    if "*" in names:
        return True
    name = hostname_of(host)
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    return name == "localhost" or name.endswith(".localhost") or name in names


class HostAllowlist:
    """WSGI middleware, outermost: a request whose ``Host`` is not allowed gets 400 and goes no further."""

    def __init__(self, app: Callable[..., Any], allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if host_allowed(host, self.allowed):
            return self.app(environ, start_response)
        body = json.dumps(
            {"error": f"host {hostname_of(host)!r} is not served here (serve --allowed-hosts adds a name)"}
        ).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *HEADERS.items()]
        start_response("400 Bad Request", headers)
        return [body]


def server_secret() -> bytes:
    """The key that signs crop URLs: ``$STREAM_OCR_SECRET_KEY`` (the same for every web
    process behind one address), else new for each run (old crop URLs then stop working)."""
    given = os.environ.get("STREAM_OCR_SECRET_KEY")
    return given.encode() if given else secrets.token_bytes(32)


def sign(secret: bytes, what: str) -> str:
    """A short, unguessable key for ``what`` (a crop's URL): 128 bits of HMAC-SHA256."""
    digest = hmac.new(secret, what.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signed(secret: bytes, what: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(sign(secret, what).encode(), given.encode())
