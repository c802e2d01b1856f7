#!/bin/sh
# Installs the Debian packages sitecheck needs to build (and, with "test",
# to run its test suite), only those that are missing, and says so.
set -e
want="libcurl4-openssl-dev libuv1-dev libssl-dev libc-ares-dev libjansson-dev libxml2-dev libmd4c-dev zlib1g-dev pkg-config gcc make"
if [ "$1" = test ]; then
  want="$want python3 python3-pytest python3-pytest-timeout openssl valgrind clang libclang-rt-14-dev dnsmasq-base clang-format clang-tidy cppcheck chromium chromium-driver python3-selenium"
fi
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "sitecheck: installing missing build dependencies:$missing" >&2
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
fi
