// Peer: Node's built-in fetch with a pool of N async workers (no npm packages).
//
//   node check_fetch.mjs [-c N] [-t SEC] FILE
//
// Each worker takes the next URL; fetch follows redirects by default and the
// body is cancelled unread. Prints a sitecheck-style tally, e.g. {"200": 10000};
// any error counts as "error". A private CA is trusted via NODE_EXTRA_CA_CERTS.
import { readFileSync } from 'node:fs';

let conc = 256, timeoutMs = 30000, file = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '-c') conc = Number(argv[++i]);
  else if (argv[i] === '-t') timeoutMs = Number(argv[++i]) * 1000;
  else file = argv[i];
}
if (!file) { console.error('usage: node check_fetch.mjs [-c N] FILE'); process.exit(2); }

const urls = readFileSync(file, 'utf8').split('\n').map(s => s.trim())
  .filter(s => s && !s.startsWith('#'));
const tally = new Map();
let next = 0;

async function worker() {
  while (next < urls.length) {
    const url = urls[next++];
    let key;
    try {
      const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
      key = String(res.status);
      await res.body?.cancel();
    } catch {
      key = 'error';
    }
    tally.set(key, (tally.get(key) || 0) + 1);
  }
}

await Promise.all(Array.from({ length: Math.min(conc, urls.length) }, worker));
const keys = [...tally.keys()].sort((a, b) => {
  const na = /^\d+$/.test(a), nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : 1;
});
console.log('{' + keys.map(k => `${JSON.stringify(k)}: ${tally.get(k)}`).join(', ') + '}');
