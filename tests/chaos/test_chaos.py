"""The chaos suite: real processes under faults (PostgreSQL only; see docs/reliability.md).

Sizes are those of benchmarks/chaos.py, which prints the same figures as a table,
except the fuzz scenario's: the test sends the first 5,000 of the script's
20,000 requests (the rarest of its 11 kinds of change still comes more than
450 times), because all 20,000 took nearly a minute of the PostgreSQL lane.
"""

from __future__ import annotations

from . import scenarios
from .harness import ChaosStack

FUZZED_REQUESTS = 5_000


def test_dropped_disconnects_are_repaired_by_reconcile(stack: ChaosStack) -> None:
    figures = scenarios.dropped_disconnects_then_reconcile(stack)

    # With 30% of 50 $disconnects dropped, some rows are stale before.
    assert figures["rows stale before"] > 0
    assert figures["rows stale after"] == 0
    assert figures["live rows touched"] == 0
    live = figures["clients"] - figures["killed abruptly"]
    assert figures["live rows connected"] == live
    assert figures["live clients served after"] == live


def test_a_django_crash_loses_no_message_silently(stack: ChaosStack) -> None:
    figures = scenarios.django_killed_mid_traffic(stack)

    assert figures["silent (neither)"] == 0
    assert (
        figures["answered by the handler"] + figures["reported failed to the client"]
        == figures["messages"]
    )
    # The crash must have been felt, or the scenario measured nothing.
    assert figures["reported failed to the client"] > 0
    assert figures["answered but not handled"] == 0


def test_multicast_reaches_every_live_client_once_and_marks_the_gone(stack: ChaosStack) -> None:
    figures = scenarios.multicast_with_gone_connections(stack)

    live = figures["channel size"] - figures["gone abruptly"]
    assert figures["live with exactly one copy"] == live
    assert figures["gone rows marked"] == figures["gone abruptly"]
    assert (
        figures["send result sent/gone/pending/failed"] == f"{live}/{figures['gone abruptly']}/0/0"
    )


def test_forged_requests_change_nothing(stack: ChaosStack) -> None:
    figures = scenarios.forged_requests(stack)

    assert figures["requests"] >= 60
    assert figures["accepted (status < 400)"] == 0, figures["statuses"]
    assert figures["rows changed"] == 0


def test_fuzzed_requests_never_get_a_server_error(stack: ChaosStack) -> None:
    figures = scenarios.fuzzed_requests(stack, count=FUZZED_REQUESTS)

    assert figures["requests"] == FUZZED_REQUESTS
    # Fewer requests than the benchmark's, still every kind of change, and often.
    assert figures["kinds of change made (of 11)"] == 11
    assert figures["times the rarest kind was made"] > 450
    assert figures["responses >= 500"] == 0, figures["statuses"]
    assert figures["no answer"] == 0, figures["statuses"]


def test_cross_site_handshakes_are_refused(stack: ChaosStack) -> None:
    figures = scenarios.cross_site_handshakes(stack)

    # The page's own origin works: the refusals below are about the origin.
    assert figures["same-site handshake user"] == "alice"
    assert figures["accepted"] == 0, figures["accepted origins"]
    assert figures["user's rows created cross-site"] == 0


def test_half_open_handshakes_do_not_stop_the_local_gateway(stack: ChaosStack) -> None:
    figures = scenarios.half_open_handshakes(stack)

    assert figures["half-open handshakes"] == 300
    assert figures["established clients served (of 2)"] == 2
    assert figures["new clients served within 20 s (of 5)"] == 5
    # Not spinning on accept() errors (issue 7 measured 6 MB/s of log).
    assert figures["gateway log growth (bytes)"] < 1_000_000
