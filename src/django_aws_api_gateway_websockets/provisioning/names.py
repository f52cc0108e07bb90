"""Stable resource names for the exports, derived from route keys."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict

from .plan import SECRET_PARAMETER, GatewayPlan

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def route_names(plan: GatewayPlan, style: Callable[[str], str] = str) -> dict[str, str]:
    """Route key -> a name unique in ``style`` (``$connect`` -> ``connect``).

    Uniqueness is checked on the styled name: ``x.1`` and ``x1`` are distinct in
    lower_snake (``x_1``, ``x1``) but both ``X1`` in PascalCase.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for index, route in enumerate(plan.routes):
        base = _NON_ALNUM.sub("_", route.route_key).strip("_").lower() or "route"
        if base[0].isdigit():
            base = f"route_{base}"
        name, attempt = style(base), 0
        while name in taken:
            attempt += 1
            suffix = str(index) if attempt == 1 else f"{index}_{attempt}"
            name = style(f"{base}_{suffix}")
        taken.add(name)
        names[route.route_key] = name
    return names


def pascal(name: str) -> str:
    """``chat_send`` -> ``ChatSend`` (CloudFormation logical ids are alphanumeric)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def plan_fingerprint(plan: GatewayPlan) -> str:
    """Changes whenever the routes or integrations change; never reveals the secret."""
    routes = []
    for route in plan.routes:
        data = asdict(route)
        data["integration"]["request_parameters"] = sorted(
            key for key in route.integration.request_parameters if key == SECRET_PARAMETER
        ) + sorted(
            f"{key}={value}"
            for key, value in route.integration.request_parameters.items()
            if key != SECRET_PARAMETER
        )
        routes.append(data)
    if plan.authorizer is not None:
        # Only when there is one: the plans of 5.0 keep their fingerprint.
        routes.append(asdict(plan.authorizer))
    encoded = json.dumps(routes, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:10]
