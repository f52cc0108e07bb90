"""Every setting of the app, read lazily so that ``override_settings`` works.

No other module reads ``django.conf.settings`` for the app's own settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from . import wire
from .settings_schema import (
    ABOVE_ZERO,
    FLAG,
    INT,
    NUMBER,
    TEXT,
    TEXT_OR_NONE,
    TEXT_OR_TEXTS_OR_NONE,
    TEXTS_OR_NONE,
    ZERO,
    Maximum,
    Setting,
    declared_in,
)

# ipaddress refuses a longer prefix.
_IPV6_MAX_PREFIX = 128


def _ipv6_prefix(value: Any) -> int:
    # Kept in range so a bad value cannot raise on every connect; dagw.E003 reports it.
    return min(_IPV6_MAX_PREFIX, max(1, int(value)))


class Settings:
    """Typed, lazy access to the app's settings.

    The ``WEBSOCKETS`` keys are the ``Setting`` attributes below, each declared
    once: the attribute name is the key, then its kind (accepted types, and the
    type the code reads), default, one-line meaning and bounds. ``DEFAULTS``,
    the system checks (dagw.W001, E002, E003) and the docs test are derived
    from them. To add a key: add one ``Setting`` here, and its row in
    docs/settings.md starting with the same meaning (tests/core/test_docs.py
    compares the two). A check beyond type and bounds goes in checks.py.
    """

    @property
    def WEBSOCKETS(self) -> Mapping[str, Any]:
        value = getattr(settings, "WEBSOCKETS", {})
        return value if isinstance(value, Mapping) else {}

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

    @property
    def AWS_SESSION_TOKEN(self) -> str | None:
        return getattr(settings, "AWS_SESSION_TOKEN", None)

    # WEBSOCKETS: security

    gateway_secret = Setting(
        TEXT_OR_TEXTS_OR_NONE,
        None,
        "Proof that a request came through your own gateway.",
    )
    allowed_origins = Setting(
        TEXTS_OR_NONE,
        None,
        "Pages allowed to open a connection, written as browsers send `Origin`",
    )
    allow_missing_origin = Setting(
        FLAG,
        False,
        "`True` lets clients that send no `Origin` (scripts, mobile apps) connect.",
    )
    max_channel_name_length = Setting(
        INT,
        100,
        "Longest channel name accepted at connect and by `change_channel`, `subscribe` and "
        "`unsubscribe`.",
        minimum=ABOVE_ZERO,
    )
    max_body_size = Setting(
        INT,
        wire.MAX_PAYLOAD_BYTES,
        "Largest message body, in bytes, a view accepts (413 beyond).",
        minimum=ABOVE_ZERO,
    )

    # WEBSOCKETS: tokens and rate limits

    token_expiry_seconds = Setting(
        INT,
        60,
        "Lifetime of a token from `WebSocketTokenView`; a connect with an older one is refused.",
        minimum=ABOVE_ZERO,
    )
    token_rate_limit_per_minute = Setting(
        INT,
        20,
        "Tokens one user may request per minute (429 beyond); `0`: unlimited.",
        minimum=ZERO,
    )
    rate_limit_max_attempts = Setting(
        INT,
        20,
        "Connection attempts allowed per client IP and per user in one window",
        minimum=ABOVE_ZERO,
    )
    rate_limit_window_minutes = Setting(
        INT,
        1,
        "Length of the connection rate limit's window, in minutes.",
        minimum=ABOVE_ZERO,
    )
    rate_limit_ipv6_prefix = Setting(
        INT.reading(_ipv6_prefix),
        64,
        "IPv6 clients are counted per network of this prefix length (one customer line is "
        "usually a /64), not per address.",
        minimum=ABOVE_ZERO,
        maximum=Maximum(
            _IPV6_MAX_PREFIX, f"an IPv6 prefix is at most {_IPV6_MAX_PREFIX}", "Use 64 (a /64)."
        ),
    )

    # WEBSOCKETS: inbound limits (docs/security.md)

    messages_per_second = Setting(
        NUMBER,
        10,
        "Messages one connection may send per second, on average (429 beyond); `0`: unlimited.",
        minimum=ZERO,
    )
    messages_burst = Setting(
        INT,
        40,
        "Messages one connection may send at once before `messages_per_second` applies",
        minimum=ABOVE_ZERO,
    )
    presence_coalesce_seconds = Setting(
        NUMBER,
        2.0,
        "One user's presence events in one channel are sent at most once per this many "
        "seconds; the state at the end of the window follows",
        minimum=ZERO,
    )

    # WEBSOCKETS: JWT bearer tokens at $connect (docs/authentication.md)

    jwt_jwks_url = Setting(
        TEXT_OR_NONE,
        None,
        "URL of your identity provider's JSON Web Key Set; setting it lets clients connect with "
        "a JWT",
    )
    jwt_issuer = Setting(
        TEXT_OR_NONE,
        None,
        "The `iss` every token must carry",
    )
    jwt_audience = Setting(
        TEXT_OR_TEXTS_OR_NONE,
        None,
        "The accepted audiences: a token's `aud` (or, without `aud`, its `client_id`) must "
        "name one",
    )
    jwt_algorithms = Setting(
        TEXTS_OR_NONE,
        ["RS256"],
        "Signature algorithms accepted",
    )
    jwt_leeway_seconds = Setting(
        NUMBER,
        30,
        "Clock skew allowed when checking `exp`, `nbf` and `iat`, in seconds.",
        minimum=ZERO,
    )
    jwt_token_use = Setting(
        TEXT_OR_NONE,
        None,
        'Cognito: the `token_use` claim required (`"id"` or `"access"`)',
    )
    jwt_jwks_cache_seconds = Setting(
        NUMBER,
        300,
        "How long each process keeps the fetched key set",
        minimum=ABOVE_ZERO,
    )
    jwt_jwks_timeout_seconds = Setting(
        NUMBER,
        5,
        "Timeout of one fetch of the key set, in seconds",
        minimum=ABOVE_ZERO,
    )
    jwt_jwks_refetch_cooldown_seconds = Setting(
        NUMBER,
        30,
        "Least time between two fetches of the key set for tokens naming a key id it lacks",
        minimum=ZERO,
    )
    jwt_user_claim = Setting(
        TEXT,
        "sub",
        "The claim that names the user",
    )
    jwt_user_field = Setting(
        TEXT,
        "username",
        "The user model field that `jwt_user_claim` is looked up in",
    )
    jwt_claims_to_user = Setting(
        TEXT_OR_NONE,
        None,
        "Dotted path to your own `function(claims) -> user or None`, used instead of "
        "`jwt_user_claim` and `jwt_user_field`",
    )

    # WEBSOCKETS: sessions

    session_max_age_seconds = Setting(
        INT,
        wire.MAX_CONNECTION_DURATION_SECONDS,
        "A session older than this many seconds is treated as closed",
        minimum=ABOVE_ZERO,
    )
    gateway_cache_seconds = Setting(
        NUMBER,
        60,
        "How long each process remembers which API ids are registered `ApiGateway` records",
        minimum=ZERO,
    )

    # WEBSOCKETS: sending through the Management API

    transport = Setting(
        TEXT,
        "django_aws_api_gateway_websockets.aiohttp_transport.AiohttpTransport",
        "Dotted path to the class (or factory with no arguments) that talks to the Management API.",
    )
    send_max_in_flight = Setting(
        INT,
        256,
        "Default transport: most Management API requests in flight at once per process",
        minimum=ABOVE_ZERO,
    )
    send_concurrency = Setting(
        INT,
        16,
        "`BotoTransport`: most Management API requests in flight at once for one multicast",
        minimum=ABOVE_ZERO,
    )
    send_connect_timeout_seconds = Setting(
        NUMBER,
        2.0,
        "Connect timeout of each Management API request.",
        minimum=ABOVE_ZERO,
    )
    send_read_timeout_seconds = Setting(
        NUMBER,
        5.0,
        "Read timeout of each Management API request",
        minimum=ABOVE_ZERO,
    )
    send_max_attempts = Setting(
        INT,
        3,
        "Attempts per request, first one included.",
        minimum=ABOVE_ZERO,
    )
    send_backoff_base_seconds = Setting(
        NUMBER,
        0.05,
        "Default transport: the wait before retry *n* is random between 0 and "
        "`send_backoff_base_seconds * 2**(n-1)`",
        minimum=ZERO,
    )
    send_backoff_max_seconds = Setting(
        NUMBER,
        2.0,
        "Default transport: the longest wait before one retry.",
        minimum=ZERO,
    )
    send_throttle_timeout_seconds = Setting(
        NUMBER,
        120.0,
        "Default transport: how long a request answered 429 (throttled) keeps being retried, "
        "counted from its first 429",
        minimum=ZERO,
    )
    send_rate_initial_per_second = Setting(
        NUMBER,
        10_000.0,
        "Default transport: the request rate each process starts from, per AWS account and region",
        minimum=ABOVE_ZERO,
    )
    connect_grace_seconds = Setting(
        NUMBER,
        30,
        "A 410 from the Management API for a session created less than this many seconds "
        "ago, that has carried no message yet, does not mark it closed",
        minimum=ZERO,
    )

    # WEBSOCKETS: background sends (enqueue_message)

    enqueue_chunk_size = Setting(
        INT,
        1000,
        "Recipients per task",
        minimum=ABOVE_ZERO,
    )
    enqueue_backend = Setting(
        TEXT,
        "default",
        "Alias of the backend in Django's `TASKS` setting that the send tasks go to.",
    )
    enqueue_queue_name = Setting(
        TEXT,
        "default",
        "Queue of that backend the send tasks go to",
    )
    enqueue_max_requeues = Setting(
        INT,
        3,
        "Times a send task enqueues again the recipients it could not reach for a reason that "
        "may pass (throttling, a 5xx, a timeout)",
        minimum=ZERO,
    )
    enqueue_requeue_delay_seconds = Setting(
        NUMBER,
        60.0,
        "Delay before such a re-enqueued task may run",
        minimum=ZERO,
    )

    # WEBSOCKETS: errors

    exception_mail_interval_seconds = Setting(
        NUMBER,
        300,
        "An exception in one of your handlers is mailed to `ADMINS` at most once per this "
        "many seconds for the same view and error",
        minimum=ZERO,
    )

    # WEBSOCKETS: the Lambda adapter (aws_lambda.handler)

    lambda_path_prefix = Setting(
        TEXT,
        "/ws/",
        "URL prefix of your `WebSocketView` (the part before `<slug:route>`) that Lambda "
        "events are turned into requests for.",
    )
    lambda_host = Setting(
        TEXT_OR_NONE,
        None,
        "Host the Lambda events' requests carry (must be in `ALLOWED_HOSTS`).",
    )

    # WEBSOCKETS: subscriptions and presence (docs/channels.md)

    max_channels_per_connection = Setting(
        INT,
        50,
        "Most channels one connection may be in",
        minimum=ABOVE_ZERO,
    )
    presence_channel_prefix = Setting(
        TEXT,
        "presence-",
        "Channels whose name starts with this are presence channels",
    )
    channels_require_rule = Setting(
        FLAG,
        False,
        "`True` refuses a channel that no channel rule (`websocket_channels.py`) matches",
    )

    # WEBSOCKETS: channel history (publish and resume)

    history_max_messages = Setting(
        INT,
        1000,
        "Most published messages a channel keeps for `resume`.",
        minimum=ABOVE_ZERO,
    )
    history_max_age_seconds = Setting(
        INT,
        24 * 60 * 60,
        "Oldest published message `resume` serves, in seconds.",
        minimum=ABOVE_ZERO,
    )
    resume_max_messages = Setting(
        INT,
        100,
        "Most messages in one `resumed` answer",
        minimum=ABOVE_ZERO,
    )
    publish_background_threshold = Setting(
        INT,
        500,
        "`publish` to this many recipients or more, and a presence event to this many other "
        "connections or more, is sent from background tasks",
        minimum=ZERO,
    )

    # WEBSOCKETS: the overview (admin page and websocketstats; docs/admin.md)

    overview_top_channels = Setting(
        INT,
        10,
        "Channels the overview lists per gateway, most members first (and as many presence "
        "channels)",
        minimum=ABOVE_ZERO,
        maximum=Maximum(100, "the overview lists at most 100 channels", "Use 10."),
    )
    overview_max_gateways = Setting(
        INT,
        20,
        "Gateways the overview shows at once (the first by id); name one to see any other",
        minimum=ABOVE_ZERO,
        maximum=Maximum(100, "the overview shows at most 100 gateways at once", "Use 20."),
    )

    # Read from the keys above

    @property
    def gateway_secrets(self) -> tuple[str, ...]:
        """Every accepted gateway secret; empty when none is configured."""
        value = self.gateway_secret
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


# Every WEBSOCKETS key, in the order docs/settings.md lists them.
SETTINGS: tuple[Setting[Any], ...] = declared_in(Settings)
DEFAULTS: Mapping[str, Any] = {setting.name: setting.default for setting in SETTINGS}

conf = Settings()
