"""Development's models: the service-star scoring and the programmes (appraisals, training, mentors, role-swap).

They were staff's until the app was split out; each keeps its `staff_<name>` table.
"""

from __future__ import annotations

from .accountability import *  # noqa: F403
from .programmes import *  # noqa: F403
from .schemes import *  # noqa: F403
from .scoring import *  # noqa: F403
