# From the version 4 schema to version 5, step 2 of 3: rewrite the values whose
# meaning changed. QuerySet.update and bulk_update leave auto_now fields alone,
# so updated_on keeps its 4.x value.

from collections.abc import Iterator
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, migrations
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from django_aws_api_gateway_websockets.hashing import sha256_hex

APP = "django_aws_api_gateway_websockets"

# The key salts 4.x used for its HMACs (keyed with SECRET_KEY).
SESSION_KEY_SALT_4X = "django_aws_api_gateway_websockets.WebSocketToken.session_key"
AUTH_HASH_SALT_4X = "django_aws_api_gateway_websockets.WebSocketSession.auth_hash"

# 4.x recorded each provisioning step; version 5 records the outcome of the
# last operation. A 4.x run that stopped part way is a failed operation.
FINISHED_4X = {"deployed", "mapped"}
NOT_STARTED_4X = "pending"
BATCH = 1000


def hmac_4x(salt: str, value: str) -> str:
    return salted_hmac(salt, value, algorithm="sha256").hexdigest()


def gateway_status(pk: int, status: str, last_error: str) -> tuple[str, str]:
    """Version 5 (provisioning_status, provisioning_error) for a 4.x gateway row."""
    if last_error:
        return "failed", last_error
    if status in FINISHED_4X:
        return "ready", ""
    if status == NOT_STARTED_4X:
        return "not_created", ""
    return "failed", (
        f"Version 4 stopped at step '{status}'. Finish it with "
        f"`manage.py createApiGateway --pk={pk} --adopt` (see docs/upgrading.md)."
    )


def convert_gateways(apps: Any, schema_editor: Any) -> None:
    gateways = apps.get_model(APP, "ApiGateway").objects.using(schema_editor.connection.alias)
    gateways.filter(target_base_endpoint__isnull=True).update(target_base_endpoint="")
    for pk, status, last_error in gateways.values_list("pk", "provisioning_status", "last_error"):
        new_status, error = gateway_status(pk, status, last_error)
        gateways.filter(pk=pk).update(provisioning_status=new_status, provisioning_error=error)


def stored_session_keys(alias: str) -> Iterator[str]:
    """Keys of the unexpired Django sessions, when the session engine keeps them in a table.

    Only there can a 4.x keyed hash be turned back into the key it was made
    from; cache and cookie sessions cannot be listed.
    """
    get_model_class = getattr(
        import_module(settings.SESSION_ENGINE).SessionStore, "get_model_class", None
    )
    if get_model_class is None:
        return
    try:
        session_model = get_model_class()
    except (ImportError, LookupError, RuntimeError):
        return  # e.g. the sessions app is not installed
    if session_model._meta.db_table not in connections[alias].introspection.table_names():
        return
    rows = session_model._default_manager.using(alias).filter(expire_date__gt=timezone.now())
    yield from rows.values_list("session_key", flat=True).iterator(chunk_size=BATCH)


def session_hashes_by_4x_hash(wanted: set[str], alias: str) -> dict[str, str]:
    found = {}
    for key in stored_session_keys(alias):
        keyed = hmac_4x(SESSION_KEY_SALT_4X, key)
        if keyed in wanted:
            found[keyed] = sha256_hex(key)
    return found


def auth_hashes_by_user(user_ids: set[Any], alias: str) -> dict[Any, str]:
    """Each user's current session auth hash, computed by the project's own user model."""
    user_model = get_user_model()
    if not hasattr(user_model, "get_session_auth_hash"):
        return {}
    names = {field.name for field in user_model._meta.get_fields()}
    # Only the columns the hash needs: a later migration may add the others.
    columns = ["pk", "password"] if "password" in names else ["pk"]
    users = user_model._default_manager.using(alias).filter(pk__in=user_ids).only(*columns)
    return {user.pk: user.get_session_auth_hash() for user in users}


def convert_sessions(apps: Any, schema_editor: Any) -> None:
    """Turn 4.x's keyed hashes into the plain values version 5 compares.

    django_session_hash: sha256 of the Django session key, found by matching
    the stored sessions' keys; left empty when the session is gone or not in a
    table (logging out then cannot close that connection).
    session_auth_hash: the user's current session auth hash when it matches
    what 4.x recorded; otherwise 4.x's value is kept, which matches no user's
    hash, so version 5 closes the connection at its next message, as 4.x would.
    """
    alias = schema_editor.connection.alias
    sessions = apps.get_model(APP, "WebSocketSession").objects.using(alias)
    hashed = sessions.exclude(django_session_hash="", session_auth_hash="").order_by("pk")
    wanted = set(
        hashed.exclude(django_session_hash="").values_list("django_session_hash", flat=True)
    )
    session_hashes = session_hashes_by_4x_hash(wanted, alias) if wanted else {}
    user_ids = set(
        hashed.exclude(session_auth_hash="").exclude(user_id=None).values_list("user_id", flat=True)
    )
    auth_hashes = auth_hashes_by_user(user_ids, alias) if user_ids else {}
    # In pages by primary key, so that no query reads a table it is writing.
    last_pk = 0
    while page := list(
        hashed.filter(pk__gt=last_pk).only(
            "pk", "user_id", "django_session_hash", "session_auth_hash"
        )[:BATCH]
    ):
        for row in page:
            convert_session(row, session_hashes, auth_hashes)
        sessions.bulk_update(page, ["django_session_hash", "session_auth_hash"])
        last_pk = page[-1].pk


def convert_session(row: Any, session_hashes: dict[str, str], auth_hashes: dict[Any, str]) -> None:
    if row.django_session_hash:
        row.django_session_hash = session_hashes.get(row.django_session_hash, "")
    current = auth_hashes.get(row.user_id)
    if current is not None and row.session_auth_hash:
        if_4x_matches = hmac_4x(AUTH_HASH_SALT_4X, current)
        if constant_time_compare(row.session_auth_hash, if_4x_matches):
            row.session_auth_hash = current


class Migration(migrations.Migration):
    dependencies = [(APP, "0016_version_5_prepare")]

    # One way: version 5 keeps no key to turn its values back into 4.x's.
    operations = [
        migrations.RunPython(convert_gateways),
        migrations.RunPython(convert_sessions),
    ]
