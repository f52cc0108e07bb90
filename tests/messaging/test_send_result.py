import pytest

from django_aws_api_gateway_websockets.messaging import SendResult, encode_message


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
