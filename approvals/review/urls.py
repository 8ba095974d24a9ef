"""Official screens: the window, department reviews, supervision, material files."""

from django.urls import path

from approvals.review import views

app_name = "review"
urlpatterns = [
    path("window/", views.window_queue, name="window"),
    path("window/<uuid:public_id>/", views.window_application, name="window_application"),
    path("reviews/", views.review_queue, name="reviews"),
    path("reviews/<int:review_id>/", views.review_detail, name="review"),
    path("reviews/<int:review_id>/take/", views.review_take, name="review_take"),
    path("overdue/", views.overdue, name="overdue"),
    path("audit/", views.audit_trail, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("applications/<uuid:public_id>/", views.application_detail, name="application"),
    path(
        "applications/<uuid:public_id>/materials/<slug:material_code>/file/",
        views.material_file,
        name="material_file",
    ),
    path("mandates/", views.mandate_list, name="mandates"),
    path("mandates/new/", views.mandate_new, name="mandate_new"),
    path("mandates/<uuid:public_id>/revoke/", views.mandate_revoke, name="mandate_revoke"),
    path("mandates/<uuid:public_id>/scan/", views.mandate_scan, name="mandate_scan"),
]
