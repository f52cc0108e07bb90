"""Routed views for the deploy checks: one safe, one open, one not a WebSocketView."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import TemplateView

from django_aws_api_gateway_websockets.views import WebSocketView


class OpenChatView(WebSocketView):
    def chat(self, request: object, *args: object, **kwargs: object) -> None: ...


class ListedChatView(WebSocketView):
    ALLOWED_HANDLERS = ["default", "chat"]

    def chat(self, request: object, *args: object, **kwargs: object) -> None: ...


def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


nested = [path("ws/<slug:route>", OpenChatView.as_view())]

urlpatterns = [
    path("open/", include(nested)),
    # The same class routed twice is reported once.
    path("open-again/<slug:route>", OpenChatView.as_view()),
    path("listed/<slug:route>", ListedChatView.as_view()),
    path("page/", TemplateView.as_view(template_name="x.html")),
    path("plain/", plain_view),
]
