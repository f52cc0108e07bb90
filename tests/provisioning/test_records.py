"""Record-level behaviour: validation, secret scrubbing, no AWS on save."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from django.core.exceptions import ValidationError
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.provisioning.errors import describe, scrub

from .conftest import SECRET
from .harness import StandIns

pytestmark = pytest.mark.django_db


def test_saving_a_record_never_calls_aws(record: ApiGateway, aws_endpoint: StandIns) -> None:
    record.api_name = "Renamed"
    record.save()
    assert aws_endpoint.requests == []


def test_lambda_records_need_an_arn(record: ApiGateway) -> None:
    record.integration_type = "lambda"
    with pytest.raises(ValidationError, match="needs the function's ARN"):
        record.full_clean()
    record.lambda_function_arn = "arn:aws:lambda:eu-west-1:1:function:f"
    record.full_clean()


def test_timeout_is_validated_against_api_gateway_limits(record: ApiGateway) -> None:
    record.integration_timeout_ms = 29_001
    with pytest.raises(ValidationError, match="integration_timeout_ms"):
        record.full_clean()


@override_settings(WEBSOCKETS={"gateway_secret": [SECRET, "older-secret"]})
def test_secrets_are_scrubbed_from_messages() -> None:
    assert scrub(f"bad {SECRET} and older-secret") == "bad ******** and ********"
    # A secret no longer configured, echoed back as a header value.
    assert scrub("X-Ws-Gateway-Secret': \"'ancient'\"") == "X-Ws-Gateway-Secret': \"'********'\""
    error = ClientError(
        {"Error": {"Code": "BadRequestException", "Message": f"bad value '{SECRET}'"}},
        "UpdateIntegration",
    )
    assert describe(error) == "UpdateIntegration: BadRequestException: bad value '********'"
    assert describe(ValueError()) == "ValueError"
