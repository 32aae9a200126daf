"""`python -m faults.rows --ids-file F` (comma-separated ids): how many of these external ids have an evaluation row."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from complaints.models import Evaluation  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--ids-file", required=True)
ids = [x for x in Path(parser.parse_args().ids_file).read_text().split(",") if x]
found_ids = list(Evaluation.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
found = set(found_ids)
print(
    "RESULT "
    + json.dumps(
        {
            "found": len(found),
            "rows": len(found_ids),  # more than `found`: an external id with two rows
            "missing": len(set(ids) - found),
            "sample_missing": sorted(set(ids) - found)[:5],
        }
    )
)
