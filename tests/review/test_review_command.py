"""``qingliu review``: where it starts reading, what it binds, how the command is wired."""

from __future__ import annotations

import pytest

from service.cli import build_parser
from service.config import load
from service.review.command import is_loopback, start_offsets


def test_start_offsets_spread_the_latest_n_over_the_partitions() -> None:
    begin = {"a": 0, "b": 5, "c": 0}
    end = {"a": 100, "b": 8, "c": 0}
    assert start_offsets(begin, end, 30) == {"a": 90, "b": 5, "c": 0}
    assert start_offsets(begin, end, 0) == end
    assert start_offsets(begin, end, None) == begin


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.1.2.3", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("example.org", False),
])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_review_command_flags_map_to_the_settings() -> None:
    args = build_parser().parse_args(["review", "--broker", "kafka://b:9", "--port", "0",
                                      "--token", "tok", "--from-beginning"])
    settings = load(args, environ={})
    assert (settings.broker, settings.review_port, settings.review_token) == ("kafka://b:9", 0,
                                                                             "tok")
    assert settings.review_host == "127.0.0.1"  # loopback unless told otherwise
    assert args.from_beginning and args.func.__module__ == "service.review.command"
    defaults = load(build_parser().parse_args(["review"]), environ={})
    assert defaults.review_host == "127.0.0.1" and defaults.review_token == ""


def test_the_worker_page_is_off_by_default_and_switches_on() -> None:
    assert load({}, environ={}).review is False
    assert load({}, environ={"QINGLIU_REVIEW": "on"}).review is True
    assert load({}, environ={"QINGLIU_REVIEW": "0"}).review is False
    from service.errors import ConfigError

    with pytest.raises(ConfigError):
        load({}, environ={"QINGLIU_REVIEW": "maybe"})
    settings = load({}, environ={"QINGLIU_REVIEW_TOKEN": "hunter22"})
    assert "hunter22" not in repr(settings) and settings.redacted()["review_token"] == "***"
