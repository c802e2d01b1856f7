#!/bin/sh
# valgrind memcheck over real runs: `sitecheck serve` and a check in every
# model of a list mixing good, bad and hostile lines. Any memcheck error or
# definite/indirect leak fails (exit 99 from valgrind). Prints
# "N passed, N failed".
set -u
BIN=${SITECHECK_BIN:-./sitecheck}
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
tmp=$(mktemp -d)
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$tmp"' EXIT

$VG --log-file="$tmp/serve.vg" "$BIN" serve --listen 127.0.0.1:0 > "$tmp/serve.out" &
srv=$!
i=0
while ! grep -q listening "$tmp/serve.out" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "serve did not start"; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$tmp/serve.out" | head -1)

{
  printf '\357\273\277%s/\r\n# comment\n\n' "$base"
  for p in / /status/404 /redirect/2 /loop /bytes/10000000000 /garbage /empty \
           /reset /hang /drip /truncated /badbody /info100 /head405 /slowbody; do
    echo "$base$p"
  done
  printf 'ftp://x/\nhttp://a b/\nhttp://x.invalid/\nnul\000byte\n\377\376bad utf8\n'
} > "$tmp/list.txt"

pass=0 fail=0
for model in event thread process serial; do
  $VG --log-file="$tmp/$model.vg" "$BIN" -q -m "$model" -t 1 -o "$tmp/$model.jsonl" "$tmp/list.txt" > "$tmp/$model.out"
  rc=$?
  n=$(wc -l < "$tmp/$model.jsonl")
  if [ $rc -eq 0 ] && [ "$n" -eq 21 ]; then
    pass=$((pass + 1)); echo "ok   memcheck -m $model ($n records)"
  else
    fail=$((fail + 1)); echo "FAIL memcheck -m $model: exit $rc, $n records"; cat "$tmp/$model.vg"
  fi
done
kill -TERM $srv; wait $srv; rc=$?
if [ $rc -eq 0 ]; then
  pass=$((pass + 1)); echo "ok   memcheck serve"
else
  fail=$((fail + 1)); echo "FAIL memcheck serve: exit $rc"; cat "$tmp/serve.vg"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
