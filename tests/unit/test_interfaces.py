"""/etc/network/interfaces: the model, hook detection and the byte-exact edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.parse.block_sniff import looks_like_interfaces
from labconsole.parse.interfaces import (
    InterfacesEditError,
    InterfacesFile,
    InterfacesParseError,
    parse_interfaces,
)

FIX = "/sbin/ethtool -K eno1 tso off gso off gro off"


def _read(fixtures: Path, name: str) -> str:
    return (fixtures / "blocks" / name).read_text()


def _diff_lines(before: str, after: str) -> list[str]:
    """Lines of ``after`` that are not in ``before``, with all other lines in the same order."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added = list(new)
    for line in old:
        added.remove(line)
    return added


def test_stanzas_of_the_plain_pve_file(fixtures: Path) -> None:
    model = parse_interfaces(_read(fixtures, "interfaces_pve01_vmbr0_no_hook.txt"))
    assert [(s.kind, s.words) for s in model.stanzas] == [
        ("auto", ("lo",)),
        ("iface", ("lo", "inet", "loopback")),
        ("iface", ("eno1", "inet", "manual")),
        ("auto", ("vmbr0",)),
        ("iface", ("vmbr0", "inet", "static")),
        ("iface", ("wlp3s0", "inet", "manual")),
        ("source", ("/etc/network/interfaces.d/*",)),
    ]
    vmbr0 = model.stanza("vmbr0")
    assert (vmbr0.family, vmbr0.method) == ("inet", "static")
    assert [o.keyword for o in vmbr0.options] == [
        "address",
        "gateway",
        "bridge-ports",
        "bridge-stp",
        "bridge-fd",
    ]
    assert vmbr0.options[0].indent == "\t"
    assert model.bridge_for("eno1") == "vmbr0"
    assert model.bridge_for("wlp3s0") is None
    assert model.find_offload_hook("eno1") is None
    assert model.auto() == ["lo", "vmbr0"]


def test_add_fix_to_vmbr0_changes_one_line_only(fixtures: Path) -> None:
    text = _read(fixtures, "interfaces_pve01_vmbr0_no_hook.txt")
    model = InterfacesFile.parse(text)
    edited = model.with_post_up("vmbr0", FIX).render()
    assert _diff_lines(text, edited) == [f"\tpost-up {FIX}\n"]
    lines = edited.splitlines()
    assert lines[lines.index("\tbridge-fd 0") + 1] == f"\tpost-up {FIX}"
    hook = InterfacesFile.parse(edited).find_offload_hook("eno1")
    assert hook is not None and hook.stanza == "vmbr0" and hook.disables("tso", "gso", "gro")


def test_edit_is_idempotent_also_with_other_spelling(fixtures: Path) -> None:
    model = InterfacesFile.parse(_read(fixtures, "interfaces_pve01_vmbr0_no_hook.txt"))
    once = model.with_post_up("vmbr0", FIX)
    assert once.with_post_up("vmbr0", FIX).render() == once.render()
    assert once.with_post_up("vmbr0", "  ethtool  -K eno1 tso off gso off gro off ") is once
    fixed = InterfacesFile.parse(_read(fixtures, "interfaces_pve03_vmbr0_with_hook.txt"))
    assert fixed.with_post_up("vmbr0", FIX) is fixed


def test_revert_restores_every_byte(fixtures: Path) -> None:
    text = _read(fixtures, "interfaces_pve01_vmbr0_no_hook.txt")
    edited = InterfacesFile.parse(text).with_post_up("vmbr0", FIX)
    assert edited.without_post_up("vmbr0", FIX).render() == text
    assert edited.without_post_up("vmbr0", "ethtool -K eno1 tso off").render() == edited.render()


def test_revert_never_takes_an_up_line_the_operator_wrote() -> None:
    text = "iface eno1 inet manual\n    up ethtool -K eno1 tso off\n"
    model = InterfacesFile.parse(text)
    assert model.with_post_up("eno1", "ethtool -K eno1 tso off") is model  # up = post-up
    assert model.without_post_up("eno1", "ethtool -K eno1 tso off").render() == text


def test_middle_stanza_leaves_other_bytes_identical(fixtures: Path) -> None:
    text = _read(fixtures, "interfaces_mixed_syntax.txt")
    model = InterfacesFile.parse(text)
    edited = model.with_post_up("eno2", "/sbin/ethtool -K eno2 tso off").render()
    assert _diff_lines(text, edited) == ["    post-up /sbin/ethtool -K eno2 tso off\n"]
    lines = edited.splitlines()
    # after the whole continued option, before the blank line that ends the stanza
    assert lines[lines.index("       mtu 9000") + 1] == "    post-up /sbin/ethtool -K eno2 tso off"
    assert lines[lines.index("       mtu 9000") + 2] == ""


def test_stanza_without_options_takes_the_file_indent() -> None:
    text = "auto lo\niface lo inet loopback\niface eno1 inet manual\n\niface x inet dhcp\n  mtu 1\n"
    edited = InterfacesFile.parse(text).with_post_up("eno1", "ethtool -K eno1 gro off").render()
    assert edited.splitlines()[3] == "  post-up ethtool -K eno1 gro off"
    assert _diff_lines(text, edited) == ["  post-up ethtool -K eno1 gro off\n"]
    bare = InterfacesFile.parse("iface eno1 inet manual\n").with_post_up("eno1", "true")
    assert bare.render() == "iface eno1 inet manual\n\tpost-up true\n"


def test_unindented_stanza_keeps_no_indent(fixtures: Path) -> None:
    text = "iface eno1 inet manual\npost-up logger hi\n"
    edited = InterfacesFile.parse(text).with_post_up("eno1", FIX).render()
    assert edited == text + f"post-up {FIX}\n"


def test_crlf_is_preserved() -> None:
    text = "auto vmbr0\r\niface vmbr0 inet manual\r\n    bridge-ports eno1\r\n\r\nauto lo\r\n"
    model = InterfacesFile.parse(text)
    assert model.render() == text and model.bridge_for("eno1") == "vmbr0"
    edited = model.with_post_up("vmbr0", FIX).render()
    assert _diff_lines(text, edited) == [f"    post-up {FIX}\r\n"]
    assert InterfacesFile.parse(edited).without_post_up("vmbr0", FIX).render() == text


def test_missing_final_newline_stays_missing() -> None:
    text = "iface vmbr0 inet manual\r\n\tbridge_ports eno1"
    edited = InterfacesFile.parse(text).with_post_up("vmbr0", FIX).render()
    assert edited == f"iface vmbr0 inet manual\r\n\tbridge_ports eno1\r\n\tpost-up {FIX}"
    assert InterfacesFile.parse(edited).without_post_up("vmbr0", FIX).render() == text


def test_hooks_in_any_stanza_and_shell_chains(fixtures: Path) -> None:
    model = InterfacesFile.parse(_read(fixtures, "interfaces_mixed_syntax.txt"))
    [pre] = model.find_offload_hooks("eno1")
    assert (pre.stanza, pre.keyword, pre.device, pre.lineno) == ("eno1", "pre-up", "$IFACE", 11)
    assert pre.disables("gro") and not pre.disables("gro", "tso")
    [chained] = model.find_offload_hooks("eno3")
    assert (chained.stanza, chained.device) == ("vmbr1", "eno3")
    assert model.bridge_for("eno3") == "vmbr1"  # bridge_ports spelled with underscores
    assert model.find_offload_hooks("vmbr1") == []  # $IFACE is per stanza, none there


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("post-up ethtool -K eno1 tso on", False),  # turns nothing off
        ("post-up ethtool -k eno1", False),  # shows, does not set
        ("post-up echo ethtool -K eno1 tso off", False),  # not the command run
        ("post-up /usr/sbin/ethtool --features eno1 gso off", True),
        ("up sleep 1 && ethtool -K ${IFACE} tso off >/dev/null", True),
        ("down ethtool -K eno1 tso off", False),  # not a bring-up hook
        ('post-up sh -c "unbalanced', False),
    ],
)
def test_hook_detection_variants(line: str, found: bool) -> None:
    model = InterfacesFile.parse(f"iface eno1 inet manual\n\t{line}\n")
    assert (model.find_offload_hook("eno1") is not None) is found


def test_echo_does_not_count_but_a_later_ethtool_does() -> None:
    model = InterfacesFile.parse(
        "iface eno1 inet manual\n post-up echo x; ethtool -K eno1 sg off\n"
    )
    hook = model.find_offload_hook("eno1")
    assert hook is not None and hook.disables("sg")


def test_inet_and_inet6_stanzas_of_one_interface() -> None:
    text = "iface eno1 inet manual\n\tmtu 9000\niface eno1 inet6 manual\n\tmtu 9000\n"
    model = InterfacesFile.parse(text)
    assert [s.family for s in model.ifaces("eno1")] == ["inet", "inet6"]
    edited = model.with_post_up(model.ifaces("eno1")[1], "true").render()
    assert edited == text + "\tpost-up true\n"


def test_orphan_options_are_reported_and_kept() -> None:
    text = "  address 10.0.0.1\nauto eno1\n  mtu 1500\niface eno1 inet manual\n"
    model = InterfacesFile.parse(text)
    assert model.render() == text
    assert model.problems == (
        "line 1: option 'address' outside a stanza",
        "line 3: option 'mtu' outside a stanza",
    )


@pytest.mark.parametrize(
    ("stanza", "command", "message"),
    [
        ("eno9", FIX, "no 'iface eno9' stanza"),
        ("vmbr0", "true\npost-up rm -rf /", "one line"),
        ("vmbr0", "ethtool \\", "one line"),
        ("vmbr0", "  ", "empty value"),
    ],
)
def test_edit_errors(fixtures: Path, stanza: str, command: str, message: str) -> None:
    model = InterfacesFile.parse(_read(fixtures, "interfaces_pve01_vmbr0_no_hook.txt"))
    with pytest.raises(InterfacesEditError, match=message):
        model.with_post_up(stanza, command)


def test_stale_stanza_object_is_rejected(fixtures: Path) -> None:
    model = InterfacesFile.parse(_read(fixtures, "interfaces_pve01_vmbr0_no_hook.txt"))
    other = InterfacesFile.parse("iface vmbr0 inet manual\n")
    with pytest.raises(InterfacesEditError, match="not in this file"):
        model.with_post_up(other.stanza("vmbr0"), FIX)


def test_not_an_interfaces_file() -> None:
    with pytest.raises(InterfacesParseError, match="no iface"):
        parse_interfaces("# only a comment\n\n")
    assert not looks_like_interfaces("Nov 25 06:19:02 pve03 kernel: eno1: iface down\n")
    assert looks_like_interfaces("auto lo\niface lo inet loopback\n")


def test_a_dangling_continuation_at_the_end_of_the_stanza_is_refused() -> None:
    """Found by hypothesis: a new line after a trailing backslash would join that option."""
    model = InterfacesFile.parse("iface vmbr0 inet static\n  up ip link set \\")
    with pytest.raises(InterfacesEditError, match="ends in a line continuation"):
        model.with_post_up("vmbr0", "/sbin/ethtool -K eno1 tso off gso off gro off")
