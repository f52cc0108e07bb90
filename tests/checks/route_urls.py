"""URL patterns for dagw.E009: WebSocketViews routed with and without ``route``."""

from __future__ import annotations

from django.urls import include, path, re_path

from django_aws_api_gateway_websockets.views import WebSocketView


class RightView(WebSocketView):
    ALLOWED_HANDLERS = ["default"]


class WrongNameView(WebSocketView):
    ALLOWED_HANDLERS = ["default"]


class NoCaptureView(WebSocketView):
    ALLOWED_HANDLERS = ["default"]


urlpatterns = [
    path("ok/<slug:route>", RightView.as_view()),
    # Captured by the including pattern: fine too.
    path("nested/<slug:route>/", include([path("", RightView.as_view())])),
    re_path(r"^regex/(?P<route>[-\w]+)$", RightView.as_view()),
    path("wrong/<slug:action>", WrongNameView.as_view()),
    path("none/", NoCaptureView.as_view()),
]
