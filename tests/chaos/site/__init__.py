"""A small Django project that the chaos suite serves with gunicorn on PostgreSQL.

Its WebSocket view keeps the package's defaults (no ``allowed_origins``, cookie
authentication) and adds three handlers the scenarios measure with.
"""
