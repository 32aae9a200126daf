from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from . import api, views, work_order_api
from .open311 import views as open311

app_name = "intake"

urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback-status/", views.feedback_status, name="feedback-status"),
    path("intake/imports/", views.import_list, name="imports"),
    path("intake/imports/<int:batch_id>/", views.import_detail, name="import-detail"),
    path("intake/imports/<int:batch_id>/import-valid/", views.import_valid_rows, name="import-valid"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback-status/", views.feedback_status, name="feedback-status"),
    path("intake/evaluations/", api.EvaluationCreateApi.as_view(), name="intake-evaluation-create"),
    path("intake/complaints/", api.ComplaintCreateApi.as_view(), name="intake-complaint-create"),
    path("intake/updates/", api.UpdateFeedApi.as_view(), name="intake-updates"),
    path("intake/webhooks/", api.WebhookListCreateApi.as_view(), name="intake-webhooks"),
    path("intake/webhooks/deliveries/", api.WebhookDeliveryListApi.as_view(), name="intake-webhook-deliveries"),
    path("intake/webhooks/<str:subscription_id>/", api.WebhookDeleteApi.as_view(), name="intake-webhook-delete"),
    path("intake/status/<str:tracking_no>/", api.StatusLookupApi.as_view(), name="intake-status"),
    path("intake/work-orders/", work_order_api.WorkOrderCreateApi.as_view(), name="intake-work-order-create"),
    path(
        "intake/work-orders/<str:order_no>/callbacks/",
        work_order_api.WorkOrderCallbackApi.as_view(),
        name="intake-work-order-callback",
    ),
]

# Any suffix reaches the view, which answers an unknown format with a 404 in the spec's error shape.
_FMT = r"\.(?P<fmt>[^/]+)$"
urlpatterns += [
    re_path(r"^open311/v2/discovery" + _FMT, open311.DiscoveryView.as_view(), name="open311-discovery"),
    re_path(r"^open311/v2/services" + _FMT, open311.ServiceListView.as_view(), name="open311-services"),
    re_path(
        r"^open311/v2/services/(?P<service_code>[^/]+?)" + _FMT,
        open311.ServiceDefinitionView.as_view(),
        name="open311-service",
    ),
    re_path(r"^open311/v2/requests" + _FMT, open311.RequestListView.as_view(), name="open311-requests"),
    re_path(r"^open311/v2/tokens/(?P<token>[^/]+?)" + _FMT, open311.TokenView.as_view(), name="open311-token"),
    re_path(
        r"^open311/v2/requests/(?P<service_request_id>[^/]+?)" + _FMT,
        open311.RequestDetailView.as_view(),
        name="open311-request",
    ),
]
