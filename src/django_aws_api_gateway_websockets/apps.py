from types import ModuleType

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules

# The module of each installed app that declares channel rules (docs/channels.md).
CHANNEL_RULES_MODULE = "websocket_channels"


class WebSocketsConfig(AppConfig):
    name = "django_aws_api_gateway_websockets"
    verbose_name = "AWS API Gateway WebSockets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (registers checks and signal receivers)

        # Like admin.py: importing each app's module registers its @channel rules.
        autodiscover_modules(CHANNEL_RULES_MODULE)

    def provisioning(self) -> ModuleType:
        """The ``provisioning`` package, for ``ApiGateway.create_gateway()`` and its siblings.

        provisioning is built on the models, so the models never import it;
        their 4.x shims find it here, on the app's config, when called.
        """
        from . import provisioning

        return provisioning
