"""The frame size watcher, fed the raw bytes of client frames in any chunking."""

from __future__ import annotations

import os

import pytest

from django_aws_api_gateway_websockets.local_gateway.frames import FrameSizeWatcher


def client_frame(payload: bytes, *, fin: bool = True, opcode: int = 1) -> bytes:
    """A masked frame as a client sends it (RFC 6455, section 5.2)."""
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        header = bytes([first, 0x80 | size])
    elif size < 1 << 16:
        header = bytes([first, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([first, 0x80 | 127]) + size.to_bytes(8, "big")
    mask = os.urandom(4)
    return header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


def feed(stream: bytes, chunk: int, limit: int) -> list[int]:
    seen: list[int] = []
    watcher = FrameSizeWatcher(limit, seen.append)
    for start in range(0, len(stream), chunk):
        watcher.feed(stream[start : start + chunk])
    return seen


@pytest.mark.parametrize("chunk", [1, 3, 7, 1000, 1 << 20])
def test_frames_within_the_limit_pass_in_any_chunking(chunk: int) -> None:
    stream = b"".join(
        client_frame(b"x" * size, fin=False) for size in (0, 5, 125, 126, 1000, 40_000)
    )
    assert feed(stream, chunk, limit=40_000) == []


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 20])
@pytest.mark.parametrize("size", [101, 126, 70_000])
def test_the_first_frame_over_the_limit_is_reported_once(chunk: int, size: int) -> None:
    stream = client_frame(b"ok") + client_frame(b"y" * size) + client_frame(b"z" * size)
    assert feed(stream, chunk, limit=100) == [size]


def unmasked_frame(payload: bytes) -> bytes:
    return bytes([0x81, len(payload)]) + payload


@pytest.mark.parametrize("chunk", [1, 2, 1 << 20])
def test_an_unmasked_frame_is_reported_once(chunk: int) -> None:
    unmasked: list[bool] = []
    oversized: list[int] = []
    watcher = FrameSizeWatcher(100, oversized.append, lambda: unmasked.append(True))
    stream = client_frame(b"ok") + unmasked_frame(b"bad") + unmasked_frame(b"again")
    for start in range(0, len(stream), chunk):
        watcher.feed(stream[start : start + chunk])
    assert (unmasked, oversized) == ([True], [])
