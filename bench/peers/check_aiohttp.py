#!/usr/bin/python3
"""Peer: an asyncio URL checker with aiohttp (Debian python3-aiohttp).

    check_aiohttp.py [-c N] [--cacert FILE] [-t SEC] FILE

Written as aiohttp's users write a fast client: one ClientSession whose
TCPConnector allows N connections in all and no cap per host (the N workers
bound them) and caches name lookups for 60 s, and uvloop as the event loop
where installed (Debian python3-uvloop; bench/run installs it), else
asyncio's own. Names are looked up by aiohttp's default resolver, getaddrinfo
in the loop's threads: not aiodns, which aiohttp 3.8 does not pick by itself
either, and whose burst of queries at -c 1000 (every lookup at once, A and
AAAA) overflowed the bench's DNS server and lost lookups. N worker tasks
take the URLs in turn; each request follows redirects and reads the body to
its end (up to 1 MiB), since aiohttp closes a connection whose body was not
read instead of keeping it. HTTP/1.1 only: aiohttp has no HTTP/2. Prints a
sitecheck-style tally, e.g. {"200": 10000}; any exception counts as "error".
"""
import argparse
import asyncio
import collections
import json
import ssl

import aiohttp

try:
    import uvloop
except ImportError:
    uvloop = None

DRAIN_LIMIT = 1 << 20


async def check(session, url):
    try:
        async with session.get(url, allow_redirects=True) as resp:
            left = DRAIN_LIMIT
            while left > 0:
                chunk = await resp.content.readany()
                if not chunk:
                    break
                left -= len(chunk)
            return str(resp.status)
    except Exception:
        return "error"


async def main(args):
    with open(args.file, encoding="utf-8") as f:
        urls = [line.strip() for line in f
                if line.strip() and not line.lstrip().startswith("#")]
    ctx = ssl.create_default_context(cafile=args.cacert) if args.cacert else None
    connector = aiohttp.TCPConnector(limit=args.concurrency, limit_per_host=0, ttl_dns_cache=60,
                                     ssl=ctx)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    tally = collections.Counter()
    todo = iter(urls)

    async def worker(session):
        for url in todo:
            tally[await check(session, url)] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(min(args.concurrency, len(urls)))))
    codes = sorted((k for k in tally if k.isdigit()), key=int)
    other = sorted(k for k in tally if not k.isdigit())
    print(json.dumps({k: tally[k] for k in codes + other}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("-c", "--concurrency", type=int, default=256)
    p.add_argument("-t", "--timeout", type=float, default=30)
    p.add_argument("--cacert")
    p.add_argument("file")
    a = p.parse_args()
    if uvloop is not None:
        uvloop.install()
    asyncio.run(main(a))
