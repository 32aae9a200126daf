"""A tiny round-robin HTTP proxy for the fault tests: what nginx does in front of several web nodes
(deploy/nginx.conf: `proxy_next_upstream error timeout`, `max_fails=1 fail_timeout=5s`), small enough to read.

    python -m faults.proxy --listen 18080 --backend 127.0.0.1:18081 --backend 127.0.0.1:18082 --stats FILE

- Requests go to the backends in turn; a backend that refused a connection is skipped for 5 seconds.
- A request whose connection to a backend could not be made is sent to the next backend: it never reached the
  first one, so sending it elsewhere is safe whatever the method.
- A request that reached a backend which then died before answering is NOT sent again (a POST may have been
  done): the client gets a 502 and decides (the intake API's Idempotency-Key makes its retry safe).
- On SIGTERM it writes its counters to --stats (JSON) and exits. Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
SKIP_FAILED_SECONDS = 5.0


class Backends:
    def __init__(self, addresses: list[tuple[str, int]]) -> None:
        self.addresses = addresses
        self._turn = itertools.cycle(range(len(addresses)))
        self._down_until = [0.0] * len(addresses)
        self.lock = threading.Lock()
        self.counters = dict.fromkeys(
            ("requests", "answered", "sent_to_next_backend", "bad_gateway_after_send", "no_backend"), 0
        )
        self.by_backend = {f"{h}:{p}": 0 for h, p in addresses}

    def order(self) -> list[int]:
        """Every backend once, starting with the next in turn; those marked down last."""
        with self.lock:
            first = next(self._turn)
        indexes = [(first + i) % len(self.addresses) for i in range(len(self.addresses))]
        now = time.monotonic()
        return sorted(indexes, key=lambda i: self._down_until[i] > now)

    def mark_down(self, index: int) -> None:
        with self.lock:
            self._down_until[index] = time.monotonic() + SKIP_FAILED_SECONDS

    def count(self, name: str, backend: str | None = None) -> None:
        with self.lock:
            self.counters[name] += 1
            if backend:
                self.by_backend[backend] += 1


def make_handler(backends: Backends) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

        def _forward(self) -> None:
            backends.count("requests")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["X-Forwarded-For"] = self.client_address[0]
            for attempt, index in enumerate(backends.order()):
                host, port = backends.addresses[index]
                conn = http.client.HTTPConnection(host, port, timeout=30)
                try:
                    conn.connect()
                except OSError:
                    backends.mark_down(index)
                    if attempt + 1 < len(backends.addresses):
                        backends.count("sent_to_next_backend")
                    continue
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException):
                    # It reached the backend: it may have acted on it. Not sent again.
                    backends.mark_down(index)
                    backends.count("bad_gateway_after_send")
                    self._answer(502, b"bad gateway: the node died while answering\n", [])
                    return
                finally:
                    conn.close()
                backends.count("answered", f"{host}:{port}")
                self._answer(response.status, payload, response.getheaders())
                return
            backends.count("no_backend")
            self._answer(502, b"bad gateway: no node answers\n", [])

        def _answer(self, status: int, payload: bytes, headers: list[tuple[str, str]]) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward  # noqa: N815

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="host:port, repeatable")
    parser.add_argument("--stats", type=Path, required=True)
    args = parser.parse_args()
    addresses = [(b.rsplit(":", 1)[0], int(b.rsplit(":", 1)[1])) for b in args.backend]
    if any(host not in ("127.0.0.1", "localhost") for host, _ in addresses):
        sys.exit("loopback backends only")
    backends = Backends(addresses)
    server = ThreadingHTTPServer(("127.0.0.1", args.listen), make_handler(backends))
    server.daemon_threads = True

    def stop(*_: object) -> None:
        with backends.lock:
            args.stats.write_text(json.dumps({**backends.counters, "by_backend": backends.by_backend}))
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
