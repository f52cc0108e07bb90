"""compute_overview() after real traffic through the view: the figures the admin and
websocketstats show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ApiGateway, ReconcileRun
from django_aws_api_gateway_websockets.overview import (
    BUCKETS,
    ChannelCount,
    compute_overview,
)

from .conftest import Tab, Traffic

pytestmark = pytest.mark.django_db


def test_connections_users_and_stale_rows_per_gateway(
    traffic: Traffic, gateway: ApiGateway, other_gateway: ApiGateway
) -> None:
    overview = compute_overview()

    mine, other = overview.gateways
    assert (mine.pk, mine.name, mine.api_id) == (gateway.pk, "Test API", gateway.api_id)
    assert (mine.connections, mine.users, mine.anonymous, mine.stale) == (4, 2, 1, 1)
    assert (other.pk, other.connections, other.users, other.anonymous, other.stale) == (
        other_gateway.pk,
        1,
        0,
        1,
        0,
    )
    assert overview.gateways_total == 2
    assert overview.stale_after_seconds == 2 * 60 * 60


def test_top_channels_and_presence_channels(traffic: Traffic) -> None:
    mine, other = compute_overview().gateways

    assert mine.top_channels == (
        ChannelCount("chat", connections=3, users=2),
        ChannelCount("presence-room", connections=2, users=2),
        ChannelCount("news", connections=1, users=0),
    )
    assert mine.presence_channels == (ChannelCount("presence-room", connections=2, users=2),)
    assert other.top_channels == (ChannelCount("news", connections=1, users=0),)
    assert other.presence_channels == ()


def test_the_top_channels_are_cut_to_the_setting(
    tab: Tab, settings: object, gateway: ApiGateway
) -> None:
    for index, members in enumerate([3, 1, 2]):
        for _ in range(members):
            tab(None, f"room-{index}")
    settings.WEBSOCKETS = {"overview_top_channels": 2}  # type: ignore[attr-defined]

    (mine,) = compute_overview().gateways

    assert [channel.name for channel in mine.top_channels] == ["room-0", "room-2"]


def test_the_last_hour_opens_and_closes_in_five_minute_buckets(traffic: Traffic) -> None:
    mine, other = compute_overview().gateways

    activity = mine.activity
    assert len(activity.opened) == len(activity.closed) == BUCKETS
    assert activity.bucket_seconds == 300
    starts = activity.bucket_starts
    assert starts[0].minute % 5 == 0 and starts[0].second == starts[0].microsecond == 0
    assert starts[-1] <= timezone.now() < starts[-1] + timedelta(minutes=5)
    # The traffic's bar holds all of it; the stale row, opened three hours ago, is
    # outside the chart.
    bar = max(index for index, start in enumerate(starts) if start <= traffic.at)
    assert activity.opened[bar] == sum(activity.opened) == 4
    assert activity.closed[bar] == sum(activity.closed) == 1
    assert (sum(other.activity.opened), sum(other.activity.closed)) == (1, 0)


def test_the_last_reconcile_of_a_gateway_is_its_own_or_one_over_every_gateway(
    gateway: ApiGateway, other_gateway: ApiGateway
) -> None:
    now = timezone.now()
    everywhere = ReconcileRun.objects.create(
        started_on=now - timedelta(minutes=10),
        finished_on=now - timedelta(minutes=9),
        alive=5,
        gone=2,
    )
    ReconcileRun.objects.create(
        api_gateway=gateway,
        channel_name="chat",
        started_on=now - timedelta(minutes=2),
        finished_on=now - timedelta(minutes=1),
        failed=1,
        first_error="timeout",
    )

    mine, other = compute_overview().gateways

    assert mine.last_reconcile is not None and other.last_reconcile is not None
    assert (mine.last_reconcile.channel, mine.last_reconcile.failed) == ("chat", 1)
    assert mine.last_reconcile.first_error == "timeout"
    assert not mine.last_reconcile.all_gateways
    assert other.last_reconcile.all_gateways
    assert other.last_reconcile.finished_on == everywhere.finished_on
    assert (other.last_reconcile.alive, other.last_reconcile.gone) == (5, 2)


def test_no_reconcile_yet(gateway: ApiGateway) -> None:
    (mine,) = compute_overview().gateways
    assert mine.last_reconcile is None


def test_history_rows_are_counted(gateway: ApiGateway, tab: Tab) -> None:
    from django_aws_api_gateway_websockets.publishing import publish
    from django_aws_api_gateway_websockets.testing.capture import capture_messages

    tab(None, "news")
    with capture_messages():
        publish("news", {"n": 1})
        publish("news", {"n": 2})

    assert compute_overview().history_rows == 2


def test_one_gateway_and_at_most_the_setting(
    traffic: Traffic, settings: object, gateway: ApiGateway, other_gateway: ApiGateway
) -> None:
    only = compute_overview(ApiGateway.objects.filter(pk=other_gateway.pk))
    assert [g.pk for g in only.gateways] == [other_gateway.pk]

    settings.WEBSOCKETS = {"overview_max_gateways": 1}  # type: ignore[attr-defined]
    cut = compute_overview()
    assert [g.pk for g in cut.gateways] == [gateway.pk]
    assert cut.gateways_total == 2


def test_the_number_of_queries_does_not_grow_with_the_traffic(tab: Tab, traffic: Traffic) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            compute_overview()
        return len(captured)

    before = queries()
    for index in range(20):
        tab(None, f"room-{index}", "chat")
    # Six per overview (the gateways, their count, history rows, and three grouped
    # by gateway: connected, opened, closed); three per gateway (top channels,
    # presence channels, last reconcile). Two gateways here.
    assert queries() == before == 6 + 2 * 3


def test_json_data_is_plain_json(traffic: Traffic) -> None:
    import json

    data = compute_overview().as_json_data()

    assert json.loads(json.dumps(data)) == data
    mine = data["gateways"][0]
    assert mine["connections"] == 4
    assert mine["top_channels"][0] == {"name": "chat", "connections": 3, "users": 2}
    assert isinstance(data["generated_on"], str) and data["generated_on"].endswith("+00:00")
