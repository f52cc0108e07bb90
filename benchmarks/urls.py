"""The test app's views plus plain Django views, the baselines of benchmarks/core.py and
benchmarks/telemetry.py."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from django_aws_api_gateway_websockets import inbound, wire
from django_aws_api_gateway_websockets.views.messages import load_session


@csrf_exempt
def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"")


@csrf_exempt
def two_statements_view(request: HttpRequest) -> HttpResponse:
    """A message's two statements (load the session, count it) and nothing else of the view."""
    session = load_session(request.headers[wire.CONNECTION_ID_HEADER])
    inbound.count_message(session.pk, per_second=10**9, burst=10**9)
    return HttpResponse(b"")


urlpatterns = [
    path("plain/", plain_view),
    path("two-statements/", two_statements_view),
    path("", include("tests.testapp.urls")),
]
