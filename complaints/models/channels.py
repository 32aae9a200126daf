"""Where feedback comes from (channels) and each centre's feedback deadlines (the policy)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.models import Centre, TimeStampedModel


class Channel(TimeStampedModel):
    class Kind(models.TextChoices):
        WINDOW_DEVICE = "window_device", _("窗口评价器")
        QR_CODE = "qr_code", _("窗口二维码")
        PORTAL = "portal", _("网上办事大厅")
        HOTLINE = "hotline", _("12345热线")
        MOBILE_APP = "mobile_app", _("移动端/小程序")
        THIRD_PARTY = "third_party", _("第三方测评")
        CROSS_CHECK = "cross_check", _("内部交叉检查")
        SPOT_CHECK = "spot_check", _("明查暗访")
        LEADER_WINDOW = "leader_window", _("办不成事反映窗口")
        SMS_LINK = "sms_link", _("短信评价链接")

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    centres = models.ManyToManyField(Centre, verbose_name=_("服务中心"), related_name="channels")
    is_active = models.BooleanField(_("启用"), default=True)
    may_date_into_locked_months = models.BooleanField(
        _("可补报已锁定月份"),
        default=False,
        help_text=_("勾选后，该渠道报送的评价、投诉可以落在服务之星评分已锁定的月份（如第三方测评的月度汇总）。"),
    )

    class Meta:
        verbose_name = _("反馈渠道")
        verbose_name_plural = _("反馈渠道")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class FeedbackPolicy(TimeStampedModel):
    """Per-centre numbers of practice; a centre without a row uses the defaults below."""

    centre = models.OneToOneField(
        Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="feedback_policy"
    )
    contact_days = models.PositiveSmallIntegerField(_("差评联系时限(工作日)"), default=1)
    rectify_days = models.PositiveSmallIntegerField(_("差评整改时限(工作日)"), default=5)
    complex_rectify_days = models.PositiveSmallIntegerField(_("复杂差评整改时限(工作日)"), default=15)
    general_escalation_days = models.PositiveSmallIntegerField(_("办不成事一般事项时限(工作日)"), default=2)
    complex_escalation_days = models.PositiveSmallIntegerField(_("办不成事复杂事项时限(工作日)"), default=5)
    invite_period_days = models.PositiveSmallIntegerField(
        _("短信评价邀请间隔(天)"), default=30, help_text=_("同一手机号在此期间内最多收到一次评价邀请")
    )
    duplicate_window_days = models.PositiveSmallIntegerField(_("重复投诉判定天数"), default=7)
    # 12345 work orders (practice.md §3, 山东): sign for it in 1, handle and answer in 5, return a
    # mis-routed order within 2, extend by at most 10 working days.
    work_order_sign_days = models.PositiveSmallIntegerField(_("工单签收时限(工作日)"), default=1)
    work_order_handle_days = models.PositiveSmallIntegerField(_("工单办理时限(工作日)"), default=5)
    work_order_return_days = models.PositiveSmallIntegerField(_("工单退回时限(工作日)"), default=2)
    work_order_extension_max_days = models.PositiveSmallIntegerField(_("工单最长延期(工作日)"), default=10)

    class Meta:
        verbose_name = _("评价与投诉时限设置")
        verbose_name_plural = _("评价与投诉时限设置")

    def __str__(self) -> str:
        return str(self.centre)

    @classmethod
    def for_centre(cls, centre: Centre) -> FeedbackPolicy:
        policy = cls.objects.filter(centre=centre).first()
        return policy or cls(centre=centre)
