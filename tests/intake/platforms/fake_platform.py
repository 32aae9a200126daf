"""A fake external platform for the outbox tests: a local HTTP server on 127.0.0.1 that checks every request's
HMAC signature exactly (as docs/platform-outbox.md says a receiver must), answers as the test tells it
(a status, a body, or no answer until the client times out), and keeps what it accepted, deduplicated by
message id, in arrival order."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from intake.platforms.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, platform_signature_verify


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | None = None
    hang: bool = False  # answer nothing until the client gave up (a time-out)


@dataclass
class FakePlatform:
    secret: str
    url: str = ""
    replies: list[Reply] = field(default_factory=list)  # consumed one per request; then `default`
    default: Reply = field(default_factory=Reply)
    acknowledge: bool = False  # answer with {"acknowledged": [...]} for every accepted message
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request that reached it
    bad_signatures: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)  # items, first delivery only
    duplicates: list[str] = field(default_factory=list)  # message ids received again
    release: threading.Event = field(default_factory=threading.Event)

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else self.default

    def items(self) -> list[dict[str, Any]]:
        return self.accepted

    def by_stream(self) -> dict[str, list[int]]:
        streams: dict[str, list[int]] = {}
        for item in self.accepted:
            streams.setdefault(item["stream"], []).append(item["sequence"])
        return streams


def serve(state: FakePlatform) -> Iterator[FakePlatform]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items()}
            state.requests.append({"headers": headers, "body": raw})
            if not platform_signature_verify(
                secret=state.secret, header=self.headers.get(SIGNATURE_HEADER, ""), body=raw, now=int(time.time())
            ):
                state.bad_signatures += 1
                self._answer(401, {"error": "bad signature"})
                return
            reply = state.next_reply()
            if reply.hang:
                state.release.wait(10)
                return
            if 200 <= reply.status < 300:
                data = json.loads(raw)
                items = data.get("messages") or data.get("items") or []
                acknowledged = []
                for item in items:
                    mid = item["message_id"]
                    if any(a["message_id"] == mid for a in state.accepted):
                        state.duplicates.append(mid)
                    else:
                        state.accepted.append(item)
                    acknowledged.append({"message_id": mid, "reference": f"ack-{mid[:8]}"})
                body = (
                    reply.body
                    if reply.body is not None
                    else ({"acknowledged": acknowledged} if state.acknowledge else {})
                )
                self._answer(reply.status, body)
                return
            self._answer(reply.status, reply.body or {"error": "unavailable"})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/push"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


__all__ = ["IDEMPOTENCY_HEADER", "FakePlatform", "Reply", "serve"]
