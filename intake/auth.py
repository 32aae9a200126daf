"""Channel-key authentication and the per-key / per-IP throttles."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import router, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from complaints.models import Channel
from govservice.models import Centre
from govservice.process_copy import token_get, token_issue, tokens_replace
from govservice.redaction import carries_key
from govservice.throttling import SlidingWindowThrottle

from .models import KEY_PREFIX_LENGTH, ChannelKey, hash_key

# last_used_at is advisory: write it at most this often per key, not on every request.
LAST_USED_RESOLUTION_SECONDS = 300
_HEX = frozenset("0123456789abcdef")


def _parse_key(raw: str) -> str | None:
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != "gsk" or len(parts[1]) != KEY_PREFIX_LENGTH or not set(parts[1]) <= _HEX:
        return None
    return parts[1]


# --- the key cache --------------------------------------------------------------------------
# Every channel request needs its key, the key's channel and the channel's centres. They change
# rarely, so they are kept in the shared cache by key prefix (never the raw key) as plain field
# values, and each process keeps the copy it last used. A copy counts only while it carries the
# prefix's current *generation* token: every door that changes a key, its channel or the
# channel's centres replaces the token (`channel_key_cache_invalidate`, through signals in
# intake/apps.py and the services), and every request reads the token (one small Redis GET), so
# a revoked key is refused on the next request in every worker. Checking the token rather than
# deleting the entry closes the race where a request that read the database just before a
# revoke commits writes its stale copy just after: that copy carries the old token. No copy is
# used longer than KEY_CACHE_SECONDS after its database read: a backstop for writes no signal
# sees (raw SQL, queryset.update() outside the services).
KEY_CACHE_SECONDS = 60
_GENERATION_SECONDS = 24 * 3600
_PROCESS_COPIES_MAX = 1000  # keys this process remembers (a centre's channels hold a handful)


def _fields(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


# The field lists are part of the cache key: after a deploy that adds or drops a column, old
# entries are simply not found, never misread.
_KEY_FIELDS, _CHANNEL_FIELDS, _CENTRE_FIELDS = _fields(ChannelKey), _fields(Channel), _fields(Centre)
_SCHEMA = hashlib.sha256(repr((_KEY_FIELDS, _CHANNEL_FIELDS, _CENTRE_FIELDS)).encode()).hexdigest()[:12]


def _entry_key(prefix: str) -> str:
    return f"intake:channel-key:{_SCHEMA}:{prefix}"


def _generation_key(prefix: str) -> str:
    # Plain ASCII in Redis (not pickled): read on every request by the one process-wide client.
    return f"intake:channel-key-generation:{prefix}"


def _generation(prefix: str) -> str | None:
    """The prefix's current token: one GET on the process's Redis client, or the cache's get elsewhere."""
    return token_get(_generation_key(prefix))


def _generation_issue(prefix: str) -> None:
    token_issue(_generation_key(prefix))  # the entry is cached from the next request on


def _generations_replace(prefixes: list[str]) -> None:
    tokens_replace([_generation_key(p) for p in prefixes])


def _values(obj: Model, names: tuple[str, ...]) -> list[Any]:
    return [getattr(obj, name) for name in names]


def _snapshot(key: ChannelKey, generation: str) -> dict[str, Any]:
    return {
        "generation": generation,
        "read_at": time.time(),
        "key": _values(key, _KEY_FIELDS),
        "channel": _values(key.channel, _CHANNEL_FIELDS),
        "centres": [_values(c, _CENTRE_FIELDS) for c in key.channel.centres.all()],
    }


def _restore(snapshot: dict[str, Any]) -> ChannelKey:
    db = router.db_for_read(ChannelKey)
    key = ChannelKey.from_db(db, _KEY_FIELDS, snapshot["key"])
    channel = Channel.from_db(db, _CHANNEL_FIELDS, snapshot["channel"])
    centres = [Centre.from_db(db, _CENTRE_FIELDS, values) for values in snapshot["centres"]]
    # What prefetch_related("centres") leaves behind, so channel.centres.all() needs no query.
    # Kept (docs/private-api.md): Django's private prefetch caches, for the "channel intake POST"
    # figure of docs/benchmarks.md (a cache hit answers the key, its channel and centres in no query).
    queryset = channel.centres.all()
    queryset._result_cache = centres
    queryset._prefetch_done = True  # type: ignore[attr-defined]  # private prefetch state, absent from the stubs
    channel._prefetched_objects_cache = {"centres": queryset}  # type: ignore[attr-defined]  # as above
    key.channel = channel
    return key


# This process's copies: prefix -> snapshot (plain values; every request restores fresh objects).
_process_copies: dict[str, dict[str, Any]] = {}


def _usable(snapshot: dict[str, Any], generation: str) -> bool:
    return snapshot["generation"] == generation and time.time() - snapshot.get("read_at", 0) < KEY_CACHE_SECONDS


def _keep(prefix: str, snapshot: dict[str, Any]) -> None:
    if len(_process_copies) >= _PROCESS_COPIES_MAX:
        _process_copies.clear()
    _process_copies[prefix] = snapshot


def _load(prefix: str) -> ChannelKey | None:
    """The key with its channel and the channel's centres: this process's copy, the shared cache, or the database."""
    # The token is read BEFORE the database: a change committed in between replaces it, and
    # the entry written below then never matches.
    generation = _generation(prefix)
    if generation is not None:
        snapshot = _process_copies.get(prefix)
        if snapshot is not None and _usable(snapshot, generation):
            return _restore(snapshot)
        snapshot = cache.get(_entry_key(prefix))
        if snapshot is not None and _usable(snapshot, generation):
            _keep(prefix, snapshot)
            return _restore(snapshot)
    key = (
        ChannelKey.objects.select_related("channel").prefetch_related("channel__centres").filter(prefix=prefix).first()
    )
    if key is None:
        return None  # unknown prefixes leave nothing in the cache
    if generation is None:
        # First sight (or the token was evicted): issue a token, cache from the next request on.
        _generation_issue(prefix)
    else:
        snapshot = _snapshot(key, generation)
        cache.set(_entry_key(prefix), snapshot, KEY_CACHE_SECONDS)
        _keep(prefix, snapshot)
    return key


def channel_key_cache_invalidate(prefixes: Iterable[str]) -> None:
    """Forget cached keys now and again after the surrounding transaction commits."""
    prefixes = list(prefixes)
    if not prefixes:
        return

    def _bump() -> None:
        _generations_replace(prefixes)

    _bump()
    transaction.on_commit(_bump)


def _prefixes_of_channels(channel_ids: Iterable[int]) -> list[str]:
    return list(ChannelKey.objects.filter(channel_id__in=list(channel_ids)).values_list("prefix", flat=True))


def _centre_channel_ids(centre_id: int) -> list[int]:
    return list(Channel.centres.through.objects.filter(centre_id=centre_id).values_list("channel_id", flat=True))


def _prefixes_serving(centre_id: int) -> list[str]:
    return list(ChannelKey.objects.filter(channel__centres=centre_id).values_list("prefix", flat=True))


# The doors, connected in intake/apps.py. Signals rather than calls from the writers: the
# channel and centre screens live in apps that must work without this one.
def on_key_changed(sender: Any, instance: ChannelKey, **kwargs: Any) -> None:
    channel_key_cache_invalidate([instance.prefix])


def on_channel_changed(sender: Any, instance: Channel, created: bool = False, **kwargs: Any) -> None:
    if not created:  # a new channel has no keys yet
        channel_key_cache_invalidate(_prefixes_of_channels([instance.pk]))


def on_centre_changed(sender: Any, instance: Centre, created: bool = False, **kwargs: Any) -> None:
    if not created:  # a new centre is served by no channel yet
        channel_key_cache_invalidate(_prefixes_serving(instance.pk))


def on_channel_centres_changed(
    sender: Any, instance: Channel | Centre, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """channel.centres.add/remove/set/clear, from either side."""
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if not reverse:
        channel_ids = [instance.pk]
    elif pk_set is not None:
        channel_ids = list(pk_set)
    else:  # centre.channels.clear(): the channels it is about to leave
        channel_ids = _centre_channel_ids(instance.pk)
    channel_key_cache_invalidate(_prefixes_of_channels(channel_ids))


def channel_key_lookup(raw: str) -> ChannelKey:
    """The active key for `raw`, or AuthenticationFailed (rendered as 403: no WWW-Authenticate)."""
    prefix = _parse_key(raw)
    key = _load(prefix) if prefix is not None else None
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw)):
        raise exceptions.AuthenticationFailed(_("渠道密钥无效。"))
    if not key.is_active:
        raise exceptions.AuthenticationFailed(_("渠道密钥已吊销或渠道已停用。"))
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ChannelKey.objects.filter(pk=key.pk).update(last_used_at=now)
        channel_key_cache_invalidate([key.prefix])  # the next request reads the new time
    return key


class KeyInUrl(exceptions.APIException):
    """A channel key in the query string: refused whole, since URLs end up in logs, proxies and histories."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "key_in_url"
    default_detail = _(
        "渠道密钥不能放在网址中：请用请求头 Authorization: Key <密钥> 发送（Open311 提交也可用表单字段 api_key）。"
        "已放进网址的密钥可能已泄露，请联系中心管理员更换。"
    )


def refuse_key_in_url(request: Request) -> None:
    if request.query_params and carries_key(request.query_params.lists()):
        raise KeyInUrl()


class ChannelKeyAuthentication(BaseAuthentication):
    """`Authorization: Key <key>`; for an Open311 POST, also the `api_key` form field. Never the query string.

    request.user stays anonymous: a channel is not a person. request.auth is the ChannelKey.
    """

    keyword = "Key"

    def authenticate(self, request: Request) -> tuple[Any, ChannelKey] | None:
        refuse_key_in_url(request)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        raw = ""
        if header:
            scheme, _sep, value = header.partition(" ")
            if scheme != self.keyword:
                return None
            raw = value.strip()
            if not raw:
                raise exceptions.AuthenticationFailed(_("渠道密钥无效。"))
        else:
            raw = self.key_without_header(request)
        if not raw:
            return None
        return AnonymousUser(), channel_key_lookup(raw)

    def key_without_header(self, request: Request) -> str:
        """The key of a request with no Authorization header: none here; Open311 has other places."""
        return ""

    # No authenticate_header(): DRF then answers a missing or bad key with 403, as Open311 requires.


class HasChannelKey(BasePermission):
    """Permission: the request carries an active channel key."""

    message = _("需要有效的渠道密钥。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ChannelKey)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return True


def channel_of(request: Request) -> Channel:
    """The channel whose key authenticated `request`; behind HasChannelKey there always is one."""
    if not isinstance(request.auth, ChannelKey):
        raise exceptions.PermissionDenied(HasChannelKey.message)
    return request.auth.channel


class ChannelKeySchema(OpenApiAuthenticationExtension):
    target_class = "intake.auth.ChannelKeyAuthentication"
    name = "channelKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Key <channel key>` (Open311 POST: the `api_key` form field). Never in the URL: 400.",
        }


PER_MINUTE = 60


class ChannelThrottle(SlidingWindowThrottle):
    """Per channel key when the request carries one: the key's own limit, else rate `channel`.

    A caller without a key (Open311's public reads) is counted per address at rate `public`, in the same
    counter as PublicThrottle. A key therefore lifts a partner above the per-address limit: behind one NAT,
    thirty reads a minute was less than a conformance run needs.
    """

    scope = "channel"

    def rate_for(self, request: Request) -> tuple[int | None, int | None]:
        key = request.auth
        if isinstance(key, ChannelKey):
            if key.requests_per_minute:
                return key.requests_per_minute, PER_MINUTE
            return self.num_requests, self.duration
        rate = SimpleRateThrottle.THROTTLE_RATES.get(PublicThrottle.scope)
        return SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]  # self unused, as in SlidingWindowThrottle

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ChannelKey):
            return self.cache_format % {"scope": self.scope, "ident": f"key{request.auth.pk}"}
        return self.cache_format % {"scope": PublicThrottle.scope, "ident": self.get_ident(request)}


class PublicThrottle(SlidingWindowThrottle):
    """Per client IP, rate `public`."""

    scope = "public"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LookupThrottle(PublicThrottle):
    """Per client IP, rate `lookup` (status look-ups: tracking numbers must not be enumerable)."""

    scope = "lookup"
