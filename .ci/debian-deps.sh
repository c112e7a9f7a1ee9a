#!/bin/sh
# Installs the Debian packages the lab, e2e and tool tests use: real corosync, sshd, ethtool,
# ip netns, tmux, ifupdown2 (as on Proxmox VE: ifreload -a), bridge-utils, and
# systemd-journal-remote (writes each lab node's real journal, read by the real journalctl),
# chromium (headless: the serve e2e test opens the page in a real browser).
# Only as root with apt; otherwise says so, and those tests skip (or fail, in CI: tests/conftest.py).
#
# One package per line, so adding one is a one-line change. ifupdown2 conflicts with ifupdown
# (v1): apt replaces it, and ifupdown must not be listed here.
PKGS="
corosync
openssh-server
openssh-client
ethtool
iproute2
tmux
bridge-utils
ifupdown2
systemd-journal-remote
procps
util-linux
chromium
"
missing=""
for p in $PKGS; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: missing Debian packages:$missing (not root or no apt): lab/e2e tests will skip" >&2
    exit 0
fi
echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# corosync's package starts a service on install where systemd runs; the lab starts its own.
# systemd-journal-remote's listening socket is not needed either (the lab runs it on files).
if command -v systemctl >/dev/null 2>&1; then
    systemctl stop corosync systemd-journal-remote.socket >/dev/null 2>&1 || true
fi
exit 0
