"""HangDetector on synthetic dmesg lines: folding, stuck/moving rings, gaps, links, updates."""

from __future__ import annotations

from labconsole.model.link import LinkEvent
from labconsole.parse.hang_detector import (
    EpisodeOpened,
    EpisodeUpdated,
    HangDetector,
    LinkChanged,
)
from labconsole.parse.kernel_reader import KernelLogReader

DEV = "e1000e 0000:00:1f.6 eno1: "


def e1000e_block(at: float, tdh: str, ntc: str, *, dev: str = DEV, cut: int = 15) -> str:
    rows = [
        dev + "Detected Hardware Unit Hang:",
        f"  TDH                  <{tdh}>",
        "  TDT                  <2a>",
        "  next_to_use          <2a>",
        f"  next_to_clean        <{ntc}>",
        "buffer_info[next_to_clean]:",
        "  time_stamp           <1004a2b10>",
        f"  next_to_watch        <{tdh}>",
        f"  jiffies              <{int(at * 250):x}>",
        "  next_to_watch.status <0>",
        "MAC Status             <80083>",
        "PHY Status             <796d>",
        "PHY 1000BASE-T Status  <3800>",
        "PHY Extended Status    <3000>",
        "PCI Status             <10>",
    ][:cut]
    return "".join(f"[{at:12.6f}] {row}\n" for row in rows)


def run(text: str) -> tuple[HangDetector, list[object]]:
    reader = KernelLogReader()
    detector = HangDetector()
    updates: list[object] = []
    for raw in text.splitlines(keepends=True):
        for line in reader.feed(raw):
            updates += detector.feed(line)
    for line in reader.close():
        updates += detector.feed(line)
    updates += detector.finish()
    assert reader.errors == []
    return detector, updates


def test_pve03_signature_every_two_seconds_is_one_stuck_episode() -> None:
    text = "".join(e1000e_block(100.0 + 2 * i, "f6", "f6") for i in range(20))
    detector, _ = run(text)
    (ep,) = detector.episodes
    assert (ep.kind, ep.driver, ep.device, ep.pci) == ("unit_hang", "e1000e", "eno1",
                                                       "0000:00:1f.6")
    assert (ep.reports, ep.stuck) == (20, True)
    assert (ep.first_uptime, ep.last_uptime) == (100.0, 138.0)
    assert ep.registers["TDH"] == ep.registers["next_to_clean"] == "f6"
    assert ep.registers["jiffies"] == f"{int(138.0 * 250):x}"
    assert ep.registers["PHY 1000BASE-T Status"] == "3800"


def test_moving_ring_is_not_stuck() -> None:
    text = e1000e_block(10.0, "10", "0e") + e1000e_block(12.0, "30", "2f")
    (ep,) = run(text)[0].episodes
    assert (ep.reports, ep.stuck) == (2, False)


def test_tdh_frozen_but_next_to_clean_moving_is_not_stuck() -> None:
    text = e1000e_block(10.0, "f6", "e0") + e1000e_block(12.0, "f6", "e4")
    assert run(text)[0].episodes[0].stuck is False


def test_a_ring_that_freezes_reads_stuck_from_the_latest_pair() -> None:
    text = (e1000e_block(10.0, "10", "0e") + e1000e_block(12.0, "f6", "f6")
            + e1000e_block(14.0, "f6", "f6"))
    assert run(text)[0].episodes[0].stuck is True


def test_single_report_leaves_stuck_unknown() -> None:
    assert run(e1000e_block(10.0, "f6", "f6"))[0].episodes[0].stuck is None


def test_cut_off_report_still_counts() -> None:
    text = e1000e_block(10.0, "f6", "f6") + e1000e_block(12.0, "f6", "f6", cut=3)
    (ep,) = run(text)[0].episodes
    assert ep.reports == 2
    assert ep.stuck is True  # TDH frozen; next_to_clean was not printed the second time
    assert ep.registers == {"TDH": "f6", "TDT": "2a"}


def test_orphan_register_line_without_a_header_is_ignored() -> None:
    text = "[    9.000000] PCI Status             <10>\n" + e1000e_block(10.0, "f6", "f6")
    (ep,) = run(text)[0].episodes
    assert ep.reports == 1


def test_quiet_gap_starts_a_new_episode() -> None:
    text = (e1000e_block(10.0, "f6", "f6") + e1000e_block(70.0, "f6", "f6")
            + e1000e_block(131.0, "f6", "f6"))
    episodes = run(text)[0].episodes
    assert [ep.reports for ep in episodes] == [2, 1]
    assert episodes[1].stuck is None  # stuck compares within an episode only


def test_uptime_going_back_is_a_reboot_and_a_new_episode() -> None:
    text = e1000e_block(500.0, "f6", "f6") + e1000e_block(20.0, "f6", "f6")
    assert [ep.reports for ep in run(text)[0].episodes] == [1, 1]


def test_link_up_closes_the_episode_and_reset_is_counted() -> None:
    text = (e1000e_block(10.0, "f6", "f6")
            + f"[   11.000000] {DEV}Reset adapter unexpectedly\n"
            + "[   11.100000] vmbr0: port 1(eno1) entered disabled state\n"
            + "[   14.000000] e1000e: eno1 NIC Link is Up 1000 Mbps Full Duplex, "
            "Flow Control: None\n"
            + e1000e_block(20.0, "10", "0e"))
    detector, _ = run(text)
    assert [(ep.reports, ep.resets) for ep in detector.episodes] == [(1, 1), (1, 0)]
    (link,) = detector.links  # the bridge port state is not a link event
    assert (link.device, link.state, link.uptime) == ("eno1", "up", 14.0)
    assert link.detail == "1000 Mbps Full Duplex, Flow Control: None"


def test_link_down_does_not_split_an_episode() -> None:
    text = (e1000e_block(10.0, "f6", "f6") + "[   11.000000] e1000e: eno1 NIC Link is Down\n"
            + e1000e_block(12.0, "f6", "f6"))
    detector, _ = run(text)
    assert [ep.reports for ep in detector.episodes] == [2]
    assert [link.state for link in detector.links] == ["down"]


def test_reset_without_an_open_episode_is_counted_apart() -> None:
    detector, updates = run(f"[    1.000000] {DEV}Reset adapter unexpectedly\n")
    assert detector.episodes == [] and updates == []
    assert detector.unattached_resets == 1


def test_two_devices_interleaved_fold_separately() -> None:
    other = "e1000e 0000:00:19.0 eno2: "
    text = "".join(e1000e_block(10.0 + 2 * i, "f6", "f6") + e1000e_block(
        10.5 + 2 * i, f"{i:02x}", f"{i:02x}", dev=other) for i in range(4))
    eno1, eno2 = run(text)[0].episodes
    assert (eno1.device, eno1.reports, eno1.stuck) == ("eno1", 4, True)
    assert (eno2.device, eno2.pci, eno2.reports, eno2.stuck) == ("eno2", "0000:00:19.0", 4, False)


def test_same_interface_on_two_hosts_are_two_episodes() -> None:
    block = ["kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:",
             "kernel:   TDH <f6>"]
    text = "".join(f"Jun  3 06:19:0{i} {host} {row}\n" for i in range(2)
                   for host in ("pve01", "pve03") for row in block)
    episodes = run(text)[0].episodes
    assert [(ep.host, ep.reports, ep.stuck) for ep in episodes] == [("pve01", 2, True),
                                                                    ("pve03", 2, True)]


def test_ixgbe_multi_queue_burst_is_one_episode_with_queues() -> None:
    def block(at: float, queue: int, tdt: int) -> str:
        rows = ["ixgbe 0000:02:00.1 eth3: Detected Tx Unit Hang",
                f"  Tx Queue             <{queue}>",
                f"  TDH, TDT             <0>, <{tdt}>", f"  next_to_use          <{tdt}>",
                "  next_to_clean        <0>", "tx_buffer_info[next_to_clean]",
                "  time_stamp           <1015573e8>", "  jiffies              <1015576d8>"]
        return "".join(f"[{at:12.6f}] {row}\n" for row in rows)

    text = block(100.000010, 6, 9) + block(100.000020, 5, 3) + block(102.0, 6, 9)
    (ep,) = run(text)[0].episodes
    assert (ep.driver, ep.device, ep.reports, ep.queues) == ("ixgbe", "eth3", 3, [6, 5])
    assert ep.stuck is True  # queue 6 printed TDH 0 twice
    assert ep.registers["TDH"] == "0" and ep.registers["TDT"] == "9"
    assert ep.registers["Tx Queue"] == "6"


def test_igb_hang_without_interface_uses_the_bus_address() -> None:
    rows = ["igb 0000:09:00.0: Detected Tx Unit Hang", "  Tx Queue             <1>",
            "  TDH                  <0>", "desc.status          <558000>"]
    (ep,) = run("".join(f"[   95.000000] {row}\n" for row in rows))[0].episodes
    assert (ep.driver, ep.device, ep.pci, ep.queues) == ("igb", "0000:09:00.0", "0000:09:00.0",
                                                          [1])


def test_watchdog_old_and_new_styles() -> None:
    text = ("[  100.000000] NETDEV WATCHDOG: eth2 (r8169): transmit queue 0 timed out\n"
            "[  105.000000] NETDEV WATCHDOG: eth2 (r8169): transmit queue 1 timed out\n"
            "[  200.000000] r8125 0000:22:04.0 eth4: NETDEV WATCHDOG: CPU: 3: transmit queue 0 "
            "timed out 5010 ms\n"
            "[  300.000000] NETDEV WATCHDOG: CPU: 8: transmit queue 0 timed out 5000 ms\n")
    old, new, bare = run(text)[0].episodes
    assert (old.kind, old.driver, old.device, old.reports, old.queues) == (
        "watchdog", "r8169", "eth2", 2, [0, 1])
    assert (new.driver, new.device, new.pci, new.reports) == ("r8125", "eth4", "0000:22:04.0", 1)
    assert (bare.driver, bare.device, bare.kind) == ("", "", "watchdog")  # no guessed device
    assert all(ep.stuck is None and ep.registers == {} for ep in (old, new, bare))


def test_updates_stream_for_the_live_ui() -> None:
    text = (e1000e_block(10.0, "f6", "f6") + e1000e_block(12.0, "f6", "f6", cut=5)
            + "[   13.000000] e1000e: eno1 NIC Link is Down\n")
    _, updates = run(text)
    kinds = [type(u).__name__ for u in updates]
    # opened at the header, updated when the block's last register (PCI Status) arrives,
    # updated at the second header, updated when the cut-off block ends, then the link.
    assert kinds == ["EpisodeOpened", "EpisodeUpdated", "EpisodeUpdated", "EpisodeUpdated",
                     "LinkChanged"]
    assert isinstance(updates[0], EpisodeOpened) and isinstance(updates[3], EpisodeUpdated)
    assert updates[0].episode is updates[3].episode
    assert updates[3].episode.stuck is True
    assert isinstance(updates[4], LinkChanged) and updates[4].link.state == "down"


def test_non_kernel_lines_never_make_hangs() -> None:
    text = ("Jun  3 06:19:02 pve03 myapp[12]: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit "
            "Hang:\n"
            "Jun  3 06:19:03 pve03 myapp[12]: e1000e: eno1 NIC Link is Up\n")
    detector, updates = run(text)
    assert detector.episodes == [] and detector.links == [] and updates == []


def test_episode_json_uses_the_contract_keys() -> None:
    (ep,) = run(e1000e_block(10.0, "f6", "f6"))[0].episodes
    data = ep.to_json()
    assert data["first"] is None and data["last"] is None  # dmesg carries no wall time
    assert data["registers"]["next_to_watch.status"] == "0"
    assert data["reports"] == 1 and data["stuck"] is None


def _hang_then(detector: HangDetector) -> None:
    """An e1000e hang episode of eno1 opened in ``detector``."""
    reader = KernelLogReader()
    for line in reader.feed_text(e1000e_block(10.0, "f6", "f6")) + reader.close():
        detector.feed(line)


def test_link_fields_goes_to_the_fields_sink_and_an_up_ends_the_episode() -> None:
    """``link_fields`` hands a tally the fields, builds no event, and ends the device's open
    episode on an up exactly as ``link_line`` of the same event does."""
    got: list[tuple[object, ...]] = []
    events: list[LinkEvent] = []
    detector = HangDetector(on_link=events.append,
                            on_link_fields=lambda *fields: got.append(fields))
    _hang_then(detector)
    detector.link_fields(None, "eno1", "down", None, 11.0, "x", 40)
    _hang_then(detector)  # still the same episode
    assert len(detector.episodes) == 1
    detector.link_fields(None, "eno1", "up", None, 12.0, None, 41)
    _hang_then(detector)  # a new one after the up
    assert len(detector.episodes) == 2
    assert got == [(None, "eno1", "down", None, 11.0), (None, "eno1", "up", None, 12.0)]
    assert events == []


def test_link_fields_without_a_fields_sink_is_link_line_of_the_event() -> None:
    """Without ``on_link_fields`` the event is built and goes through ``self.link_line``
    (an instance attribute wrapping it sees it, as a part's traced detector does)."""
    seen: list[LinkEvent] = []
    detector = HangDetector()
    plain_link_line = detector.link_line
    detector.link_line = lambda link: (seen.append(link), plain_link_line(link))  # type: ignore[method-assign]
    detector.link_fields("pve03", "eno1", "up", None, 12.0, "1000 Mbps", 41)
    want = LinkEvent("eno1", "up", None, "pve03", 12.0, "1000 Mbps", 41)
    assert seen == [want] and detector.links == [want]
