"""The test app's views plus a plain Django view, the baseline of benchmarks/core.py."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"")


urlpatterns = [
    path("plain/", plain_view),
    path("", include("tests.testapp.urls")),
]
