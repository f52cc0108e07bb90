"""Make one API in AWS match its plan: the engine behind create and sync.

Every step compares, records a ``Change`` and (unless dry-running) applies it.
Resources are found by what they are (route key, the integration description
that names its route), never by what this process remembers, so a run that
failed halfway is finished by the next one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .changes import Change, ChangeLog
from .errors import MASK, error_code
from .ownership import MANAGED_TAG_KEY, MANAGED_TAG_VALUE, MANAGED_TAGS
from .plan import (
    AUTHORIZER_NAME,
    CUSTOM_AUTHORIZATION,
    INTEGRATION_DESCRIPTION_PREFIX,
    SECRET_PARAMETER,
    TWO_WAY_RESPONSE_KEY,
    TWO_WAY_SELECTION_EXPRESSION,
    GatewayPlan,
    IntegrationSpec,
    RouteSpec,
)
from .state import TARGET_PREFIX, ActualApi, ActualAuthorizer, ActualIntegration, ActualRoute

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client


def reconcile(
    client: ApiGatewayV2Client,
    plan: GatewayPlan,
    actual: ActualApi,
    log: ChangeLog,
    *,
    adopt: bool = False,
) -> None:
    """``adopt``: the caller takes the API over, so tags not on the record go too."""
    _Reconciler(client, plan, actual, log, adopt=adopt).run()


def _show_parameter(key: str, value: str | None) -> str:
    if value is None:
        return "(none)"
    return MASK if key == SECRET_PARAMETER else value


def integration_differences(spec: IntegrationSpec, actual: ActualIntegration) -> list[str]:
    """Human-readable differences; the secret's value is never shown."""
    found = []
    if spec.integration_type != actual.integration_type:
        found.append(f"type {actual.integration_type} -> {spec.integration_type}")
    if spec.method != actual.method:
        found.append(f"method {actual.method} -> {spec.method}")
    if spec.uri != actual.uri:
        found.append(f"uri {actual.uri} -> {spec.uri}")
    if spec.timeout_ms != actual.timeout_ms:
        found.append(f"timeout {actual.timeout_ms} -> {spec.timeout_ms} ms")
    for key in sorted(set(spec.request_parameters) | set(actual.request_parameters)):
        want, have = spec.request_parameters.get(key), actual.request_parameters.get(key)
        if want != have:
            label = "gateway secret" if key == SECRET_PARAMETER else key
            found.append(
                f"request parameter {label} {_show_parameter(key, have)} -> "
                f"{_show_parameter(key, want)}"
            )
    return found


class _Reconciler:
    def __init__(
        self,
        client: ApiGatewayV2Client,
        plan: GatewayPlan,
        actual: ActualApi,
        log: ChangeLog,
        *,
        adopt: bool,
    ) -> None:
        self.client = client
        self.adopt = adopt
        self.plan = plan
        self.actual = actual
        self.api_id = actual.api_id
        self.log = log
        # Integrations still targeted once routes are reconciled; the rest go.
        self.kept: set[str] = set()
        # The $connect authorizer routes point at (created before the routes).
        self.authorizer_id: str | None = None

    def run(self) -> None:
        self._api()
        self._tags()
        self._authorizer()
        wanted = {route.route_key for route in self.plan.routes}
        for key, route in sorted(self.actual.routes.items()):
            if key not in wanted:
                self._delete_route(route)
        for spec in self.plan.routes:
            self._route(spec)
        for integration_id, integration in sorted(self.actual.integrations.items()):
            if integration_id in self.kept:
                continue
            if integration.description.startswith(INTEGRATION_DESCRIPTION_PREFIX):
                self._delete_integration(integration)
            else:
                name = integration.description or integration_id
                self.log.report(f"integration {name} was not created by this app: kept")
        self._unused_authorizer()
        self._stage()

    # API

    def _api(self) -> None:
        spec, actual = self.plan.api, self.actual
        pairs = {
            "name": (actual.name, spec.name),
            "description": (actual.description, spec.description),
            "route selection expression": (
                actual.route_selection_expression,
                spec.route_selection_expression,
            ),
            "API key selection expression": (
                actual.api_key_selection_expression,
                spec.api_key_selection_expression,
            ),
        }
        differences = [
            f"{label} {have!r} -> {want!r}" for label, (have, want) in pairs.items() if have != want
        ]
        if differences:
            self.log(
                Change("update", "api", self.api_id, "; ".join(differences)),
                lambda: self.client.update_api(
                    ApiId=self.api_id,
                    Name=spec.name,
                    Description=spec.description,
                    RouteSelectionExpression=spec.route_selection_expression,
                    ApiKeySelectionExpression=spec.api_key_selection_expression,
                ),
            )

    def _tags(self) -> None:
        want, have = dict(self.plan.api.tags), self.actual.tags
        arn = self._api_arn()
        if have.get(MANAGED_TAG_KEY) != MANAGED_TAG_VALUE:
            # Only reachable when adopting: an API without the tag is refused before.
            self.log(
                Change("adopt", "api", self.api_id, f"tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}"),
                lambda: self.client.tag_resource(ResourceArn=arn, Tags=dict(MANAGED_TAGS)),
            )
        changed = {
            key: value
            for key, value in want.items()
            if have.get(key) != value and key != MANAGED_TAG_KEY
        }
        extra = sorted(set(have) - set(want))
        if changed:
            self.log(
                Change("update", "tags", self.api_id, ", ".join(sorted(changed))),
                lambda: self.client.tag_resource(ResourceArn=arn, Tags=changed),
            )
        if not extra:
            return
        if not self.adopt:
            # Set by hand or by another tool: not the app's to remove.
            self.log.report(
                f"tags of API {self.api_id} not on the record, kept: {', '.join(extra)} "
                "(--adopt removes them)"
            )
            return
        self.log(
            Change("delete", "tags", self.api_id, ", ".join(extra)),
            lambda: self.client.untag_resource(ResourceArn=arn, TagKeys=extra),
        )

    def _api_arn(self) -> str:
        region = self.client.meta.region_name
        partition = self.client.meta.partition
        return f"arn:{partition}:apigateway:{region}::/apis/{self.api_id}"

    # The $connect authorizer

    def _authorizer(self) -> None:
        spec, actual = self.plan.authorizer, self.actual.authorizer
        if spec is None:
            return
        if actual is None or actual.name != AUTHORIZER_NAME:
            self.log(
                Change("create", "authorizer", spec.name, spec.function_arn),
                self._create_authorizer,
            )
            return
        self.authorizer_id = actual.authorizer_id
        differences = []
        if actual.uri != spec.uri:
            differences.append(f"function -> {spec.function_arn}")
        if actual.identity_sources != spec.identity_sources:
            differences.append(
                f"identity sources {list(actual.identity_sources)} -> {list(spec.identity_sources)}"
            )
        if actual.authorizer_type != spec.authorizer_type:
            differences.append(f"type {actual.authorizer_type} -> {spec.authorizer_type}")
        if differences:
            self.log(
                Change("update", "authorizer", spec.name, "; ".join(differences)),
                lambda: self.client.update_authorizer(
                    AuthorizerId=actual.authorizer_id, **self._authorizer_fields()
                ),
            )

    def _authorizer_fields(self) -> dict[str, Any]:
        spec = self.plan.authorizer
        assert spec is not None
        return {
            "ApiId": self.api_id,
            "Name": spec.name,
            "AuthorizerType": spec.authorizer_type,
            "AuthorizerUri": spec.uri,
            "IdentitySource": list(spec.identity_sources),
        }

    def _create_authorizer(self) -> None:
        created = self.client.create_authorizer(**self._authorizer_fields())
        self.authorizer_id = created["AuthorizerId"]

    def _unused_authorizer(self) -> None:
        """The app's authorizer once $connect no longer uses it (routes come first)."""
        actual: ActualAuthorizer | None = self.actual.authorizer
        if self.plan.authorizer is not None or actual is None or actual.name != AUTHORIZER_NAME:
            return
        self.log(
            Change("delete", "authorizer", actual.name, "unused"),
            lambda: self.client.delete_authorizer(
                ApiId=self.api_id, AuthorizerId=actual.authorizer_id
            ),
        )

    def _route_authorization(
        self, spec: RouteSpec, route: ActualRoute | None = None
    ) -> dict[str, Any]:
        """create_route / update_route arguments that give ``spec`` its authorization."""
        fields: dict[str, Any] = {"AuthorizationType": spec.authorization_type}
        if spec.authorization_type == CUSTOM_AUTHORIZATION:
            fields["AuthorizerId"] = self.authorizer_id
        elif route is not None and route.authorizer_id:
            # Detach the authorizer the route pointed at, so it can be deleted.
            fields["AuthorizerId"] = ""
        return fields

    def _check_route_authorization(self, spec: RouteSpec, route: ActualRoute) -> None:
        wanted_id = self.authorizer_id if spec.authorization_type == CUSTOM_AUTHORIZATION else None
        same = (route.authorization_type, route.authorizer_id) == (
            spec.authorization_type,
            wanted_id,
        )
        # A plan's authorizer with no id yet is still to be created (a dry run).
        waiting = spec.authorization_type == CUSTOM_AUTHORIZATION and wanted_id is None
        if same and not waiting:
            return
        self.log(
            Change(
                "update",
                "route",
                spec.route_key,
                f"authorization {route.authorization_type} -> {spec.authorization_type}",
            ),
            lambda: self.client.update_route(
                ApiId=self.api_id, RouteId=route.route_id, **self._route_authorization(spec, route)
            ),
        )

    # Routes and their integrations

    def _route(self, spec: RouteSpec) -> None:
        route = self.actual.routes.get(spec.route_key)
        if route is None:
            reusable = self._reusable_integration(spec)
            self.log(
                Change("create", "route", spec.route_key, spec.integration.uri),
                lambda: self._create_route(spec, reusable),
            )
            return
        integration = self.actual.integrations.get(route.integration_id or "")
        if integration is None:
            reusable = self._reusable_integration(spec)
            self.log(
                Change("update", "route", spec.route_key, "integration missing; recreating it"),
                lambda: self._retarget(spec, route, reusable),
            )
        else:
            self._integration(spec, route, integration)
        self._check_route_authorization(spec, route)
        if spec.two_way and (
            route.route_response_selection_expression != TWO_WAY_SELECTION_EXPRESSION
        ):
            self.log(
                Change("update", "route", spec.route_key, "add the $default route response"),
                lambda: self._make_two_way(route.route_id),
            )

    def _integration(
        self, spec: RouteSpec, route: ActualRoute, integration: ActualIntegration
    ) -> None:
        differences = integration_differences(spec.integration, integration)
        if integration.description != spec.integration_description:
            differences.append("description")
        if not differences:
            self.kept.add(integration.integration_id)
            return
        # Whether UpdateIntegration merges or replaces request parameters is not
        # something to bet a stale secret on: drop a parameter by replacing.
        if set(integration.request_parameters) - set(spec.integration.request_parameters):
            reusable = self._reusable_integration(spec)
            self.log(
                Change("update", "integration", spec.route_key, "; ".join(differences)),
                lambda: self._retarget(spec, route, reusable),
            )
            return
        self.kept.add(integration.integration_id)
        self.log(
            Change("update", "integration", spec.route_key, "; ".join(differences)),
            lambda: self._update_integration(integration.integration_id, spec),
        )

    def _integration_fields(self, spec: RouteSpec) -> dict[str, Any]:
        """What create_integration and update_integration both set, from the plan."""
        integration = spec.integration
        return {
            "ApiId": self.api_id,
            "IntegrationType": integration.integration_type,
            "IntegrationMethod": integration.method,
            "IntegrationUri": integration.uri,
            "TimeoutInMillis": integration.timeout_ms,
            "Description": spec.integration_description,
            "RequestParameters": dict(integration.request_parameters),
        }

    def _create_integration(self, spec: RouteSpec) -> str:
        created = self.client.create_integration(**self._integration_fields(spec))
        integration_id = created["IntegrationId"]
        self.kept.add(integration_id)
        return integration_id

    def _update_integration(self, integration_id: str, spec: RouteSpec) -> None:
        self.client.update_integration(
            IntegrationId=integration_id, **self._integration_fields(spec)
        )

    def _reusable_integration(self, spec: RouteSpec) -> str | None:
        """An integration an interrupted run created for this route but never attached."""
        targeted = {route.integration_id for route in self.actual.routes.values()}
        for integration_id, integration in sorted(self.actual.integrations.items()):
            if (
                integration.description == spec.integration_description
                and integration_id not in targeted
                and not integration_differences(spec.integration, integration)
            ):
                self.kept.add(integration_id)
                return integration_id
        return None

    def _create_route(self, spec: RouteSpec, reusable: str | None) -> None:
        integration_id = reusable or self._create_integration(spec)
        created = self.client.create_route(
            ApiId=self.api_id,
            RouteKey=spec.route_key,
            Target=f"{TARGET_PREFIX}{integration_id}",
            **self._route_authorization(spec),
        )
        if spec.two_way:
            self._make_two_way(created["RouteId"], new_route=True)

    def _retarget(self, spec: RouteSpec, route: ActualRoute, reusable: str | None) -> None:
        integration_id = reusable or self._create_integration(spec)
        self.client.update_route(
            ApiId=self.api_id,
            RouteId=route.route_id,
            Target=f"{TARGET_PREFIX}{integration_id}",
        )
        # The integration it pointed at is now unused: the sweep removes it.

    def _make_two_way(self, route_id: str, *, new_route: bool = False) -> None:
        # The route response first, the selection expression last: the
        # expression is what marks the route done for a later run. A run
        # interrupted between the two left the response: look before creating.
        if new_route or not self._has_two_way_response(route_id):
            try:
                self.client.create_route_response(
                    ApiId=self.api_id, RouteId=route_id, RouteResponseKey=TWO_WAY_RESPONSE_KEY
                )
            except ClientError as exc:
                # Another run created it since we looked.
                if error_code(exc) != "ConflictException":
                    raise
        self.client.update_route(
            ApiId=self.api_id,
            RouteId=route_id,
            RouteResponseSelectionExpression=TWO_WAY_SELECTION_EXPRESSION,
        )

    def _has_two_way_response(self, route_id: str) -> bool:
        pages = self.client.get_paginator("get_route_responses").paginate(
            ApiId=self.api_id, RouteId=route_id
        )
        return any(
            item.get("RouteResponseKey") == TWO_WAY_RESPONSE_KEY
            for page in pages
            for item in page.get("Items", [])
        )

    def _delete_route(self, route: ActualRoute) -> None:
        self.log(
            Change("delete", "route", route.route_key),
            lambda: self.client.delete_route(ApiId=self.api_id, RouteId=route.route_id),
        )

    def _delete_integration(self, integration: ActualIntegration) -> None:
        name = integration.description.removeprefix(INTEGRATION_DESCRIPTION_PREFIX)
        self.log(
            Change("delete", "integration", name or integration.integration_id, "unused"),
            lambda: self.client.delete_integration(
                ApiId=self.api_id, IntegrationId=integration.integration_id
            ),
        )

    # Stage

    def _stage(self) -> None:
        if self.actual.stage_exists:
            return
        self.log(Change("create", "stage", self.plan.stage_name), self._create_stage)

    def _create_stage(self) -> None:
        if self.plan.stage_description:
            self.client.create_stage(
                ApiId=self.api_id,
                StageName=self.plan.stage_name,
                Description=self.plan.stage_description,
            )
        else:
            self.client.create_stage(ApiId=self.api_id, StageName=self.plan.stage_name)
