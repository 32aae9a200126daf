#!/usr/bin/env python
"""The plain reference project's manage.py (bench/reference/README.md)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
