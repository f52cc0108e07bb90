from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def token_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


urlpatterns = [path("ws/token/", token_view, name="ws-token")]
