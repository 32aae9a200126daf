"""The reference view's CPU per request in process, as bench/profile_request.py --cpu measures the project's.

cd bench/reference && REFERENCE_DATABASE_URL=postgres://… ../../.venv/bin/python cpu.py [--requests 500]
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference.settings")

import django

django.setup()

from django.test import Client  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    client = Client(HTTP_HOST="127.0.0.1")
    n = 0

    def post() -> None:
        nonlocal n
        n += 1
        body = json.dumps({"level": 5, "text": "好", "external_id": f"ref-{time.time_ns()}-{n}"})
        response = client.post("/insert/", data=body, content_type="application/json")
        assert response.status_code == 201, response.content

    for _ in range(5):
        post()
    cpu, wall = [], []
    for _ in range(5):
        c, w = time.process_time(), time.perf_counter()
        for _ in range(args.requests // 5):
            post()
        cpu.append((time.process_time() - c) * 1000 / (args.requests // 5))
        wall.append((time.perf_counter() - w) * 1000 / (args.requests // 5))
    print(
        json.dumps(
            {
                "kind": "reference",
                "cpu_ms": round(statistics.median(cpu), 3),
                "wall_ms": round(statistics.median(wall), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
