"""AWS for the provisioning tests: moto in server mode (see harness.py)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import boto3
import pytest

from django_aws_api_gateway_websockets import aws
from django_aws_api_gateway_websockets.models import ApiGateway

from .harness import MotoServer, StandIns

REGION = "eu-west-1"
# botocore's names: AWS_ENDPOINT_URL_ + the service id, upper-cased, spaces as "_".
SERVICES = ("APIGATEWAYV2", "ROUTE_53", "LAMBDA", "STS", "IAM")
SECRET = "s3cr3t-gateway-value"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def aws_endpoint(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIns]:
    """Point botocore's standard endpoint settings at moto; fresh AWS for every test."""
    moto_server.reset()
    for service in SERVICES:
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", moto_server.url)
    # The machine's own AWS configuration must not leak in.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws.clear_client_cache()
    yield moto_server.stand_ins
    aws.clear_client_cache()


@pytest.fixture
def apigw() -> Any:
    """A plain boto3 client to read AWS back (and to make changes "by hand")."""
    return boto3.client(
        "apigatewayv2",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def plain_client(service: str) -> Any:
    return boto3.client(
        service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def record(db: None) -> ApiGateway:
    return ApiGateway.objects.create(
        api_name="Chat",
        api_description="Chat for the shop",
        target_base_endpoint="https://app.example.com/ws/",
        stage_name="",
        tags={"team": "web"},
        integration_timeout_ms=10_000,
    )


@pytest.fixture
def lambda_arn() -> str:
    iam = plain_client("iam")
    role = iam.create_role(
        RoleName="chat-lambda",
        AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}',
    )["Role"]["Arn"]
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    created = plain_client("lambda").create_function(
        FunctionName="chat",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    return str(created["FunctionArn"])
