"""The one way secrets we must recognise later (tokens, session keys) are stored."""

import hashlib


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
