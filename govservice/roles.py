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


# --- Roles as permission groups -------------------------------------------------------------
# Every role is a Django auth group of the same name, created and kept in step by
# `govservice.groups.role_groups_sync` (a data migration and every `migrate`), never by hand.
# A user's groups follow their roles (`staff.services.staff_groups_sync`). The model permissions
# below are the only ones a group holds: they open the Django admin's screens; which rows a screen
# shows (own centre, every centre) is decided in govservice.access and govservice.admin_scoping.

_ALL = ("add", "change", "delete", "view")


def _perms(actions: tuple[str, ...], *models: str) -> frozenset[str]:
    """ "app_label.model" names → "app_label.<action>_model" permission names."""
    return frozenset(f"{m.split('.')[0]}.{a}_{m.split('.')[1]}" for m in models for a in actions)


# The centre's reference data, kept by an administrator in the admin.
ADMIN_PERMISSIONS = (
    _perms(
        _ALL,
        "govservice.department",
        "govservice.workcalendaryear",
        "govservice.workcalendarday",
        "staff.window",
        "staff.staffrole",
        "staff.staffidentity",
        "cases.mattertype",
        "cases.material",
        "complaints.channel",
        "complaints.dutyslot",
        "complaints.dutyswap",
        "knowledge.tag",
        "knowledge.synonymgroup",
        "development.dimension",
        "development.indicator",
    )
    # Accounts are switched off, never deleted (their history points at them); templates and
    # schemes are versioned, never deleted.
    | _perms(("add", "change", "view"), "staff.user", "notifications.smstemplate", "development.scoringscheme")
    | _perms(("add", "change", "view"), "intake.channelkey")
    # Queue devices are revoked, never deleted (their events point at them).
    | _perms(("add", "change", "view"), "intake.queuedevice", "intake.queuesettings")
    | _perms(("change", "view"), "complaints.feedbackpolicy", "notifications.smsmessage")
    | _perms(("view",), "govservice.centre", "complaints.evaluationtag", "staff.ssologin")
)

# What each role's group may do in the admin. Roles without admin work hold none: their screens
# are the application's own, guarded by govservice.access.
GROUP_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.WINDOW_STAFF: frozenset(),
    Role.HELPER: frozenset(),
    Role.MENTOR: frozenset(),
    Role.LIAISON: frozenset(),
    Role.LEADER: frozenset(),
    Role.CITY_LEADER: frozenset(),
    Role.CENTRE_ADMIN: ADMIN_PERMISSIONS,
    Role.CITY_ADMIN: ADMIN_PERMISSIONS,
}


def group_name(role: str) -> str:
    """The auth group that stands for a role: its stable ASCII value (labels are translated)."""
    return f"role:{role}"
