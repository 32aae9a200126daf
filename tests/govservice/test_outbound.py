"""Outbound HTTP refuses internal addresses however they are reached (issue 14, "Outbound HTTP").

Every fake server here listens on 127.0.0.1; a fake resolver makes public-looking names answer with it.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govservice import outbound
from govservice.outbound import OutboundError

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """A fake DNS: names in the returned dict resolve to its addresses, at the socket level (so any HTTP
    client, old or new, sees them); everything else, address literals included, resolves as usual."""
    records: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in records:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port or 0)))
                for a in records[name]
            ]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return records


class Listener:
    """A bare TCP listener on 127.0.0.1 that counts connections (the "internal service")."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.first_bytes: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.settimeout(1)
            try:
                self.first_bytes.append(conn.recv(64))
            except OSError:
                self.first_bytes.append(b"")
            conn.close()  # no answer: a service that is not HTTP

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


class Recorder(BaseHTTPRequestHandler):
    """An HTTP server that answers `status` and, for a redirect, `location`; records the paths asked."""

    paths: list[str]
    status = 200
    location = ""

    def _answer(self) -> None:
        self.paths.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(self.status)
        if self.location:
            self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet tests
        return


def http_server(status: int = 200, location: str = "") -> tuple[ThreadingHTTPServer, list[str]]:
    paths: list[str] = []
    handler = type("Handler", (Recorder,), {"paths": paths, "status": status, "location": location})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, paths


# --- the holes, reproduced through the webhook's sender -------------------------------------------


def test_a_public_looking_name_that_resolves_to_loopback_is_never_connected_to(dns, listener):
    from intake.services import http_post

    dns["hooks.partner.example"] = ["127.0.0.1"]
    with pytest.raises(OutboundError) as refused:
        http_post(f"https://hooks.partner.example:{listener.port}/hook", b"{}", {})
    assert refused.value.reason == OutboundError.REFUSED
    assert "127.0.0.1" in refused.value.detail
    assert listener.connections == 0  # before the guard, the worker's TLS hello arrived here


def test_one_internal_address_among_public_ones_refuses_the_name(dns, listener):
    dns["hooks.partner.example"] = ["93.184.215.14", "127.0.0.1"]
    with pytest.raises(OutboundError) as refused:
        outbound.request("POST", f"https://hooks.partner.example:{listener.port}/hook")
    assert refused.value.reason == OutboundError.REFUSED
    assert listener.connections == 0


def test_the_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(monkeypatch, settings):
    """DNS rebinding: a name that answers a public address to the check and 127.0.0.1 afterwards."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    server, paths = http_server()
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    monkeypatch.setattr(outbound, "resolver", resolver)
    try:
        response = outbound.request(
            "POST", f"http://rebind.partner.example:{server.server_address[1]}/x", schemes=("http",)
        )
    finally:
        server.shutdown()
        server.server_close()
    assert response.status == 200
    assert calls == ["rebind.partner.example"]  # one resolution; the socket went to that answer
    assert paths == ["/x"]


def test_a_redirect_to_an_internal_address_is_not_followed(settings):
    from intake.services import http_post

    settings.DEBUG = True  # the webhook sender takes plain http only in development; these servers speak no TLS
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the first server only stands in for a partner
    internal, internal_paths = http_server()
    partner, partner_paths = http_server(302, f"http://127.0.0.1:{internal.server_address[1]}/admin")
    try:
        status = http_post(f"http://127.0.0.1:{partner.server_address[1]}/hook", b"{}", {})
    finally:
        for server in (internal, partner):
            server.shutdown()
            server.server_close()
    assert status == 302  # an answer, and not a 2xx one: the delivery will be tried again
    assert partner_paths == ["/hook"]
    assert internal_paths == []


def test_a_shared_address_is_refused_as_a_webhook_url(db):
    from govservice.exceptions import ValidationFailed
    from intake.services import _check_webhook_url

    with pytest.raises(ValidationFailed):
        _check_webhook_url("https://100.64.1.1/hook")


def test_a_subscription_to_a_name_of_an_internal_address_is_refused_at_the_door(dns):
    from govservice.exceptions import ValidationFailed
    from intake.services import _check_webhook_url

    dns["127.0.0.1.nip.io"] = ["127.0.0.1"]
    with pytest.raises(ValidationFailed) as refused:
        _check_webhook_url("https://127.0.0.1.nip.io:6379/")
    assert refused.value.field == "url"


def test_a_name_that_does_not_resolve_today_may_be_subscribed(dns, monkeypatch):
    def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(outbound, "resolver", nxdomain)
    assert outbound.check_url("https://not-yet.partner.example/hook").host == "not-yet.partner.example"
    with pytest.raises(OutboundError) as failed:  # but nothing is sent to it until it resolves, and checks
        outbound.request("POST", "https://not-yet.partner.example/hook")
    assert failed.value.reason == OutboundError.UNREACHABLE


@pytest.mark.parametrize(
    "url", ["ftp://x.example/", "https://user:pw@x.example/", "https:///nohost", "https://x.example:99999/"]
)
def test_malformed_urls_are_refused_before_any_lookup(url):
    with pytest.raises(OutboundError) as refused:
        outbound.parse_url(url)
    assert refused.value.reason == OutboundError.INVALID_URL


def test_a_silent_server_ends_in_the_read_time_out(settings, listener):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with pytest.raises(OutboundError) as failed:
        outbound.request(
            "POST", f"http://127.0.0.1:{listener.port}/x", schemes=("http",), connect_timeout=2, read_timeout=0.5
        )
    assert failed.value.reason == OutboundError.UNREACHABLE


# --- TLS keeps the name while the socket goes to the checked address --------------------------------


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_checks_the_certificate_against_the_name_and_sends_it_as_sni(tmp_path, dns, settings, monkeypatch):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    dns["hooks.partner.example"] = ["127.0.0.1"]
    cert, key = _certificate(tmp_path, "hooks.partner.example")
    server, paths = http_server()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    seen_sni: list[str | None] = []
    server_context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    client_context = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(outbound, "tls_context", lambda: client_context)
    port = server.server_address[1]
    try:
        response = outbound.request("POST", f"https://hooks.partner.example:{port}/hook", body=b"{}")
        with pytest.raises(OutboundError) as mismatch:  # the same server under another name: certificate refused
            dns["other.partner.example"] = ["127.0.0.1"]
            outbound.request("POST", f"https://other.partner.example:{port}/hook", body=b"{}")
    finally:
        server.shutdown()
        server.server_close()
    assert response.status == 200
    assert paths == ["/hook"]
    assert seen_sni[0] == "hooks.partner.example"
    assert mismatch.value.reason == OutboundError.UNREACHABLE


# --- which addresses ---------------------------------------------------------------------------------

FORBIDDEN_NETWORKS = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "0.0.0.0/8",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
    "::/128",
]


@given(st.sampled_from(FORBIDDEN_NETWORKS).flatmap(lambda n: st.ip_addresses(network=n)))
def test_every_internal_address_is_refused(address):
    assert outbound.refusal(address) is not None


@given(st.sampled_from(FORBIDDEN_NETWORKS[:9]).flatmap(lambda n: st.ip_addresses(network=n)))
def test_an_internal_ipv4_address_inside_ipv6_is_refused(address):
    for wrapped in (
        ipaddress.IPv6Address(f"::ffff:{address}"),  # IPv4-mapped
        ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80)),  # 6to4
        ipaddress.IPv6Address(f"64:ff9b::{address}"),  # NAT64
    ):
        assert outbound.refusal(wrapped) is not None, wrapped


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001::200e"])
def test_public_addresses_pass(address):
    assert outbound.refusal(ipaddress.ip_address(address)) is None


def test_the_deployment_can_allow_one_internal_network_and_no_more(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.5/32"]
    assert outbound.refusal(ipaddress.ip_address("10.20.0.5")) is None
    assert outbound.refusal(ipaddress.ip_address("10.20.0.6")) == "private"
    assert outbound.refusal(ipaddress.ip_address("127.0.0.1")) == "loopback"
