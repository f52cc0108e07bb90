"""AWS_IAM on $connect: the local gateway accepts only handshakes presigned with a known key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from websockets.exceptions import InvalidStatus

from django_aws_api_gateway_websockets.local_gateway.config import IamCredentials
from django_aws_api_gateway_websockets.local_gateway.sigv4 import (
    SignatureRefused,
    verify_presigned,
)

from .conftest import Backend, GatewayFactory, ws_connect

ACCESS_KEY = "AKIDSERVICE0001"
SECRET_KEY = "service-secret-key"
REGION = "eu-west-1"
IAM = IamCredentials({ACCESS_KEY: SECRET_KEY}, region=REGION)


def presign(
    url: str,
    *,
    secret: str = SECRET_KEY,
    region: str = REGION,
    expires: int = 60,
    token: str | None = None,
) -> str:
    """What a service does: botocore's SigV4 query signing of its connect URL."""
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(ACCESS_KEY, secret, token), "execute-api", region, expires).add_auth(
        request
    )
    return str(request.url)


def refused_status(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused, ws_connect(url):
        pass
    return refused.value.response.status_code


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(n, v) for n, v in parse_qsl(parts.query) if n != name] + [(name, value)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_presigned_connect_url_connects(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(iam=IAM)

    with ws_connect(presign(f"{gateway_thread.url}?channel=jobs")):
        (request,) = backend.wait_for("connect")

    assert ("channel", "jobs") in parse_qsl(request.query_string)


def test_temporary_credentials_sign_their_session_token(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(iam=IAM)

    with ws_connect(presign(gateway_thread.url, token="session-token")):
        backend.wait_for("connect")


@pytest.mark.parametrize(
    "why",
    ["wrong secret", "unsigned", "other region", "tampered query", "expired"],
)
def test_a_bad_signature_is_a_403_and_django_is_never_called(
    backend: Backend, start_gateway_thread: GatewayFactory, why: str
) -> None:
    gateway_thread = start_gateway_thread(iam=IAM)
    url = {
        "wrong secret": lambda: presign(gateway_thread.url, secret="guessed"),
        "unsigned": lambda: gateway_thread.url,
        "other region": lambda: presign(gateway_thread.url, region="us-east-1"),
        "tampered query": lambda: with_param(
            presign(f"{gateway_thread.url}?channel=jobs"), "channel", "admin"
        ),
        "expired": lambda: _signed_long_ago(gateway_thread.url),
    }[why]()

    assert refused_status(url) == 403
    assert backend.received("connect") == []


def _signed_long_ago(url: str) -> str:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with mock.patch("botocore.auth.get_current_datetime", return_value=an_hour_ago):
        return presign(url, expires=60)


def test_the_verification_names_the_key_that_signed() -> None:
    url = presign("http://127.0.0.1:8001/production?channel=jobs")
    parts = urlsplit(url)

    signer = verify_presigned(
        IAM, host=parts.netloc, path=parts.path, query_string=parts.query, headers={}
    )

    assert signer == ACCESS_KEY
    with pytest.raises(SignatureRefused, match="unknown access key"):
        verify_presigned(
            IamCredentials({"OTHER": "x"}, region=REGION),
            host=parts.netloc,
            path=parts.path,
            query_string=parts.query,
            headers={},
        )
    with pytest.raises(SignatureRefused, match="signature mismatch"):
        verify_presigned(
            IAM, host="evil.example", path=parts.path, query_string=parts.query, headers={}
        )
