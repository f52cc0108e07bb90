"""Create, sync, export and tear down the AWS API Gateway of an ``ApiGateway`` record.

Entry points take a record and an optional ``progress`` callable (one line per
step) and raise ``ProvisioningError`` with a secret-free message when AWS or the
configuration says no. Nothing here runs on ``save()``.
"""

from .changes import Change
from .create import create_gateway
from .custom_domain import create_custom_domain
from .errors import ProvisioningError
from .export_cloudformation import export_cloudformation
from .export_terraform import export_terraform
from .iam import policy_document
from .lookup import load_gateway
from .progress import Progress
from .sync import sync_gateway
from .teardown import delete_gateway

__all__ = [
    "Change",
    "Progress",
    "ProvisioningError",
    "create_custom_domain",
    "create_gateway",
    "delete_gateway",
    "export_cloudformation",
    "export_terraform",
    "load_gateway",
    "policy_document",
    "sync_gateway",
]
