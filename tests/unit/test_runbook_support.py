"""A fake node for runbook tests: real shell, real files, fake tools.

The node is a directory: ``bin/`` holds small sh scripts named like the real tools
(``ethtool``, ``corosync-quorumtool``, ``ip``, ``ifdown``, ``ifup``), ``state/`` their state
(offload flags, the quorum text), ``etc/interfaces`` the interfaces file and ``kern.log`` the
kernel log. The runbook engine runs its real command lines on it through LocalExecutor with
``PATH`` pointing at ``bin/`` first, so quoting, the atomic write script and the detached
launcher all run for real. Synthetic data only.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from labconsole.runbook.executor import LocalExecutor
from labconsole.runbook.placeholders import RunbookContext, make_context

INTERFACES = (
    "auto lo\niface lo inet loopback\n\n"
    "iface eno1 inet manual\n\n"
    "auto vmbr0\niface vmbr0 inet static\n"
    "\taddress 192.0.2.13/24\n"
    "\tgateway 192.0.2.1\n"
    "\tbridge-ports eno1\n\tbridge-stp off\n\tbridge-fd 0\n"
    "# trailing comment, kept\n"
)

HANG = """\
[ 9001.000001] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:
                 TDH                  <3c>
                 TDT                  <51>
                 next_to_use          <51>
                 next_to_clean        <3c>
               buffer_info[next_to_clean]:
                 time_stamp           <1000a0001>
                 next_to_watch        <3d>
                 jiffies              <1000a0400>
                 next_to_watch.status <0>
"""

QUORUM = """\
Quorum information
------------------
Date:             Mon Mar  2 10:00:00 2026
Quorum provider:  corosync_votequorum
Nodes:            {n}
Node ID:          1
Ring ID:          1.7
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   3
Highest expected: 3
Total votes:      {n}
Quorum:           2
Flags:            Quorate

Membership information
----------------------
    Nodeid      Votes Name
{rows}"""

ETHTOOL = r"""#!/bin/sh
S="$FAKE_NODE/state"
case "$1" in
  -i) printf 'driver: e1000e\nversion: 6.1.0-test\nfirmware-version: 0.9-4\n'
      printf 'bus-info: 0000:00:1f.6\n' ;;
  -k) [ -f "$S/iface-$2" ] || { echo "Cannot get features for $2" >&2; exit 1; }
      echo "Features for $2:"
      for f in tso gso gro; do
        case $f in tso) n=tcp-segmentation-offload;; gso) n=generic-segmentation-offload;;
                   gro) n=generic-receive-offload;; esac
        echo "$n: $(cat "$S/$f")"
      done ;;
  -K) dev="$2"; shift 2
      [ -f "$S/iface-$dev" ] || { echo "no such device $dev" >&2; exit 1; }
      while [ $# -ge 2 ]; do echo "$2" > "$S/$1"; shift 2; done
      echo "$dev" >> "$S/ethtool-K.log" ;;
esac
"""

TOOLS = {
    "ethtool": ETHTOOL,
    "corosync-quorumtool": '#!/bin/sh\ncat "$FAKE_NODE/state/quorum"\n',
    "ip": '#!/bin/sh\nprintf "1: lo: <LOOPBACK,UP> mtu 65536\\n'
          '2: eno1@if7: <BROADCAST,UP,LOWER_UP> mtu 1500\\n'
          '3: vmbr0: <BROADCAST,UP,LOWER_UP> mtu 1500\\n"\n',
    "ifdown": '#!/bin/sh\necho "ifdown $*" >> "$FAKE_NODE/state/ifupdown.log"\n',
    "ifup": '#!/bin/sh\necho "ifup $*" >> "$FAKE_NODE/state/ifupdown.log"\n',
    # ifupdown2's reload, as on Proxmox VE: without this fake the machine's own ifreload (when
    # ifupdown2 is installed) would run against the machine's real /etc/network/interfaces.
    "ifreload": '#!/bin/sh\necho "ifreload $*" >> "$FAKE_NODE/state/ifupdown.log"\n',
    "pidof": '#!/bin/sh\n[ -f "$FAKE_NODE/state/running-$1" ] && echo 4242\n',
    "uptime": '#!/bin/sh\necho " 10:00:00 up 3 days,  1 user,  load average: 0.1"\n',
}


class FakeNode:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.state = root / "state"
        self.etc = root / "etc"
        for d in (self.bin, self.state, self.etc):
            d.mkdir(parents=True)
        for name, text in TOOLS.items():
            path = self.bin / name
            path.write_text(text)
            path.chmod(0o755)
        for flag in ("tso", "gso", "gro"):
            (self.state / flag).write_text("on\n")
        for iface in ("eno1", "vmbr0", "lo"):
            (self.state / f"iface-{iface}").write_text("")
        self.interfaces.write_text(INTERFACES)
        self.kern_log.write_text(HANG)
        self.set_votes(["pve01", "pve02"])

    @property
    def interfaces(self) -> Path:
        return self.etc / "interfaces"

    @property
    def kern_log(self) -> Path:
        return self.root / "kern.log"

    @property
    def detached(self) -> Path:
        return self.root / "run"

    def set_votes(self, names: list[str]) -> None:
        rows = "".join(f"{i:>10} {1:>10} {n}\n" for i, n in enumerate(names, start=1))
        (self.state / "quorum").write_text(QUORUM.format(n=len(names), rows=rows))

    def flag(self, name: str) -> str:
        return (self.state / name).read_text().strip()

    def executor(self) -> LocalExecutor:
        env = dict(os.environ)
        env["PATH"] = f"{self.bin}:{env.get('PATH', '/usr/bin:/bin')}"
        env["FAKE_NODE"] = str(self.root)
        return LocalExecutor(env=env)

    def context(self, **kw: object) -> RunbookContext:
        args: dict[str, object] = {
            "iface": "eno1", "peers": ["pve01"],
            "since": datetime(2026, 3, 2, 9, 58, tzinfo=timezone.utc),
            "until": datetime(2026, 3, 2, 10, 2, tzinfo=timezone.utc),
            "kernel_log_command": f"tail -n +1 -F {self.kern_log}",
            "interfaces_path": str(self.interfaces), "episode": "pve03-eno1-20260302T095800Z",
        }
        args.update(kw)
        return make_context("pve03", **args)  # type: ignore[arg-type]


class TickClock:
    """A clock that moves one second per reading (distinct backup stamps, ordered audit)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 10, 5, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        from datetime import timedelta
        self.now += timedelta(seconds=1)
        return self.now
