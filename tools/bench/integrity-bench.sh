#!/usr/bin/env bash
# Integrity validation's costs on the emulated UICC's IV-SED (slot 0, behind pcscd + vpcd):
#   m2m-bench integrity   manifest loading (4 objects; 16 objects with a 2-certificate x5chain),
#                         one report (measure 4 files + COMPARE + SIGN REPORT + READ OUTPUT),
#                         VERIFY DECISION, the IV-SED's own secure-channel setup apart, and the
#                         same report signed in memory
#   tools/bench/integrity-bench.sh [--runs N] [--file-mib N] [--json]   (after tools/scripts/setup.sh)
# It starts a fresh card (the bench personalises its IV-SED with keys it makes; pcscd too when
# none runs) and stops what it started. It takes the machine's card lock (/tmp/m2m-card.lock)
# itself: do not wrap it in flock.
set -euo pipefail

if [ -z "${M2M_CARD_LOCK_HELD:-}" ]; then
  exec env M2M_CARD_LOCK_HELD=1 flock /tmp/m2m-card.lock "$0" "$@"
fi

runs=20
file_mib=1
json=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --file-mib) file_mib=$2; shift 2 ;;
    --json) json=(--json); shift ;;
    *) echo "usage: $0 [--runs N] [--file-mib N] [--json]" >&2; exit 2 ;;
  esac
done
# lab.sh: the tools' paths, a private folder and stop_lab on exit (cards, then the folder).
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"

# A new card image each time: an IV-SED personalised by an earlier run holds a Kmsa_iv nobody kept.
"$cardsim" start --slot 0 --image "$dir/card.img" \
  --profile "$root/testdata/cards/uicc-default.properties" >/dev/null
card_slots+=(0)
# The IV-SED's install parameter in that profile (card.apps.3.params), as a 0600 key file.
admin_hex=$(sed -n 's/^card\.apps\.3\.params=//p' "$root/testdata/cards/uicc-default.properties")
(umask 077 && echo "$admin_hex" >"$dir/iv-admin.code")

"$bench" integrity --reader "$reader" --admin-code-file "$dir/iv-admin.code" \
  --work-dir "$dir/integrity" --file-mib "$file_mib" --runs "$runs" "${json[@]}"
