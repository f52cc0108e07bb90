"""The boto3 clients provisioning uses, typed, plus the account and region.

No endpoint is passed: botocore's standard settings (``AWS_ENDPOINT_URL_<SERVICE>``,
config files) decide where calls go, so the same code talks to AWS, LocalStack
or moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import aws

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_route53 import Route53Client


def apigatewayv2() -> ApiGatewayV2Client:
    return aws.client("apigatewayv2")  # type: ignore[no-any-return]


def route53() -> Route53Client:
    return aws.client("route53")  # type: ignore[no-any-return]


def lambda_() -> LambdaClient:
    return aws.client("lambda")  # type: ignore[no-any-return]


def sts() -> Any:
    return aws.client("sts")


def region() -> str:
    return str(apigatewayv2().meta.region_name)


def account_id() -> str:
    return str(sts().get_caller_identity()["Account"])
