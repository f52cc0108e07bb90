"""The resource policy statement that lets API Gateway invoke a Lambda function."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from . import clients
from .changes import Change, ChangeLog
from .errors import is_not_found

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

PRINCIPAL = "apigateway.amazonaws.com"
ACTION = "lambda:InvokeFunction"
# What the function is to the API: its integration, or its $connect authorizer.
# One function may be both; each role has its own statement.
INTEGRATION = ""
AUTHORIZER = "authorizer"


def statement_id(api_id: str, role: str = INTEGRATION) -> str:
    suffix = f"-{role}" if role else ""
    return f"django-aws-api-gateway-websockets-{api_id}{suffix}"


def execute_api_source_arn(*, partition: str, region: str, account_id: str, api_id: str) -> str:
    """Any stage and route of this one API (and of no other API)."""
    return f"arn:{partition}:execute-api:{region}:{account_id}:{api_id}/*"


def _current_source_arn(client: LambdaClient, function_arn: str, sid: str) -> str | None:
    try:
        policy = json.loads(client.get_policy(FunctionName=function_arn)["Policy"])
    except ClientError as exc:
        if is_not_found(exc):  # no policy at all yet
            return None
        raise
    for statement in policy.get("Statement", []):
        if statement.get("Sid") == sid:
            condition = statement.get("Condition", {}).get("ArnLike", {})
            return str(condition.get("AWS:SourceArn", ""))
    return None


def ensure_permission(
    function_arn: str, api_id: str, log: ChangeLog, *, role: str = INTEGRATION
) -> None:
    client = clients.lambda_()
    sid = statement_id(api_id, role)
    source_arn = execute_api_source_arn(
        partition=client.meta.partition,
        region=clients.region(),
        account_id=clients.account_id(),
        api_id=api_id,
    )
    current = _current_source_arn(client, function_arn, sid)
    if current == source_arn:
        return

    def apply() -> None:
        if current is not None:
            client.remove_permission(FunctionName=function_arn, StatementId=sid)
        client.add_permission(
            FunctionName=function_arn,
            StatementId=sid,
            Action=ACTION,
            Principal=PRINCIPAL,
            SourceArn=source_arn,
        )

    action = "create" if current is None else "update"
    log(Change(action, "lambda permission", sid, f"{PRINCIPAL} from {source_arn}"), apply)


def remove_permission(function_arn: str, api_id: str, *, role: str = INTEGRATION) -> bool:
    """True when a statement was removed; a missing one is fine."""
    try:
        clients.lambda_().remove_permission(
            FunctionName=function_arn, StatementId=statement_id(api_id, role)
        )
    except ClientError as exc:
        if is_not_found(exc):
            return False
        raise
    return True
