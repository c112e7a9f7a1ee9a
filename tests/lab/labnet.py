"""A real 3-node corosync/sshd lab in network namespaces (DESIGN.md: "Real components").

Layout (all names carry a per-run prefix ``lc<pid>`` so parallel runs and leftovers never
collide; every address lives only inside the lab's own namespaces)::

    <p>-sw     switch namespace: bridge ``br0``, one veth port per node plus ``p-ops``
    <p>-pve01  node: ``eno1`` (veth to the switch) is a port of bridge ``vmbr0`` = 10.99.0.11/24
    <p>-pve02       brought up by real ifupdown2 (``ifup -a``, as a Proxmox VE node boots) from
    <p>-pve03       the node's own /etc/network/interfaces (see below); a real corosync 3 (knet,
               crypto none) bound to the vmbr0 address, a real sshd with a lab host key
    <p>-ops    where the console's sources run: ``eth0`` = 10.99.0.100/24

Per node a long-lived *holder* process (``ip netns exec NS unshare -m ... sleep infinity``) owns
a private mount namespace in which the node's own directories are bind-mounted over ``/run``
(corosync IPC sockets, sshd privsep dir, ifupdown2's lock ``/run/network/.lock``), over
``/etc/network`` and over ``/etc/iproute2`` (ifupdown2's vrf module rewrites a table map there
on every run). Every node-local command runs with ``nsenter -t HOLDER -m -n``, so
``corosync-quorumtool`` over SSH talks to that node's corosync and ``ifreload -a`` acts on that
node's files.

ifupdown2 in a node: a *directory* is bind-mounted over /etc/network rather than a file over
/etc/network/interfaces, because the runbook's atomic write (temp file + rename) cannot rename
onto a single-file bind mount (EBUSY), and its temp file would otherwise land in the machine's
real /etc/network. The node's copy holds ifupdown2's own ``ifupdown2/`` config directory (its
``state_dir`` pointed into the node's directory, so the nodes never share interface state) and
only the ``ethtool`` hooks (ifupdown2 runs if-*.d scripts; the machine's ``resolved`` hook would
talk to the host's resolver, and bridge-utils' hook is not needed: ifupdown2 builds bridges
itself, as on Proxmox VE).

Each node's own ``var-log`` directory is bound over ``/var/log``: it holds the node's real
journal (tests/lab/journal.py), so the console's default ``journalctl -k -f -o json`` run over
SSH in the node reads that node's kernel lines with real cursors.

The console's sources run in the ops namespace from a thread that called ``setns(CLONE_NEWNET)``
on itself (network namespaces are per thread) and runs its own asyncio loop: see
:meth:`Lab.run_in_ops`. Sockets are created by that loop's thread, so they live in the ops
namespace; asyncssh's getaddrinfo calls go to executor threads, harmless for numeric addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ipaddress
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from labconsole.sources.kernel_stream import DEFAULT_COMMAND as JOURNAL_COMMAND
from labconsole.sources.ssh import SshTarget, explicit_target
from tests.lab.journal import NodeJournal, journal_remote_missing

T = TypeVar("T")

SUBNET = "10.99.0"
OPS_ADDR = f"{SUBNET}.100"
# The lab switch's network: what a listener in the ops namespace allows senders from.
LAB_NETWORK = ipaddress.ip_network(f"{SUBNET}.0/24")
NODE_NAMES = ("pve01", "pve02", "pve03")
PREFIX_RE = re.compile(r"^lc(\d+)-")
REQUIRED_TOOLS = ("ip", "unshare", "nsenter", "corosync", "corosync-quorumtool", "ethtool",
                  "tc", "ssh-keygen", "ifup", "ifdown", "ifreload", "ifquery", "tail", "ss",
                  "journalctl")
IFUPDOWN2_CONF = Path("/etc/network/ifupdown2")
SSHD = "/usr/sbin/sshd"
CLONE_NEWNET = 0x40000000


class LabError(RuntimeError):
    """The lab could not be built or a lab helper failed (with the command's output)."""


def missing_requirements() -> str | None:
    """Why the lab cannot run here (None when it can): root, tools, netns support."""
    if os.geteuid() != 0:
        return "lab needs root (network and mount namespaces)"
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if not os.access(SSHD, os.X_OK):
        missing.append("sshd")
    if journal_remote_missing():
        missing.append(str(journal_remote_missing()))
    if not (IFUPDOWN2_CONF / "ifupdown2.conf").is_file():
        missing.append("ifupdown2 (its config directory /etc/network/ifupdown2)")
    if missing:
        return "lab needs these tools: " + ", ".join(missing)
    probe = f"lcprobe{os.getpid()}"
    res = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if res.returncode != 0:
        return f"ip netns does not work here: {res.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _run(argv: list[str], *, check: bool = True, timeout: float = 20,
         input: str | None = None) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    if check and res.returncode != 0:
        raise LabError(f"{shlex.join(argv)} -> {res.returncode}: {res.stderr.strip()}")
    return res


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_stale() -> list[str]:
    """Remove namespaces left by killed lab runs (their owning pid is gone); returns them."""
    res = _run(["ip", "netns", "list"], check=False)
    removed = []
    for line in res.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = PREFIX_RE.match(name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        _kill_netns_pids(name)
        _run(["ip", "netns", "del", name], check=False)
        removed.append(name)
    return removed


def _kill_netns_pids(ns: str) -> None:
    pids = _run(["ip", "netns", "pids", ns], check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


@dataclass
class LabNode:
    name: str
    nodeid: int
    addr: str
    ns: str
    dir: Path
    holder: subprocess.Popen[str] | None = None
    corosync: subprocess.Popen[bytes] | None = None
    sshd: subprocess.Popen[bytes] | None = None
    host_pub: str = ""
    ifupdown: str = ""  # "ifupdown2" once ``ifup -a`` brought vmbr0 up (start fails otherwise)
    _journal: NodeJournal | None = field(default=None, repr=False)

    @property
    def kern_log(self) -> Path:
        return self.dir / "kern.log"

    @property
    def var_log(self) -> Path:
        """Bound over the node's /var/log: holds its journal (see journal.py)."""
        return self.dir / "var-log"

    @property
    def journal(self) -> NodeJournal:
        if self._journal is None:
            self._journal = NodeJournal(self.name, self.var_log)
        return self._journal

    @property
    def etc_network(self) -> Path:
        return self.dir / "etc-network"

    @property
    def interfaces_file(self) -> Path:
        return self.etc_network / "interfaces"


@dataclass
class Lab:
    """Build with ``start()`` (or ``with Lab() as lab``); always ``stop()``: it is idempotent."""

    nodes_names: tuple[str, ...] = NODE_NAMES
    prefix: str = field(default_factory=lambda: f"lc{os.getpid()}")
    cluster_name: str = "lab"
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="labconsole-lab-")))
    nodes: dict[str, LabNode] = field(default_factory=dict)
    started: bool = False

    # ---- names and files -------------------------------------------------------------
    @property
    def sw_ns(self) -> str:
        return f"{self.prefix}-sw"

    @property
    def ops_ns(self) -> str:
        return f"{self.prefix}-ops"

    @property
    def ops_addr(self) -> str:
        return OPS_ADDR

    @property
    def client_key(self) -> Path:
        return self.root / "client" / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.root / "client" / "known_hosts"

    def node(self, name: str) -> LabNode:
        try:
            return self.nodes[name]
        except KeyError:
            raise LabError(f"no lab node {name!r}; nodes: {', '.join(self.nodes)}") from None

    def ssh_target(self, name: str, **kw: Any) -> SshTarget:
        """How the console reaches a node: lab client key, lab known_hosts, no agent."""
        kw.setdefault("keepalive_interval", 1.0)
        kw.setdefault("keepalive_count_max", 2)
        kw.setdefault("connect_timeout", 3.0)
        return explicit_target(name, self.node(name).addr, self.client_key, self.known_hosts,
                               **kw)

    def kernel_log_command(self, name: str) -> str:
        """A kernel log command over the node's plain kern.log file (``tail -F``)."""
        return f"tail -n +1 -F {shlex.quote(str(self.node(name).kern_log))}"

    def journal_command(self, name: str, since: datetime | None = None) -> str:
        """The console's default kernel command; inside the node it reads the node's journal.
        ``since``: start there instead of the default last 10 minutes, so a test does not
        replay what earlier tests of the session lab wrote into the journals."""
        self.node(name)
        if since is None:
            return JOURNAL_COMMAND
        return f"{JOURNAL_COMMAND} --since=@{int(since.timestamp())}"

    # ---- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _remove_leftovers(self) -> None:
        """Namespaces with exactly this lab's names can only be leftovers of a killed run whose
        pid this process now reuses (cleanup_stale spares them: the pid is alive)."""
        mine = {self.sw_ns, self.ops_ns, *(node.ns for node in self.nodes.values())}
        listed = _run(["ip", "netns", "list"], check=False).stdout.split("\n")
        for name in {line.split()[0] for line in listed if line.split()} & mine:
            _kill_netns_pids(name)
            _run(["ip", "netns", "del", name], check=False)

    def start(self, quorum_timeout: float = 20.0) -> None:
        for i, name in enumerate(self.nodes_names, start=1):
            ns = f"{self.prefix}-{name}"
            self.nodes[name] = LabNode(name, i, f"{SUBNET}.{10 + i}", ns, self.root / name)
        self.started = True
        self._remove_leftovers()
        try:
            self._make_keys()
            self._make_switch()
            for node in self.nodes.values():
                self._make_node_files(node)
                self._make_node_net(node)
                self._start_holder(node)
            for node in self.nodes.values():
                self._ifup(node)
            for node in self.nodes.values():
                self.start_corosync(node.name)
                self.start_sshd(node.name)
            self._make_ops()
            self.wait_votes(len(self.nodes), timeout=quorum_timeout)
            for node in self.nodes.values():
                self.wait_sshd(node.name)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Tear everything down; daemons first, holders last, then the namespaces."""
        if not self.started:
            return
        self.started = False
        for node in self.nodes.values():
            for proc in (node.sshd, node.corosync):
                _terminate(proc)
        for node in self.nodes.values():
            _terminate(node.holder)
        for ns in [n.ns for n in self.nodes.values()] + [self.ops_ns, self.sw_ns]:
            _kill_netns_pids(ns)
            _run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- building ----------------------------------------------------------------------
    def _make_keys(self) -> None:
        (self.root / "client").mkdir(parents=True, mode=0o700)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labconsole-lab-client",
              "-f", str(self.client_key)])
        lines = []
        for node in self.nodes.values():
            node.dir.mkdir(parents=True, mode=0o700)
            key = node.dir / "ssh_host_ed25519_key"
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", node.name, "-f", str(key)])
            node.host_pub = " ".join(Path(f"{key}.pub").read_text().split()[:2])
            lines.append(f"{node.addr} {node.host_pub}\n")
        self.known_hosts.write_text("".join(lines))

    def _make_switch(self) -> None:
        _run(["ip", "netns", "add", self.sw_ns])
        sw = ["ip", "-n", self.sw_ns]
        _run([*sw, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay",
              "0"])
        _run([*sw, "link", "set", "br0", "up"])
        _run([*sw, "link", "set", "lo", "up"])

    def _make_node_net(self, node: LabNode) -> None:
        _run(["ip", "netns", "add", node.ns])
        sw = ["ip", "-n", self.sw_ns]
        port = f"p-{node.name}"
        _run([*sw, "link", "add", port, "type", "veth", "peer", "name", "eno1", "netns",
              node.ns])
        _run([*sw, "link", "set", port, "master", "br0", "up"])

    def _make_ops(self) -> None:
        _run(["ip", "netns", "add", self.ops_ns])
        sw = ["ip", "-n", self.sw_ns]
        _run([*sw, "link", "add", "p-ops", "type", "veth", "peer", "name", "eth0", "netns",
              self.ops_ns])
        _run([*sw, "link", "set", "p-ops", "master", "br0", "up"])
        ops = ["ip", "-n", self.ops_ns]
        _run([*ops, "addr", "add", f"{OPS_ADDR}/24", "dev", "eth0"])
        _run([*ops, "link", "set", "eth0", "up"])
        _run([*ops, "link", "set", "lo", "up"])

    def _make_node_files(self, node: LabNode) -> None:
        run_dir = node.dir / "run"
        for sub in ("run/sshd", "run/network", "run/corosync", "state", "etc-network",
                    "ifstate"):
            (node.dir / sub).mkdir(parents=True, exist_ok=True)
        (run_dir / "sshd").chmod(0o755)
        for hook_dir in ("if-pre-up.d", "if-up.d", "if-down.d", "if-post-down.d"):
            dst = node.etc_network / hook_dir
            dst.mkdir()
            src = Path("/etc/network") / hook_dir / "ethtool"
            if src.exists():  # copied: a link into /etc/network would point at itself
                shutil.copy2(src.resolve(), dst / "ethtool")
        self._copy_ifupdown2_conf(node)
        # ifupdown2's vrf module rewrites rt_tables.d on every run: the node's own copy.
        shutil.copytree("/etc/iproute2", node.dir / "etc-iproute2", symlinks=True)
        (node.etc_network / "interfaces.d").mkdir()
        node.interfaces_file.write_text(interfaces_text(node.addr))
        node.kern_log.touch()
        node.var_log.mkdir()
        # root's own home in the node: sshd's shell sources ~/.bashrc, and the machine's may
        # run tools (pyenv init: a rehash that waits on a stale lock hung every SSH command).
        (node.dir / "root-home").mkdir(mode=0o700)
        (node.var_log / "empty").mkdir()  # what hide_journal binds over the journal
        node.journal.create()
        node.journal.append(node.journal.kernel_entries(
            f"[    0.000000] Linux version 6.8.12-4-pve (lab node {node.name})"))
        (node.dir / "corosync.conf").write_text(self.corosync_conf(node))
        (node.dir / "authorized_keys").write_text(Path(f"{self.client_key}.pub").read_text())
        (node.dir / "sshd_config").write_text(_sshd_config(node))

    def _copy_ifupdown2_conf(self, node: LabNode) -> None:
        """The machine's ifupdown2 config, with its state kept in the node's own directory."""
        dst = node.etc_network / "ifupdown2"
        shutil.copytree(IFUPDOWN2_CONF, dst, symlinks=False)
        conf = dst / "ifupdown2.conf"
        lines = conf.read_text().splitlines(keepends=True)
        state = f"state_dir={node.dir / 'ifstate'}/\n"
        kept = [line for line in lines if not line.startswith("state_dir=")]
        conf.write_text("".join(kept) + state)

    def corosync_conf(self, node: LabNode) -> str:
        nodelist = "".join(
            f"  node {{\n    name: {n.name}\n    nodeid: {n.nodeid}\n"
            f"    quorum_votes: 1\n    ring0_addr: {n.addr}\n  }}\n"
            for n in self.nodes.values())
        return (
            "totem {\n  version: 2\n"
            f"  cluster_name: {self.cluster_name}\n"
            "  transport: knet\n  crypto_cipher: none\n  crypto_hash: none\n}\n"
            f"nodelist {{\n{nodelist}}}\n"
            "quorum {\n  provider: corosync_votequorum\n}\n"
            f"system {{\n  state_dir: {node.dir / 'state'}\n}}\n"
            "logging {\n  to_stderr: no\n  to_syslog: no\n  to_logfile: yes\n"
            f"  logfile: {node.dir / 'corosync.log'}\n  timestamp: on\n}}\n")

    def _start_holder(self, node: LabNode) -> None:
        script = (f"mount --bind {shlex.quote(str(node.dir / 'run'))} /run && "
                  f"mount --bind {shlex.quote(str(node.etc_network))} /etc/network && "
                  f"mount --bind {shlex.quote(str(node.dir / 'etc-iproute2'))} /etc/iproute2 && "
                  f"mount --bind {shlex.quote(str(node.var_log))} /var/log && "
                  f"mount --bind {shlex.quote(str(node.dir / 'root-home'))} /root && "
                  "echo ready && exec sleep infinity")
        node.holder = subprocess.Popen(
            ["ip", "netns", "exec", node.ns, "unshare", "-m", "--propagation", "private",
             "sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert node.holder.stdout is not None
        line = node.holder.stdout.readline()
        if line.strip() != "ready":
            err = node.holder.stderr.read() if node.holder.stderr else ""
            raise LabError(f"holder for {node.name} failed: {err.strip()}")

    def _nsenter(self, node: LabNode) -> list[str]:
        assert node.holder is not None
        return ["nsenter", "-t", str(node.holder.pid), "-m", "-n", "--"]

    def _ifup(self, node: LabNode) -> None:
        """``ifup -a`` as a Proxmox VE node's networking service does at boot: lo, and vmbr0
        with eno1 as its port and the node's address. No fallback: a lab whose network was
        not built by ifupdown2 is not the lab the tests claim, so the start fails."""
        res = self.node_exec(node.name, ["ifup", "-a"], check=False, timeout=60)
        if res.returncode != 0 or not self._has_addr(node):
            raise LabError(f"ifup -a on {node.name} -> {res.returncode}: "
                           f"{(res.stderr or res.stdout).strip()}")
        node.ifupdown = "ifupdown2"

    def _has_addr(self, node: LabNode) -> bool:
        res = self.node_exec(node.name, ["ip", "-o", "addr", "show", "dev", "vmbr0"],
                             check=False)
        return node.addr in res.stdout

    def start_corosync(self, name: str) -> None:
        node = self.node(name)
        node.corosync = subprocess.Popen(
            [*self._nsenter(node), "corosync", "-f", "-c", str(node.dir / "corosync.conf")],
            stdout=subprocess.DEVNULL, stderr=open(node.dir / "corosync.stderr", "ab"))  # noqa: SIM115

    def kill_corosync(self, name: str) -> None:
        node = self.node(name)
        _terminate(node.corosync, sig=signal.SIGKILL)
        node.corosync = None

    def start_sshd(self, name: str) -> None:
        node = self.node(name)
        node.sshd = subprocess.Popen(
            [*self._nsenter(node), SSHD, "-D", "-e", "-f", str(node.dir / "sshd_config")],
            stdout=subprocess.DEVNULL, stderr=open(node.dir / "sshd.log", "ab"))  # noqa: SIM115

    def kill_sshd(self, name: str) -> None:
        """Kill the node's sshd and every session it spawned (their TCP connections drop).

        Only this sshd's descendants: the lab shares the machine's pid namespace, so a
        ``pkill`` by name would also kill other labs' (and the machine's) SSH sessions."""
        node = self.node(name)
        if node.sshd is not None and node.sshd.poll() is None:
            for pid in _descendants(node.sshd.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        _terminate(node.sshd, sig=signal.SIGKILL)
        node.sshd = None

    def wait_sshd(self, name: str, timeout: float = 10.0) -> None:
        node = self.node(name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = self.node_exec(name, ["ss", "-Hltn", "sport = :22"], check=False)
            if node.addr in res.stdout:
                return
            time.sleep(0.05)
        raise LabError(f"sshd on {name} not listening after {timeout} s")

    # ---- helpers for tests ---------------------------------------------------------------
    def node_exec(self, name: str, argv: list[str] | str, *, check: bool = True,
                  timeout: float = 20, input: str | None = None
                  ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the node (its net and mount namespaces); a str goes to sh -c."""
        node = self.node(name)
        cmd = ["sh", "-c", argv] if isinstance(argv, str) else argv
        return _run([*self._nsenter(node), *cmd], check=check, timeout=timeout, input=input)

    def link_down(self, name: str) -> None:
        """Cable pull: the switch-side port goes down, so the node's eno1 loses carrier."""
        _run(["ip", "-n", self.sw_ns, "link", "set", f"p-{name}", "down"])

    def link_up(self, name: str) -> None:
        _run(["ip", "-n", self.sw_ns, "link", "set", f"p-{name}", "up"])

    def bridge_down(self) -> None:
        """Switch reboot, first half: the whole switch stops forwarding."""
        _run(["ip", "-n", self.sw_ns, "link", "set", "br0", "down"])

    def bridge_up(self) -> None:
        _run(["ip", "-n", self.sw_ns, "link", "set", "br0", "up"])

    def stuck_tx(self, name: str) -> None:
        """A stuck TX path (tbf, 1-byte burst): the node still receives but cannot send."""
        self.node_exec(name, ["tc", "qdisc", "replace", "dev", "eno1", "root", "tbf", "rate",
                              "1kbit", "burst", "1", "latency", "1ms"])

    def clear_tx(self, name: str) -> None:
        self.node_exec(name, ["tc", "qdisc", "del", "dev", "eno1", "root"], check=False)

    def write_kernel_lines(self, name: str, text: str, at: datetime | None = None) -> None:
        """Append dmesg-form lines to the node's kern.log and, as kernel entries (stamped
        ``at``, default now), to its journal: both kernel commands then stream them."""
        if text and not text.endswith("\n"):
            text += "\n"
        node = self.node(name)
        with open(node.kern_log, "a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
        node.journal.append(node.journal.kernel_entries(text, at), backdated=at is not None)

    def write_daemon_lines(self, name: str, identifier: str, lines: list[str],
                           at: datetime | None = None) -> None:
        """Append a daemon's lines (``corosync``, ``pmxcfs``) to the node's journal."""
        journal = self.node(name).journal
        journal.append((journal.daemon_entry(identifier, line, at=at) for line in lines),
                       backdated=at is not None)

    @contextlib.contextmanager
    def hide_journal(self, name: str) -> Iterator[None]:
        """The node without journal files (an empty directory over /var/log/journal), as a
        machine without persistent or volatile journal: for the dmesg fallback."""
        node = self.node(name)
        self.node_exec(name, ["mount", "--bind", str(node.var_log / "empty"),
                              "/var/log/journal"])
        try:
            yield
        finally:
            self.node_exec(name, ["umount", "/var/log/journal"], check=False)

    def quorum_text(self, name: str) -> str:
        """``corosync-quorumtool -s`` as seen from the node (exit status 2 = not quorate)."""
        res = self.node_exec(name, ["corosync-quorumtool", "-s"], check=False, timeout=10)
        return res.stdout

    def total_votes(self, name: str) -> int | None:
        m = re.search(r"^Total votes:\s+(\d+)", self.quorum_text(name), re.M)
        return int(m.group(1)) if m else None

    def wait_votes(self, votes: int, *, nodes: tuple[str, ...] | None = None,
                   timeout: float = 20.0) -> float:
        """Wait until each of ``nodes`` sees ``votes`` total votes; returns seconds taken."""
        names = nodes or tuple(self.nodes)
        start = time.monotonic()
        while True:
            seen = {n: self.total_votes(n) for n in names}
            if all(v == votes for v in seen.values()):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise LabError(f"votes not {votes} after {timeout} s: {seen}")
            time.sleep(0.2)

    def run_in_ops(self, factory: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
        """Run ``factory()`` on a fresh asyncio loop in a thread inside the ops namespace."""
        result: list[Any] = []

        def target() -> None:
            try:
                _enter_netns(self.ops_ns)
                result.append(("ok", asyncio.run(asyncio.wait_for(_call(factory), timeout))))
            except BaseException as exc:  # handed to the calling thread
                result.append(("err", exc))

        thread = threading.Thread(target=target, name=f"ops-{self.prefix}", daemon=True)
        thread.start()
        thread.join(timeout + 10)
        if not result:
            raise LabError(f"ops thread still running after {timeout + 10} s")
        kind, value = result[0]
        if kind == "err":
            raise value
        return value


async def _call(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()


def _enter_netns(ns: str) -> None:
    """setns(2) the calling thread into a named network namespace (3.11 has no os.setns)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into {ns}: {os.strerror(err)}")
    finally:
        os.close(fd)


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (children first found, then theirs), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = list(children.get(root, []))
    while todo and len(found) < 10_000:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _terminate(proc: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def interfaces_text(addr: str, post_up: str | None = None) -> str:
    """The node's /etc/network/interfaces as the Proxmox VE installer writes it: eno1 manual,
    bridge vmbr0 on it carrying the address, and the trailing ``source`` line. With
    ``post_up``, that hook as the last option of the vmbr0 stanza (where the runbook adds it)."""
    hook = f"\tpost-up {post_up}\n" if post_up else ""
    return ("auto lo\niface lo inet loopback\n\n"
            "iface eno1 inet manual\n\n"
            "auto vmbr0\niface vmbr0 inet static\n"
            f"\taddress {addr}/24\n"
            f"\tbridge-ports eno1\n\tbridge-stp off\n\tbridge-fd 0\n{hook}\n\n"
            "source /etc/network/interfaces.d/*\n")


def _sshd_config(node: LabNode) -> str:
    return (f"ListenAddress {node.addr}\nPort 22\n"
            f"HostKey {node.dir / 'ssh_host_ed25519_key'}\n"
            f"AuthorizedKeysFile {node.dir / 'authorized_keys'}\n"
            "PidFile /run/sshd.pid\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "ClientAliveInterval 5\nClientAliveCountMax 3\nMaxSessions 50\nMaxStartups 50\n"
            "LogLevel ERROR\n")


@contextlib.contextmanager
def running_lab(**kwargs: Any) -> Iterator[Lab]:
    """Context manager for benchmarks and e2e tests: a started lab, always torn down."""
    cleanup_stale()
    lab = Lab(**kwargs)
    with lab:
        yield lab
