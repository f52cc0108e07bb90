"""awscrt's signatures equal botocore's SigV4Auth for the requests the transport makes."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import quote, urlsplit

import pytest
from botocore.credentials import ReadOnlyCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from django_aws_api_gateway_websockets import aws, signing

# One region or more of each partition the package signs for.
REGIONS = (
    "us-east-1",
    "eu-west-3",
    "ap-southeast-2",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-west-1",
    "us-gov-east-1",
)
SIGNED_AT = datetime(2026, 12, 6, 1, 2, 3, tzinfo=UTC)

connection_ids = st.text(
    alphabet=string.ascii_letters + string.digits + "=+/~-_", min_size=1, max_size=24
)
bodies = st.one_of(
    st.text(max_size=200).map(str.encode),  # any Unicode, as UTF-8
    st.binary(max_size=64),
)
credentials = st.builds(
    ReadOnlyCredentials,
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=20),
    st.text(alphabet=string.ascii_letters + string.digits + "/+=", min_size=40, max_size=40),
    st.one_of(
        st.none(), st.text(alphabet=string.ascii_letters + string.digits + "/+=", min_size=1)
    ),
)


def botocore_at(moment: datetime, *args: object) -> dict[str, str]:
    """botocore's headers with its clock fixed at ``moment``."""
    naive = moment.replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        return signing.botocore_headers(*args)  # type: ignore[arg-type]


@pytest.mark.skipif(signing.crt_auth is None, reason="awscrt is not installed")
@settings(max_examples=1_000, deadline=None)
@given(
    method=st.sampled_from(["POST", "GET", "DELETE"]),
    connection_id=connection_ids,
    body=bodies,
    region=st.sampled_from(REGIONS),
    stage=st.sampled_from(["production", "dev", "v1"]),
    frozen=credentials,
)
def test_awscrt_signs_as_botocore_does(
    method: str,
    connection_id: str,
    body: bytes,
    region: str,
    stage: str,
    frozen: ReadOnlyCredentials,
) -> None:
    body = body if method == "POST" else b""
    host = f"abc123.execute-api.{region}.{aws.dns_suffix(region)}"
    # As the transport builds it: every byte but unreserved ones percent-encoded.
    path = f"/{stage}/@connections/{quote(connection_id, safe='~')}"

    crt = signing.CrtSigner()(method, host, path, body, frozen, region, SIGNED_AT)

    assert crt == botocore_at(SIGNED_AT, method, host, path, body, frozen, region)


@pytest.mark.skipif(signing.crt_auth is None, reason="awscrt is not installed")
def test_requests_of_one_second_share_a_config_and_sign_as_botocore_does() -> None:
    frozen = ReadOnlyCredentials("AKIDEXAMPLE", "secret", "token")
    signer = signing.CrtSigner()
    host, region = "abc123.execute-api.eu-west-1.amazonaws.com", "eu-west-1"

    def sign_both(connection_id: str) -> tuple[dict[str, str], dict[str, str]]:
        path = f"/prod/@connections/{connection_id}"
        # A second boundary between the two signatures would change the date: retry then.
        while True:
            crt = signer("POST", host, path, b"{}", frozen, region)
            signed_at = datetime.strptime(crt["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            botocore = botocore_at(signed_at, "POST", host, path, b"{}", frozen, region)
            if crt["X-Amz-Date"] == botocore["X-Amz-Date"]:
                return crt, botocore

    first, second = sign_both("a"), sign_both("b")

    assert first[0] == first[1] and second[0] == second[1]
    assert first[0]["Authorization"] != second[0]["Authorization"]


@pytest.mark.skipif(signing.crt_auth is None, reason="awscrt is not installed")
def test_a_local_endpoint_with_a_port_is_signed_alike() -> None:
    frozen = ReadOnlyCredentials("local", "local", None)
    for url, host in (
        ("http://127.0.0.1:8001/production", "127.0.0.1:8001"),
        ("https://h:443/p", "h"),
        ("http://h:443/p", "h:443"),
        ("https://user@h:8443/p", "h:8443"),
    ):
        assert signing.host_of(urlsplit(url)) == host
        path = f"{urlsplit(url).path}/@connections/a"
        crt = signing.CrtSigner()("POST", host, path, b"{}", frozen, "us-east-1", SIGNED_AT)
        assert crt == botocore_at(SIGNED_AT, "POST", host, path, b"{}", frozen, "us-east-1")


def test_botocore_signs_where_awscrt_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "crt_auth", None)

    assert signing.default_signer() is signing.botocore_headers


@pytest.mark.skipif(signing.crt_auth is None, reason="awscrt is not installed")
def test_awscrt_is_the_default_signer() -> None:
    assert isinstance(signing.default_signer(), signing.CrtSigner)
