"""HTTP routes of the history and the watchlist: search, crops, alerts, rules (README, History).

Database calls run off eventlet's loop (``blocking.run_blocking``). With ``--no-history``,
search and crops answer 404 with the reason; the watchlist works either way.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request

from stream_ocr.alerts.records import alert_crop, recent_alerts
from stream_ocr.alerts.rules import WatchRule
from stream_ocr.errors import BadInputError
from stream_ocr.live.sinks import VIDEO_PREFIX, is_public
from stream_ocr.server import security
from stream_ocr.server.blocking import run_blocking

history_api = Blueprint("history_api", __name__)

NO_HISTORY = (
    "the track history is off: serve keeps it unless started with --no-history (or --ray); --db picks the database"
)


def _server():
    return current_app.extensions["stream_ocr"]


def _blocking(fn, *args):
    return run_blocking(_server().config.async_mode, fn, *args)


def _writer():
    return _server().recorder.writer


def _time_arg(name: str) -> float | None:
    """An ISO 8601 time (UTC unless it says otherwise) from the query string, as epoch seconds."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"{name} must be an ISO 8601 time such as 2026-12-02T14:00:00Z, got {value!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _limit(default: int, most: int) -> int:
    try:
        limit = int(request.args.get("limit", str(default)))
    except ValueError:
        raise BadInputError("limit must be a whole number") from None
    if not 1 <= limit <= most:
        raise BadInputError(f"limit must be 1 to {most}")
    return limit


def _jpeg(data: bytes | None, what: str):
    if data is None:
        return jsonify({"error": f"no crop for this {what}"}), 404
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@history_api.app_errorhandler(sa.exc.DBAPIError)
def history_unavailable(e):
    """The database refused (away, full, read-only): 503 with the reason. The pool's
    connections are dropped, so the next request opens fresh ones once the cause is gone."""
    writer = _writer()
    if writer is not None:
        writer.drop_connections()
    reason = str(getattr(e, "orig", e)).splitlines()[0][:300]
    response = jsonify({"error": f"the history database cannot be used now: {reason}"})
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


# Track ids are SQL BIGINTs; a larger number in a URL names no track (and would overflow).
MAX_TRACK_ID = 2**63 - 1


def _is_admin() -> bool:
    """Whether the request carries ``--admin-token`` as its bearer token."""
    token = _server().config.watch.admin_token
    given = request.headers.get("Authorization", "")
    return token is not None and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _visible_to() -> tuple[str, ...] | None:
    """Which private streams this request may see (None: all, for the admin). A visitor
    names its own: ``job=ID`` (repeatable) for its video jobs, ``stream=cam-...`` for its
    camera; their ids are unguessable, so knowing one is the right to see it."""
    if _is_admin():
        return None
    private = [VIDEO_PREFIX + job for job in request.args.getlist("job")[:20] if job]
    stream = request.args.get("stream")
    if stream and not is_public(stream):
        private.append(stream)
    return tuple(private)


def _crop_signature(track_id: int, expires: int) -> str:
    """What a crop URL's key signs: the track, when the URL expires, and who may use it."""
    return f"track:{track_id}:{expires}:{request.remote_addr or ''}"


def _crop_url(track_id: int) -> str:
    """Signed for the asking visitor's address, and good for ``--crop-url-seconds``."""
    expires = int(time.time() + _server().config.crop_url_seconds)
    key = security.sign(_server().secret, _crop_signature(track_id, expires))
    return f"/api/tracks/{track_id}/crop.jpg?e={expires}&k={key}"


def _crop_url_valid(track_id: int) -> bool:
    try:
        expires = int(request.args.get("e", ""))
    except ValueError:
        return False
    given = request.args.get("k")
    return expires >= time.time() and security.signed(_server().secret, _crop_signature(track_id, expires), given)


@history_api.get("/api/search")
def search():
    """Search the history: stored tracks whose text matches ``q``, OCR errors forgiven.

    Configured streams' tracks, and the asking visitor's own: ``job=ID`` (repeatable) for
    its video jobs, ``stream=cam-...`` for its camera (``_visible_to``). Crop URLs are
    signed for the asking visitor and expire.
    ---
    get:
      parameters:
        - {name: q, in: query, required: false, schema: {type: string}, description: the text to find}
        - {name: stream, in: query, required: false, schema: {type: string}}
        - {name: job, in: query, required: false, schema: {type: array, items: {type: string}}, style: form, explode: true}
        - {name: since, in: query, required: false, schema: {type: string, format: date-time}}
        - {name: until, in: query, required: false, schema: {type: string, format: date-time}}
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 500, default: 50}}
      responses:
        '200':
          description: the matches, best first
          content:
            application/json:
              schema: {$ref: '#/components/schemas/SearchResults'}
        '400': {$ref: '#/components/responses/BadInput'}
        '404': {$ref: '#/components/responses/NotFound'}
        '503': {$ref: '#/components/responses/Busy'}
    """
    writer = _writer()
    if writer is None:
        return jsonify({"error": NO_HISTORY}), 404
    limit = _limit(50, 500)
    query, stream_id, since, until = (
        request.args.get("q", ""),
        request.args.get("stream"),
        _time_arg("since"),
        _time_arg("until"),
    )
    visible = _visible_to()
    hits = _blocking(
        lambda: writer.store.search(
            query, stream_id=stream_id, since=since, until=until, limit=limit, visible_to=visible
        )
    )
    # Crop URLs signed: crops cannot be walked by track id.
    return jsonify({"results": [h.to_dict(_crop_url(h.id) if h.has_crop else None) for h in hits]})


@history_api.get("/api/tracks/<int:track_id>/crop.jpg")
def track_crop(track_id: int):
    """A stored track's best read, as a small JPEG, through the signed URL a search gave.
    ---
    get:
      parameters:
        - {name: e, in: query, required: true, schema: {type: integer}, description: when the URL expires (epoch s)}
        - {name: k, in: query, required: true, schema: {type: string}, description: the URL's signature}
      responses:
        '200':
          description: the crop
          content:
            image/jpeg: {schema: {type: string, contentMediaType: image/jpeg}}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    writer = _writer()
    if writer is None:
        return jsonify({"error": NO_HISTORY}), 404
    if track_id > MAX_TRACK_ID:  # past any id the database can hold: no such track
        return jsonify({"error": "no such track"}), 404
    if not _is_admin() and not _crop_url_valid(track_id):
        # Only through a URL a search gave this visitor, before it expires (ids are
        # sequential, so they could be walked).
        return jsonify({"error": "no crop for this track, or its link has expired: search again"}), 404
    return _jpeg(_blocking(writer.store.crop, track_id), "track")


@history_api.get("/api/alerts")
def alerts():
    """The newest alerts: stored ones with a history, else those of this run.
    ---
    get:
      parameters:
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
      responses:
        '200':
          description: the alerts, newest first
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Alerts'}
        '400': {$ref: '#/components/responses/BadInput'}
        '503': {$ref: '#/components/responses/Busy'}
    """
    limit = _limit(100, 1000)
    writer = _writer()
    admin = _is_admin()
    if writer is None:
        recent = [a for a in _server().recorder.watcher.recent if admin or is_public(a["stream_id"])]
        return jsonify({"alerts": recent[:limit]})
    rows = _blocking(recent_alerts, writer.store.engine, limit, not admin)
    return jsonify({"alerts": [row.to_dict(crop_url=True) for row in rows]})


@history_api.get("/api/alerts/<alert_id>/crop.jpg")
def alert_crop_jpg(alert_id: str):
    """The crop an alert fired on, as a JPEG.
    ---
    get:
      responses:
        '200':
          description: the crop
          content:
            image/jpeg: {schema: {type: string, contentMediaType: image/jpeg}}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    writer = _writer()
    if writer is None:
        return jsonify({"error": NO_HISTORY}), 404
    return _jpeg(_blocking(alert_crop, writer.store.engine, alert_id[:32]), "alert")


@history_api.get("/api/watchlist")
def watchlist():
    """The watchlist's rules, with why one was disabled.
    ---
    get:
      responses:
        '200':
          description: the rules
          content:
            application/json:
              schema: {$ref: '#/components/schemas/WatchRules'}
    """
    return jsonify({"rules": _server().recorder.watcher.describe()})


def _may_change_the_watchlist():
    """None if this request may change the watchlist, else the refusal.

    With ``--admin-token``: the request must carry it as a bearer token. Without: only a
    client on this machine may (behind a reverse proxy every client looks local: give a token).
    """
    if _server().config.watch.admin_token is not None:
        if _is_admin():
            return None
        response = jsonify({"error": "changing the watchlist needs 'Authorization: Bearer TOKEN' (--admin-token)"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="stream-ocr watchlist"'
        return response
    try:
        local = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    if local:
        return None
    response = jsonify(
        {
            "error": "the watchlist can be changed from this machine only; start the server "
            "with --admin-token to change it from others"
        }
    )
    response.status_code = 403
    return response


@history_api.post("/api/watchlist")
def add_rule():
    """Add or replace a watchlist rule.

    From this machine, or anywhere with ``--admin-token`` as a bearer token.
    ---
    post:
      security: [{}, {admin: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/WatchRuleIn'}
      responses:
        '201':
          description: the rule as stored
          content:
            application/json:
              schema: {$ref: '#/components/schemas/WatchRule'}
        '400': {$ref: '#/components/responses/BadInput'}
        '401': {description: an admin token is set and was not given, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
        '403': {description: not from this machine and no admin token is set, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
    """
    refusal = _may_change_the_watchlist()
    if refusal is not None:
        return refusal
    data = request.get_json(silent=True)
    if data is None:
        raise BadInputError('send a JSON rule: {"name": "...", "pattern": "..."}')
    if isinstance(data, dict) and "source" in data:
        raise BadInputError("unknown rule fields: ['source']")
    rule = WatchRule.from_dict(data, "api")
    _blocking(_server().recorder.watcher.add, rule)
    return jsonify(rule.to_dict()), 201


@history_api.delete("/api/watchlist/<name>")
def remove_rule(name: str):
    """Remove a watchlist rule added through the API.
    ---
    delete:
      security: [{}, {admin: []}]
      responses:
        '204': {description: removed}
        '401': {description: an admin token is set and was not given, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
        '403': {description: not from this machine and no admin token is set, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
    """
    refusal = _may_change_the_watchlist()
    if refusal is not None:
        return refusal
    if not _blocking(_server().recorder.watcher.remove, name):
        return jsonify({"error": f"no rule named {name!r}"}), 404
    return "", 204
