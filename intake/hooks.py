"""The one entry point other apps call when a record a channel may care about changed.

`complaints` services call `record_changed(obj)` from `transaction.on_commit` after a
complaint's (or an evaluation's handling) status changes. It appends a feed entry and
queues the webhook deliveries; it never raises into the caller's request.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def record_changed(obj: Any) -> None:
    from .services import feed_record

    try:
        feed_record(obj=obj)
    except Exception:  # the caller's write is committed already; a lost notice must not become a 500
        logger.exception("intake: could not record the change of %r", obj)
