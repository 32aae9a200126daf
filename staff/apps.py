from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("中心与人员")

    def ready(self) -> None:
        # Roles are auth groups kept in step with govservice.roles after every `migrate`, never
        # edited by hand (the data migration 0006 did it once; this keeps it true).
        from django.db.models.signals import post_migrate

        from .services import role_groups_after_migrate

        post_migrate.connect(role_groups_after_migrate, sender=self, dispatch_uid="staff.role_groups")
