from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import api, views

app_name = "notifications"

urlpatterns: list[URLPattern | URLResolver] = [
    path("messages/", views.sms_list, name="sms-list"),
    path("messages/<int:id>/", views.sms_detail, name="sms-detail"),
    path("messages/<int:id>/requeue/", views.sms_requeue, name="sms-requeue"),
    path("notices/", views.notice_list, name="notice-list"),
    path("notices/<int:id>/open/", views.notice_open, name="notice-open"),
    path("notices/read-all/", views.notice_read_all, name="notice-read-all"),
]
api_urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/sms/", api.SmsListApi.as_view(), name="notifications-sms-list"),
    path("notifications/sms/receipts/", api.SmsReceiptsApi.as_view(), name="notifications-sms-receipts"),
    path(
        "notifications/sms/aliyun/reports/<str:token>/",
        api.AliyunSmsReportApi.as_view(),
        name="notifications-sms-aliyun-reports",
    ),
    path(
        "notifications/sms/tencent/status/<str:token>/",
        api.TencentSmsStatusApi.as_view(),
        name="notifications-sms-tencent-status",
    ),
    path("notifications/notices/", api.NoticeListApi.as_view(), name="notifications-notice-list"),
    path("notifications/notices/<int:id>/read/", api.NoticeReadApi.as_view(), name="notifications-notice-read"),
]
