"""Persist (issue 19 item 10): "already present" only for a hook that really turns tso, gso
and gro off (in the inet stanza of the bridge that carries the port and is brought up, not
commented, not short-circuited, not turned back on); otherwise the hook is added there, or
to the NIC's own inet stanza when no bridge carries it; never to an inet6 stanza.
Plus the property: a plan applied once is "already present" the second time, and removing
the one added line gives the original bytes back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.interfaces import InterfacesFile
from labconsole.parse.offload_persist import all_persistence, inet_stanza, persistence
from labconsole.runbook.interfaces_edit import EditRefused, RemoteFile, plan_post_up

HOOK = ["/sbin/ethtool", "-K", "eno1", "tso", "off", "gso", "off", "gro", "off"]
ADDED = "\tpost-up /sbin/ethtool -K eno1 tso off gso off gro off"
HEAD = "auto lo\niface lo inet loopback\n\niface eno1 inet manual\n\n"
BRIDGE = ("auto vmbr0\niface vmbr0 inet static\n\taddress 192.0.2.13/24\n"
          "\tbridge-ports eno1\n\tbridge-fd 0\n")


def _plan(text: str, iface: str = "eno1") -> tuple[str, bool, str]:
    plan = plan_post_up(RemoteFile("pve03", "/etc/network/interfaces", text), iface,
                        [*HOOK[:2], iface, *HOOK[3:]])
    return plan.new_text, plan.changed, plan.reason


def _added_lines(before: str, after: str) -> list[tuple[int, str]]:
    old = before.splitlines()
    return [(n, line) for n, line in enumerate(after.splitlines(), 1)
            if line not in old or after.splitlines().count(line) > old.count(line)]


@pytest.mark.parametrize("hook, why", [
    ("\tpost-up false && ethtool -K eno1 tso off gso off gro off\n", "behind a command that fails"),
    ("\tpost-up true || /sbin/ethtool -K eno1 tso off gso off gro off\n", "after '||'"),
    ("\tpost-up ethtool -K eno1 tso off gso off gro off; ethtool -K eno1 gro on\n",
     "gro turned back on later"),
    ("#\tpost-up ethtool -K eno1 tso off gso off gro off\n", "commented out"),
    ("\tpost-up ethtool -K eno1 tso off gso off\n", None),  # no gro
    ("\tpost-up exit 0; ethtool -K eno1 tso off gso off gro off\n", "after 'exit'"),
])
def test_an_ineffective_hook_is_named_and_the_fix_added_to_the_bridge(hook: str,
                                                                    why: str | None) -> None:
    text = HEAD + BRIDGE + hook
    found = persistence(InterfacesFile.parse(text), "eno1")
    assert not found.effective
    if why is not None:
        assert any(why in h.why for h in found.hooks), found.hooks
    new, changed, _ = _plan(text)
    assert changed
    lines = new.splitlines()
    assert lines.count(ADDED) == 1
    at = lines.index(ADDED)
    assert lines[at - 1].startswith(("\tbridge-fd", hook.rstrip("\n")[:10]))
    again, changed2, reason = _plan(new)
    assert not changed2 and again == new and reason.startswith("already present: line ")


@pytest.mark.parametrize("hook", [
    "\tpost-up /sbin/ethtool -K eno1 tso off gso off gro off\n",
    "\tup ethtool -K eno1 gro off tso off gso off\n",
    "\tpre-up /usr/sbin/ethtool --offload eno1 tcp-segmentation-offload off gso off gro off\n",
    "\tpost-up test -x /sbin/ethtool && ethtool -K eno1 tso off gso off gro off || true\n",
    "\tpost-up ethtool -K eno1 tso off gso off gro on; ethtool -K eno1 gro off\n",
    "\tpost-up logger x && /sbin/ethtool -K eno1 tso off gso off gro off && logger y\n",
])
def test_an_effective_hook_is_already_present(hook: str) -> None:
    text = HEAD + BRIDGE + hook
    assert persistence(InterfacesFile.parse(text), "eno1").effective
    new, changed, reason = _plan(text)
    assert not changed and new == text and "already present: line 11" in reason


def test_the_inet6_stanza_first_is_never_the_one_edited() -> None:
    text = (HEAD + "auto vmbr0\niface vmbr0 inet6 static\n\taddress 2001:db8::13/64\n"
            "\tpost-up ethtool -K eno1 tso off gso off gro off\n\n"
            "iface vmbr0 inet static\n\taddress 192.0.2.13/24\n\tbridge-ports eno1\n")
    found = persistence(InterfacesFile.parse(text), "eno1")
    assert [h.state for h in found.hooks] == ["elsewhere"]
    assert "inet6" in found.hooks[0].why
    new, changed, _ = _plan(text)
    assert changed and new == text + ADDED + "\n"


def test_a_hook_in_the_ports_own_stanza_counts_for_the_bridge() -> None:
    """ifupdown2 brings vmbr0's port up with it and runs the port stanza's hooks first
    (tests/lab/test_lab_net.py shows it with real ifreload -a): persisted, nothing added."""
    text = (HEAD.replace("iface eno1 inet manual\n",
                         "iface eno1 inet manual\n\tpost-up ethtool -K eno1 tso off gso off "
                         "gro off\n") + BRIDGE)
    found = persistence(InterfacesFile.parse(text), "eno1")
    assert found.effective and found.carrier == "vmbr0"
    assert [(h.line, h.stanza, h.state) for h in found.hooks] == [
        (5, "iface eno1 inet", "effective")]
    new, changed, reason = _plan(text)
    assert not changed and new == text
    assert reason == ("already present: line 5 'post-up ethtool -K eno1 tso off gso off gro "
                      "off' in iface eno1 inet")


def test_the_bridges_hook_runs_after_the_ports_own() -> None:
    """The port's hooks run before the bridge's: a bridge hook turning gro back on wins."""
    port = HEAD.replace("iface eno1 inet manual\n", "iface eno1 inet manual\n\tpost-up "
                        "ethtool -K eno1 tso off gso off gro off\n")
    found = persistence(InterfacesFile.parse(port + BRIDGE + "\tpost-up ethtool -K eno1 gro "
                                             "on\n"), "eno1")
    assert (found.effective, found.missing) == (False, ["gro"])
    assert found.hooks[0].state == "ineffective" and "gro turned back on" in found.hooks[0].why
    inet6 = HEAD.replace("iface eno1 inet manual\n", "iface eno1 inet manual\n\n"
                         "iface eno1 inet6 manual\n\tpost-up ethtool -K eno1 tso off gso off "
                         "gro off\n")
    found6 = persistence(InterfacesFile.parse(inet6 + BRIDGE), "eno1")
    assert not found6.effective and found6.hooks[0].state == "elsewhere"


def test_a_bridge_never_brought_up_gets_the_hook_and_says_so() -> None:
    text = HEAD + BRIDGE.replace("auto vmbr0\n", "")
    assert persistence(InterfacesFile.parse(text), "eno1").problem == (
        "vmbr0 is never brought up (no auto or allow-hotplug line for it)")
    new, changed, reason = _plan(text)
    assert changed and new == text + ADDED + "\n" and "never brought up" in reason
    again, changed2, reason2 = _plan(new)
    assert not changed2 and again == new
    assert reason2.startswith("in place, but vmbr0 is never brought up")
    assert "already present" not in reason2
    hotplug = new.replace("iface vmbr0", "allow-hotplug vmbr0\niface vmbr0", 1)
    assert _plan(hotplug)[2].startswith("already present")


def test_a_nic_that_carries_the_address_gets_the_hook_in_its_own_inet_stanza() -> None:
    text = ("auto lo\niface lo inet loopback\n\nauto eno1\niface eno1 inet6 auto\n\n"
            "iface eno1 inet static\n    address 192.0.2.20/24\n    gateway 192.0.2.1\n")
    new, changed, _ = _plan(text)
    assert changed
    assert new == text + "    post-up /sbin/ethtool -K eno1 tso off gso off gro off\n"
    assert _plan(new)[2].startswith("already present: line 10")


def test_no_stanza_at_all_for_the_port_is_refused() -> None:
    with pytest.raises(EditRefused, match="no bridge lists eno2 in its ports and eno2 has "
                                          "no stanza of its own"):
        _plan(HEAD + BRIDGE, "eno2")


def test_only_an_inet6_stanza_is_refused() -> None:
    with pytest.raises(EditRefused, match="no 'iface eno1 inet' stanza"):
        _plan("auto eno1\niface eno1 inet6 static\n\taddress 2001:db8::2/64\n")


def test_every_bridge_port_and_lone_nic_is_reported() -> None:
    text = (HEAD + BRIDGE + "\tpost-up ethtool -K eno1 tso off gso off gro off\n\n"
            "auto vmbr1\niface vmbr1 inet manual\n\tbridge-ports eno2 eno3\n"
            "#\tpost-up ethtool -K eno2 tso off gso off gro off\n\n"
            "auto eth9\niface eth9 inet dhcp\n")
    report = {(p.carrier, p.port): p for p in all_persistence(InterfacesFile.parse(text))}
    assert sorted(report) == [("eth9", "eth9"), ("vmbr0", "eno1"), ("vmbr1", "eno2"),
                              ("vmbr1", "eno3")]
    assert report[("vmbr0", "eno1")].effective
    eno2 = report[("vmbr1", "eno2")]
    assert not eno2.effective and [h.state for h in eno2.hooks] == ["commented"]
    assert eno2.to_json()["hooks"][0]["line"] == 16
    assert report[("eth9", "eth9")].carrier_kind == "nic"


_HOOKS = st.sampled_from([
    "post-up ethtool -K eno1 tso off gso off gro off",
    "post-up false && ethtool -K eno1 tso off gso off gro off",
    "post-up true || ethtool -K eno1 tso off",
    "up ethtool -K eno1 gro on",
    "pre-up ethtool -K eno1 gso off",
    "post-up ethtool -K eno1 tso off; ethtool -K eno1 tso on",
    "# post-up ethtool -K eno1 tso off gso off gro off",
    "post-up ethtool -K $IFACE tso off gso off gro off",
    "post-up /sbin/ethtool -K eno1 tso off gso off gro off",
    "post-up echo ethtool -K eno1 tso off gso off gro off",
])
_STANZAS = st.sampled_from(["iface vmbr0 inet static", "iface vmbr0 inet6 static",
                            "iface eno1 inet manual", "iface vmbr1 inet manual"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_STANZAS, st.lists(_HOOKS, max_size=3), st.booleans()),
                min_size=1, max_size=4),
       st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_property_plan_is_idempotent_and_removable(stanzas: list[tuple[str, list[str], bool]],
                                                  auto: bool, end: str) -> None:
    parts = ["auto vmbr0"] if auto else []
    for header, hooks, ports in stanzas:
        parts.append(header)
        if ports:
            parts.append("\tbridge-ports eno1")
        parts.extend("\t" + h for h in hooks)
    text = end.join(parts) + end
    try:
        new, changed, reason = _plan(text)
    except EditRefused:
        return  # no inet stanza, or a fix that would not take effect: nothing written
    if not changed:
        assert new == text
        again = _plan(text)
        assert again == (new, changed, reason)
        return
    model = InterfacesFile.parse(new)
    assert len(new.splitlines()) == len(text.splitlines()) + 1
    assert persistence(model, "eno1").effective or "never brought up" in reason
    again, changed2, reason2 = _plan(new)
    assert not changed2 and again == new
    found = persistence(model, "eno1")
    assert reason2.startswith("already present" if found.brought_up else "in place, but")
    assert found.carrier is not None
    target = inet_stanza(model, found.carrier, "eno1")  # where the plan put it
    assert target is not None and " ".join(HOOK) in target.values("post-up")
    assert model.without_post_up(target, " ".join(HOOK)).render() == text
