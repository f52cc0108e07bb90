import json

import pytest

from django_aws_api_gateway_websockets.delivery import DeliveryReport
from django_aws_api_gateway_websockets.messaging import ReconcileResult, SendResult, encode_message


def test_results_add_up() -> None:
    first = SendResult(sent_ids=("a",), gone_ids=("b",))
    second = SendResult(sent_ids=("c",), failed_ids=("d",), errors={"d": "Forbidden"})

    total = first + second

    assert (total.sent, total.gone, total.failed, total.total) == (2, 1, 1, 4)
    assert total.sent_ids == ("a", "c")
    assert total.errors == {"d": "Forbidden"}
    assert sum([first, second], SendResult()) == total


def test_a_result_only_adds_to_a_result() -> None:
    with pytest.raises(TypeError):
        SendResult() + 3  # type: ignore[operator]


def test_messages_are_compact_json() -> None:
    assert encode_message({"a": [1, 2], "b": None}) == b'{"a":[1,2],"b":null}'


def test_pending_connections_add_up_and_count_in_the_total() -> None:
    # Built positionally as before pending existed: the old fields keep their places.
    first = SendResult(("a",), (), (), {}, ("b",))
    second = SendResult(pending_ids=("c",))

    total = first + second

    assert total.pending_ids == ("b", "c")
    assert (total.sent, total.pending, total.total) == (1, 2, 3)


def test_failed_ids_are_the_ids_of_the_errors_even_when_results_overlap() -> None:
    first = SendResult(errors={"a": "Forbidden"})
    second = SendResult(errors={"a": "throttled", "b": "Forbidden"})

    total = first + second

    assert total.failed_ids == tuple(total.errors) == ("a", "b")
    assert (total.failed, total.total) == (2, 2)


def test_a_failed_id_given_without_a_reason_gets_one() -> None:
    result = SendResult(failed_ids=("a",), errors={"b": "Forbidden"})

    assert result.errors == {"a": "unknown error", "b": "Forbidden"}
    assert result.failed_ids == ("a", "b")


def test_the_old_names_are_the_one_report_type() -> None:
    assert SendResult is DeliveryReport
    assert ReconcileResult is DeliveryReport


def test_a_send_summary_is_the_task_result_shape() -> None:
    result = SendResult(sent_ids=("a", "b"), gone_ids=("c",), errors={"d": "Forbidden"})

    assert result.as_summary() == {
        "sent": 2,
        "gone": 1,
        "pending": 0,
        "failed": 1,
        "errors": {"d": "Forbidden"},
    }


def test_a_reconcile_names_the_connections_that_answered_alive() -> None:
    result = DeliveryReport(sent_ids=("a",), pending_ids=("b",), action="reconcile")

    assert (result.alive_ids, result.alive, result.total) == (("a",), 1, 2)
    assert result.as_summary() == {"alive": 1, "gone": 0, "pending": 1, "failed": 0, "errors": {}}


def test_a_dry_run_says_so_in_its_summary() -> None:
    result = DeliveryReport(gone_ids=("a",), action="reconcile", dry_run=True)

    assert result.as_summary()["dry_run"] is True
    assert "dry_run" not in DeliveryReport(action="reconcile").as_summary()


def test_reports_of_different_actions_do_not_add_up() -> None:
    with pytest.raises(TypeError, match="cannot add a close report to a send report"):
        SendResult(sent_ids=("a",)) + DeliveryReport(sent_ids=("b",), action="close")


def test_a_summary_is_json() -> None:
    result = DeliveryReport(errors={"a": "ReadTimeoutError"}, retryable_ids=("a",))

    assert json.loads(json.dumps(result.as_summary())) == result.as_summary()
