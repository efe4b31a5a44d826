#!/usr/bin/env bash
# Installs every Debian 12 package Vangnet needs to build, run and test.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config ca-certificates \
    libsignal-protocol-c-dev libzmq3-dev liblmdb-dev lmdb-utils libuv1-dev \
    libssl-dev libsodium-dev libprotobuf-c-dev protobuf-c-compiler \
    libcmocka-dev clang-format \
    libinih-dev libjansson-dev systemd curl dpkg-dev \
    tmux >/dev/null
# The cluster (docs/CLUSTER.md): NATS JetStream and its C client.
$SUDO apt-get install -y -qq --no-install-recommends nats-server libnats-dev >/dev/null
echo "install-deps: all packages present"
