"""The SMS gateway's and the outbox's error codes, said in words for the administrator.

`last_error` keeps what the gateway answered ("gateway refused: isv.MOBILE_NUMBER_ILLEGAL …",
"gateway HTTP 429", "undelivered: UNDELIV"); `explain_sms_error` tells what it means and what
to do about it. Codes are those of the common Chinese providers' APIs and of operator receipts.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Provider answer codes and operator receipt codes → what they mean.
CODES: dict[str, Promise] = {
    "isv.MOBILE_NUMBER_ILLEGAL": _("手机号格式不对或不是有效号码，请核对号码。"),
    "isv.BUSINESS_LIMIT_CONTROL": _("同一号码发送过于频繁，被服务商限流，稍后会再试或请改日重发。"),
    "isv.AMOUNT_NOT_ENOUGH": _("短信账户余额不足，请联系短信服务商充值后重发。"),
    "isv.TEMPLATE_MISSING_PARAMETERS": _("模板参数缺失，请核对短信模板的参数。"),
    "isv.SMS_TEMPLATE_ILLEGAL": _("服务商模板编号不存在或未审核通过，请核对短信模板的服务商编号。"),
    "isv.SMS_SIGNATURE_ILLEGAL": _("短信签名未审核通过或填写有误，请核对短信模板的签名。"),
    "isv.BLACK_KEY_CONTROL_LIMIT": _("内容含有被禁止的词语，被服务商拦截。"),
    "isv.OUT_OF_SERVICE": _("短信服务已停用（欠费或被停机），请联系短信服务商。"),
    "isv.DAY_LIMIT_CONTROL": _("该号码今日接收短信已达上限，请改日重发。"),
    # Tencent Cloud's codes for the same causes (notifications/backends/tencent.py)
    "InvalidParameterValue.IncorrectPhoneNumber": _("手机号格式不对或不是有效号码，请核对号码。"),
    "FailedOperation.TemplateIncorrectOrUnapproved": _(
        "服务商模板编号不存在或未审核通过，请核对短信模板的服务商编号。"
    ),
    "FailedOperation.TemplateUnapprovedOrNotExist": _("服务商模板编号不存在或未审核通过，请核对短信模板的服务商编号。"),
    "FailedOperation.SignatureIncorrectOrUnapproved": _("短信签名未审核通过或填写有误，请核对短信模板的签名。"),
    "FailedOperation.InsufficientBalanceInSmsPackage": _("短信账户余额不足，请联系短信服务商充值后重发。"),
    "FailedOperation.ContainSensitiveWord": _("内容含有被禁止的词语，被服务商拦截。"),
    "LimitExceeded.PhoneNumberDailyLimit": _("该号码今日接收短信已达上限，请改日重发。"),
    # either provider refusing this deployment's credentials
    "SignatureDoesNotMatch": _("短信服务商拒绝了本系统的密钥或签名，请检查短信服务商的 AccessKey / SecretKey 配置。"),
    "InvalidAccessKeyId": _("短信服务商拒绝了本系统的密钥或签名，请检查短信服务商的 AccessKey / SecretKey 配置。"),
    "AuthFailure": _("短信服务商拒绝了本系统的密钥或签名，请检查短信服务商的 AccessKey / SecretKey 配置。"),
    "DELIVRD": _("已送达。"),
    "UNDELIV": _("运营商未能送达（关机、停机或信号不好），可稍后重发或电话联系。"),
    "EXPIRED": _("超过有效期仍未送达（对方长时间关机），可电话联系。"),
    "REJECTD": _("被运营商拒收（可能是空号或拒收营销短信），请核对号码或电话联系。"),
    "BLACK": _("该号码在运营商黑名单中，无法发送短信，请电话联系。"),
    "MK:0001": _("空号：该号码不存在，请核对号码。"),
    "MK:0005": _("对方已停机，请电话联系或更新号码。"),
}

_HTTP = re.compile(r"gateway HTTP (\d{3})")


def explain_sms_error(error: str) -> str:
    """A sentence for the administrator; "" when there is no error."""
    if not error:
        return ""
    for code, text in CODES.items():
        if code in error:
            return str(text)
    if match := _HTTP.search(error):
        status = int(match.group(1))
        if status in (401, 403):
            return str(_("短信网关拒绝了本系统的凭据（令牌错误或过期），请检查 SMS_GATEWAY_TOKEN 配置。"))
        if status == 429:
            return str(_("短信网关限流，系统会稍后自动重试。"))
        if status >= 500:
            return str(_("短信网关出错，系统会稍后自动重试。"))
        return str(_("短信网关不接受这条请求（HTTP %(status)s），请检查模板与号码。") % {"status": status})
    if error.startswith(("aliyun unreachable", "tencent unreachable")):
        return str(_("连不上短信服务商（网络故障或对方停机），系统会稍后自动重试。"))
    if error.startswith("gateway unreachable"):
        return str(_("连不上短信网关（网络故障或网关停机），系统会稍后自动重试。"))
    if error.startswith("template ") and "missing" in error:
        return str(_("没有这个短信模板或模板已停用，请在短信模板中建立或启用后重发。"))
    if error.startswith("template ") and "needs" in error:
        return str(_("短信缺少模板要求的参数，请核对模板参数后重发。"))
    if error == "sending timed out":
        return str(_("发送超时，服务商没有回应，系统已收回；请确认对方是否已收到再决定是否重发。"))
    return str(_("未知错误，请把错误原文转给短信服务商查询。"))
