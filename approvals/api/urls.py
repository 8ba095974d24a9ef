"""/api/: the single window for machines. The schema is at /api/schema/,
Swagger UI at /api/docs/; `openapi.yaml` at the top of the repository is the
committed copy that `make test` keeps honest."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from approvals.api import views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("services/", views.ServiceList.as_view(), name="service-list"),
    path("services/<slug:code>/", views.ServiceDetail.as_view(), name="service-detail"),
    path(
        "enterprises/<str:uscc>/prefill/",
        views.PrefillPreview.as_view(),
        name="prefill-preview",
    ),
    path("applications/", views.ApplicationList.as_view(), name="application-list"),
    path(
        "applications/<uuid:public_id>/",
        views.ApplicationDetail.as_view(),
        name="application-detail",
    ),
    path(
        "applications/<uuid:public_id>/materials/<slug:material_code>/upload/",
        views.MaterialUpload.as_view(),
        name="material-upload",
    ),
    path(
        "applications/<uuid:public_id>/materials/<slug:material_code>/commitment/",
        views.MaterialCommitment.as_view(),
        name="material-commitment",
    ),
    path(
        "applications/<uuid:public_id>/materials/<slug:material_code>/deferral/",
        views.MaterialDeferral.as_view(),
        name="material-deferral",
    ),
    path(
        "applications/<uuid:public_id>/submit/",
        views.ApplicationSubmit.as_view(),
        name="application-submit",
    ),
    path(
        "applications/<uuid:public_id>/resubmit/",
        views.ApplicationResubmit.as_view(),
        name="application-resubmit",
    ),
    path(
        "applications/<uuid:public_id>/withdraw/",
        views.ApplicationWithdraw.as_view(),
        name="application-withdraw",
    ),
    path("window/", views.WindowQueue.as_view(), name="window-queue"),
    path("window/<uuid:public_id>/", views.WindowApplication.as_view(), name="window-application"),
    path("window/<uuid:public_id>/accept/", views.WindowAccept.as_view(), name="window-accept"),
    path("window/<uuid:public_id>/return/", views.WindowReturn.as_view(), name="window-return"),
    path("tasks/inbox/", views.TaskInbox.as_view(), name="task-inbox"),
    path("tasks/queue/", views.TaskQueue.as_view(), name="task-queue"),
    path("tasks/<int:review_id>/", views.TaskDetail.as_view(), name="task-detail"),
    path("tasks/<int:review_id>/assign/", views.TaskAssign.as_view(), name="task-assign"),
    path("tasks/<int:review_id>/complete/", views.TaskComplete.as_view(), name="task-complete"),
    path("permits/<str:number>/pdf/", views.PermitPdf.as_view(), name="permit-pdf"),
    path("verify/<str:token>/", views.PermitVerify.as_view(), name="permit-verify"),
    path("reports/approval-times/", views.ApprovalReport.as_view(), name="report"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view: Swagger UI's set-up is a script file, not inline (the CSP allows none).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    # Last: /api/ itself and anything else under it that ends in a slash (so that a
    # known address without one is still redirected to it): a 404 in the API's shape.
    re_path(r"^(?:[\s\S]*/)?$", views.NoSuchEndpoint.as_view(), name="not-found"),
]
