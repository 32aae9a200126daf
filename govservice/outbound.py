"""Outbound HTTP: every request this project sends to an address that someone typed.

Webhook deliveries (a partner's URL), the SMS gateway, and whatever later calls out go through `request()`.
The hazards it closes (issue 14, "Outbound HTTP"):

- A host *name* that resolves to an internal address (`127.0.0.1.nip.io`): every address the name resolves
  to is checked, and one internal address refuses the whole request.
- Checking one resolution and connecting after another (DNS rebinding): the socket is opened to the checked
  address, by number; TLS still sends the name (SNI) and checks the certificate against it, and the Host
  header still carries it.
- Redirects: never followed (http.client does not follow them); a 3xx is an answer like any other.
- Addresses beyond private and loopback: shared (100.64.0.0/10), link-local, multicast, reserved,
  unspecified, IPv6 site-local, and IPv4 addresses inside IPv6 (IPv4-mapped, 6to4, NAT64).
- Error text that tells open, closed and filtered internal ports apart: `OutboundError.reason` is one of a
  few generic codes for whoever asked for the request; `OutboundError.detail` is for the administrator.

Environment proxies are not used: the address checked is the address connected to.
A deployment whose gateway lives on its own network names it in OUTBOUND_ALLOWED_NETWORKS.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext, gettext_noop

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
type Resolver = Callable[[str, int], list[str]]

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024  # a webhook's or a gateway's answer is a status and a little JSON
MAX_ADDRESSES_TRIED = 3  # a name with many addresses: try a few, so a dead partner costs a bounded time

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT; `is_private` says False
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are an IPv4 address


class OutboundError(Exception):
    """A request that did not get an HTTP answer.

    `reason` is for whoever asked for the request (a channel reading its delivery log): it never says more
    than "refused" or "unreachable", so a log cannot be used to map internal ports. `detail` is for the
    administrator (the admin screens and the application log).
    """

    INVALID_URL = "invalid_url"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"

    # Source texts (zh-hans) stored with a delivery and translated when shown (`public_message`).
    MESSAGES: ClassVar[dict[str, str]] = {
        INVALID_URL: gettext_noop("目标地址无效"),
        REFUSED: gettext_noop("目标地址不允许访问（内部网络）"),
        UNREACHABLE: gettext_noop("目标地址不可达"),
    }

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:500]

    @property
    def public_message(self) -> str:
        """The generic text in the source language (store it; show it through gettext)."""
        return self.MESSAGES[self.reason]


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]


# --- addresses ---------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _parse_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {exc}") from exc


def allowed_networks() -> tuple[IPNetwork, ...]:
    return _parse_networks(tuple(settings.OUTBOUND_ALLOWED_NETWORKS))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why `address` must not be connected to (a word for the administrator), or None when it may."""
    if any(address in network for network in allowed_networks()):
        return None  # the deployment said so explicitly (an on-premises gateway, a test server)
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner)
            if reason is not None:
                return f"{reason} (inside {address})"
        if address.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared", isinstance(address, ipaddress.IPv4Address) and address in _SHARED),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not global", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canonname, sockaddr in infos:
        seen[str(sockaddr[0]).split("%", 1)[0]] = None  # an IPv6 scope ("%eth0") is not part of the address
    return list(seen)


# Tests replace this with a fake resolver (a public-looking name that answers 127.0.0.1).
resolver: Resolver = system_resolver


def checked_addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses to connect to: all of them allowed, or OutboundError. One resolution, used once."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise OutboundError(OutboundError.UNREACHABLE, f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise OutboundError(OutboundError.UNREACHABLE, f"{host} has no address")
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            # One bad address refuses the name: trying only the good ones would leave the choice to chance.
            raise OutboundError(OutboundError.REFUSED, f"{host} resolves to {address} ({reason})")
    return addresses


# --- URLs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # ASCII (IDNA) host name or address literal, for SNI, the certificate and the Host header
    port: int
    path: str  # path and query, as sent in the request line


def parse_url(url: str, *, schemes: tuple[str, ...] = ("https",)) -> Target:
    """The parts of `url` a request needs, or OutboundError(INVALID_URL)."""
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundError(OutboundError.INVALID_URL, f"{exc}") from exc
    if parts.scheme not in schemes:
        raise OutboundError(OutboundError.INVALID_URL, f"scheme {parts.scheme!r} is not one of {schemes}")
    if not parts.hostname:
        raise OutboundError(OutboundError.INVALID_URL, "no host")
    if parts.username is not None or parts.password is not None:
        raise OutboundError(OutboundError.INVALID_URL, "credentials in the URL")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise OutboundError(OutboundError.INVALID_URL, f"host: {exc}") from exc
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def check_url(url: str, *, schemes: tuple[str, ...] = ("https",)) -> Target:
    """Refuse a URL at the door (a subscription being saved): its form, and its host's current addresses.

    A name that does not resolve today passes: every request resolves and checks again.
    """
    target = parse_url(url, schemes=schemes)
    try:
        checked_addresses(target.host, target.port)
    except OutboundError as exc:
        if exc.reason == OutboundError.REFUSED:
            raise
    return target


# --- connections -------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address` (already checked) while the request names `host`."""

    def __init__(self, host: str, port: int, *, address: IPAddress, connect_timeout: float, read_timeout: float):
        super().__init__(host, port, timeout=connect_timeout)
        self.pinned_address = address
        self.read_timeout = read_timeout

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((str(self.pinned_address), self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()
        self.sock.settimeout(self.read_timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def __init__(
        self,
        host: str,
        port: int,
        *,
        address: IPAddress,
        connect_timeout: float,
        read_timeout: float,
        context: ssl.SSLContext,
    ):
        super().__init__(host, port, address=address, connect_timeout=connect_timeout, read_timeout=read_timeout)
        self.tls_context = context

    def connect(self) -> None:
        sock = self._open_socket()
        # The handshake runs under the connect time-out; SNI and the certificate check use the name.
        tls = self.tls_context.wrap_socket(sock, server_hostname=self.host)
        tls.settimeout(self.read_timeout)
        self.sock = tls


def tls_context() -> ssl.SSLContext:
    """The system's trust store, certificate and host name checked (Python's defaults)."""
    return ssl.create_default_context()


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    schemes: tuple[str, ...] = ("https",),
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> OutboundResponse:
    """Send one request to `url` through the guard. Any HTTP status is an answer; no redirect is followed.

    Raises OutboundError when no answer came: bad URL, refused address, or no connection / TLS / answer.
    """
    target = parse_url(url, schemes=schemes)
    addresses = checked_addresses(target.host, target.port)
    failures: list[str] = []
    for address in addresses[:MAX_ADDRESSES_TRIED]:
        connection: _PinnedHTTPConnection
        if target.scheme == "https":
            connection = _PinnedHTTPSConnection(
                target.host,
                target.port,
                address=address,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                context=tls_context(),
            )
        else:
            connection = _PinnedHTTPConnection(
                target.host, target.port, address=address, connect_timeout=connect_timeout, read_timeout=read_timeout
            )
        try:
            try:
                connection.connect()
            except OSError as exc:  # refused, timed out, TLS failed: the next address may answer
                failures.append(f"{address}: {type(exc).__name__}: {exc}")
                continue
            try:
                connection.request(method, target.path, body=body, headers=dict(headers or {}))
                response = connection.getresponse()
                content = response.read(MAX_RESPONSE_BYTES)
            except (OSError, http.client.HTTPException) as exc:
                # The request may have reached the server: no second address, the caller decides on a retry.
                raise OutboundError(OutboundError.UNREACHABLE, f"{address}: {type(exc).__name__}: {exc}") from exc
            return OutboundResponse(status=response.status, body=content, headers=dict(response.getheaders()))
        finally:
            connection.close()
    raise OutboundError(OutboundError.UNREACHABLE, "; ".join(failures) or "no address tried")


def public_message(stored: str) -> str:
    """A stored generic reason, translated for the reader; any other stored text as it is."""
    return gettext(stored) if stored in OutboundError.MESSAGES.values() else stored
