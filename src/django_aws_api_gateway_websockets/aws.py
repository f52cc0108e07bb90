"""boto3 clients for the app, and the Management API endpoint of a gateway.

Credentials, region and timeouts come from ``conf``; everything else (retry
mode, ``AWS_ENDPOINT_URL_<SERVICE>``, config files) is botocore's own business.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.loaders import create_loader

from . import wire
from .conf import conf
from .transport_options import BotoOptions

MANAGEMENT_SERVICE = "apigatewaymanagementapi"
USER_AGENT_EXTRA = "django-aws-api-gateway-websockets"

# Used only for endpoints outside AWS (the local gateway, LocalStack-style
# stand-ins), which need a signature but check none.
LOCAL_PLACEHOLDER_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
LOCAL_PLACEHOLDER_REGION = "us-east-1"

_SCHEME_FOR_MANAGEMENT = {"wss": "https", "ws": "http", "https": "https", "http": "http"}

# <api id>.execute-api.<region>.<a partition's DNS suffix>
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.(?P<suffix>.+)$")
# The partition of a region that botocore's data does not place.
_DEFAULT_PARTITION = "aws"
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


class ConfigurationError(Exception):
    """A gateway record or setting does not say enough to reach AWS."""


def stage_or_default(stage_name: str | None) -> str:
    return stage_name or wire.DEFAULT_STAGE_NAME


def management_endpoint_url(
    *, api_endpoint: str | None, api_id: str | None, stage_name: str | None, region: str | None
) -> str:
    """Where ``@connections`` calls for one gateway go (docs/aws-behaviour.md).

    ``ws://127.0.0.1:8001`` -> ``http://127.0.0.1:8001/production``;
    no endpoint -> ``https://<api_id>.execute-api.<region>.amazonaws.com/<stage>``.
    """
    stage = stage_or_default(stage_name)
    if api_endpoint:
        parts = urlsplit(api_endpoint)
        scheme = _SCHEME_FOR_MANAGEMENT.get(parts.scheme)
        if scheme is None or not parts.netloc:
            raise ConfigurationError(
                f"api_endpoint {api_endpoint!r} is not a ws://, wss://, http:// or https:// URL"
            )
        return f"{scheme}://{parts.netloc}/{stage}"
    if not api_id:
        raise ConfigurationError("the gateway has neither api_endpoint nor api_id")
    if not region:
        raise ConfigurationError(
            "set AWS_GATEWAY_REGION_NAME (or AWS_REGION_NAME) to reach a gateway by its api_id"
        )
    return f"https://{api_id}.execute-api.{region}.{dns_suffix(region)}/{stage}"


@dataclass(frozen=True)
class _Partition:
    name: str
    dns_suffix: str
    regions: frozenset[str]
    region_pattern: re.Pattern[str]


@functools.cache
def _partitions() -> tuple[_Partition, ...]:
    """AWS's partitions as botocore knows them (its endpoints data), in botocore's order.

    The one source behind endpoint derivation, "is this host AWS?", the signing
    region of a host and the ARNs of provisioning.iam: a partition AWS adds
    (``amazonaws.eu``, ``c2s.ic.gov``...) comes with botocore's next release.
    """
    data = create_loader().load_data("endpoints")
    return tuple(
        _Partition(
            name=entry["partition"],
            dns_suffix=entry["dnsSuffix"],
            regions=frozenset(entry.get("regions", ())),
            region_pattern=re.compile(entry["regionRegex"]),
        )
        for entry in data["partitions"]
    )


def _partition(region: str) -> _Partition:
    partitions = _partitions()
    # A listed region first: the aws partition's pattern also matches us-gov-... names.
    for partition in partitions:
        if region in partition.regions:
            return partition
    for partition in partitions:
        if partition.region_pattern.match(region):
            return partition
    return next(p for p in partitions if p.name == _DEFAULT_PARTITION)


def partition_for(region: str) -> str:
    """The partition an ARN in ``region`` names: ``aws``, ``aws-cn``, ``aws-us-gov``..."""
    return _partition(region).name


def dns_suffix(region: str) -> str:
    """The DNS suffix of ``region``'s endpoints: ``amazonaws.com``, ``amazonaws.com.cn``..."""
    return _partition(region).dns_suffix


def has_configured_endpoint(service: str) -> bool:
    """True when botocore's standard settings name an endpoint for ``service``."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return False
    env_name = f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}"
    return bool(os.environ.get(env_name) or os.environ.get("AWS_ENDPOINT_URL"))


def is_aws_hosted(endpoint_url: str) -> bool:
    """True for hosts under an AWS partition's domain (China's and the others included)."""
    host = (urlsplit(endpoint_url).hostname or "").lower()
    return any(host.endswith(f".{partition.dns_suffix}") for partition in _partitions())


def region_of_endpoint(endpoint_url: str) -> str | None:
    """The region of an ``<api>.execute-api.<region>.<partition's suffix>`` URL, else None.

    API Gateway refuses a request whose signature names another region, so this,
    not the configured default, is the region to sign for. A host whose suffix
    does not belong to its region's partition is not an execute-api host.
    """
    match = _EXECUTE_API_HOST.match((urlsplit(endpoint_url).hostname or "").lower())
    if match is None or dns_suffix(match["region"]) != match["suffix"]:
        return None
    return match["region"]


def boto3_session() -> boto3.Session:
    kwargs: dict[str, Any] = {"region_name": conf.AWS_GATEWAY_REGION_NAME}
    if conf.AWS_IAM_PROFILE:
        kwargs["profile_name"] = conf.AWS_IAM_PROFILE
    elif conf.AWS_ACCESS_KEY_ID and conf.AWS_SECRET_ACCESS_KEY:
        kwargs["aws_access_key_id"] = conf.AWS_ACCESS_KEY_ID
        kwargs["aws_secret_access_key"] = conf.AWS_SECRET_ACCESS_KEY
        kwargs["aws_session_token"] = conf.AWS_SESSION_TOKEN
    return boto3.Session(**kwargs)


def _client_config() -> Config:
    options = conf.transport_options(BotoOptions)
    return Config(
        user_agent_extra=USER_AGENT_EXTRA,
        connect_timeout=options.connect_timeout_seconds,
        read_timeout=options.read_timeout_seconds,
        # total_max_attempts counts the first attempt, as max_attempts does;
        # botocore's max_attempts counts retries only.
        retries={"mode": "standard", "total_max_attempts": options.max_attempts},
        max_pool_connections=max(10, options.concurrency),
    )


def client(service: str, endpoint_url: str | None = None, *, region_name: str | None = None) -> Any:
    """A shared boto3 client; one per service, endpoint, region and credentials.

    ``region_name`` replaces the configured region (the Management API signs for
    its endpoint's region).
    """
    local = endpoint_url is not None and not is_aws_hosted(endpoint_url)
    key = (service, endpoint_url, region_name, *_settings_key())
    with _clients_lock:
        existing = _clients.get(key)
        if existing is None:
            session = _session()
            kwargs: dict[str, Any] = {"endpoint_url": endpoint_url, "config": _client_config()}
            if local and session.get_credentials() is None:
                # The local gateway accepts any SigV4 signature; a developer
                # without AWS credentials must still be able to send to it.
                kwargs.update(LOCAL_PLACEHOLDER_CREDENTIALS)
            # boto3's stubs type region_name as str, but it is None when unset.
            region: str | None = region_name or session.region_name
            if region_name:
                kwargs["region_name"] = region_name
            elif local and not region:
                kwargs["region_name"] = LOCAL_PLACEHOLDER_REGION
            # boto3's stubs overload client() per service literal; ours is dynamic.
            new_client: Any = session.client(service, **kwargs)  # type: ignore[call-overload]
            existing = _clients[key] = new_client
        return existing


def _settings_key() -> tuple[Any, ...]:
    options = conf.transport_options(BotoOptions)
    return (
        *_credential_settings(),
        options.concurrency,
        options.connect_timeout_seconds,
        options.read_timeout_seconds,
        options.max_attempts,
    )


def _credential_settings() -> tuple[Any, ...]:
    return (
        conf.AWS_GATEWAY_REGION_NAME,
        conf.AWS_IAM_PROFILE,
        conf.AWS_ACCESS_KEY_ID,
        conf.AWS_SECRET_ACCESS_KEY,
        conf.AWS_SESSION_TOKEN,
    )


def _session() -> boto3.Session:
    """One boto3 session per credential settings; call with ``_clients_lock`` held."""
    key = ("session", *_credential_settings())
    session: boto3.Session | None = _clients.get(key)
    if session is None:
        session = _clients[key] = boto3_session()
    return session


# How long "the chain found no credentials" is believed. Long enough that a
# send burst does not walk the chain (instance-metadata timeouts included) once
# per request; short enough that a role that was slow to answer once (a
# container's first second) is found on a later send.
NO_CREDENTIALS_RETRY_SECONDS = 30.0


def credentials() -> Credentials | None:
    """boto3's credential chain (settings, profile, environment, instance or task role).

    The same object for every call until the settings change: refreshable
    credentials refresh themselves, so callers freeze them per request with
    ``get_frozen_credentials()``. None when the chain finds nothing; that
    answer is remembered for ``NO_CREDENTIALS_RETRY_SECONDS`` only.
    """
    key = ("credentials", *_credential_settings())
    with _clients_lock:
        found, looked_at = _clients.get(key, (None, None))
        stale = found is None and (
            looked_at is None or time.monotonic() - looked_at > NO_CREDENTIALS_RETRY_SECONDS
        )
        if stale:
            found = _session().get_credentials()
            _clients[key] = (found, time.monotonic())
        return found  # type: ignore[no-any-return]


def signing_region(endpoint_url: str) -> str | None:
    """The region to sign Management API requests to ``endpoint_url`` for.

    The endpoint's own region when its host names one, else the configured
    region; for a local endpoint without one (plain HTTP outside AWS: the local
    gateway, a stand-in), a placeholder. None for a custom domain (HTTPS) when
    no region is configured: a guess would be refused by AWS.
    """
    region = region_of_endpoint(endpoint_url) or conf.AWS_GATEWAY_REGION_NAME
    if region is None and is_local(endpoint_url):
        return LOCAL_PLACEHOLDER_REGION
    return region


def is_local(endpoint_url: str) -> bool:
    """True for plain ``http``/``ws`` endpoints outside AWS: a local gateway or a stand-in.

    API Gateway serves only HTTPS, so an HTTPS host outside AWS's domains is a
    custom domain in front of a real gateway.
    """
    scheme = urlsplit(endpoint_url).scheme
    return scheme in ("http", "ws") and not is_aws_hosted(endpoint_url)


def needs_region_setting(endpoint_url: str) -> bool:
    """True when requests to ``endpoint_url`` can be signed only with a configured region."""
    return region_of_endpoint(endpoint_url) is None and not is_local(endpoint_url)


def routed_management_endpoint(endpoint_url: str) -> str:
    """Where calls for ``endpoint_url`` really go.

    A derived AWS endpoint gives way to ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``
    (botocore's standard setting, resolved by botocore itself) so that
    LocalStack-style setups work; an explicit non-AWS endpoint (the local
    gateway) is always used as it is.
    """
    if is_aws_hosted(endpoint_url) and has_configured_endpoint(MANAGEMENT_SERVICE):
        configured = client(MANAGEMENT_SERVICE, region_name=region_of_endpoint(endpoint_url))
        return str(configured.meta.endpoint_url)
    return endpoint_url


def management_client(endpoint_url: str) -> Any:
    """Management API client for one gateway endpoint, signing for its region."""
    region = region_of_endpoint(endpoint_url)
    routed = routed_management_endpoint(endpoint_url)
    if routed != endpoint_url:
        return client(MANAGEMENT_SERVICE, region_name=region)
    return client(MANAGEMENT_SERVICE, endpoint_url, region_name=region)


def clear_client_cache() -> None:
    with _clients_lock:
        _clients.clear()
