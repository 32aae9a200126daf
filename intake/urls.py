from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path
from django.views.generic import RedirectView

from . import api, views, work_order_api
from .open311 import views as open311
from .platforms import views as platforms
from .queue import api as queue_api
from .queue import views as queue_views

app_name = "intake"

# The older status page moved to the complaints' one (/feedback/status/: the timeline, the answer, "not
# solved", the rating); printed notices and old SMS links keep working, with their ?no=.
_STATUS_MOVED = RedirectView.as_view(pattern_name="complaints:status", permanent=True, query_string=True)

urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback-status/", _STATUS_MOVED, name="feedback-status"),
    path("intake/imports/", views.import_list, name="imports"),
    path("intake/imports/<int:batch_id>/", views.import_detail, name="import-detail"),
    path("intake/imports/<int:batch_id>/import-valid/", views.import_valid_rows, name="import-valid"),
    path("queue/live/", queue_views.queue_live_view, name="queue-live"),
    path("intake/platforms/", platforms.reconciliation, name="platforms"),
    path("intake/platforms/messages/<str:message_id>/retry/", platforms.retry, name="platform-retry"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback-status/", _STATUS_MOVED, name="feedback-status"),
    path("intake/evaluations/", api.EvaluationCreateApi.as_view(), name="intake-evaluation-create"),
    path("intake/complaints/", api.ComplaintCreateApi.as_view(), name="intake-complaint-create"),
    path("intake/updates/", api.UpdateFeedApi.as_view(), name="intake-updates"),
    path("intake/webhooks/", api.WebhookListCreateApi.as_view(), name="intake-webhooks"),
    path("intake/webhooks/deliveries/", api.WebhookDeliveryListApi.as_view(), name="intake-webhook-deliveries"),
    path("intake/webhooks/<str:subscription_id>/", api.WebhookDeleteApi.as_view(), name="intake-webhook-delete"),
    path("intake/status/<str:tracking_no>/", api.StatusLookupApi.as_view(), name="intake-status"),
    path("queue/events/", queue_api.QueueEventBatchApi.as_view(), name="queue-events"),
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
