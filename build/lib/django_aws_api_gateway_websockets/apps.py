from django.apps import AppConfig


class WebSocketsConfig(AppConfig):
    name = "django_aws_api_gateway_websockets"
    verbose_name = "AWS API Gateway WebSockets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (registers checks and signal receivers)
