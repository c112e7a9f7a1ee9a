"""The runbook loader on arbitrary TOML-ish text raises nothing but RunbookError (naming the
file), and never hangs: TOML fragments in any order, runbook-shaped documents with values of
every type in every key, mutated bundled runbooks, bytes that are not UTF-8, and the
adversarial inputs every parser gets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labconsole.runbook.load import RunbookError, load_file, parse_runbook
from labconsole.runbook.model import STEP_KINDS, STEP_OPS
from tests.fuzz.targets import TARGETS
from tests.property.test_hardening_parsers import ADVERSARIAL, hang_guard, mutated

SOURCE = "fuzz.toml"
TARGET = TARGETS["runbook"]


def _load(text: str) -> None:
    """parse_runbook either returns a runbook or raises RunbookError naming the source."""
    with hang_guard():
        try:
            book = parse_runbook(text, SOURCE)
        except RunbookError as exc:
            assert str(exc).startswith(f"{SOURCE}: "), exc
            return
    assert book.steps and book.source == SOURCE


# -- TOML fragments in any order --------------------------------------------------------------

KEYS = ["id", "title", "description", "kind", "op", "on", "command", "timeout",
        "settle_seconds", "rollback", "exit_status", "contains", "not_contains",
        "offloads_off", "votes", "hangs", "drivers", "hang", "node_missing", "steps", "applies",
        "expect", "bogus", '"quoted key"', "a.b", "steps.expect"]
SCALARS = ['"e1000e-tx-hang"', '"check"', '"action"', '"note"', '"{iface}"', '"{nope}"',
           '"{kernel_log}"', "'literal'", '"""multi\nline"""', "'''raw\\n'''", '"\\u00e9"',
           '"\\q"', "0", "-1", "1e400", "nan", "inf", "0x10", "1_000", "true", "false",
           "1979-05-27T07:32:00Z", "07:32:00", "[]", '["ethtool", "-k", "{iface}"]',
           "[1, 2]", '{exit_status = 0}', '{ }', '"any"', '"node_missing"', '"present"']
FRAGMENTS = st.one_of(
    st.builds(lambda k, v: f"{k} = {v}\n", st.sampled_from(KEYS), st.sampled_from(SCALARS)),
    st.sampled_from(["[applies]\n", "[[steps]]\n", "[steps.expect]\n", "[steps]\n",
                     "[[steps.expect]]\n", "[[applies]]\n", "# comment\n", "\n", "[\n", "]]\n",
                     "=\n", '"\n', "\\\n", "\x00", "\ufeff", "\r\n"]),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, max_size=40))
def test_toml_fragments_in_any_order_raise_only_runbook_error(parts: list[str]) -> None:
    _load("".join(parts))


# -- runbook-shaped documents: every key, values of every type --------------------------------

def _toml(value: Any) -> str:
    """A TOML inline value (hand-written: no TOML writer is a dependency, and the test only
    needs inline values; json.dumps' string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # ASCII would escape surrogate pairs
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + "}"


ANY_VALUE = st.recursive(
    st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=15) | st.sampled_from([*STEP_KINDS, *STEP_OPS, "{iface}", "{node}",
                                              "{bridge}", "{quorum}", "any", "peer", "node"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6)
STEP_FIELDS = ["id", "kind", "title", "op", "why", "on", "command", "timeout", "settle_seconds",
               "rollback", "expect"]


def _field(draw: st.DrawFn, key: str, good: Any) -> str | None:
    """Mostly a good value (so validation gets past it to the next key), else anything or
    nothing."""
    mode = draw(st.sampled_from(["good"] * 8 + ["any", "none"]))
    if mode == "none":
        return None
    return f"{key} = {_toml(good if mode == 'good' else draw(ANY_VALUE))}"


@st.composite
def runbook_documents(draw: st.DrawFn) -> str:
    fields = [_field(draw, "id", "fuzzed-book"), _field(draw, "title", "Fuzzed"),
              _field(draw, "description", "d")]
    if draw(st.integers(0, 9)) == 0:
        fields.append(f"bogus = {_toml(draw(ANY_VALUE))}")
    if draw(st.booleans()):
        fields.append("[applies]")
        fields += [_field(draw, "hang", True), _field(draw, "drivers", ["e1000e"]),
                   _field(draw, "node_missing", False)]
    for i in range(draw(st.integers(0, 4))):
        fields.append("[[steps]]")
        good = {"id": f"step-{i}", "kind": draw(st.sampled_from(STEP_KINDS)),
                "op": draw(st.sampled_from(STEP_OPS)), "title": "t",
                "why": "w", "on": draw(st.sampled_from(["node", "peer"])),
                "command": draw(st.sampled_from([["ethtool", "-k", "{iface}"], ["uptime"],
                                                 []])),
                "timeout": 5, "settle_seconds": 1, "rollback": draw(st.booleans()),
                "expect": {"exit_status": "any", "contains": ["x"]}}
        optional = draw(st.lists(st.sampled_from(STEP_FIELDS[3:]), unique=True))
        for key in ["id", "kind", "title", *optional]:
            fields.append(_field(draw, key, good[key]))
        if draw(st.integers(0, 9)) == 0:
            fields.append(f"surprise = {_toml(draw(ANY_VALUE))}")
    return "\n".join(f for f in fields if f is not None) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runbook_documents())
def test_runbook_shaped_documents_load_or_name_what_is_wrong(text: str) -> None:
    _load(text)


# -- mutated bundled runbooks, raw bytes, adversarial input ----------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_bundled_runbooks(data: st.DataObject) -> None:
    with hang_guard():
        TARGET.run(data.draw(mutated(TARGET)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_through_the_file_loader(data: bytes) -> None:
    with hang_guard():
        TARGET.run(data)


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b'id = "x\xff"\n')
    with pytest.raises(RunbookError, match=r"bad\.toml: cannot read"):
        load_file(path)


NESTING = {k: v for k, v in ADVERSARIAL.items() if k in ("toml nesting", "toml inline tables")}


@pytest.mark.parametrize("label", sorted(set(ADVERSARIAL) - set(NESTING)))
def test_adversarial_inputs(label: str) -> None:
    with hang_guard():
        TARGET.run(ADVERSARIAL[label])


@pytest.mark.parametrize("label", sorted(NESTING))
def test_deep_nesting_is_a_runbook_error(label: str) -> None:
    _load(NESTING[label].decode())
