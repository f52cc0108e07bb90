"""The test app's URLs plus a view that says where a Lambda event landed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from tests.testapp.views import ChatView
from tests.urls import urlpatterns as base_patterns


class WhereView(ChatView):
    def where(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"path": request.path, "host": request.get_host(), "secure": request.is_secure()}

    def binary(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return HttpResponse(b"\xff\x00\xfe", content_type="application/octet-stream")


urlpatterns: list[URLPattern | URLResolver] = [
    path("lambda-ws/<slug:route>", WhereView.as_view()),
    *base_patterns,
]
