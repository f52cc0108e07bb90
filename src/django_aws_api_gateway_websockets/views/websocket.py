"""``WebSocketView``: API Gateway's $connect, messages and $disconnect as one view.

Every request goes through the same steps, top to bottom: is it our gateway,
which route, then the route's own checks, each of which either passes or raises
``Refused``, or a service's ``ChannelError`` (answered with its 4xx and one
log line by ``dispatch``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .. import (
    bearer,
    gateway_auth,
    inbound,
    logouts,
    messaging,
    presence,
    protocol,
    publishing,
    rate_limit,
    signals,
    subscriptions,
    tokens,
    wire,
)
from ..channels import Admission, check_rules, validate_channel_name
from ..conf import conf
from ..exception_mail import mail_exception
from ..exceptions import ChannelError, InvalidChannelName, Misconfigured, Refused
from ..gateway_auth import Gateway
from ..hashing import request_session_hash
from ..models import WebSocketSession, WebSocketToken
from ..origins import check_origin
from ..publishing import PublishResult
from . import connect as connecting
from .channel_handlers import ChannelHandlers
from .handlers import choose_handler
from .log_fields import bind_log_fields
from .message_ids import acknowledged, read_message_id
from .messages import load_session, parse_body, parse_query
from .responses import (
    JsonMethodNotAllowed,
    handler_response,
    json_error,
    logged_already,
    logger,
    refusal_for,
    refusal_response,
)


def roll_back_atomic_requests() -> None:
    """Undo a failed handler's writes under ATOMIC_REQUESTS, as an uncaught error would.

    The view answers the 500 itself instead of raising, so Django's request
    transaction would otherwise commit whatever the handler wrote before failing.
    """
    for alias in connections:
        connection = connections[alias]
        if connection.settings_dict.get("ATOMIC_REQUESTS") and connection.in_atomic_block:
            transaction.set_rollback(True, using=alias)


def _connection_id(request: HttpRequest) -> str:
    value = request.headers.get(wire.CONNECTION_ID_HEADER, "")
    if not wire.is_valid_connection_id(value):
        raise Refused("Invalid connection id.", reason=f"connection id {value[:80]!r}")
    return value


@method_decorator(csrf_exempt, name="dispatch")
# API Gateway logs no one in: LoginRequiredMiddleware must not redirect it.
@method_decorator(login_not_required, name="dispatch")
class WebSocketView(ChannelHandlers, JsonMethodNotAllowed, View):
    """Subclass it, add handler methods, and route ``ws/<slug:route>`` to it."""

    http_method_names = ["post"]

    # Message routing: the body's "handler" key, else its "action" key.
    handler_selection_key = protocol.HANDLER_KEY
    route_selection_key = "action"
    # The body key of the client's id for a message (docs/delivery.md).
    message_id_key = protocol.MESSAGE_ID_KEY
    # None (or empty): "default", "change_channel", "subscribe", "unsubscribe",
    # "resume" and the public methods of your subclasses. "ping" (keep-alive) is
    # always allowed.
    ALLOWED_HANDLERS: Sequence[str] | None = None
    ADDITIONAL_ALLOWED_HANDLERS: Sequence[str] = ()

    # $connect. Tokens by default, as in 4.x: a view that opts out takes the
    # user from the handshake's cookies instead.
    USE_WS_TOKEN = True
    # A JWT (Authorization: Bearer, or ?access_token=) authenticates $connect
    # when WEBSOCKETS["jwt_jwks_url"] is set (docs/authentication.md).
    USE_JWT = True
    RATE_LIMIT_ENABLED = True
    RATE_LIMIT_MAX_ATTEMPTS: int | None = None
    RATE_LIMIT_WINDOW_MINUTES: int | None = None
    CHECK_PERMISSIONS_ON_CONNECT = False
    required_connection_headers: Sequence[str] = ()

    # Every message (and $connect when CHECK_PERMISSIONS_ON_CONNECT).
    permissions_required: Sequence[str] = ()
    all_permissions_required: Sequence[str] = ()
    MAX_BODY_SIZE: int | None = None
    SEND_EXCEPTION_MAIL = True
    # The inbound budget of each connection; None: WEBSOCKETS["messages_per_second"]
    # and ["messages_burst"]. MESSAGES_PER_SECOND = 0 turns it off for this view.
    MESSAGES_PER_SECOND: float | None = None
    MESSAGES_BURST: int | None = None

    # Every route.
    aws_api_gateway_id: str | None = None
    required_headers: Sequence[str] = wire.GATEWAY_HEADERS
    # Messages and $disconnect only ($connect carries the browser's User-Agent).
    expected_useragent_prefix: str | None = None

    # Set while a request is handled.
    gateway: Gateway
    connection_id: str
    body: dict[str, Any]
    message_id: str | None = None
    websocket_session: WebSocketSession | None = None
    # $connect with a JWT: its user, claims and expiry.
    bearer_identity: bearer.BearerIdentity | None = None
    # $connect behind an API Gateway authorizer: the context keys the gateway
    # record maps (docs/authentication.md), as strings. Empty on messages.
    authorizer_context: Mapping[str, str] = MappingProxyType({})

    @bind_log_fields
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (request.method or "").lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        route = str(kwargs.get("route", ""))
        connecting.drop_hostile_session_cookie(request)
        # Empty until a message is parsed, so hooks on $connect/$disconnect can
        # read it as they could in 4.x.
        self.body = {}
        try:
            self.gateway = gateway_auth.authenticate(
                request,
                required_headers=self.required_headers,
                aws_api_gateway_id=self.aws_api_gateway_id,
            )
            self.connection_id = _connection_id(request)
            parse_query(request)
            if route == wire.CONNECT_PATH:
                return self.connect(request, *args, **kwargs)
            if route == wire.DISCONNECT_PATH:
                return self.disconnect(request, *args, **kwargs)
            return self.receive(request, *args, **kwargs)
        except Refused as refusal:
            return refusal_response(request, refusal, self.message_id)
        except ChannelError as error:
            return refusal_response(request, refusal_for(error), self.message_id)

    # $connect

    def connect(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.authorizer_context = wire.read_authorizer_context(request.headers)
        gateway_auth.check_headers(request, self.required_connection_headers)
        check_origin(request)
        source_ip = connecting.client_ip(request)
        token, user = self.connecting_user(request)
        self.check_rate_limit(source_ip, user)
        if self.USE_WS_TOKEN and self.bearer_identity is None:
            token = tokens.check_token(token)
        request.user = connecting.anonymous_or(user)
        channels = self.connect_channels(request)
        connecting.show_primary_channel(request, channels[0])
        joining = {channel: self.check_can_join(request, channel) for channel in channels}
        if self.CHECK_PERMISSIONS_ON_CONNECT:
            self.check_permissions(request)
        self.check_connect(request)
        # Last, so that a connect refused for another reason leaves the token usable.
        if token is not None:
            tokens.consume_token(token)
        session_hash = self.connect_session_hash(request, token)
        # A logout of that session may be under way (docs/tokens.md): the row
        # is inserted under the session's lock, then closed if it was.
        with logouts.session_locked(session_hash):
            session = connecting.open_session(
                connection_id=self.connection_id,
                channel=channels[0],
                user=user,
                gateway=self.gateway,
                source_ip=source_ip,
                django_session_hash=session_hash,
                authorization_expires_on=(
                    self.bearer_identity.expires_on if self.bearer_identity is not None else None
                ),
            )
            logouts.refuse_if_logged_out(session)
        # No member list here: nothing can be sent before $connect returns. A
        # page gets it by subscribing again (docs/channels.md).
        subscriptions.join(session, joining)
        self.websocket_session = session
        self.send_after_commit(signals.connection_opened, session=session, request=request)
        return HttpResponse(status=200)

    def connecting_user(self, request: HttpRequest) -> tuple[WebSocketToken | None, Any]:
        """The token row (when USE_WS_TOKEN) and the user it or the cookies name, if any.

        With tokens, cookies are ignored; an unknown token is refused only after
        the attempt has been counted by the rate limit. A JWT, when the view
        accepts them, wins over both.
        """
        raw_jwt = bearer.presented_token(request) if self.accepts_jwt() else None
        if raw_jwt is not None:
            self.bearer_identity = bearer.authenticate(raw_jwt)
            return None, self.bearer_identity.user
        if not self.USE_WS_TOKEN:
            return None, connecting.cookie_user(request)
        token = tokens.find_token(request.GET.get(wire.TOKEN_PARAM))
        return token, token.user if token is not None else None

    def accepts_jwt(self) -> bool:
        return self.USE_JWT and bearer.is_enabled()

    def check_rate_limit(self, source_ip: str, user: Any) -> None:
        if not self.RATE_LIMIT_ENABLED:
            return
        keys = [f"connect:ip:{rate_limit.address_key(source_ip)}"]
        if user is not None:
            keys.append(f"connect:user:{user.pk}")
        rate_limit.enforce(
            keys,
            max_attempts=self._setting(self.RATE_LIMIT_MAX_ATTEMPTS, conf.rate_limit_max_attempts),
            window_minutes=self._setting(
                self.RATE_LIMIT_WINDOW_MINUTES, conf.rate_limit_window_minutes
            ),
        )

    def connect_channel(self, request: HttpRequest) -> str:
        """The connection's ``channel_name``: the first ``?channel=``, else the default."""
        requested = self.requested_channels(request)
        if not requested:
            return self.default_channel()
        return validate_channel_name(requested[0])

    def default_channel(self) -> str:
        """The gateway's ``default_channel_name``; a name no channel can have is our error."""
        name = self.gateway.default_channel_name
        try:
            return validate_channel_name(name)
        except InvalidChannelName as refusal:
            raise Misconfigured(
                "This gateway's default channel is misconfigured.",
                reason=f"ApiGateway api id {self.gateway.api_id!r} has default_channel_name "
                f"{name[:40]!r}: {refusal.message} Fix it in the admin.",
            ) from None

    def connect_channels(self, request: HttpRequest) -> list[str]:
        """Every channel joined at $connect (``?channel=a&channel=b``), primary first."""
        requested = list(dict.fromkeys(self.requested_channels(request)))
        limit = conf.max_channels_per_connection
        if len(requested) > limit:
            raise Refused(
                f"A connection may be in at most {limit} channels.",
                reason=f"{len(requested)} channels at $connect (max_channels_per_connection)",
            )
        extra = [validate_channel_name(name) for name in requested[1:]]
        return list(dict.fromkeys([self.connect_channel(request), *extra]))

    @staticmethod
    def requested_channels(request: HttpRequest) -> list[str]:
        # An empty ?channel= (a template rendering an unset channel) means none.
        return [name for name in request.GET.getlist(wire.CHANNEL_PARAM) if name]

    def connect_session_hash(self, request: HttpRequest, token: WebSocketToken | None) -> str:
        if token is not None:
            return token.django_session_hash
        if self.bearer_identity is not None:
            # The token, not a Django session, is what this connection belongs to.
            return ""
        return request_session_hash(request) if request.user.is_authenticated else ""

    def can_join_channel(self, request: HttpRequest, channel: str) -> bool:
        """Hook: may ``request.user`` join ``channel``? It narrows the channel rules, never widens.

        Asked at $connect, subscribe, change_channel and resume, after the
        project's channel rules allowed the channel.
        """
        return True

    def is_presence_channel(self, channel: str) -> bool:
        """Hook: does ``channel`` list its members? Default: ``presence_channel_prefix``."""
        return presence.has_presence_prefix(channel)

    def presence_info(self, user: Any) -> dict[str, Any]:
        """Hook: what the other members see of ``user`` in a presence channel (JSON)."""
        return {"username": user.get_username()}

    def check_connect(self, request: HttpRequest) -> None:
        """Hook: raise ``DenyConnection`` to refuse a $connect that passed every other check."""

    # Messages

    def receive(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.check_user_agent(request)
        self.body = parse_body(request, self._setting(self.MAX_BODY_SIZE, conf.max_body_size))
        self.message_id = read_message_id(self.body, self.message_id_key)
        session = load_session(self.connection_id)
        self.check_session_gateway(session)
        self.check_session_user(session)
        bearer.check_not_expired(session)
        self.websocket_session = session
        request.user = connecting.anonymous_or(session.user)
        handler_name = choose_handler(
            type(self),
            WebSocketView,
            self.body,
            self.handler_selection_key,
            self.route_selection_key,
        )
        self.check_permissions(request)
        self.count_request(session)
        return self.run_handler(handler_name, request, *args, **kwargs)

    def check_session_gateway(self, session: WebSocketSession) -> None:
        """The session must have been opened through the gateway this request came from.

        Pinning a view narrows which api id may call it; it never makes another
        gateway's sessions its own. Both sides are None only for a pinned view
        with no ApiGateway record, whose sessions carry no gateway.
        """
        if session.api_gateway_id == self.gateway.pk:
            return
        raise Refused(
            "Connection belongs to another gateway.",
            403,
            reason=f"api id {self.gateway.api_id!r} is not the session's gateway",
        )

    def check_session_user(self, session: WebSocketSession) -> None:
        """Close the connection if its user was deactivated or changed password."""
        user = session.user
        if user is None:
            return
        if not user.is_active:
            reason = f"user {user.pk} is inactive"
        elif session.session_auth_hash and not constant_time_compare(
            session.session_auth_hash, user.get_session_auth_hash()
        ):
            reason = f"user {user.pk} changed password"
        else:
            return
        messaging.close_connections([session])
        raise Refused("Session ended; connect again.", 401, reason=f"{reason}: session closed")

    def check_permissions(self, request: HttpRequest) -> None:
        user = request.user
        any_of, all_of = self.permissions_required, self.all_permissions_required
        if any_of and not any(user.has_perm(perm) for perm in any_of):
            raise Refused("Permission denied.", 403, reason=f"user lacks any of {list(any_of)}")
        if all_of and not user.has_perms(all_of):
            raise Refused("Permission denied.", 403, reason=f"user lacks one of {list(all_of)}")

    def count_request(self, session: WebSocketSession) -> None:
        """Count the message, or refuse it (429) when the connection is over its budget."""
        per_second = self.MESSAGES_PER_SECOND
        burst = self.MESSAGES_BURST
        inbound.count_message(
            session.pk,
            per_second=conf.messages_per_second if per_second is None else per_second,
            burst=conf.messages_burst if burst is None else burst,
        )

    def run_handler(
        self, name: str, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        try:
            result = getattr(self, name)(request, *args, **kwargs)
            response = handler_response(acknowledged(result, self.message_id))
        except (Refused, ChannelError):
            # A handler that refuses after writing must not half-commit under
            # ATOMIC_REQUESTS, any more than one that fails.
            roll_back_atomic_requests()
            raise
        except Exception as exc:
            return self.handler_failed(name, request, exc)
        self.send_after_commit(
            signals.message_handled,
            session=self.websocket_session,
            request=request,
            handler_name=name,
        )
        return response

    def handler_failed(self, name: str, request: HttpRequest, exc: Exception) -> HttpResponse:
        """A bug in the handler: the one case that answers 500."""
        logger.exception("Handler %s.%s failed", type(self).__qualname__, name)
        if self.SEND_EXCEPTION_MAIL:
            mail_exception(type(self), exc, request)
        roll_back_atomic_requests()
        # Logged above with the traceback; Django's own 500 log line would also
        # reach AdminEmailHandler and defeat the mail throttle.
        return logged_already(json_error("Internal error.", 500, refused=self.message_id))

    # Built-in handlers (the channel handlers are ChannelHandlers')

    def default(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Runs for messages that name no allowed handler; override it."""
        raise Refused("No handler for this message.", reason="no handler and no default")

    def ping(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        """Keep-alive: the message itself resets API Gateway's idle timer; no reply."""
        return None

    # Publishing (for handlers)

    def publish(self, channel: str, data: Any) -> PublishResult:
        """``publishing.publish``: send ``data`` to ``channel`` with a seq, and keep it."""
        return publishing.publish(channel, data)

    # $disconnect

    def disconnect(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.check_user_agent(request)
        session = (
            WebSocketSession.objects.select_related("api_gateway")
            .filter(connection_id=self.connection_id)
            .first()
        )
        if session is None:
            # $disconnect may be repeated or arrive for a refused $connect: not an error.
            logger.info("Disconnect for unknown connection %s", self.connection_id)
            return HttpResponse(status=200)
        self.check_session_gateway(session)
        subscriptions.close_sessions(WebSocketSession.objects.filter(pk=session.pk))
        session.connected = False
        self.websocket_session = session
        self.send_after_commit(signals.connection_closed, session=session, request=request)
        return HttpResponse(status=200)

    # Shared steps

    def check_user_agent(self, request: HttpRequest) -> None:
        prefix = self.expected_useragent_prefix
        agent = request.headers.get(wire.USER_AGENT_HEADER, "")
        if prefix is not None and not agent.startswith(prefix):
            raise Refused("Forbidden.", 403, reason=f"User-Agent {agent[:80]!r}")

    def authorize_channel(self, request: HttpRequest, channel: str) -> Admission:
        """Refuse (403) unless the channel rules and then ``can_join_channel`` both allow."""
        admission = check_rules(request.user, channel)
        if not admission.allowed:
            raise Refused("Not allowed to join this channel.", 403, reason=admission.reason)
        if not self.can_join_channel(request, channel):
            raise Refused(
                "Not allowed to join this channel.",
                403,
                reason=f"can_join_channel refused {channel!r}",
            )
        return admission

    def check_can_join(self, request: HttpRequest, channel: str) -> dict[str, Any] | None:
        """Refuse (403) a channel ``request.user`` may not join; its presence info, if any.

        A presence member's info is the dict its channel rule returned, else
        the view's ``presence_info(user)``.
        """
        admission = self.authorize_channel(request, channel)
        if not self.is_presence_channel(channel):
            return None
        if not request.user.is_authenticated:
            raise Refused(
                "Log in to join a presence channel.",
                403,
                reason=f"anonymous connection refused from presence channel {channel!r}",
            )
        if admission.info is not None:
            return admission.info
        info = self.presence_info(request.user)
        if not isinstance(info, dict):
            raise TypeError(f"presence_info() must return a dict, not {type(info).__name__}")
        return info

    def current_session(self) -> WebSocketSession:
        session = self.websocket_session
        assert session is not None  # receive() set it before any handler runs
        return session

    def send_after_commit(self, signal: Any, **kwargs: Any) -> None:
        sender = type(self)
        transaction.on_commit(lambda: signal.send_robust(sender=sender, **kwargs))

    @staticmethod
    def _setting(value: int | None, default: int) -> int:
        # 0 meant "use the setting" in 4.x; a limit of 0 would refuse everything.
        return value or default
