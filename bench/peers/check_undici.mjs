// Peer: undici (the HTTP client under Node's own fetch) with a pool of N
// async workers.
//
//   node check_undici.mjs [-c N] [-t SEC] FILE
//
// Written as undici's users write a fast client: one Agent shared by every
// request (a connection pool per origin, connections kept alive between
// requests, no cap per origin: the N workers bound them), HTTP/2 where the
// server offers it over TLS (allowH2), and undici's request() rather than
// fetch(), which undici's own documentation names the faster of the two.
// Each worker takes the next URL; redirects are followed (maxRedirections)
// and every body is read to its end (body.dump(), up to 1 MiB: a bigger body
// closes its connection instead), so that its connection can serve the next
// request. Names are looked up by Node's dns.lookup (getaddrinfo). Prints a
// sitecheck-style tally, e.g. {"200": 10000}; any error counts as "error".
// A private CA is trusted via NODE_EXTRA_CA_CERTS. Needs the undici package
// (bench/package.json; bench/run installs it with npm ci).
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

const DRAIN_LIMIT = 1 << 20;

let conc = 256, timeoutMs = 30000, file = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '-c') conc = Number(argv[++i]);
  else if (argv[i] === '-t') timeoutMs = Number(argv[++i]) * 1000;
  else file = argv[i];
}
if (!file) { console.error('usage: node check_undici.mjs [-c N] [-t SEC] FILE'); process.exit(2); }

const urls = readFileSync(file, 'utf8').split('\n').map(s => s.trim())
  .filter(s => s && !s.startsWith('#'));
const agent = new Agent({ allowH2: true, maxRedirections: 10 });
const tally = new Map();
let next = 0;

async function worker() {
  while (next < urls.length) {
    const url = urls[next++];
    let key;
    try {
      const res = await request(url, { dispatcher: agent, signal: AbortSignal.timeout(timeoutMs) });
      key = String(res.statusCode);
      await res.body.dump({ limit: DRAIN_LIMIT });
    } catch {
      key = 'error';
    }
    tally.set(key, (tally.get(key) || 0) + 1);
  }
}

await Promise.all(Array.from({ length: Math.min(conc, urls.length) }, worker));
await agent.close();
const keys = [...tally.keys()].sort((a, b) => {
  const na = /^\d+$/.test(a), nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : 1;
});
console.log('{' + keys.map(k => `${JSON.stringify(k)}: ${tally.get(k)}`).join(', ') + '}');
