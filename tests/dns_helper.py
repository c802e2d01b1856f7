"""A private DNS server for tests: dnsmasq on 127.0.0.1:<free port>.

It answers only from a generated hosts file and never forwards anything
(no upstream servers, /etc/resolv.conf and /etc/hosts are not read, any
other name under the local zone gets NXDOMAIN, any name outside it
REFUSED). It runs as a child process in the foreground, writes no pid or
lease file and touches nothing outside its own temporary directory.

Names in the hosts file (N = names, zone = "test"):

    h<i>.test   127.0.0.1 for every i < N, plus ::1 when i % v6_every == 0
    u<i>.test   a distinct address 127.a.b.c per name (see unique_addr), so a
                test can tell the answers of different names apart
    v6only.test ::1 only (its A query gets NOERROR with no records)
    multi.test  127.0.0.2 and 127.0.0.3
    dual.test   127.0.0.4 and ::1
    nx<i>.test  (not in the file) NXDOMAIN

Use from Python:

    from dns_helper import DnsServer
    with DnsServer(names=10000, ttl=1) as dns:
        run(["./build/resolver_test", dns.servers])   # "127.0.0.1:PORT"

SilentServer is the opposite: a UDP port on 127.0.0.1 that takes every
query and never answers (a DNS server that is down or unreachable), and
counts what it got:

    with SilentServer() as dead:
        run([..., "--dns-servers", dead.servers]); dead.received

or by hand: `python3 tests/dns_helper.py --names 10000` prints the port,
the servers string and the hosts file path, then serves until interrupted;
`python3 tests/dns_helper.py --run ./build/resolver_test` runs the command
with the servers string as its last argument and exits with its status.
"""

import argparse
import atexit
import os
import pwd
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ZONE = "test"
EXTRA_HOSTS = (
    ("::1", "v6only"),
    ("127.0.0.2", "multi"),
    ("127.0.0.3", "multi"),
    ("127.0.0.4", "dual"),
    ("::1", "dual"),
)

QTYPE_A = 1
QTYPE_AAAA = 28

_running = set()  # servers to stop if the interpreter exits first


@atexit.register
def _stop_all():
    for server in list(_running):
        server.stop()


def unique_addr(i):
    """The address of u<i>.test: 127.a.b.c with a.b.c = i + 1 in base 256."""
    j = i + 1
    return "127.%d.%d.%d" % ((j >> 16) & 255, (j >> 8) & 255, j & 255)


def write_hosts(path, names, v6_every=10, zone=ZONE):
    """Writes the hosts file described in the module docstring."""
    if names >= (1 << 24) - 1:
        raise ValueError("names must be below 2**24 - 1")
    with open(path, "w", encoding="ascii") as f:
        for i in range(names):
            f.write("127.0.0.1 h%d.%s\n" % (i, zone))
            if v6_every and i % v6_every == 0:
                f.write("::1 h%d.%s\n" % (i, zone))
            f.write("%s u%d.%s\n" % (unique_addr(i), i, zone))
        for addr, name in EXTRA_HOSTS:
            f.write("%s %s.%s\n" % (addr, name, zone))


def _free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq needs both)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port on 127.0.0.1")


def query(port, name, qtype=QTYPE_A, host="127.0.0.1", timeout=1.0):
    """Sends one DNS query over UDP; returns (rcode, [addresses as text]).

    Raises socket.timeout if no answer comes within `timeout` seconds."""
    qid = random.randrange(65536)
    qname = b"".join(bytes([len(p)]) + p.encode("ascii")
                     for p in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + \
        struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(packet, (host, port))
        while True:
            data, _ = s.recvfrom(4096)
            if len(data) >= 12 and struct.unpack(">H", data[:2])[0] == qid:
                break
    finally:
        s.close()
    flags, qd, an = struct.unpack(">HHH", data[2:8])
    pos = 12
    for _ in range(qd):
        pos = _skip_name(data, pos) + 4
    addrs = []
    for _ in range(an):
        pos = _skip_name(data, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        rdata = data[pos:pos + rdlen]
        pos += rdlen
        if rtype == QTYPE_A and rdlen == 4:
            addrs.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == QTYPE_AAAA and rdlen == 16:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rdata))
    return flags & 15, addrs


def _skip_name(data, pos):
    while True:
        n = data[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += n + 1


class DnsServer:
    """dnsmasq serving a generated hosts file on 127.0.0.1:<free port>.

    names, v6_every: see the module docstring. ttl: the TTL (seconds) of
    every answer (dnsmasq --local-ttl). log_queries: log each query to
    `log_path` (lets a test count the queries that reached the server).
    port: a fixed port instead of a free one (e.g. 53 inside a private
    network namespace, for glibc).
    After start(): `port`, `servers` ("127.0.0.1:PORT", the form c-ares and
    --dns-servers take), `hosts_path`, `log_path`. stop() ends the child
    and removes the temporary directory; both are idempotent, and the
    object is a context manager."""

    def __init__(self, names=10000, ttl=1, v6_every=10, log_queries=False,
                 port=None, dnsmasq=None):
        self.names = names
        self.ttl = ttl
        self.v6_every = v6_every
        self.log_queries = log_queries
        self.dnsmasq = dnsmasq or shutil.which("dnsmasq") or \
            "/usr/sbin/dnsmasq"
        self.fixed_port = port
        self.port = None
        self.dir = None
        self.hosts_path = None
        self.log_path = None
        self.proc = None

    @property
    def servers(self):
        return "127.0.0.1:%d" % self.port

    def _command(self):
        cmd = [self.dnsmasq,
               "--keep-in-foreground",
               "--conf-file=/dev/null",  # not /etc/dnsmasq.conf
               "--no-resolv", "--no-hosts", "--no-poll",
               "--pid-file=",            # empty: no pid file
               "--port=%d" % self.port,
               "--listen-address=127.0.0.1", "--bind-interfaces",
               "--local=/%s/" % ZONE,    # answer the zone locally, never forward
               "--addn-hosts=%s" % self.hosts_path,
               "--local-ttl=%d" % self.ttl,
               "--cache-size=0",
               "--log-facility=%s" % self.log_path]
        if self.log_queries:
            cmd.append("--log-queries")
        if os.geteuid() == 0:
            # Drop root the way the packaged service does, to a user that can
            # still read our (world-readable) files.
            try:
                pwd.getpwnam("nobody")
                cmd.append("--user=nobody")
            except KeyError:
                pass
        else:
            cmd.append("--user=%s" % pwd.getpwuid(os.geteuid()).pw_name)
        return cmd

    def start(self, timeout=None):
        """Starts dnsmasq and waits until it answers (by default long enough
        for it to load the file: 2 s for 10000 names, ~7 s for 100000, and
        it grows faster than the file). Returns self."""
        if timeout is None:
            timeout = 10.0 + 0.1 * (self.names / 10000) ** 2
        if self.proc:
            return self
        self.dir = tempfile.mkdtemp(prefix="sc-dns-")
        os.chmod(self.dir, 0o755)
        self.hosts_path = os.path.join(self.dir, "hosts")
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        write_hosts(self.hosts_path, self.names, self.v6_every)
        open(self.log_path, "w").close()
        os.chmod(self.hosts_path, 0o644)
        os.chmod(self.log_path, 0o666)
        deadline = time.monotonic() + timeout
        for _ in range(5):  # the free port can be taken before dnsmasq binds it
            self.port = self.fixed_port or _free_port()
            self.proc = subprocess.Popen(
                self._command(), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    query(self.port, "h0.%s" % ZONE, timeout=0.2)
                    _running.add(self)
                    return self
                except (socket.timeout, ConnectionRefusedError):
                    pass
            running = self.proc.poll() is None
            err = self._reap().strip()
            if running:
                err = "no answer within %.0f s %s" % (timeout, err)
            if "in use" not in err or self.fixed_port:
                self.stop()
                raise RuntimeError("dnsmasq did not start: %s" % err)
        self.stop()
        raise RuntimeError("dnsmasq: no usable port")

    def _reap(self):
        """Ends the child; returns what it wrote to stderr."""
        proc, self.proc = self.proc, None
        if proc is None:
            return ""
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        return err

    def stop(self):
        """Stops dnsmasq and removes its files."""
        _running.discard(self)
        self._reap()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SilentServer:
    """A UDP socket on 127.0.0.1:<free port> that reads every datagram and
    answers none, in a daemon thread. `servers` as for DnsServer;
    `received`: datagrams read so far. A context manager."""

    def __init__(self):
        self.sock = None
        self.received = 0
        self._stop = threading.Event()
        self._thread = None

    @property
    def servers(self):
        return "127.0.0.1:%d" % self.sock.getsockname()[1]

    def _serve(self):
        while not self._stop.is_set():
            try:
                self.sock.recv(4096)
                self.received += 1
            except socket.timeout:
                pass
            except OSError:
                return

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join()
            self._thread = None
        if self.sock:
            self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--names", type=int, default=10000)
    ap.add_argument("--ttl", type=int, default=1)
    ap.add_argument("--log-queries", action="store_true")
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--run", nargs=argparse.REMAINDER,
                    help="run this command with the servers string appended")
    a = ap.parse_args(argv)
    if a.run:
        with DnsServer(names=a.names, ttl=a.ttl, log_queries=a.log_queries,
                       port=a.port) as d:
            return subprocess.call(a.run + [d.servers])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with DnsServer(names=a.names, ttl=a.ttl, log_queries=a.log_queries,
                   port=a.port) as d:
        print("port %d" % d.port)
        print("servers %s" % d.servers)
        print("hosts %s" % d.hosts_path)
        print("log %s" % d.log_path, flush=True)
        try:
            while not stop and d.proc.poll() is None:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
