"""Verification URLs: the public form, the page a QR code opens, the public key.

The PDF download sits here for now (it is not public: see the view).
"""

from django.urls import path

from approvals.verification import views

app_name = "verification"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("public-key.pem", views.public_key, name="public_key"),
    path("download/<str:number>/", views.permit_download, name="download"),
    # Last: a token is any run of URL-safe characters.
    path("<str:token>/", views.check, name="check"),
]
