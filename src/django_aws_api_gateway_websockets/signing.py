"""SigV4 headers for one Management API request, by AWS's own signers.

awscrt (AWS's C library, the one botocore's CRT auth uses) signs a request in
about a quarter of the time of botocore's pure-Python ``SigV4Auth`` when it is
called directly on an ``awscrt.http.HttpRequest`` rather than through
botocore's request objects. It is a dependency of this package; where it cannot
be installed, ``SigV4Auth`` signs instead. Both give the same signature for the
same request and time (tests/messaging/test_signing.py).

Credentials are boto3's (``aws.credentials()``), frozen by the caller for each
request, so refreshable credentials keep refreshing themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from urllib.parse import SplitResult

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

try:
    from awscrt import auth as crt_auth
    from awscrt import http as crt_http
except ImportError:  # pragma: no cover - exercised where awscrt is not installed
    crt_auth = crt_http = None

SERVICE = "execute-api"

# (method, host, path, body, credentials, region) -> the headers to add.
Signer = Callable[[str, str, str, bytes, ReadOnlyCredentials, str], dict[str, str]]


def botocore_headers(
    method: str, host: str, path: str, body: bytes, credentials: ReadOnlyCredentials, region: str
) -> dict[str, str]:
    """The headers botocore's ``SigV4Auth`` adds (``X-Amz-Date``, the token, ``Authorization``)."""
    # The scheme is not signed; the host (with any port) and the path are.
    request = AWSRequest(method=method, url=f"https://{host}{path}", data=body)
    request.headers["Host"] = host
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return {name: value for name, value in request.headers.items() if name != "Host"}


class CrtSigner:
    """awscrt's SigV4, configured as botocore signs ``execute-api`` requests.

    The path is encoded twice for the canonical request and normalised, the
    payload hashed, and no ``X-Amz-Content-SHA256`` header added: what
    ``SigV4Auth`` does for every service but S3.
    """

    def __init__(self) -> None:
        # One provider per set of frozen credentials: making one per request
        # would cost more than the signature.
        self._providers: dict[ReadOnlyCredentials, Any] = {}
        # The signing config of the current second, per provider and region:
        # X-Amz-Date counts whole seconds, so every request of that second
        # signs with the same config (a new one costs a tenth of a signature).
        self._configs: dict[tuple[Any, str], tuple[int, Any]] = {}

    def __call__(
        self,
        method: str,
        host: str,
        path: str,
        body: bytes,
        credentials: ReadOnlyCredentials,
        region: str,
        now: datetime | None = None,
    ) -> dict[str, str]:
        assert crt_auth is not None and crt_http is not None
        request = crt_http.HttpRequest(
            method,
            path,
            headers=crt_http.HttpHeaders([("Host", host)]),
            body_stream=BytesIO(body) if body else None,
        )
        config = self._config(self._provider(credentials), region, now)
        crt_auth.aws_sign_request(request, config).result()
        return {name: value for name, value in request.headers if name != "Host"}

    def _config(self, provider: Any, region: str, now: datetime | None) -> Any:
        assert crt_auth is not None
        if now is not None:
            return _signing_config(provider, region, now)
        second = int(time.time())
        key = (provider, region)
        found = self._configs.get(key)
        if found is None or found[0] != second:
            if len(self._configs) > 8:  # rotated credentials: forget the old ones
                self._configs.clear()
            date = datetime.fromtimestamp(second, UTC)
            found = self._configs[key] = (second, _signing_config(provider, region, date))
        return found[1]

    def _provider(self, credentials: ReadOnlyCredentials) -> Any:
        assert crt_auth is not None
        provider = self._providers.get(credentials)
        if provider is None:
            if len(self._providers) > 8:  # rotated credentials: forget the old ones
                self._providers.clear()
            provider = self._providers[credentials] = crt_auth.AwsCredentialsProvider.new_static(
                credentials.access_key, credentials.secret_key, credentials.token
            )
        return provider


def _signing_config(provider: Any, region: str, date: datetime) -> Any:
    assert crt_auth is not None
    return crt_auth.AwsSigningConfig(
        algorithm=crt_auth.AwsSigningAlgorithm.V4,
        signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=provider,
        region=region,
        service=SERVICE,
        date=date,
        use_double_uri_encode=True,
        should_normalize_uri_path=True,
        signed_body_header_type=crt_auth.AwsSignedBodyHeaderType.NONE,
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(parts: SplitResult) -> str:
    """The ``Host`` botocore signs and HTTP clients send: no default port, no user info."""
    if parts.port is not None and parts.port == _DEFAULT_PORTS.get(parts.scheme):
        return parts.hostname or ""
    return parts.netloc.rpartition("@")[2]


def default_signer() -> Signer:
    """awscrt's signer when it is installed, else botocore's."""
    return CrtSigner() if crt_auth is not None else botocore_headers
