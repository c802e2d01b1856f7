#!/usr/bin/python3
"""Peer: the talk's asyncio checker, with aiohttp (Debian python3-aiohttp).

    check_aiohttp.py [-c N] [--cacert FILE] [-t SEC] FILE

One task per URL, a semaphore of N keeps N requests in flight; each request
follows redirects and reads the status without reading the body. Prints a
sitecheck-style tally, e.g. {"200": 10000}; any exception counts as "error".
"""
import argparse
import asyncio
import collections
import json
import ssl

import aiohttp


async def check(session, sem, url):
    async with sem:
        try:
            async with session.get(url, allow_redirects=True) as resp:
                return str(resp.status)
        except Exception:
            return "error"


async def main(args):
    with open(args.file, encoding="utf-8") as f:
        urls = [line.strip() for line in f
                if line.strip() and not line.lstrip().startswith("#")]
    ctx = ssl.create_default_context(cafile=args.cacert) if args.cacert else None
    sem = asyncio.Semaphore(args.concurrency)
    # The connector's own default cap (100 connections) would override -c.
    connector = aiohttp.TCPConnector(limit=args.concurrency, ssl=ctx)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        results = await asyncio.gather(*(check(session, sem, u) for u in urls))
    tally = collections.Counter(results)
    codes = sorted((k for k in tally if k.isdigit()), key=int)
    other = sorted(k for k in tally if not k.isdigit())
    print(json.dumps({k: tally[k] for k in codes + other}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("-c", "--concurrency", type=int, default=256)
    p.add_argument("-t", "--timeout", type=float, default=30)
    p.add_argument("--cacert")
    p.add_argument("file")
    asyncio.run(main(p.parse_args()))
