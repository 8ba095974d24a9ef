"""Official screens: the window, department reviews, supervision."""

from django.urls import path

from approvals.review import views

app_name = "review"
urlpatterns = [
    path("window/", views.window_queue, name="window"),
    path("reviews/", views.review_queue, name="reviews"),
    path("overdue/", views.overdue, name="overdue"),
]
