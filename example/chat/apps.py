from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from . import sockets  # noqa: F401  (connects the presence receiver)
