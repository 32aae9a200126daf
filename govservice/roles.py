"""The roles a member of staff may hold; who may do what is decided in govservice.access."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WINDOW_STAFF = "window_staff", _("窗口人员")
    HELPER = "helper", _("帮办员")
    MENTOR = "mentor", _("业务导师")
    LIAISON = "liaison", _("业务科室联络员")
    LEADER = "leader", _("中心领导")
    CITY_LEADER = "city_leader", _("市级领导")
    CENTRE_ADMIN = "centre_admin", _("中心管理员")
    CITY_ADMIN = "city_admin", _("市级管理员")


# Roles that see every centre of the deployment; everyone else sees their own centre.
CITY_WIDE_ROLES = frozenset({Role.CITY_LEADER, Role.CITY_ADMIN})
LEADER_ROLES = frozenset({Role.LEADER, Role.CITY_LEADER})
ADMIN_ROLES = frozenset({Role.CENTRE_ADMIN, Role.CITY_ADMIN})
