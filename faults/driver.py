"""In-process helpers for the fault scripts (run with the faults environment):

    python -m faults.driver dispatch --tag T --messages N --timeout S [--reap-every S] [--no-claim]
    python -m faults.driver reap
    python -m faults.driver stuck --tag T

`dispatch` claims due messages back to back (as beat's dispatch task would, only faster) and runs the
reaper every few seconds, until every message of the tag is sent or the time is up. Bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from django.db import close_old_connections  # noqa: E402


def dispatch(*, tag: str, messages: int, timeout: float, reap_every: float, claim: bool) -> dict:
    from notifications.models import SmsMessage
    from notifications.services import sms_claim_due, sms_reap_stuck

    prefix = f"bench-{tag}-"
    started = time.monotonic()
    last_reap = started
    claims = reaped = errors = 0
    sent = 0
    while time.monotonic() - started < timeout:
        try:
            if claim:
                result = sms_claim_due(limit=200)
                claims += len(result.claimed)
            if time.monotonic() - last_reap >= reap_every:
                reaped += len(sms_reap_stuck())
                last_reap = time.monotonic()
            sent = SmsMessage.objects.filter(key__startswith=prefix, status__in=["sent", "delivered"]).count()
            if sent >= messages:
                break
        except Exception as exc:  # the database or broker is being broken on purpose: keep going
            errors += 1
            print(f"driver error: {type(exc).__name__}: {exc}", flush=True)
            close_old_connections()
        time.sleep(0.5)
    return {
        "claimed": claims,
        "reaped": reaped,
        "driver_errors": errors,
        "sent": sent,
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["dispatch", "reap", "stuck"])
    parser.add_argument("--tag", default="f")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--reap-every", type=float, default=5)
    parser.add_argument("--no-claim", action="store_true")
    args = parser.parse_args()
    if args.command == "dispatch":
        result = dispatch(
            tag=args.tag,
            messages=args.messages,
            timeout=args.timeout,
            reap_every=args.reap_every,
            claim=not args.no_claim,
        )
    elif args.command == "reap":
        from notifications.services import sms_reap_stuck

        result = {"reaped": len(sms_reap_stuck())}
    else:
        from notifications.models import SmsMessage

        result = {"sending": SmsMessage.objects.filter(key__startswith=f"bench-{args.tag}-", status="sending").count()}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
