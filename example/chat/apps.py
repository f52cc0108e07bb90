from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from . import metrics, sockets  # noqa: F401  (sockets connects the presence receiver)

        metrics.install()
