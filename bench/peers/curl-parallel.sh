#!/bin/sh
# Peer: the curl tool's own --parallel, as its users write it.
#
#   curl-parallel.sh N URLFILE [curl options, e.g. --cacert ca.pem]
#
# Writes a --config file with one `url` + `output = /dev/null` pair per URL
# (an -o on the command line would apply to the first URL only), then runs
# curl with N transfers in parallel, following redirects; -w prints one
# status code per URL (000 = failed). bench/run runs the same curl command
# line directly (see curl_argv in bench/run) so the config writing is not
# timed. Note: curl 7.88 clamps --parallel-max to 300.
set -eu
n=$1; list=$2; shift 2
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
grep -v -e '^[[:space:]]*$' -e '^[[:space:]]*#' "$list" |
  sed -e 's/"/\\"/g' -e 's/.*/url = "&"\noutput = "\/dev\/null"/' >"$cfg"
curl --parallel --parallel-immediate --parallel-max "$n" -s -L --max-time 30 \
  -w '%{http_code}\n' "$@" --config "$cfg"
