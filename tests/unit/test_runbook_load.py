"""Runbook TOML loading: bundled runbooks valid, errors name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.runbook.load import RunbookError, applicable, bundled, load_all, parse_runbook

MINIMAL = """
id = "mine"
title = "Mine"
[[steps]]
id = "look"
kind = "check"
title = "Look"
command = ["ethtool", "-k", "{iface}"]
"""


def test_bundled_runbooks_follow_the_incident() -> None:
    books = {b.id: b for b in bundled()}
    e = books["e1000e-tx-hang"]
    assert [s.id for s in e.steps] == [
        "confirm-votes", "kernel-log", "driver", "offloads-before", "offloads-off",
        "verify-offloads", "settle", "persist", "reload", "verify-after-reload", "votes-back"]
    assert [s.kind for s in e.steps if s.kind == "action"] == ["action"] * 3
    assert e.step("offloads-off").command == ("ethtool", "-K", "{iface}", "tso", "off", "gso",
                                              "off", "gro", "off")
    assert e.step("confirm-votes").on == "peer" and e.step("confirm-votes").command == (
        "{quorum}",)
    assert e.step("persist").rollback
    assert "node-left-cluster" in books


def test_applicable_by_driver_or_missing_vote() -> None:
    books = bundled()
    assert [b.id for b in applicable(books, driver="e1000e", hang=True,
                                     node_missing=True)] == ["e1000e-tx-hang"]
    assert applicable(books, driver="igb", hang=True, node_missing=False) == []
    assert [b.id for b in applicable(books, driver=None, hang=False,
                                     node_missing=True)] == ["node-left-cluster"]


@pytest.mark.parametrize(("text", "message"), [
    ("id = 'x'\n", "steps: a runbook needs at least one"),
    ("title = 'x'\n[[steps]]\n", "id: missing"),
    (MINIMAL.replace('id = "mine"', 'id = "Mine!"'), "id: 'Mine!' must match"),
    (MINIMAL.replace('kind = "check"', 'kind = "maybe"'), "steps[0].kind: 'maybe' is not"),
    (MINIMAL.replace("{iface}", "{ifcae}"), "steps[0].command: '{ifcae}': unknown placeholder"),
    (MINIMAL.replace('"{iface}"', '"x{kernel_log}"'), "must be a whole argument"),
    (MINIMAL.replace('"{iface}"', '"{iface"'), "a brace that is not"),
    (MINIMAL + "colour = 'red'\n", "steps[0]: unknown key(s) colour"),
    (MINIMAL + "[steps.expect]\nvotes = 'most'\n", "steps[0].expect.votes: 'most' is not"),
    (MINIMAL + "[steps.expect]\nexit_status = 'zero'\n", "steps[0].expect.exit_status"),
    (MINIMAL.replace('kind = "check"', 'kind = "check"\nop = "reload_network"'),
     "must be an action"),
    (MINIMAL + MINIMAL[MINIMAL.index("[[steps]]"):], "steps[1].id: duplicate step id 'look'"),
    ("id = [", "not valid TOML"),
])
def test_errors_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(RunbookError) as err:
        parse_runbook(text, "site/mine.toml")
    assert str(err.value).startswith("site/mine.toml: ")
    assert message in str(err.value)


def test_operator_directory_overrides_bundled_and_reports_broken(tmp_path: Path) -> None:
    (tmp_path / "e1000e.toml").write_text(MINIMAL.replace('"mine"', '"e1000e-tx-hang"'))
    (tmp_path / "broken.toml").write_text("id = ")
    books, errors = load_all(tmp_path)
    assert [s.id for s in books["e1000e-tx-hang"].steps] == ["look"]
    assert "node-left-cluster" in books
    assert len(errors) == 1 and "broken.toml" in errors[0]
