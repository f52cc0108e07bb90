"""Prepare the chaos database; run as ``python -m tests.chaos.site.setup COMMAND ...``.

``migrate``: create the tables, a user and a logged-in Django session; prints
``{"sessionid": ..., "user_id": ...}``. ``gateway NAME PORT``: an ApiGateway record
whose integrations post to the site on PORT; prints its pk.
"""

from __future__ import annotations

import json
import os
import sys

import django


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.chaos.site.settings")
    django.setup()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from django_aws_api_gateway_websockets.models import ApiGateway

    if argv[0] == "migrate":
        call_command("migrate", verbosity=0, interactive=False)
        user = get_user_model().objects.create_user("alice", password="chaos-password")
        # What django.contrib.auth.login() stores: a logged-in browser's cookie.
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        print(json.dumps({"sessionid": session.session_key, "user_id": user.pk}))
    elif argv[0] == "gateway":
        name, port = argv[1], int(argv[2])
        gateway = ApiGateway.objects.create(
            api_name=name,
            target_base_endpoint=f"http://127.0.0.1:{port}/ws/",
            default_channel_name="lobby",
        )
        print(gateway.pk)
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
