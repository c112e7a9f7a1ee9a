#!/bin/sh
# Installs the Debian packages the lab, e2e and tool tests use (real corosync, sshd, ethtool,
# ip netns, tmux, ifupdown). Only as root with apt; otherwise says so and those tests skip.
PKGS="corosync openssh-server openssh-client ethtool iproute2 tmux ifupdown procps util-linux chromium"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
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
if command -v systemctl >/dev/null 2>&1; then
    systemctl stop corosync >/dev/null 2>&1 || true
fi
exit 0
