#!/usr/bin/env bash
# The demo on the built-in defaults, end to end: installs and builds what is missing, starts the
# emulated UICC (jCardSim behind pcscd/vpcd), personalises it, starts the lab network (m2m-netsim on
# loopback), and runs the agent until it has bootstrapped, connected, registered its SCL and stored
# a few contentInstances; then prints the agent's status and where the data landed.
#   tools/scripts/demo.sh [--keep] [--bootstrap tls|gba]
#     --keep       leaves the emulated card and the lab network running
#     --bootstrap  tls (default): Kmr from the card-held Kbs (security profile §4.3);
#                  gba: Kmr = Ks_int_NAF over Ub (the BSF with osmo-hlr as the AuC) and Ua (§4.2)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
keep=false
bootstrap=tls
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=true ;;
    --bootstrap) bootstrap=${2:-}; shift ;;
    *) echo "usage: $0 [--keep] [--bootstrap tls|gba]" >&2; exit 2 ;;
  esac
  shift
done
case "$bootstrap" in tls|gba) ;; *) echo "--bootstrap takes tls or gba" >&2; exit 2 ;; esac

# Only what the demo runs: the CLI, the lab network and the emulated card (not the tests).
M2M_BUILD_TARGETS="m2m m2m-netsim m2m-uicc-card.jar" "$root/tools/scripts/setup.sh"

cardsim=$build_dir/tools/cardsim/m2m-cardsim
m2m=$build_dir/tools/m2m
netsim=$build_dir/tools/netsim/m2m-netsim
run_dir=${M2M_RUN_DIR:-$root/.run}
reader="Virtual PCD 00 00"
mkdir -p "$run_dir"

netsim_pid=""
cleanup() {
  if [ -n "$netsim_pid" ]; then kill "$netsim_pid" 2>/dev/null || true; wait "$netsim_pid" 2>/dev/null || true; fi
  "$cardsim" stop --all >/dev/null 2>&1 || true
}
$keep || trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# A factory-fresh card and an empty lab network each time.
rm -rf "$run_dir/demo-card.img" "$run_dir/kmsa.key" "$run_dir/demo-keys.json" "$run_dir/lab.db" \
  "$run_dir/agent-state" "$run_dir/netsim-ready.json" "$run_dir"/lab.db.osmo-hlr

step "Starting the emulated UICC (profile testdata/cards/uicc-default.properties)"
"$cardsim" start --slot 0 --image "$run_dir/demo-card.img" \
  --profile "$root/testdata/cards/uicc-default.properties"

step "m2m doctor"
"$m2m" doctor

step "m2m card info"
"$m2m" card info --reader "$reader"

step "m2m provision: personalise and lock the M2M-SED and the USIM (keys only into 0600 files)"
"$m2m" provision --reader "$reader" --profile "$root/testdata/profiles/test-sim.toml" \
  --kmsa-file "$run_dir/kmsa.key" --export-keys "$run_dir/demo-keys.json"

step "m2m card status: a real TS 102 484 secure channel with the terminal's Kmsa"
"$m2m" card status --reader "$reader" --kmsa-file "$run_dir/kmsa.key"

if [ "$bootstrap" = gba ]; then
  step "The lab network learns the node without Kmr (so the agent bootstraps first); the USIM's subscriber goes to osmo-hlr at serve"
else
  step "The lab network learns the node by its bootstrap key only (so the agent bootstraps first)"
fi
"$netsim" import --db "$run_dir/lab.db" --without-kmr "$run_dir/demo-keys.json"

bsf_args=()
if [ "$bootstrap" = gba ]; then
  bsf_args=(--bsf 127.0.0.1:8440 --auc osmo-hlr)
  step "Starting the lab network: BSF :8440 (osmo-hlr as the AuC), MSBF :8441, NSCL connection :8442, NSCL mId :8443 (loopback)"
else
  step "Starting the lab network: MSBF :8441, NSCL connection :8442, NSCL mId :8443 (loopback)"
fi
"$netsim" serve --db "$run_dir/lab.db" --ready-file "$run_dir/netsim-ready.json" "${bsf_args[@]}" \
  2>"$run_dir/netsim.log" &
netsim_pid=$!
for _ in $(seq 100); do
  [ -f "$run_dir/netsim-ready.json" ] && break
  kill -0 "$netsim_pid" 2>/dev/null || { cat "$run_dir/netsim.log"; exit 1; }
  sleep 0.1
done
cat "$run_dir/netsim-ready.json"

if [ "$bootstrap" = gba ]; then
  step "m2m agent run: GBA bootstrap (Ub with the USIM, Ua with Ks_ext_NAF; Kmr = Ks_int_NAF) -> service connection (new Kmc) -> SCL registration -> contentInstances"
  sed 's/^bootstrap = "tls"/bootstrap = "gba"/' "$root/testdata/agent/lab.toml" >"$run_dir/agent.toml"
else
  step "m2m agent run: bootstrap (Kbs) -> service connection (new Kmc) -> SCL registration -> contentInstances"
  cp "$root/testdata/agent/lab.toml" "$run_dir/agent.toml"
fi
"$m2m" agent run --config "$run_dir/agent.toml" --exit-on-failure 2>"$run_dir/agent.log" &
agent_pid=$!
status_field() {
  "$m2m" agent status --config "$run_dir/agent.toml" --json 2>/dev/null |
    python3 -c "import json,sys; print(json.load(sys.stdin).get('$1'))" 2>/dev/null || true
}
for _ in $(seq 300); do
  [ "$(status_field state)" = registered ] && [ "$(status_field content_instances)" -ge 3 ] 2>/dev/null && break
  kill -0 "$agent_pid" 2>/dev/null || { cat "$run_dir/agent.log"; echo "the agent stopped early"; exit 1; }
  sleep 0.2
done
cat "$run_dir/agent.log"

step "m2m agent status --json (the agent still running, registered)"
"$m2m" agent status --config "$run_dir/agent.toml" --json
[ "$(status_field state)" = registered ] || { echo "the agent is not registered"; exit 1; }
[ "$(status_field bootstrap)" = "$bootstrap" ] || { echo "the agent did not bootstrap with $bootstrap"; exit 1; }

step "SIGTERM: the agent terminates the secure channel and stops"
kill -TERM "$agent_pid"
wait "$agent_pid"
tail -n 3 "$run_dir/agent.log"
"$m2m" agent status --config "$run_dir/agent.toml"

step "m2m tls-check: one handshake with the card-held Kmc against the NSCL's mId endpoint"
kmc_identity=$("$m2m" agent status --config "$run_dir/agent.toml" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["psk_identities"]["kmc"])')
echo "PSK identity in use: $kmc_identity"
"$m2m" tls-check "https://nscl.lab.m2m:8443/m2m/scls" --key kmc --reader "$reader" \
  --kmsa-file "$run_dir/kmsa.key" --resolve nscl.lab.m2m:8443:127.0.0.1 || true

step "Where the data landed: m2m-netsim show"
"$netsim" show --db "$run_dir/lab.db"

if $keep; then
  step "Still running: the emulated card ($cardsim stop --all) and m2m-netsim (kill $netsim_pid)"
fi
