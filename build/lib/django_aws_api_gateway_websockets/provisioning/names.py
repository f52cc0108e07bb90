"""Stable resource names for the exports, derived from route keys."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict

from .plan import SECRET_PARAMETER, GatewayPlan

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def route_names(plan: GatewayPlan) -> dict[str, str]:
    """Route key -> a unique lower_snake name (``$connect`` -> ``connect``)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for index, route in enumerate(plan.routes):
        base = _NON_ALNUM.sub("_", route.route_key).strip("_").lower() or "route"
        if base[0].isdigit():
            base = f"route_{base}"
        name = base if base not in taken else f"{base}_{index}"
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
    encoded = json.dumps(routes, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:10]
