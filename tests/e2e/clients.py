"""A logged-in user of the example chat, from outside the processes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import requests
import websockets

from django_aws_api_gateway_websockets import protocol

from .stack import DEMO_PASSWORD, Stack

RECEIVE_SECONDS = 10


def logged_in(stack: Stack, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{stack.http_url}/login/").raise_for_status()
    response = session.post(
        f"{stack.http_url}/login/",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{stack.http_url}/login/"},
    )
    response.raise_for_status()
    assert response.url == f"{stack.http_url}/", "login did not redirect to the rooms page"
    return session


def new_token(stack: Stack, session: requests.Session) -> str:
    response = session.post(
        f"{stack.http_url}/api/ws-token/",
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": stack.http_url + "/"},
    )
    response.raise_for_status()
    body = response.json()
    assert len(body["token"]) == 64 and body["expires_in"] == 60
    return str(body["token"])


async def connect(stack: Stack, token: str, channel: str) -> websockets.ClientConnection:
    return await websockets.connect(
        f"{stack.ws_url}?channel={channel}&ws_token={token}", origin=stack.http_url
    )


async def receive(ws: websockets.ClientConnection, wanted_type: str) -> dict[str, Any]:
    """The next application message of one type (presence events may come in between)."""
    return await receive_where(ws, lambda message: message.get("type") == wanted_type)


async def receive_frame(ws: websockets.ClientConnection, name: str) -> dict[str, Any]:
    """The next frame of the package's with this name (protocol.FRAMES)."""
    return await receive_where(ws, lambda message: message.get(protocol.FRAME_KEY) == name)


async def receive_where(
    ws: websockets.ClientConnection, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The next message for which ``wanted`` is true."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_SECONDS))
        if wanted(message):
            return message
