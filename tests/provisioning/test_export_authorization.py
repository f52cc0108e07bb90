"""Exports of a gateway whose $connect has an authorizer: cfn-lint and `terraform validate`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.provisioning import (
    export_cloudformation,
    export_terraform,
)

from .conftest import SECRET
from .test_export import LAMBDA_ARN, cfn_lint, resources_of

pytestmark = pytest.mark.django_db

AUTHORIZER_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:ws-authorizer"
TERRAFORM = shutil.which("terraform") or "/usr/local/bin/terraform"
# The machine's copy of the AWS provider: `terraform init` needs no network.
PROVIDER_MIRROR = Path("/opt/tf-plugins")
CLI_CONFIG = f"""
provider_installation {{
  filesystem_mirror {{
    path    = "{PROVIDER_MIRROR}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
}}
"""


@pytest.fixture
def authorized(record: ApiGateway) -> ApiGateway:
    record.connect_authorization = "request"
    record.authorizer_function_arn = AUTHORIZER_ARN
    record.authorizer_identity_sources = ["route.request.header.Authorization"]
    record.authorizer_context_keys = ["user_id"]
    record.save()
    return record


def terraform_validate(directory: Path) -> subprocess.CompletedProcess[str]:
    if not Path(TERRAFORM).exists() or not PROVIDER_MIRROR.is_dir():
        pytest.skip("terraform and its provider mirror (/opt/tf-plugins) are not installed")
    config = directory / "terraform.rc"
    config.write_text(CLI_CONFIG)
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    init = subprocess.run(
        [TERRAFORM, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    return subprocess.run(
        [TERRAFORM, "validate", "-no-color"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_cloudformation_with_an_authorizer_passes_cfn_lint(
    authorized: ApiGateway, tmp_path: Path
) -> None:
    output = tmp_path / "gateway.json"
    output.write_text(export_cloudformation(authorized))

    result = cfn_lint(output)

    assert result.returncode == 0, result.stdout + result.stderr
    resources = json.loads(output.read_text())["Resources"]
    authorizer = resources["ConnectAuthorizer"]["Properties"]
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.header.Authorization"]
    assert authorizer["AuthorizerUri"].endswith(f"functions/{AUTHORIZER_ARN}/invocations")
    assert resources["AuthorizerPermission"]["Properties"]["FunctionName"] == AUTHORIZER_ARN
    connect = resources["ConnectRoute"]["Properties"]
    assert connect["AuthorizationType"] == "CUSTOM"
    assert connect["AuthorizerId"] == {"Ref": "ConnectAuthorizer"}
    assert "AuthorizationType" not in resources["DefaultRoute"]["Properties"]
    parameters = resources["ConnectIntegration"]["Properties"]["RequestParameters"]
    assert parameters["integration.request.header.X-Ws-Authorizer-User-Id"] == (
        "context.authorizer.user_id"
    )


def test_cloudformation_with_iam_and_a_lambda_integration_passes_cfn_lint(
    record: ApiGateway, tmp_path: Path
) -> None:
    record.connect_authorization = "iam"
    record.integration_type = "lambda"
    record.lambda_function_arn = LAMBDA_ARN
    record.save()
    output = tmp_path / "gateway.json"
    output.write_text(export_cloudformation(record))

    result = cfn_lint(output)

    assert result.returncode == 0, result.stdout + result.stderr
    resources = json.loads(output.read_text())["Resources"]
    assert resources["ConnectRoute"]["Properties"]["AuthorizationType"] == "AWS_IAM"
    assert "ConnectAuthorizer" not in resources


def test_an_authorizer_changes_the_deployment(authorized: ApiGateway) -> None:
    def deployment(template: str) -> str:
        (name,) = [key for key in json.loads(template)["Resources"] if key.startswith("Deploy")]
        return name

    before = deployment(export_cloudformation(authorized))
    authorized.authorizer_identity_sources = ["route.request.querystring.access_token"]
    authorized.save()

    assert deployment(export_cloudformation(authorized)) != before


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_terraform_with_an_authorizer_passes_terraform_validate(
    authorized: ApiGateway, tmp_path: Path
) -> None:
    text = export_terraform(authorized)
    (tmp_path / "main.tf").write_text(text)

    result = terraform_validate(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    resources = resources_of(text)
    authorizer = resources["aws_apigatewayv2_authorizer.connect"]
    assert authorizer["authorizer_type"] == "REQUEST"
    assert authorizer["identity_sources"] == ["route.request.header.Authorization"]
    connect = resources["aws_apigatewayv2_route.connect"]
    assert connect["authorization_type"] == "CUSTOM"
    assert "aws_apigatewayv2_authorizer.connect.id" in connect["authorizer_id"]
    permission = resources["aws_lambda_permission.authorizer"]
    assert permission["function_name"] == AUTHORIZER_ARN
    assert permission["statement_id"].endswith("-authorizer")


def test_terraform_with_iam_passes_terraform_validate(record: ApiGateway, tmp_path: Path) -> None:
    record.connect_authorization = "iam"
    record.save()
    text = export_terraform(record)
    (tmp_path / "main.tf").write_text(text)

    result = terraform_validate(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert 'authorization_type = "AWS_IAM"' in text
