#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: the omniORB C++
# toolchain used by the IIOP interop tests, iproute2 for the tests that
# run members in a network namespace of their own (IP multicast on loopback),
# and setpriv (util-linux) for those that run part of themselves as nobody.
# Safe to run repeatedly.
set -euo pipefail

need=()
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v omniidl >/dev/null 2>&1 || need+=(omniidl)
command -v catior >/dev/null 2>&1 || need+=(omniorb)
pkg-config --exists omniORB4 2>/dev/null || need+=(libomniorb4-dev)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing test dependencies: ${need[*]}"
if ! $SUDO apt-get install -y --no-install-recommends "${need[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi
