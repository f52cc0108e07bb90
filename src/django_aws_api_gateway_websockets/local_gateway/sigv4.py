"""``AWS_IAM`` on ``$connect``: is the handshake's URL presigned (SigV4) with a known key?

The received request is signed again with botocore's own ``SigV4QueryAuth``
steps, at the time and with the headers the client's signature names, and the
two signatures are compared in constant time. Nothing here computes a
signature by hand.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from botocore.auth import SIGV4_TIMESTAMP, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .config import IamCredentials

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
SIGNATURE_PARAM = "X-Amz-Signature"
# The parameters SigV4QueryAuth adds; the rest of the query is the client's own.
AUTH_PARAMS = frozenset(
    {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        SIGNATURE_PARAM,
    }
)
# AWS's limit for a presigned URL's lifetime, and the clock skew it tolerates.
MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60
CLOCK_SKEW = timedelta(minutes=5)


class SignatureRefused(Exception):
    """Why a handshake is not signed as it must be (for the log, never for the client)."""


def verify_presigned(
    iam: IamCredentials,
    *,
    host: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    now: datetime | None = None,
) -> str:
    """The access key id that signed the handshake; raises ``SignatureRefused``."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    auth = {name: value for name, value in pairs if name in AUTH_PARAMS}
    if SIGNATURE_PARAM not in auth:
        raise SignatureRefused("no SigV4 signature in the query")
    if auth.get("X-Amz-Algorithm") != ALGORITHM:
        raise SignatureRefused(f"algorithm {auth.get('X-Amz-Algorithm')!r}")
    access_key, date, region, service, terminator = _credential_scope(auth)
    secret = iam.keys.get(access_key)
    if secret is None:
        raise SignatureRefused(f"unknown access key {access_key[:24]!r}")
    if (region, service, terminator) != (iam.region, SERVICE, "aws4_request"):
        raise SignatureRefused(f"signed for {region}/{service}, not {iam.region}/{SERVICE}")
    signed_at = _check_time(auth, date, now or datetime.now(UTC))

    request = AWSRequest(
        method="GET",
        url=_url(host, path, [(n, v) for n, v in pairs if n not in AUTH_PARAMS]),
        headers=_signed_headers(auth, headers),
    )
    request.context["timestamp"] = signed_at
    signer = SigV4QueryAuth(
        Credentials(access_key, secret, auth.get("X-Amz-Security-Token")),
        SERVICE,
        region,
        expires=int(auth["X-Amz-Expires"]),
    )
    # add_auth() less its reading of the clock: the client's time is what it signed.
    signer._modify_request_before_signing(request)  # type: ignore[attr-defined]
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, auth[SIGNATURE_PARAM]):
        raise SignatureRefused(f"signature mismatch for access key {access_key!r}")
    return access_key


def _credential_scope(auth: Mapping[str, str]) -> tuple[str, str, str, str, str]:
    parts = auth.get("X-Amz-Credential", "").split("/")
    if len(parts) != 5:
        raise SignatureRefused("malformed X-Amz-Credential")
    return parts[0], parts[1], parts[2], parts[3], parts[4]


def _check_time(auth: Mapping[str, str], scope_date: str, now: datetime) -> str:
    stamp = auth.get("X-Amz-Date", "")
    try:
        signed_at = datetime.strptime(stamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        expires = int(auth.get("X-Amz-Expires", ""))
    except ValueError:
        raise SignatureRefused("malformed X-Amz-Date or X-Amz-Expires") from None
    if stamp[:8] != scope_date:
        raise SignatureRefused("X-Amz-Date is not the credential scope's date")
    if not 0 < expires <= MAX_EXPIRES_SECONDS:
        raise SignatureRefused(f"X-Amz-Expires {expires} out of range")
    if signed_at - CLOCK_SKEW > now:
        raise SignatureRefused("signed in the future")
    if signed_at + timedelta(seconds=expires) < now:
        raise SignatureRefused("presigned URL expired")
    return stamp


def _signed_headers(auth: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, str]:
    """The headers the client signed, as received (``host`` is taken from the URL)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    names = [name for name in auth.get("X-Amz-SignedHeaders", "").split(";") if name]
    if "host" not in names:
        raise SignatureRefused("the host is not signed")
    missing = [name for name in names if name != "host" and name not in lowered]
    if missing:
        raise SignatureRefused(f"signed headers missing: {missing}")
    return {name: lowered[name] for name in names if name != "host"}


def _url(host: str, path: str, operation_params: list[tuple[str, str]]) -> str:
    query = f"?{urlencode(operation_params)}" if operation_params else ""
    return f"http://{host}{path}{query}"
