"""A local OIDC provider stand-in: RSA keys made by the test, a JWKS served on loopback."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

ISSUER = "https://idp.test.example"
AUDIENCE = "mobile-app"
JWKS_PATH = "/.well-known/jwks.json"


def new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OidcProvider:
    """Signs tokens with its own key; serves the public half at ``jwks_url``."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.key = new_key()
        self.kid = uuid.uuid4().hex
        self.jwks_requests = 0

    @property
    def jwks_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{JWKS_PATH}"

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def issue(
        self,
        *,
        sub: str = "alice",
        expires_in: float = 600,
        key: RSAPrivateKey | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A token as the provider would issue it; arguments change one thing about it."""
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub,
            "iat": now,
            "exp": now + int(expires_in),
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        header = {"kid": self.kid, **(headers or {})}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers=header)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """``WEBSOCKETS`` keys pointing at this provider."""
        return {
            "jwt_jwks_url": self.jwks_url,
            "jwt_issuer": ISSUER,
            "jwt_audience": AUDIENCE,
            **overrides,
        }


@contextmanager
def running_provider() -> Iterator[OidcProvider]:
    holder: list[OidcProvider] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            provider = holder[0]
            if self.path != JWKS_PATH:
                self.send_error(404)
                return
            provider.jwks_requests += 1
            body = json.dumps(provider.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(OidcProvider(server))
    # shutdown() waits for the loop's next poll: 0.5 s by default, at every test's end.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
