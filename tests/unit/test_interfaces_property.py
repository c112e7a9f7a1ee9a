"""Property tests: the interfaces model renders any text back unchanged, and edits are exact."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.interfaces import InterfacesEditError, InterfacesFile

_PIECES = st.sampled_from(
    [
        "auto lo eno1",
        "allow-hotplug eno2",
        "iface eno1 inet manual",
        "iface vmbr0 inet static",
        "iface vmbr0",
        "mapping eth*",
        "source /etc/network/interfaces.d/*",
        "source-directory interfaces.d",
        "\tbridge-ports eno1",
        "    bridge_ports eno1 eno2",
        "  address 10.0.0.1/24",
        "post-up /sbin/ethtool -K eno1 tso off gso off gro off",
        "  up ethtool -K $IFACE gro off && true",
        "# comment",
        "   # indented comment \\",
        "  up ip link set \\",
        "",
        "   ",
        "\t",
    ]
)
_LINE = st.tuples(st.one_of(_PIECES, st.text(max_size=30)), st.sampled_from(["\n", "\r\n", "\r"]))


@st.composite
def _texts(draw: st.DrawFn) -> str:
    """Lines of interfaces syntax and noise, any endings, maybe no final terminator."""
    text = "".join(line + end for line, end in draw(st.lists(_LINE, max_size=20)))
    return text if draw(st.booleans()) else text.removesuffix("\n")


_TEXT = _texts()


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_round_trip_is_exact(text: str) -> None:
    model = InterfacesFile.parse(text)
    assert model.render() == text
    model.bridge_for("eno1")
    model.find_offload_hooks("eno1")


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.sampled_from(["eno1", "vmbr0"]))
def test_add_then_remove_restores_the_text(text: str, name: str) -> None:
    model = InterfacesFile.parse(text)
    command = f"/sbin/ethtool -K {name} tso off gso off gro off"
    try:
        edited = model.with_post_up(name, command)
    except InterfacesEditError as error:
        dangling = "ends in a line continuation" in str(error)
        assert not model.ifaces(name) or text.endswith("\r") or dangling
        assert ("no 'iface" in str(error)) or "bare carriage return" in str(error) \
            or dangling
        return
    assert edited.with_post_up(name, command).render() == edited.render()
    if edited is model:  # already there
        return
    after, before = edited.render(), text
    assert len(edited.lines) == len(model.lines) + 1
    assert edited.without_post_up(name, command).render() == before
    assert after.count(command) == before.count(command) + 1
