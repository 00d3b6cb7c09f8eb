#!/usr/bin/env bash
# The card path's costs on the emulated UICC (slot 0, behind pcscd + vpcd), in one go:
#   m2m-bench apdu           one cheap APDU, N times in one PC/SC transaction and N times one each
#   m2m-bench tls-handshake  a TLS-PSK handshake + GET against m2m-netsim's connection endpoint, the
#                            Kmr in the card next to the same client with the same Kmr in memory
#   tools/bench/card-path-bench.sh [--runs N] [--apdus N] [--json]     (after tools/scripts/setup.sh)
# It drives the card: run it under the machine's card lock, e.g.
#   flock /tmp/m2m-card.lock tools/bench/card-path-bench.sh --runs 20
set -euo pipefail

runs=20
apdus=200
json=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --apdus) apdus=$2; shift 2 ;;
    --json) json=(--json); shift ;;
    *) echo "usage: $0 [--runs N] [--apdus N] [--json]" >&2; exit 2 ;;
  esac
done
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
start_lab

"$bench" apdu --reader "$reader" --count "$apdus" "${json[@]}"
"$bench" tls-handshake --url "https://nscl.lab.m2m:$conn/" --resolve "nscl.lab.m2m:$conn:127.0.0.1" \
  --key kmr --kmsa-file "$dir/kmsa.key" --keys-file "$dir/keys.json" --reader "$reader" \
  --runs "$runs" "${json[@]}"
