"""Rebuild the search index of every question (after changing the user dictionary)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ...indexing import question_reindex
from ...models import Question


class Command(BaseCommand):
    help = "Recompute the jieba words (and the token table outside PostgreSQL) of every question."

    def handle(self, *args, **options) -> None:
        queryset = Question.objects.prefetch_related("variants", "tags").order_by("id")
        for question in tqdm(queryset.iterator(chunk_size=500), total=queryset.count(), unit="q"):
            question_reindex(question)
        self.stdout.write(self.style.SUCCESS("reindexed"))
