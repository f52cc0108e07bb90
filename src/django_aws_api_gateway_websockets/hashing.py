"""The one way secrets we must recognise later (tokens, session keys) are stored,
and the one way a PostgreSQL advisory lock is named."""

import hashlib


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session_key_hash(session_key: str | None) -> str:
    """A Django session key as tokens and connections record it; "" for none."""
    return sha256_hex(session_key) if session_key else ""


def advisory_lock_key(*parts: object) -> int:
    """The signed 64-bit key of a PostgreSQL advisory lock on ``parts`` (joined by NUL)."""
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def request_session_hash(request: object) -> str:
    """``session_key_hash`` of the session ``request`` carries ("" if none was saved)."""
    session = getattr(request, "session", None)
    return session_key_hash(getattr(session, "session_key", None))
