#!/bin/sh
# Installs the Debian packages sitecheck needs to build (and, with "test",
# to run its test suite), only those that are missing, and says so.
set -e
want="libcurl4-openssl-dev libuv1-dev libssl-dev libc-ares-dev libjansson-dev libxml2-dev libmd4c-dev zlib1g-dev libmicrohttpd-dev pkg-config gcc make"
if [ "$1" = test ]; then
  # prometheus and prometheus-blackbox-exporter: tests/test_watch.py runs
  # its own of each on loopback, next to sitecheck watch. python3-h2: the
  # HTTP/2 server of tests/test_h2.py.
  want="$want python3 python3-pytest python3-pytest-timeout openssl valgrind clang libclang-rt-14-dev dnsmasq-base clang-format clang-tidy cppcheck chromium chromium-driver python3-selenium prometheus prometheus-blackbox-exporter python3-h2"
fi
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "sitecheck: installing missing build dependencies:$missing" >&2
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  # Packages with services (prometheus, its exporter) must not start them
  # on install: the Debian way is a policy-rc.d that denies it, made here
  # only if the machine has none, and removed after.
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from sitecheck scripts/deps.sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    made_policy=1
  fi
  rc=0
  $SUDO apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2 || rc=$?
  if [ -n "$made_policy" ]; then $SUDO rm -f "$policy"; fi
  exit $rc
fi
