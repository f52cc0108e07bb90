"""The test project's channel rules, found by autodiscovery like an admin.py.

Teams are groups named "team-<name>". Other test packages never use these names.
"""

from __future__ import annotations

from typing import Any

from django_aws_api_gateway_websockets.channels import channel


def in_team(user: Any, team: str) -> bool:
    return bool(user.is_authenticated and user.groups.filter(name=f"team-{team}").exists())


@channel("secret-{team}")
def secret_team(user: Any, team: str) -> bool:
    return in_team(user, team)


@channel("presence-secret-{team}")
def secret_team_presence(user: Any, team: str) -> Any:
    if not in_team(user, team):
        return False
    return {"name": user.get_username().upper(), "team": team}


@channel("ruled-lobby")
def ruled_lobby(user: Any) -> bool:
    return True


@channel("order-{int:number}")
def own_order(user: Any, number: int) -> bool:
    # A part converted with int: the rule gets a number.
    return user.is_authenticated and user.pk == number
