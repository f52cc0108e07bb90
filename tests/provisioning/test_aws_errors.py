"""AWS refusing a read (e.g. AccessDenied) is a failure, never mistaken for "missing"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.provisioning import ProvisioningError

from .harness import StandIns

pytestmark = pytest.mark.django_db

DENIED = "AccessDeniedException"


def _create(record: ApiGateway) -> None:
    record.create_gateway()


def _custom_domain(record: ApiGateway) -> None:
    record.create_custom_domain()


def _delete(record: ApiGateway) -> None:
    record.delete_gateway()


@pytest.mark.parametrize(
    ("method", "path", "action", "operation"),
    [
        ("GET", r"/v2/apis/[^/]+", _create, "GetApi"),
        ("GET", r"/v2/apis/[^/]+/stages/[^/]+", _create, "GetStage"),
        ("GET", r"/v2/domainnames/[^/]+", _custom_domain, "GetDomainName"),
        ("GET", r"/v2/domainnames/[^/]+", _delete, "GetDomainName"),
        ("GET", r"/2015-03-31/functions/[^/]+/policy", _create, "GetPolicy"),
        ("DELETE", r"/2015-03-31/functions/[^/]+/policy/[^/]+", _delete, "RemovePermission"),
    ],
)
def test_a_refused_read_fails_the_operation(
    record: ApiGateway,
    aws_endpoint: StandIns,
    lambda_arn: str,
    method: str,
    path: str,
    action: Callable[[ApiGateway], None],
    operation: str,
) -> None:
    record.domain_name = "ws.example.com"
    record.certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
    record.integration_type = "lambda"
    record.lambda_function_arn = lambda_arn
    record.save()
    record.create_gateway()
    record.create_custom_domain()
    aws_endpoint.fail_once(method, path, code=DENIED)

    with pytest.raises(ProvisioningError, match=f"{operation}: {DENIED}"):
        action(record)

    record.refresh_from_db()
    assert record.provisioning_status == "failed"
