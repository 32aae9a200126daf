"""The shape of a demo question."""

from __future__ import annotations

Q = tuple  # (dept, question, variants, answer, (doc, article, date), materials, tags, matter_kw, legal)
