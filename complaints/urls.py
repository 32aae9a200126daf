from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import case_rating_views, public_status, public_views, views
from .views.verdicts import complaint_verdict

app_name = "complaints"

urlpatterns: list[URLPattern | URLResolver] = [
    # Citizens (no login): the window's QR page and the personal SMS link.
    path("rate/<uuid:public_id>/", public_views.rate_window, name="rate-window"),
    path("rate/invite/<str:token>/", public_views.rate_invitation, name="rate-invitation"),
    path("rate/thanks/", public_views.rate_thanks, name="rate-thanks"),
    # Citizens (no login): a complaint's status, answer, "not solved" and rating (complaints/public_status.py).
    path("status/", public_status.status_lookup, name="status"),
    path("status/<uuid:public_id>/", public_status.status_detail, name="status-detail"),
    path("rate/case/<str:token>/", case_rating_views.case_rating, name="case-rating"),  # 一事一评 (SMS link)
    # Staff screens.
    path("", views.overview, name="overview"),
    path("complaints/", views.complaint_list, name="complaint-list"),
    path("complaints/classify/", views.classify_queue, name="classify-queue"),
    path("complaints/classify/confirm/", views.classify_confirm, name="classify-confirm"),
    path("complaints/classify/apply/", views.classify_apply, name="classify-apply"),
    path("complaints/<uuid:public_id>/", views.complaint_detail, name="complaint-detail"),
    path("complaints/<uuid:public_id>/reveal/<str:field>/", views.complaint_reveal, name="complaint-reveal"),
    path("complaints/<uuid:public_id>/verdict/", complaint_verdict, name="complaint-verdict"),
    path("complaints/<uuid:public_id>/work-order/<str:action>/", views.work_order_step, name="work-order-step"),
    path("complaints/<uuid:public_id>/<str:action>/", views.complaint_action, name="complaint-action"),
    path("evaluations/", views.evaluation_list, name="evaluation-list"),
    path("bad-reviews/", views.bad_review_list, name="bad-review-list"),
    path("bad-reviews/<int:pk>/", views.bad_review_detail, name="bad-review-detail"),
    path("bad-reviews/<int:pk>/reveal/<str:field>/", views.bad_review_reveal, name="bad-review-reveal"),
    path("bad-reviews/<int:pk>/<str:action>/", views.bad_review_action, name="bad-review-action"),
    path("escalations/", views.escalation_list, name="escalation-list"),
    path("escalations/new/", views.escalation_new, name="escalation-new"),
    path("escalations/rota/", views.duty_rota, name="duty-rota"),
    path("escalations/<uuid:public_id>/", views.escalation_detail, name="escalation-detail"),
    path("escalations/<uuid:public_id>/report/", views.escalation_report, name="escalation-report"),
    path("escalations/<uuid:public_id>/reveal/<str:field>/", views.escalation_reveal, name="escalation-reveal"),
    path("escalations/<uuid:public_id>/<str:action>/", views.escalation_action, name="escalation-action"),
    path("reports/", views.report, name="report"),
    path("windows/", views.window_qr_list, name="window-qr-list"),
    path("windows/<int:pk>/qr.svg", views.window_qr_svg, name="window-qr-svg"),
    path("windows/<int:pk>/qr/", views.window_qr_print, name="window-qr-print"),
]

from .api import api_urlpatterns  # noqa: E402,F401 - mounted under /api/v1/ by govservice.urls
