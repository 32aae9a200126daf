"""Admin: SMS templates (each save is a new version) and a read-only outbox.

The outbox never shows a phone number in clear: not in the list, not on the
change page, not in search (the column is encrypted and cannot be searched).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govservice import access
from govservice.admin_scoping import CentreScopedAdmin
from govservice.crypto import lookup_hashes
from govservice.exceptions import DomainError
from govservice.masking import scrub
from staff.http import admin_user

from . import selectors, services
from .backends import get_backend_class
from .errors import explain_sms_error
from .models import Notice, SmsEvent, SmsMessage, SmsOptOut, SmsTemplate
from .subjects import subject_of


class SmsTemplateForm(forms.ModelForm):
    class Meta:
        model = SmsTemplate
        fields = [
            "code",
            "name",
            "sign_name",
            "provider_template_id",
            "aliyun_template_code",
            "tencent_template_id",
            "param_names",
            "text",
            "allow_night",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns; its stub says it may be None
        if "param_names" in data and "text" in data:
            try:
                services.template_check(text=data["text"], param_names=data["param_names"])
            except DomainError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


class ProviderTemplateIdFilter(admin.SimpleListFilter):
    """Templates still waiting for the provider's id: a gateway backend cannot send them."""

    title = _("服务商模板编号")
    parameter_name = "provider_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("missing", _("未填写（当前启用版本）")), ("set", _("已填写"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SmsTemplate]) -> QuerySet[SmsTemplate]:
        field = get_backend_class().template_id_field
        if self.value() == "missing":
            return queryset.filter(pk__in=selectors.sms_templates_missing_provider_id(field).values("pk"))
        if self.value() == "set":
            return queryset.exclude(**{field: ""})
        return queryset


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    global_reason = "one provider account: its approved templates serve every centre"
    form = SmsTemplateForm
    list_display = [
        "code",
        "version",
        "name",
        "sign_name",
        "provider_id",
        "allow_night",
        "is_active",
        "created_at",
    ]
    list_filter = [ProviderTemplateIdFilter, "is_active", "allow_night"]
    search_fields = ["code", "name", "provider_template_id", "aliyun_template_code", "tencent_template_id"]
    readonly_fields = ["version", "created_at", "created_by"]
    fields = [
        "code",
        "version",
        "name",
        "sign_name",
        "provider_template_id",
        "aliyun_template_code",
        "tencent_template_id",
        "param_names",
        "text",
        "allow_night",
        "is_active",
        "created_at",
        "created_by",
    ]

    @admin.display(description=_("服务商模板编号"))
    def provider_id(self, obj: SmsTemplate) -> str:
        """The code of the provider SMS_BACKEND names (the gateway's, Aliyun's or Tencent Cloud's)."""
        return getattr(obj, get_backend_class().template_id_field, "") or gettext("⚠ 未填写")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Say which templates in use lack the provider's id, and whether the configured backend needs one."""
        backend_class = get_backend_class()
        missing = list(
            selectors.sms_templates_missing_provider_id(backend_class.template_id_field).values_list("code", flat=True)
        )
        if missing and request.method == "GET":
            codes = "、".join(missing)
            if backend_class.requires_provider_template_id:
                text = gettext(
                    "以下启用中的短信模板没有服务商模板编号，当前短信通道会拒绝发送，短信将标记为发送失败：%(codes)s。"
                    "请填写服务商审核通过的模板编号（筛选“服务商模板编号 → 未填写”）。"
                ) % {"codes": codes}
            else:
                text = gettext(
                    "以下启用中的短信模板没有服务商模板编号：%(codes)s。当前的文件/控制台后端不需要编号，"
                    "改用短信网关前请填写服务商审核通过的模板编号。"
                ) % {"codes": codes}
            self.message_user(request, text, messages.WARNING)
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj: SmsTemplate | None = None) -> list[str]:
        # The code names the template across versions: a new code is a new template.
        return [*self.readonly_fields, "code"] if obj else list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: SmsTemplate | None = None) -> bool:
        return False  # sent messages point at their version; switch a template off with a new inactive version

    def save_model(self, request: HttpRequest, obj: SmsTemplate, form: Any, change: bool) -> None:
        """Never overwrite a version: every save publishes the next one."""
        try:
            new = services.sms_template_publish(
                code=obj.code,
                name=obj.name,
                sign_name=obj.sign_name,
                provider_template_id=obj.provider_template_id,
                aliyun_template_code=obj.aliyun_template_code,
                tencent_template_id=obj.tencent_template_id,
                param_names=obj.param_names,
                text=obj.text,
                allow_night=obj.allow_night,
                is_active=obj.is_active,
                actor=admin_user(request),
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk, obj.version = new.pk, new.version
        self.message_user(
            request, gettext("已保存为 %(code)s 第 %(v)d 版。") % {"code": new.code, "v": new.version}, messages.INFO
        )


class SmsEventInline(admin.TabularInline):
    model = SmsEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "kind", "old_status", "new_status", "attempt", "actor", "note")
    fields = readonly_fields  # all shown, none editable (a tuple: the two attributes' types differ)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """The outbox: read-only rows, with two actions (send a failed one again, cancel a queued one)
    that go through the outbox services and are recorded in the message's history and the admin's log."""

    list_display = [
        "key",
        "phone_masked",
        "template_code",
        "status",
        "send_after",
        "sent_at",
        "attempts",
        "retries",
        "possible_duplicates",
        "error_explained",
    ]
    list_filter = ["status", "template_code", "centre"]
    search_fields = ["key", "provider_message_id"]
    date_hierarchy = "send_after"
    readonly_fields = (
        "key",
        "subject_link",
        "phone_masked",
        "text_masked",
        "centre",
        "template_code",
        "template_version",
        "status",
        "send_after",
        "attempts",
        "retries",
        "possible_duplicates",
        "claimed_at",
        "handed_over_at",
        "sent_at",
        "delivered_at",
        "provider_message_id",
        "last_error_masked",
        "error_explained",
    )
    fields = readonly_fields  # all shown, none editable (a tuple: the two attributes' types differ)
    inlines = [SmsEventInline]
    actions = ["requeue_failed", "cancel_queued"]

    @admin.display(description=_("手机号"))
    def phone_masked(self, obj: SmsMessage) -> str:
        return obj.masked_phone

    @admin.display(description=_("短信内容"))
    def text_masked(self, obj: SmsMessage) -> str:
        return selectors.sms_text_of(obj) or gettext("（模板不存在，无法显示内容）")

    @admin.display(description=_("事由"))
    def subject_link(self, obj: SmsMessage) -> str:
        subject = subject_of(obj.key)
        if subject is None:
            return "—"
        return format_html('<a href="{}">{}</a>', subject.url, subject.label)

    @admin.display(description=_("最近错误"))
    def last_error_masked(self, obj: SmsMessage) -> str:
        return scrub(obj.last_error) or "—"

    @admin.display(description=_("错误说明"))
    def error_explained(self, obj: SmsMessage) -> str:
        return explain_sms_error(obj.last_error) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SmsMessage | None = None) -> bool:
        return False  # status moves only through the outbox services (the two actions)

    def has_delete_permission(self, request: HttpRequest, obj: SmsMessage | None = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        """The actions' permission: the outbox's change permission (the administrators' groups)."""
        return request.user.has_perm("notifications.change_smsmessage")

    @admin.action(description=_("重新发送所选的发送失败短信"), permissions=["resend"])
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[SmsMessage]) -> None:
        self._act(request, queryset, services.sms_requeue, gettext("管理员重新发送。"))

    @admin.action(description=_("取消所选的待发送短信"), permissions=["resend"])
    def cancel_queued(self, request: HttpRequest, queryset: QuerySet[SmsMessage]) -> None:
        self._act(request, queryset, services.sms_cancel_one, gettext("管理员取消。"))

    def _act(self, request: HttpRequest, queryset: QuerySet[SmsMessage], service: Any, note: str) -> None:
        user = admin_user(request)
        done, refused = 0, []
        for message in queryset:  # already scoped to the administrator's centres
            if not access.can_manage_outbox(user, message.centre_id):
                refused.append(message.key)
                continue
            try:
                moved = service(message_id=message.pk, actor=user, note=note)
            except DomainError as exc:
                refused.append(f"{message.key}（{exc.message}）")
                continue
            self.log_change(request, moved, [{"changed": {"fields": ["status"]}}])
            done += 1
        if done:
            self.message_user(request, gettext("已处理 %(n)d 条短信。") % {"n": done}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                gettext("以下短信未处理：%(keys)s") % {"keys": "；".join(refused)},
                messages.WARNING,
            )


@admin.register(Notice)
class NoticeAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "recipient__centre"
    list_display = ["recipient", "shown", "created_at", "read_at"]
    list_filter = ["read_at"]
    search_fields = ["key", "recipient__username"]
    readonly_fields = ["recipient", "key", "text", "url", "created_at", "read_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        return False


class SmsOptOutForm(forms.ModelForm):
    """The number is typed once, checked and stored encrypted; the list shows it masked."""

    phone = forms.CharField(label=_("手机号"), max_length=20)

    class Meta:
        model = SmsOptOut
        fields = ["phone", "note"]

    def clean_phone(self) -> str:
        phone = services.normalize_phone(self.cleaned_data["phone"])
        if not services.outbox.MOBILE_RE.match(phone):
            raise forms.ValidationError(_("手机号格式不正确。"))
        return phone


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    """Numbers whose owners asked for no SMS (by phone, at a window): nothing more is queued to them."""

    global_reason = "a citizen's number is the same for every centre: an opt-out holds everywhere"
    form = SmsOptOutForm
    list_display = ["masked", "note", "created_at", "created_by"]
    readonly_fields = ["created_at", "created_by"]
    search_fields = ["note"]  # and the whole number, by its lookup hash (get_search_results)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[SmsOptOut], search_term: str
    ) -> tuple[QuerySet[SmsOptOut], bool]:
        """A whole number typed in the search box finds its entry (the column is encrypted: no partial match)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        hashes = lookup_hashes(services.normalize_phone(search_term)) if search_term.strip() else []
        if hashes:
            found = found | queryset.filter(phone_hash__in=hashes)
        return found, may_have_duplicates

    @admin.display(description=_("手机号"))
    def masked(self, obj: SmsOptOut) -> str:
        return str(obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None:  # an entry is not edited (the number is never shown in full): delete it to opt in
            kwargs["fields"] = ["note"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: SmsOptOut, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        services.sms_opt_out(phone=form.cleaned_data["phone"], actor=admin_user(request), note=obj.note)
        saved = SmsOptOut.objects.filter(phone_hash__in=lookup_hashes(form.cleaned_data["phone"])).first()
        if saved is not None:
            obj.pk = saved.pk
