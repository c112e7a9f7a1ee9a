"""Property: any votequorum state, printed the way the tools print it (hex or decimal ids,
with or without blank lines, ``---`` or ``~~~`` underlines, indented, CRLF, trailing spaces,
a prompt in front), parses back to the same state."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.quorum import parse_quorum


@dataclass(frozen=True)
class _Layout:
    hex_ids: bool
    blank_lines: bool
    underline: str
    indent: str
    newline: str
    trailing: str
    prompt: str
    qdevice_column: bool


_NAMES = st.from_regex(r"\A(pve[0-9]{2}|10\.0\.[0-9]\.[0-9]{1,3}|fd00::[0-9a-f]{1,4})\Z")
_NODES = st.lists(
    st.tuples(st.integers(1, 2**32 - 1), st.integers(0, 9), _NAMES),
    min_size=0,
    max_size=6,
    unique_by=lambda n: n[0],
)
_LAYOUT = st.builds(
    _Layout,
    hex_ids=st.booleans(),
    blank_lines=st.booleans(),
    underline=st.sampled_from(["-", "~"]),
    indent=st.sampled_from(["", "  ", "      ", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    trailing=st.sampled_from(["", " ", "  "]),
    prompt=st.sampled_from(["", "root@pve01:~# pvecm status", " # corosync-quorumtool -s"]),
    qdevice_column=st.booleans(),
)


def _render(
    layout: _Layout,
    nodes: list[tuple[int, int, str]],
    local: int | None,
    expected: int,
    quorate: bool,
) -> str:
    def nid(value: int) -> str:
        return f"0x{value:08x}" if layout.hex_ids else str(value)

    def section(title: str, lines: list[str]) -> list[str]:
        out = [title, layout.underline * len(title), *lines]
        return [*out, ""] if layout.blank_lines else out

    total = sum(votes for _, votes, _ in nodes)
    local_id = nodes[local][0] if local is not None else 1
    lines = [layout.prompt] if layout.prompt else []
    lines += section(
        "Quorum information",
        [f"Nodes:            {len(nodes)}", f"Node ID:          {nid(local_id)}",
         f"Quorate:          {'Yes' if quorate else 'No'}"],
    )  # fmt: skip
    lines += section(
        "Votequorum information",
        [f"Expected votes:   {expected}", f"Total votes:      {total}",
         f"Quorum:           {expected // 2 + 1}{'' if quorate else ' Activity blocked'}",
         f"Flags:            {'Quorate' if quorate else ''}"],
    )  # fmt: skip
    header = "Nodeid      Votes    Qdevice Name" if layout.qdevice_column else "Nodeid Votes Name"
    rows = [
        f"{nid(n)} {votes} {'A,V,NMW ' if layout.qdevice_column else ''}{name}"
        + (" (local)" if index == local else "")
        for index, (n, votes, name) in enumerate(nodes)
    ]
    lines += section("Membership information", [header, *rows])
    return "".join(layout.indent + line + layout.trailing + layout.newline for line in lines)


@settings(max_examples=300, deadline=None)
@given(_LAYOUT, _NODES, st.data(), st.integers(1, 64), st.booleans())
def test_printed_state_parses_back(
    layout: _Layout,
    nodes: list[tuple[int, int, str]],
    data: st.DataObject,
    expected: int,
    quorate: bool,
) -> None:
    local = data.draw(st.none() | st.integers(0, len(nodes) - 1)) if nodes else None
    status = parse_quorum(_render(layout, nodes, local, expected, quorate))
    assert status.quorate is quorate
    assert status.activity_blocked is not quorate
    assert status.expected_votes == expected
    assert status.total_votes == sum(v for _, v, _ in nodes)
    assert status.quorum == expected // 2 + 1
    assert [(n.nodeid, n.votes, n.name) for n in status.nodes] == nodes
    want_local = [i == local for i in range(len(nodes))]
    if local is None:  # no (local) marker: the row whose id is Node ID (1) is local
        want_local = [n[0] == 1 for n in nodes]
    assert [n.local for n in status.nodes] == want_local
