"""The public commitment board (承诺公示), mounted at /board/<centre>/commitments/ by govservice/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import board_views

app_name = "board"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", board_views.commitment_board, name="commitments"),
    path("feed/", board_views.CommitmentFeed(), name="commitments-feed"),
    path("commitments.json", board_views.commitment_board_json, name="commitments-json"),
]
