"""Investor portal URLs.

An application's page is `applications/<public_id>/`; each write on it has
its own POST endpoint below that, which redirects back to the page.
"""

from django.urls import path

from approvals.portal import views

app_name = "portal"
urlpatterns = [
    path("services/", views.service_list, name="services"),
    path("services/<slug:code>/", views.service_detail, name="service"),
    path("services/<slug:code>/apply/", views.apply, name="apply"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<uuid:public_id>/", views.application_detail, name="application"),
    path("applications/<uuid:public_id>/values/", views.values_update, name="values"),
    path("applications/<uuid:public_id>/prefill/", views.prefill_retry, name="prefill"),
    path(
        "applications/<uuid:public_id>/materials/<slug:material_code>/upload/",
        views.material_upload,
        name="material_upload",
    ),
    path(
        "applications/<uuid:public_id>/materials/<slug:material_code>/commit/",
        views.material_commit,
        name="material_commit",
    ),
    path(
        "applications/<uuid:public_id>/materials/<slug:material_code>/defer/",
        views.material_defer,
        name="material_defer",
    ),
    path("applications/<uuid:public_id>/check/", views.application_check, name="check"),
    path("applications/<uuid:public_id>/submit/", views.application_submit, name="submit"),
    path("applications/<uuid:public_id>/resubmit/", views.application_resubmit, name="resubmit"),
    path("applications/<uuid:public_id>/withdraw/", views.application_withdraw, name="withdraw"),
    path(
        "applications/<uuid:public_id>/refusal-notice/",
        views.refusal_notice,
        name="refusal_notice",
    ),
    path("portal/identity/", views.identity, name="identity"),
    path("portal/enterprises/", views.enterprises, name="enterprises"),
    path(
        "portal/enterprises/<str:uscc>/mandates/new/",
        views.mandate_grant,
        name="mandate_grant",
    ),
    path(
        "portal/mandates/<uuid:public_id>/revoke/",
        views.mandate_revoke,
        name="mandate_revoke",
    ),
    path("portal/mandates/", views.mandates_held, name="mandates"),
]
