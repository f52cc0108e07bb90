from typing import Any

import pytest
from botocore.exceptions import NoRegionError

from django_aws_api_gateway_websockets import aws
from django_aws_api_gateway_websockets.models import ApiGateway


@pytest.mark.parametrize(
    ("api_endpoint", "stage", "expected"),
    [
        ("ws://127.0.0.1:8001", "", "http://127.0.0.1:8001/production"),
        (
            "wss://abc.execute-api.eu-west-1.amazonaws.com",
            "dev",
            "https://abc.execute-api.eu-west-1.amazonaws.com/dev",
        ),
        ("https://local.test:9000/", "v1", "https://local.test:9000/v1"),
        ("http://[::1]:8001", "", "http://[::1]:8001/production"),
    ],
)
def test_endpoint_from_api_endpoint(api_endpoint: str, stage: str, expected: str) -> None:
    url = aws.management_endpoint_url(
        api_endpoint=api_endpoint, api_id="ignored", stage_name=stage, region="eu-west-1"
    )
    assert url == expected


def test_endpoint_from_api_id_and_region() -> None:
    url = aws.management_endpoint_url(
        api_endpoint="", api_id="abc123", stage_name="", region="us-east-2"
    )
    assert url == "https://abc123.execute-api.us-east-2.amazonaws.com/production"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_endpoint": "ftp://x", "api_id": "a", "region": "r"}, "not a ws://"),
        ({"api_endpoint": "ws://", "api_id": "a", "region": "r"}, "not a ws://"),
        ({"api_endpoint": "", "api_id": "", "region": "r"}, "neither api_endpoint nor api_id"),
        ({"api_endpoint": "", "api_id": "a", "region": None}, "AWS_GATEWAY_REGION_NAME"),
    ],
)
def test_endpoint_misconfiguration_is_explained(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(aws.ConfigurationError, match=message):
        aws.management_endpoint_url(stage_name="", **kwargs)


def test_record_uses_region_setting(settings: object, db: None) -> None:
    record = ApiGateway(api_name="x", api_id="zz9", stage_name="beta")
    assert record.management_endpoint_url == "https://zz9.execute-api.eu-west-1.amazonaws.com/beta"
    assert record.effective_stage_name == "beta"


def test_region_falls_back_to_aws_region_name(settings: object) -> None:
    from django.test import override_settings

    with override_settings(AWS_GATEWAY_REGION_NAME=None, AWS_REGION_NAME="ap-south-1"):
        record = ApiGateway(api_name="x", api_id="zz9")
        assert record.management_endpoint_url.endswith("ap-south-1.amazonaws.com/production")


def test_configured_endpoint_replaces_only_aws_hosted_endpoints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:5999")
    aws_client = aws.management_client("https://a.execute-api.eu-west-1.amazonaws.com/production")
    assert aws_client.meta.endpoint_url == "http://127.0.0.1:5999"
    local_client = aws.management_client("http://127.0.0.1:8001/production")
    assert local_client.meta.endpoint_url == "http://127.0.0.1:8001/production"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert not aws.has_configured_endpoint("apigatewaymanagementapi")


def test_clients_are_reused_per_endpoint() -> None:
    first = aws.management_client("http://127.0.0.1:8001/production")
    assert aws.management_client("http://127.0.0.1:8001/production") is first
    assert aws.management_client("http://127.0.0.1:8002/production") is not first


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"api_endpoint": "ws://127.0.0.1:8001"}, "ws://127.0.0.1:8001/production"),
        ({"api_endpoint": "wss://a.example/", "stage_name": "dev"}, "wss://a.example/dev"),
        (
            {"domain_name": "ws.example.com", "api_endpoint": "wss://a.example"},
            "wss://a.example/production",
        ),
        ({"domain_name": "ws.example.com", "custom_domain_created": True}, "wss://ws.example.com"),
        ({}, ""),
    ],
)
def test_client_url(fields: dict[str, object], expected: str) -> None:
    assert ApiGateway(api_name="x", **fields).client_url == expected


def test_local_endpoints_need_no_aws_credentials_or_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.test import override_settings

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with override_settings(
        AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_GATEWAY_REGION_NAME=None
    ):
        local = aws.management_client("http://127.0.0.1:8001/production")
        assert local.meta.region_name == aws.LOCAL_PLACEHOLDER_REGION
        credentials = local._request_signer._credentials
        assert credentials.access_key == "local"
        # An AWS endpoint still needs a real region: botocore says so itself.
        with pytest.raises(NoRegionError):
            aws.client("apigatewaymanagementapi", "https://x.execute-api.eu-west-1.amazonaws.com/p")


@pytest.mark.parametrize(
    ("url", "region", "aws_hosted"),
    [
        ("https://abc.execute-api.eu-west-3.amazonaws.com/prod", "eu-west-3", True),
        ("https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod", "cn-north-1", True),
        ("https://abc.execute-api.us-gov-west-1.amazonaws.com/prod", "us-gov-west-1", True),
        ("wss://ABC.Execute-Api.ap-south-1.AmazonAWS.com", "ap-south-1", True),
        # A region in the wrong partition's domain is no execute-api host.
        ("https://abc.execute-api.cn-north-1.amazonaws.com/prod", None, True),
        ("https://abc.execute-api.eu-west-1.amazonaws.com.cn/prod", None, True),
        ("https://apigateway.eu-west-1.amazonaws.com", None, True),
        ("https://ws.example.com/prod", None, False),
        ("https://amazonaws.com.cn.example.com/prod", None, False),
        ("http://127.0.0.1:8001/production", None, False),
        # Partitions beyond the three best known, from botocore's own data.
        ("https://abc.execute-api.eusc-de-east-1.amazonaws.eu/prod", "eusc-de-east-1", True),
        ("https://abc.execute-api.us-iso-east-1.c2s.ic.gov/prod", "us-iso-east-1", True),
        ("https://abc.execute-api.us-iso-east-1.amazonaws.com/prod", None, True),
    ],
)
def test_one_rule_says_which_hosts_are_aws_and_their_region(
    url: str, region: str | None, aws_hosted: bool
) -> None:
    assert aws.region_of_endpoint(url) == region
    assert aws.is_aws_hosted(url) is aws_hosted


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [
        ("eu-west-1", "aws", "amazonaws.com"),
        ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
        ("us-gov-east-1", "aws-us-gov", "amazonaws.com"),
        ("eusc-de-east-1", "aws-eusc", "amazonaws.eu"),
        ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
        ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
        # A region botocore does not list yet is placed by its partition's pattern.
        ("eu-central-9", "aws", "amazonaws.com"),
        ("cn-south-7", "aws-cn", "amazonaws.com.cn"),
    ],
)
def test_partitions(region: str, partition: str, suffix: str) -> None:
    from django_aws_api_gateway_websockets.provisioning import iam

    assert aws.partition_for(region) == iam.partition_for(region) == partition
    assert aws.dns_suffix(region) == suffix


def test_a_chinese_gateway_is_reached_under_amazonaws_com_cn() -> None:
    url = aws.management_endpoint_url(
        api_endpoint="", api_id="abc123", stage_name="", region="cn-north-1"
    )
    assert url == "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/production"
    assert aws.is_aws_hosted(url)


def test_boto_clients_sign_for_the_endpoints_region_not_the_configured_one() -> None:
    # tests.settings configures eu-west-1.
    elsewhere = aws.management_client("https://a.execute-api.ap-south-1.amazonaws.com/production")
    assert elsewhere.meta.region_name == "ap-south-1"
    china = aws.management_client("https://a.execute-api.cn-north-1.amazonaws.com.cn/production")
    assert china.meta.region_name == "cn-north-1"
    local = aws.management_client("http://127.0.0.1:8001/production")
    assert local.meta.region_name == "eu-west-1"


def test_signing_region(settings: Any) -> None:
    assert aws.signing_region("https://a.execute-api.sa-east-1.amazonaws.com/p") == "sa-east-1"
    assert aws.signing_region("http://127.0.0.1:8001/p") == "eu-west-1"
    settings.AWS_GATEWAY_REGION_NAME = settings.AWS_REGION_NAME = None
    assert aws.signing_region("http://127.0.0.1:8001/p") == aws.LOCAL_PLACEHOLDER_REGION
    assert aws.signing_region("https://custom.amazonaws.com/p") is None
