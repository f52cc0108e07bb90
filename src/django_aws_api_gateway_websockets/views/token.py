"""``WebSocketTokenView``: a logged-in page asks for a token to put in ``?ws_token=``.

Browsers cannot set headers on a WebSocket handshake and a cookie may not reach
Django through API Gateway's domain, so the page fetches a short-lived token
with an ordinary CSRF-protected POST and connects with it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_protect

from .. import logouts, rate_limit, telemetry, tokens
from ..conf import conf
from ..exceptions import Refused
from ..hashing import session_key_hash
from .connect import drop_hostile_session_cookie
from .responses import JsonMethodNotAllowed, refusal_response


# Protected even where CsrfViewMiddleware is not installed: the token is as good
# as the session for one connect, so a cross-site POST must not obtain one.
@method_decorator(csrf_protect, name="dispatch")
# An anonymous request gets the JSON 403 below, not LoginRequiredMiddleware's redirect.
@method_decorator(login_not_required, name="dispatch")
class WebSocketTokenView(JsonMethodNotAllowed, View):
    http_method_names = ["post"]

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        # Before dispatch, so before csrf_protect, which reads the session when
        # CSRF_USE_SESSIONS is on.
        drop_hostile_session_cookie(request)
        super().setup(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            user = self.authenticated_user(request)
            self.check_rate_limit(user)
            session_key = self.session_key(request)
            # Between a logout's signal and its flush, the session still looks logged in.
            if logouts.is_logged_out(session_key_hash(session_key)):
                raise logouts.refuse("token for a session that was logged out")
            token = tokens.issue_token(user, session_key)
        except Refused as refusal:
            telemetry.token("refused")
            return refusal_response(request, refusal)
        telemetry.token("issued")
        response = JsonResponse({"token": token, "expires_in": conf.token_expiry_seconds})
        response["Cache-Control"] = "no-store"
        return response

    def authenticated_user(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # 403, not 401: session authentication has no WWW-Authenticate
            # challenge to offer (Django's and 4.x's convention).
            raise Refused("Authentication required.", 403, reason="token for anonymous user")
        return user

    def check_rate_limit(self, user: Any) -> None:
        per_minute = conf.token_rate_limit_per_minute
        if per_minute > 0:
            rate_limit.enforce(
                [f"token:user:{user.pk}"],
                max_attempts=per_minute,
                window_minutes=rate_limit.TOKEN_WINDOW_MINUTES,
            )

    def session_key(self, request: HttpRequest) -> str:
        """The Django session the token is bound to, created if there is none yet."""
        session = getattr(request, "session", None)
        if session is None:
            return ""
        if session.session_key is None:
            session.save()
        return str(session.session_key)
