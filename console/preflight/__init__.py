"""Is this configuration going to work? ``labconsole check`` asks it in two passes.

``offline``: what can be verified on this machine (files exist with safe permissions,
variables set, every node in known_hosts, runbooks load). ``connect``: each node probed over
SSH exactly as the console would reach it (host key, authentication, every command the console
and the runbooks run, corosync answering) and each cluster's Proxmox API token tried. Every
problem is a :class:`~labconsole.preflight.finding.Finding`: where, what, the problem, the fix.
"""

from labconsole.preflight.finding import Finding

__all__ = ["Finding"]
