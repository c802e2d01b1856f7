#!/usr/bin/env python3
"""Writes N synthetic sitecheck records (JSON Lines, the fields and order
of `sitecheck -o`) to stdout, from a fixed seed: a realistic mix of
answers, failures, redirect chains, HTTPS certificates and phase timings
over a skewed set of hosts. For sizing `sitecheck report` (memory, time)
without running millions of checks.

    tests/gen_records.py 1000000 --hosts 300000 > big.jsonl
"""

import argparse
import json
import math
import random
import sys

OUTCOMES = (  # (weight, status, error, detail)
    (800, 200, None, None),
    (50, 404, None, None),
    (20, 500, None, None),
    (10, 503, None, None),
    (30, "redirect", None, None),
    (20, "timeout", "timeout", "Operation timed out after 10000 ms"),
    (15, "dns", "dns", "Could not resolve host"),
    (15, "connect", "connect", "Failed to connect: Connection refused"),
    (5, "tls", "tls", "SSL certificate problem: certificate has expired"),
    (5, "invalid", "invalid_url", "Bad hostname"),
    (5, "protocol", "protocol", "Received HTTP/0.9 when not allowed"),
    (5, "loop", "too_many_redirects", "Maximum (10) redirects followed"),
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("count", type=int)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    weights = [o[0] for o in OUTCOMES]
    out = sys.stdout
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    for line in range(1, a.count + 1):
        # Half the records go to the first 1% of hosts.
        if rnd.random() < 0.5:
            h = rnd.randrange(max(1, a.hosts // 100))
        else:
            h = rnd.randrange(a.hosts)
        https = h % 3 != 0
        scheme = "https" if https else "http"
        url = f"{scheme}://h{h}.example.com/page/{line}"
        _, status, error, detail = rnd.choices(OUTCOMES, weights)[0]
        t = min(rnd.lognormvariate(math.log(80), 1.0), 9999.0)
        dns = round(t * 0.05, 1)
        conn = round(t * 0.1, 1)
        tls = round(t * 0.2, 1) if https else None
        ttfb = round(t * 0.5, 1)
        rec = {"url": url, "line": line, "status": None, "error": None,
               "detail": None, "time_ms": round(t, 1), "final_url": url,
               "redirects": 0, "ip": "192.0.2.1", "attempts": 1,
               "method": "GET", "http_version": "1.1",
               "content_type": "text/html", "content_length": None,
               "server": "nginx", "chain": None, "cert_expiry": None,
               "cert_days_left": None, "dns_ms": dns, "connect_ms": conn,
               "tls_ms": tls, "ttfb_ms": ttfb, "duplicate_of": None}
        if https:
            days = h % 400 - 5
            rec["cert_days_left"] = days
            rec["cert_expiry"] = "2027-01-01T00:00:00Z"
        if isinstance(status, int):
            rec["status"] = status
            rec["chain"] = [{"url": url, "status": status}]
        elif status == "redirect":
            final = 404 if rnd.random() < 0.3 else 200
            rec["status"] = final
            rec["redirects"] = 2
            rec["final_url"] = url + "/moved/again"
            rec["chain"] = [{"url": url, "status": 301},
                            {"url": url + "/moved", "status": 302},
                            {"url": url + "/moved/again", "status": final}]
        else:
            rec["error"] = error
            rec["detail"] = detail
            rec["final_url"] = None
            rec["dns_ms"] = rec["connect_ms"] = rec["tls_ms"] = None
            rec["ttfb_ms"] = None
            if status == "timeout":
                rec["time_ms"] = 10000.0
            if status in ("dns", "invalid"):
                rec["time_ms"] = 0.0
                rec["attempts"] = 0 if status == "invalid" else 1
            if status == "invalid":
                rec["url"] = f"h{h}.example.com/bad path/{line}"
            if status == "loop":
                rec["redirects"] = 10
        out.write(dumps(rec))
        out.write("\n")


if __name__ == "__main__":
    main()
