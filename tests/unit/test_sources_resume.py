"""Kernel stream resume strategies, quorum change detection and link state, without SSH."""

from __future__ import annotations

import json
import shlex

import pytest

from labconsole.sources.kernel_stream import (
    DmesgResume,
    JournalResume,
    ResumeStrategy,
    TailResume,
    strategy_for,
)
from labconsole.sources.nic_poll import link_state
from labconsole.sources.quorum_poll import is_answer, state_key


def test_strategy_is_chosen_by_command() -> None:
    assert isinstance(strategy_for("journalctl -k -f -o json"), JournalResume)
    assert isinstance(strategy_for("journalctl -k -f --output=json"), JournalResume)
    assert type(strategy_for("journalctl -k -f")) is ResumeStrategy  # short text: no cursor
    assert isinstance(strategy_for("/usr/bin/dmesg -w"), DmesgResume)
    assert isinstance(strategy_for("tail -n +1 -F /x"), TailResume)
    assert type(strategy_for("ssh-cat-log")) is ResumeStrategy


def test_tail_resumes_at_the_next_absolute_line() -> None:
    s = TailResume(shlex.split("tail -n +5 -F '/var/log/kern log'"))
    assert s.command() == "tail -n +5 -F '/var/log/kern log'"
    for _ in range(3):
        assert s.accept("line")
    s.restarted()
    assert s.command() == "tail -n +8 -F '/var/log/kern log'"


def test_tail_without_an_absolute_start_restarts_as_configured() -> None:
    s = TailResume(["tail", "-F", "/x"])
    s.accept("a")
    assert s.command() == "tail -F /x"


def _journal_line(cursor: str, msg: str) -> str:
    return json.dumps({"__CURSOR": cursor, "MESSAGE": msg, "__REALTIME_TIMESTAMP": "1"})


def test_journal_starts_10_minutes_back_and_resumes_after_the_last_cursor() -> None:
    s = JournalResume(shlex.split("journalctl -k -f -o json"))
    assert s.command() == "journalctl -k -f -o json --since=-10min"
    assert s.accept(_journal_line("s=1;i=a", "one"))
    assert s.accept("not json at all")  # passed on; the domain reports it
    assert s.accept(_journal_line("s=1;i=b", "two"))
    s.restarted()
    assert s.command() == "journalctl -k -f -o json '--after-cursor=s=1;i=b' --no-tail"


def test_journal_keeps_an_operator_start_option_until_the_first_cursor() -> None:
    s = JournalResume(shlex.split("journalctl -k -f -o json --since '2026-01-01 00:00' -n 50"))
    assert "--since=-10min" not in s.command()
    s.accept(_journal_line("c1", "x"))
    assert s.command() == "journalctl -k -f -o json --after-cursor=c1 --no-tail"


def test_journal_resume_never_doubles_no_tail() -> None:
    s = JournalResume(shlex.split("journalctl -k -f -o json --no-tail -n 5"))
    s.accept(_journal_line("c1", "x"))
    s.restarted()
    s.accept(_journal_line("c2", "y"))
    assert s.command() == "journalctl -k -f -o json --after-cursor=c2 --no-tail"


def test_dmesg_replay_is_dropped_up_to_the_last_stamp_seen() -> None:
    s = DmesgResume(["dmesg", "-w"])
    first = ["[  1.000000] a", "[  2.000000] b", "[  2.000000] c", "    continuation"]
    assert [s.accept(x) for x in first] == [True, True, True, True]
    s.restarted()
    replay = ["[  1.000000] a", "[  2.000000] b", "[  2.000000] c", "    continuation",
              "[  2.000000] d", "[  3.500000] e", "    more"]
    assert [s.accept(x) for x in replay] == [False, False, False, False, True, True, True]


@pytest.mark.parametrize(("text", "key"), [
    ("Quorum information\nDate:  Mon 06:19:01\nQuorate: Yes\n",
     "Quorum information\n\nQuorate: Yes"),
])
def test_quorum_state_ignores_the_date_line(text: str, key: str) -> None:
    assert state_key(text) == key
    assert state_key(text.replace("06:19:01", "06:19:02")) == state_key(text)
    assert is_answer(text)
    assert not is_answer("Cannot initialize QUORUM service\n")


@pytest.mark.parametrize(("body", "want"), [
    ('[{"ifname":"eno1","operstate":"UP","flags":["UP","LOWER_UP"]}]', "up"),
    ('[{"ifname":"eno1","operstate":"DOWN","flags":["NO-CARRIER","UP"]}]', "down"),
    ('[{"ifname":"x","operstate":"UNKNOWN","flags":["UP","LOWER_UP"]}]', "up"),
    ('[{"ifname":"x","operstate":"UNKNOWN","flags":["UP"]}]', "down"),
    ("Device \"eno9\" does not exist.", None),
    ("[]", None),
])
def test_link_state_from_ip_json(body: str, want: str | None) -> None:
    assert link_state(body) == want
