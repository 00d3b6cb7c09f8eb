#!/usr/bin/env bash
# The demo on the built-in defaults: installs and builds what is missing, starts the emulated UICC
# (jCardSim behind pcscd/vpcd), and shows what `m2m` sees through real PC/SC.
#   tools/scripts/demo.sh [--keep]   (--keep leaves the emulated card running afterwards)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
keep=false
[ "${1:-}" = "--keep" ] && keep=true

"$root/tools/scripts/setup.sh"

cardsim=$build_dir/tools/cardsim/m2m-cardsim
m2m=$build_dir/tools/m2m
run_dir=${M2M_RUN_DIR:-$root/.run}
mkdir -p "$run_dir"

if ! $keep; then
  trap '"$cardsim" stop --all >/dev/null 2>&1 || true' EXIT
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# A factory-fresh card each time: the demo personalises it.
rm -f "$run_dir/demo-card.img" "$run_dir/kmsa.key" "$run_dir/demo-keys.json"

step "Starting the emulated UICC (profile testdata/cards/uicc-default.properties)"
"$cardsim" start --slot 0 --image "$run_dir/demo-card.img" \
  --profile "$root/testdata/cards/uicc-default.properties"

step "m2m doctor"
"$m2m" doctor

step "m2m readers"
"$m2m" readers

step "m2m card info"
"$m2m" card info --reader "Virtual PCD 00 00"

step "m2m card info --json"
"$m2m" card info --reader "Virtual PCD 00 00" --json

step "m2m provision: personalise and lock the M2M-SED (keys only into 0600 files)"
"$m2m" provision --reader "Virtual PCD 00 00" --profile "$root/testdata/profiles/test-sim.toml" \
  --kmsa-file "$run_dir/kmsa.key" --export-keys "$run_dir/demo-keys.json"

step "m2m card status: a real TS 102 484 secure channel with the terminal's Kmsa"
"$m2m" card status --reader "Virtual PCD 00 00" --kmsa-file "$run_dir/kmsa.key" --json

if $keep; then
  step "The emulated card keeps running; stop it with: $cardsim stop --all"
fi
