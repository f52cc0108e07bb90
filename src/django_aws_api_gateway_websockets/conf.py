"""Every setting of the app, read lazily so that ``override_settings`` works.

No other module reads ``django.conf.settings`` for the app's own settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from . import wire

# The documented keys of ``settings.WEBSOCKETS`` with their defaults. ``checks``
# validates user values against the types of these defaults (see ``SETTING_TYPES``).
DEFAULTS: dict[str, Any] = {
    # Tokens (WebSocketTokenView)
    "token_expiry_seconds": 60,
    "token_rate_limit_per_minute": 20,
    # Connection rate limit ($connect), per client IP and per user
    "rate_limit_max_attempts": 20,
    "rate_limit_window_minutes": 1,
    # IPv6 clients are counted per network of this prefix length (one customer
    # line is usually a /64), not per address.
    "rate_limit_ipv6_prefix": 64,
    # Proof that a request came through our own gateway: a string, or a list of
    # strings while a secret is being rotated.
    "gateway_secret": None,
    # Origins allowed to open a connection, e.g. ["https://app.example.com"].
    # None: the browser's Origin must name the host Django is serving.
    "allowed_origins": None,
    # Non-browser clients send no Origin; refuse them unless this is True.
    "allow_missing_origin": False,
    "max_channel_name_length": 100,
    # Largest message body a view accepts (API Gateway's own limit is 128 KB).
    "max_body_size": wire.MAX_PAYLOAD_BYTES,
    # Seconds a registered gateway's api id stays cached in this process.
    "gateway_cache_seconds": 60,
    # Sending through the Management API
    "send_concurrency": 16,
    "send_connect_timeout_seconds": 2.0,
    "send_read_timeout_seconds": 5.0,
    "send_max_attempts": 3,
    # The default (aiohttp) transport: requests in flight per process, which is
    # also the size of its keep-alive connection pool, and the retry backoff.
    "send_max_in_flight": 256,
    "send_backoff_base_seconds": 0.05,
    "send_backoff_max_seconds": 2.0,
    "transport": "django_aws_api_gateway_websockets.aiohttp_transport.AiohttpTransport",
    # A 410 for a session created less than this many seconds ago (and that has
    # carried no message) may mean its $connect has not completed: the row stays
    # connected. Just above API Gateway's 29 s integration timeout.
    "connect_grace_seconds": 30,
    # Background sends (enqueue_message): recipients per task, and the Tasks
    # backend alias and queue the tasks go to.
    "enqueue_chunk_size": 1000,
    "enqueue_backend": "default",
    "enqueue_queue_name": "default",
    # Minimum seconds between two exception mails for the same view and error.
    "exception_mail_interval_seconds": 300,
    # A session older than this cannot still be connected (API Gateway's 2 h cap).
    "session_max_age_seconds": wire.MAX_CONNECTION_DURATION_SECONDS,
    # aws_lambda.handler: the URL of the WebSocketView (before its <slug:route>)
    # that Lambda events are sent to, and the Host they carry (None: the API's
    # domain name from the event).
    "lambda_path_prefix": "/ws/",
    "lambda_host": None,
    # Channel history (publish / resume). A channel keeps its last
    # history_max_messages messages, none older than history_max_age_seconds
    # (a day: a laptop reopened the next morning still catches up). A resume
    # answer carries at most resume_max_messages (and at most one 128 KB frame);
    # publish sends from background tasks from publish_background_threshold
    # recipients on (0: always): at the 440 to 4,000 messages/s measured in
    # docs/benchmarks.md, 500 direct sends hold a request for 0.1 to 1.2 s.
    "history_max_messages": 1000,
    "history_max_age_seconds": 24 * 60 * 60,
    "resume_max_messages": 100,
    # Subscriptions and presence (docs/channels.md). Channels one connection may
    # be in ($connect's ?channel= and subscribe together); names starting with
    # presence_channel_prefix are presence channels ("" : none, unless the view
    # says so); presence events go out from background tasks to channels of at
    # least publish_background_threshold connections (the threshold publish uses).
    "max_channels_per_connection": 50,
    "presence_channel_prefix": "presence-",
    "publish_background_threshold": 500,
}

# Accepted types per key; ``None`` in a tuple means the key may be unset.
SETTING_TYPES: dict[str, tuple[type | None, ...]] = {
    "token_expiry_seconds": (int,),
    "token_rate_limit_per_minute": (int,),
    "rate_limit_max_attempts": (int,),
    "rate_limit_window_minutes": (int,),
    "rate_limit_ipv6_prefix": (int,),
    "gateway_secret": (str, list, tuple, None),
    "allowed_origins": (list, tuple, None),
    "allow_missing_origin": (bool,),
    "max_channel_name_length": (int,),
    "max_body_size": (int,),
    "gateway_cache_seconds": (int, float),
    "send_concurrency": (int,),
    "send_connect_timeout_seconds": (int, float),
    "send_read_timeout_seconds": (int, float),
    "send_max_attempts": (int,),
    "send_max_in_flight": (int,),
    "send_backoff_base_seconds": (int, float),
    "send_backoff_max_seconds": (int, float),
    "transport": (str,),
    "connect_grace_seconds": (int, float),
    "enqueue_chunk_size": (int,),
    "enqueue_backend": (str,),
    "enqueue_queue_name": (str,),
    "exception_mail_interval_seconds": (int, float),
    "session_max_age_seconds": (int,),
    "lambda_path_prefix": (str,),
    "lambda_host": (str, None),
    # Channel history
    "history_max_messages": (int,),
    "history_max_age_seconds": (int,),
    "resume_max_messages": (int,),
    # Subscriptions and presence
    "max_channels_per_connection": (int,),
    "presence_channel_prefix": (str,),
    "publish_background_threshold": (int,),
}


class Settings:
    """Typed, lazy access to the app's settings."""

    @property
    def WEBSOCKETS(self) -> Mapping[str, Any]:
        value = getattr(settings, "WEBSOCKETS", {})
        return value if isinstance(value, Mapping) else {}

    def _get(self, key: str) -> Any:
        return self.WEBSOCKETS.get(key, DEFAULTS[key])

    # AWS

    @property
    def AWS_GATEWAY_REGION_NAME(self) -> str | None:
        region = getattr(settings, "AWS_GATEWAY_REGION_NAME", None)
        return region or getattr(settings, "AWS_REGION_NAME", None)

    @property
    def AWS_IAM_PROFILE(self) -> str | None:
        return getattr(settings, "AWS_IAM_PROFILE", None)

    @property
    def AWS_ACCESS_KEY_ID(self) -> str | None:
        return getattr(settings, "AWS_ACCESS_KEY_ID", None)

    @property
    def AWS_SECRET_ACCESS_KEY(self) -> str | None:
        return getattr(settings, "AWS_SECRET_ACCESS_KEY", None)

    # WEBSOCKETS

    @property
    def token_expiry_seconds(self) -> int:
        return int(self._get("token_expiry_seconds"))

    @property
    def token_rate_limit_per_minute(self) -> int:
        return int(self._get("token_rate_limit_per_minute"))

    @property
    def rate_limit_max_attempts(self) -> int:
        return int(self._get("rate_limit_max_attempts"))

    @property
    def rate_limit_window_minutes(self) -> int:
        return int(self._get("rate_limit_window_minutes"))

    @property
    def rate_limit_ipv6_prefix(self) -> int:
        # ipaddress refuses a prefix over 128; the check (dagw.E003) reports it.
        return min(128, max(1, int(self._get("rate_limit_ipv6_prefix"))))

    @property
    def gateway_secrets(self) -> tuple[str, ...]:
        """Every accepted gateway secret; empty when none is configured."""
        value = self._get("gateway_secret")
        if not value:
            return ()
        if isinstance(value, str):
            return (value,)
        return tuple(secret for secret in value if isinstance(secret, str) and secret)

    @property
    def current_gateway_secret(self) -> str | None:
        """The secret new integrations are given: the first one listed."""
        secrets = self.gateway_secrets
        return secrets[0] if secrets else None

    @property
    def allowed_origins(self) -> tuple[str, ...] | None:
        value = self._get("allowed_origins")
        return None if value is None else tuple(value)

    @property
    def allow_missing_origin(self) -> bool:
        return bool(self._get("allow_missing_origin"))

    @property
    def max_channel_name_length(self) -> int:
        return int(self._get("max_channel_name_length"))

    @property
    def max_body_size(self) -> int:
        return int(self._get("max_body_size"))

    @property
    def gateway_cache_seconds(self) -> float:
        return float(self._get("gateway_cache_seconds"))

    @property
    def send_concurrency(self) -> int:
        return int(self._get("send_concurrency"))

    @property
    def send_connect_timeout_seconds(self) -> float:
        return float(self._get("send_connect_timeout_seconds"))

    @property
    def send_read_timeout_seconds(self) -> float:
        return float(self._get("send_read_timeout_seconds"))

    @property
    def send_max_attempts(self) -> int:
        return int(self._get("send_max_attempts"))

    @property
    def send_max_in_flight(self) -> int:
        return int(self._get("send_max_in_flight"))

    @property
    def send_backoff_base_seconds(self) -> float:
        return float(self._get("send_backoff_base_seconds"))

    @property
    def send_backoff_max_seconds(self) -> float:
        return float(self._get("send_backoff_max_seconds"))

    @property
    def transport(self) -> str:
        return str(self._get("transport"))

    @property
    def connect_grace_seconds(self) -> float:
        return float(self._get("connect_grace_seconds"))

    @property
    def enqueue_chunk_size(self) -> int:
        return int(self._get("enqueue_chunk_size"))

    @property
    def enqueue_backend(self) -> str:
        return str(self._get("enqueue_backend"))

    @property
    def enqueue_queue_name(self) -> str:
        return str(self._get("enqueue_queue_name"))

    @property
    def exception_mail_interval_seconds(self) -> float:
        return float(self._get("exception_mail_interval_seconds"))

    @property
    def session_max_age_seconds(self) -> int:
        return int(self._get("session_max_age_seconds"))

    @property
    def lambda_path_prefix(self) -> str:
        return str(self._get("lambda_path_prefix"))

    @property
    def lambda_host(self) -> str | None:
        value = self._get("lambda_host")
        return str(value) if value else None

    # Channel history (publish / resume)

    @property
    def history_max_messages(self) -> int:
        return int(self._get("history_max_messages"))

    @property
    def history_max_age_seconds(self) -> int:
        return int(self._get("history_max_age_seconds"))

    @property
    def resume_max_messages(self) -> int:
        return int(self._get("resume_max_messages"))

    # Subscriptions and presence

    @property
    def max_channels_per_connection(self) -> int:
        return int(self._get("max_channels_per_connection"))

    @property
    def presence_channel_prefix(self) -> str:
        return str(self._get("presence_channel_prefix"))

    @property
    def publish_background_threshold(self) -> int:
        return int(self._get("publish_background_threshold"))


conf = Settings()
