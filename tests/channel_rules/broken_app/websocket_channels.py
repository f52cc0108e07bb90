"""A second rule for a pattern tests/testapp already declares: startup must fail."""

from typing import Any

from django_aws_api_gateway_websockets.channels import channel


@channel("secret-{name}")
def another_secret(user: Any, name: str) -> bool:
    return True
