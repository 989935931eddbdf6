"""Joining a Ray cluster, or starting a local one, in the namespace every stream-ocr actor uses."""

from __future__ import annotations

import logging
import os
from typing import Any

from stream_ocr.errors import StreamOCRError

logger = logging.getLogger(__name__)

NAMESPACE = "stream-ocr"
LOCAL = "auto"

# Handles of the actors this process started. Ray ends an actor, named or not, once its
# owner holds no handle to it; these live as long as the process.
OWNED: list[Any] = []


def import_ray() -> Any:
    """Ray, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise StreamOCRError("--ray needs Ray: pip install 'stream-ocr[cluster]'") from None
    return ray


def connect(address: str, num_cpus: int | None = None) -> Any:
    """Join the cluster at ``address`` (host:port of its head), or start a local Ray on
    127.0.0.1 when ``address`` is ``auto``. Returns the ``ray`` module."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    # Ray's workers print to the driver's terminal; one line each is enough.
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    if address == LOCAL:
        ray.init(
            namespace=NAMESPACE,
            include_dashboard=False,
            num_cpus=num_cpus,
            _node_ip_address="127.0.0.1",
            log_to_driver=True,
        )
        address = ray.get_runtime_context().gcs_address
        logger.info("started a local Ray instance; other processes join it with --ray %s", address)
    else:
        _check_reachable(address)
        try:
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=True)
        except (ConnectionError, ValueError) as e:
            raise StreamOCRError(f"cannot join the Ray cluster at {address}: {e}") from e
        logger.info("joined the Ray cluster at %s", address)
    return ray


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Raise StreamOCRError unless something listens at ``address`` (host:port): Ray itself
    would retry for minutes, printing a warning every half-minute."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise StreamOCRError(f"--ray takes HOST:PORT of the cluster's head (or auto), got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        raise StreamOCRError(
            f"cannot join the Ray cluster at {address}: nothing answers there ({e}); is `ray start --head` running?"
        ) from None


def node_label() -> str:
    """The node this process runs on: its address and the start of Ray's node id."""
    import ray

    context = ray.get_runtime_context()
    return f"{ray.util.get_node_ip_address()}/{context.get_node_id()[:8]}"


def named_actors(prefix: str) -> list[str]:
    """Names of the live actors in our namespace that start with ``prefix``, sorted."""
    import ray

    names = ray.util.list_named_actors(all_namespaces=True)
    return sorted(a["name"] for a in names if a["namespace"] == NAMESPACE and a["name"].startswith(prefix))


def get_actor(name: str, wait_s: float = 30.0) -> Any:
    """The named actor ``name`` of our namespace. A just-created actor's name is registered
    a moment after ``.remote()`` returns, so a missing name is looked up again for ``wait_s``."""
    import time

    import ray

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return ray.get_actor(name, namespace=NAMESPACE)
        except ValueError:
            if time.monotonic() > deadline:
                raise StreamOCRError(f"no actor named {name!r} in the Ray cluster") from None
            time.sleep(0.2)
