from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import api, views

app_name = "cases"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.case_list, name="list"),
    path("", views.case_list, name="case-list"),  # the name the ledger dashboard links to
    path("new/", views.case_new, name="new"),
    path("progress/", views.progress_lookup, name="progress"),
    path("calls/", views.call_list, name="calls"),
    path("assistance/", views.assistance_overview, name="assistance"),
    path("<uuid:public_id>/", views.case_detail, name="detail"),
    path("<uuid:public_id>/transition/", views.case_transition, name="transition"),
    path("<uuid:public_id>/acceptance/", views.case_accept, name="accept"),
    path(
        "<uuid:public_id>/materials/<int:material_id>/received/", views.case_material_received, name="material-received"
    ),
    path("<uuid:public_id>/handover/", views.case_handover_offer, name="handover-offer"),
    path("<uuid:public_id>/handover/<int:handover_id>/", views.case_handover_respond, name="handover-respond"),
    path("<uuid:public_id>/extend/", views.case_extend, name="extend"),
    path("<uuid:public_id>/calls/<int:call_id>/", views.case_call_outcome, name="call-outcome"),
    path("<uuid:public_id>/assistance/", views.case_assign_helper, name="assign-helper"),
    path("<uuid:public_id>/assistance/log/", views.case_assist_log, name="assist-log"),
    path("<uuid:public_id>/assistance/rating/", views.case_assist_rate, name="assist-rate"),
    path("<uuid:public_id>/reveal/<str:field>/", views.case_reveal, name="reveal"),
    path("<uuid:public_id>/commitment/", views.case_commitment, name="commitment"),
    path("<uuid:public_id>/commitment/print/", views.case_commitment_print, name="commitment-print"),
    path("<uuid:public_id>/correction-list/", views.case_correction_list, name="correction-list"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/", api.CaseCollectionApi.as_view(), name="case-list"),
    path("cases/<uuid:public_id>/", api.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<uuid:public_id>/transitions/", api.CaseTransitionApi.as_view(), name="case-transitions"),
    path(
        "cases/<uuid:public_id>/materials/<int:material_id>/received/",
        api.CaseMaterialReceivedApi.as_view(),
        name="case-material-received",
    ),
    path("cases/<uuid:public_id>/handovers/", api.CaseHandoverOfferApi.as_view(), name="case-handovers"),
    path(
        "cases/<uuid:public_id>/handovers/<int:handover_id>/response/",
        api.CaseHandoverRespondApi.as_view(),
        name="case-handover-response",
    ),
]
