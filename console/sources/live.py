"""Build the live sources from a validated config: the one place that wires config to sources.

One SSH connection per node (the pool, itself a source of ConnectionChange events), and on it
per node the kernel log stream and one NIC poller per watched interface; per cluster one quorum
poller failing over across its nodes and, when configured, the Proxmox API; one syslog listener.
A problem that only disables one source (an API token secret that cannot be read) is recorded
in ``problems`` instead of stopping the console.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from labconsole.clock import Clock, system_clock
from labconsole.config import ClusterConfig, Config, NodeConfig, SecretUnavailableError
from labconsole.events import Event, KernelText, OperatorAction
from labconsole.sources.base import Source
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.nic_poll import NicPollSource
from labconsole.sources.pve_api import PveApiSource
from labconsole.sources.quorum_poll import QuorumPollSource
from labconsole.sources.ssh import SshPool, SshTarget
from labconsole.sources.syslog_listener import LOOPBACK, SyslogListener, parse_networks

# A carrier change as drivers word it ("NIC Link is Down", "Link is Up", r8169 "link down").
_LINK_HINT = re.compile(r"\b[Ll]ink is (?:[Uu]p|[Dd]own)\b|\blink (?:up|down)\b")


@dataclass
class LiveSet:
    """The built sources, plus handles the runbook and UI need (NIC refresh, connections)."""

    pool: SshPool
    sources: list[Source] = field(default_factory=list)
    nics: dict[tuple[str, str], NicPollSource] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def react(self, event: Event) -> None:
        """Re-read a node's NICs at once when their state may just have changed: after a
        runbook step on it (``ethtool -K``, a network reload) or a kernel link up/down line
        (otherwise the panel would show the old state until the next poll, 30 s by
        default). The poller's own fetch is the one that runs: nothing here blocks."""
        link = isinstance(event, KernelText) and bool(_LINK_HINT.search(event.text))
        if event.node and (isinstance(event, OperatorAction) or link):
            self.refresh_nics(event.node)

    def refresh_nics(self, node: str, iface: str | None = None) -> int:
        """Ask the NIC pollers of ``node`` (one interface or all) to fetch now; returns count."""
        hits = [s for (n, i), s in self.nics.items() if n == node and iface in (None, i)]
        for source in hits:
            source.refresh()
        return len(hits)


def ssh_target(node: NodeConfig) -> SshTarget:
    ssh = node.ssh
    return SshTarget(
        node=node.name, host=node.address, port=ssh.port, username=ssh.user,
        client_keys=(str(ssh.key_file),) if ssh.key_file is not None else None,
        known_hosts=str(ssh.known_hosts) if ssh.known_hosts is not None else None,
        jump_host=ssh.jump_host, trust_on_first_use=node.trust_on_first_use,
        alternates=node.alternate_addresses)


def build_live(config: Config, clock: Clock = system_clock,
               env: Mapping[str, str] | None = None) -> LiveSet:
    """Every live source the config asks for (not started: run each with ``run(emit)``)."""
    pool = SshPool([ssh_target(n) for n in config.nodes], clock=clock)
    live = LiveSet(pool=pool, sources=[pool])
    for cluster in config.clusters:
        _add_cluster(live, config, cluster, clock, env)
    if config.syslog.enabled:
        live.sources.append(SyslogListener(
            host=config.syslog.address, port=config.syslog.port,
            udp="udp" in config.syslog.protocols, tcp="tcp" in config.syslog.protocols,
            allow=LOOPBACK + parse_networks(config.syslog.senders), clock=clock))
    return live


def build_live_sources(config: Config, clock: Clock = system_clock) -> list[Source]:
    return build_live(config, clock).sources


def _add_cluster(live: LiveSet, config: Config, cluster: ClusterConfig, clock: Clock,
                 env: Mapping[str, str] | None) -> None:
    conns = [live.pool.node(n.name) for n in cluster.nodes]
    if conns:  # an API-only cluster: its views come from the API source below
        live.sources.append(QuorumPollSource(conns, cluster=cluster.name,
                                             interval=config.quorum_poll_interval,
                                             clock=clock))
    for node in cluster.nodes:
        conn = live.pool.node(node.name)
        live.sources.append(KernelStreamSource(conn, node.kernel_log_command, clock=clock))
        for iface in node.interfaces:
            nic = NicPollSource(conn, iface, interval=config.nic_refresh_interval, clock=clock)
            live.nics[(node.name, iface)] = nic
            live.sources.append(nic)
    api = cluster.proxmox
    if api is None:
        return
    try:
        secret = api.token_secret(env)
    except SecretUnavailableError as exc:
        live.problems.append(f"cluster {cluster.name}: Proxmox API disabled: {exc}")
        return
    verify: bool | str = str(api.ca_file) if api.ca_file is not None else api.verify_tls
    if verify is False:  # a standing warning, for as long as the console runs
        live.problems.append(f"cluster {cluster.name}: Proxmox API TLS NOT VERIFIED "
                             "(verify_tls = false): set ca_file or tls_fingerprint")
    live.sources.append(PveApiSource(api.host, api.token_id, secret, port=api.port,
                                     verify=verify, fingerprint=api.tls_fingerprint,
                                     nodes=[n.name for n in cluster.nodes],
                                     interval=api.poll_interval, cluster=cluster.name,
                                     clock=clock, name=f"pve_api:{cluster.name}"))
