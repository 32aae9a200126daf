from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from notifications.backends import locmem
from tests.factories.notifications import SmsTemplateFactory

# 10:00 on a Wednesday in Asia/Shanghai (02:00 UTC): inside the sending window.
DAYTIME = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
# 22:30 Asia/Shanghai.
NIGHT = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _sms_settings(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_DAILY_CAP_PER_NUMBER = 10
    settings.SMS_MAX_ATTEMPTS = 3
    settings.SMS_SENDING_TIMEOUT_SECONDS = 600
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def daytime() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(DAYTIME, tick=False) as traveller:
        yield traveller


@pytest.fixture
def template(db):
    return SmsTemplateFactory()


class Gateway:
    """A local SMS gateway: records the requests it got and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        self.reply: dict = {}
        self.url = ""


@pytest.fixture
def gateway(settings) -> Iterator[Gateway]:
    # The gateway listens on loopback, which outbound requests refuse unless the deployment allows it.
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(json.loads(self.rfile.read(length).decode()))
            state.headers.append(dict(self.headers))
            reply = state.reply or {"code": "OK", "message_id": f"gw-{len(state.requests)}"}
            body = json.dumps(reply).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
