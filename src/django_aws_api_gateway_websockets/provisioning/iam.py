"""The least-privilege IAM policy a gateway record needs, as a policy document.

``provisioning``: what create/sync/custom domain/delete call (the deploying
user or CI role). ``sending``: what the running Django app calls to reach its
clients. Resources are narrowed to this record's API, stage, domain, hosted zone
and Lambda function once they are known; before ``create_gateway`` the API id
is not, so the API statements fall back to ``/apis/*``.
"""

from __future__ import annotations

from typing import Any

from ..aws import partition_for
from ..conf import conf
from ..models.gateway import ApiGateway, ConnectAuthorization, IntegrationType
from . import clients
from .errors import ProvisioningError
from .record import expected_errors

SCOPES = ("all", "provisioning", "sending")
APIGATEWAY_ACTIONS = [
    "apigateway:GET",
    "apigateway:POST",
    "apigateway:PATCH",
    "apigateway:PUT",
    "apigateway:DELETE",
]


def _provisioning(gateway: ApiGateway, partition: str, region: str) -> list[dict[str, Any]]:
    base = f"arn:{partition}:apigateway:{region}::"
    api = gateway.api_id or "*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ProvisionWebSocketApi",
            "Effect": "Allow",
            "Action": APIGATEWAY_ACTIONS,
            "Resource": [
                f"{base}/apis",
                f"{base}/apis/{api}",
                f"{base}/apis/{api}/*",
                f"{base}/tags/*",
            ],
        }
    ]
    if gateway.domain_name:
        statements.append(
            {
                "Sid": "ProvisionCustomDomain",
                "Effect": "Allow",
                "Action": APIGATEWAY_ACTIONS,
                "Resource": [
                    f"{base}/domainnames",
                    f"{base}/domainnames/{gateway.domain_name}",
                    f"{base}/domainnames/{gateway.domain_name}/*",
                ],
            }
        )
    if gateway.domain_name and gateway.hosted_zone_id:
        statements.append(
            {
                "Sid": "ManageDnsAlias",
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                "Resource": f"arn:{partition}:route53:::hostedzone/{gateway.hosted_zone_id}",
            }
        )
    if gateway.integration_type == IntegrationType.LAMBDA and gateway.lambda_function_arn:
        statements.append(
            {
                "Sid": "LetApiGatewayInvokeLambda",
                "Effect": "Allow",
                "Action": ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
                "Resource": gateway.lambda_function_arn,
            }
        )
    if gateway.connect_authorization == ConnectAuthorization.REQUEST:
        statements.append(
            {
                "Sid": "LetApiGatewayInvokeAuthorizer",
                "Effect": "Allow",
                "Action": ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
                "Resource": gateway.authorizer_function_arn,
            }
        )
    return statements


def _sending(
    gateway: ApiGateway, partition: str, region: str, account_id: str
) -> list[dict[str, Any]]:
    prefix = (
        f"arn:{partition}:execute-api:{region}:{account_id}:{gateway.api_id or '*'}/"
        f"{gateway.effective_stage_name}"
    )
    return [
        {
            "Sid": "ManageConnections",
            "Effect": "Allow",
            "Action": "execute-api:ManageConnections",
            "Resource": [
                f"{prefix}/{method}/@connections/*" for method in ("POST", "GET", "DELETE")
            ],
        }
    ]


def policy_document(
    gateway: ApiGateway,
    *,
    account_id: str | None = None,
    region: str | None = None,
    scope: str = "all",
) -> dict[str, Any]:
    """The policy for ``gateway``; account and region default to the configured ones.

    Finding the account asks STS (``GetCallerIdentity`` needs no permission).
    """
    if scope not in SCOPES:
        raise ProvisioningError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    with expected_errors("Build IAM policy"):
        region = region or conf.AWS_GATEWAY_REGION_NAME or clients.region()
        if scope != "provisioning" and not account_id:
            account_id = clients.account_id()
    partition = partition_for(region)
    statements = []
    if scope in ("all", "provisioning"):
        statements += _provisioning(gateway, partition, region)
    if scope in ("all", "sending"):
        statements += _sending(gateway, partition, region, account_id or "*")
    return {"Version": "2012-10-17", "Statement": statements}
