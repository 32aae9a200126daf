"""Settings for the fault tests: the project's settings plus short time-outs, so that the reaper and
the broker's redelivery act within a test run. Read from the environment by faults/run.py only."""

from __future__ import annotations

import os

from govservice.settings import *  # noqa: F403

SMS_SENDING_TIMEOUT_SECONDS = int(os.environ.get("SMS_SENDING_TIMEOUT_SECONDS", "15"))
# The visibility scenario sends small batches, so that several send tasks are in flight while the
# broker hands them out again (one 8-second batch of six could finish before Redis redelivers it).
SMS_SEND_BATCH_SIZE = int(os.environ.get("SMS_SEND_BATCH_SIZE", "250"))
