import uuid
from typing import ClassVar

from django.db import models


class Row(models.Model):
    """One rating, as a plain project would keep it: the fields the bench posts, a public id, a time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    level = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager["Row"]] = (
        models.Manager()
    )  # explicit: the project's checker does not know this app

    def __str__(self) -> str:
        return str(self.public_id)
