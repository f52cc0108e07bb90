from django.urls import path

from .views import ChaosSocketView, RateLimitedSocketView

urlpatterns = [
    path("ws/<slug:route>", ChaosSocketView.as_view()),
    path("limited/<slug:route>", RateLimitedSocketView.as_view()),
]
