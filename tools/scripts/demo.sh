#!/usr/bin/env bash
# The demo on the built-in defaults, end to end: installs and builds what is missing, starts the
# emulated UICC (jCardSim behind pcscd/vpcd), personalises it, starts the lab network (m2m-netsim on
# loopback), and runs the agent until it has bootstrapped, connected, registered its SCL and stored
# a few contentInstances; then prints the agent's status and where the data landed. Integrity
# validation (security profile §7) runs throughout: the card's IV-SED is personalised with a
# manifest signed by a test SP key, every registration and refresh carries a report the IV-SED
# signed, and the NSCL answers with a signed verdict; the demo then changes a measured file and
# shows the recovery action (rollback) and the NSCL's new verdict.
#   tools/scripts/demo.sh [--keep] [--bootstrap tls|gba]
#   tools/scripts/demo.sh --gateway [--keep]    the gateway demo (demo-gateway.sh, agent/GATEWAY.md)
#     --keep       leaves the emulated card and the lab network running
#     --bootstrap  tls (default): Kmr from the card-held Kbs (security profile §4.3);
#                  gba: Kmr = Ks_int_NAF over Ub (the BSF with osmo-hlr as the AuC) and Ua (§4.2)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for arg in "$@"; do
  if [ "$arg" = --gateway ]; then
    args=()
    for a in "$@"; do [ "$a" = --gateway ] || args+=("$a"); done
    exec "$root/tools/scripts/demo-gateway.sh" "${args[@]}"
  fi
done
build_dir=${M2M_BUILD_DIR:-$root/build}
keep=false
bootstrap=tls
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=true ;;
    --bootstrap) bootstrap=${2:-}; shift ;;
    *) echo "usage: $0 [--keep] [--bootstrap tls|gba] | --gateway [--keep]" >&2; exit 2 ;;
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
  "$run_dir/agent-state" "$run_dir/netsim-ready.json" "$run_dir"/lab.db.osmo-hlr \
  "$run_dir/kmsa-iv.key" "$run_dir/lab.db.policy-key.pem" "$run_dir/integrity"

step "Starting the emulated UICC (profile testdata/cards/uicc-default.properties)"
"$cardsim" start --slot 0 --image "$run_dir/demo-card.img" \
  --profile "$root/testdata/cards/uicc-default.properties"

step "m2m doctor"
"$m2m" doctor

step "m2m card info"
"$m2m" card info --reader "$reader"

# The agent's configuration: the lab's, with integrity validation on. It is itself a measured
# object (@config), so it is written before the manifest is signed.
iv_dir=$run_dir/integrity
mkdir -p "$iv_dir/root/plugins"
if [ "$bootstrap" = gba ]; then
  sed 's/^bootstrap = "tls"/bootstrap = "gba"/' "$root/testdata/agent/lab.toml" >"$run_dir/agent.toml"
else
  cp "$root/testdata/agent/lab.toml" "$run_dir/agent.toml"
fi
cat >>"$run_dir/agent.toml" <<EOF

[integrity]                      # integrity validation (security profile §7)
enabled = true
root = "integrity/root"          # manifest objects other than @agent and @config live here
kmsa_iv_file = "kmsa-iv.key"     # the IV-SED's own TS 102 484 key
manifest = "integrity/manifest-1.cose"
EOF
plugin=$iv_dir/root/plugins/telemetry-plugin.so
printf 'telemetry plug-in, release 1\n' >"$plugin"
cp "$plugin" "$iv_dir/plugin-release-1"

step "Integrity: a test SP key and certificate, the NSCL's policy key, the first signed manifest"
"$m2m" integrity keygen --out "$iv_dir/sp.key" --cert "$iv_dir/sp.pem" --cn "Demo SP reference values"
"$netsim" policy-key --db "$run_dir/lab.db" >"$iv_dir/nscl-policy.pem"
"$m2m" integrity sign-manifest --key "$iv_dir/sp.key" --cert "$iv_dir/sp.pem" --version 1 \
  --object "@agent=$m2m:required:report" --object "@config=$run_dir/agent.toml:required:report" \
  --object "plugins/telemetry-plugin.so=$plugin:required:rollback" --out "$iv_dir/manifest-1.cose"
{
  cat "$root/testdata/profiles/test-sim.toml"
  printf '\n[iv_sed]                               # the IV-SED: integrity validation on the card\n'
  printf 'kmsa_iv = "generate"\nreference_key = "%s"\npolicy_key = "%s"\nmanifest = "%s"\n' \
    "$iv_dir/sp.pem" "$iv_dir/nscl-policy.pem" "$iv_dir/manifest-1.cose"
} >"$iv_dir/profile.toml"

step "m2m provision: personalise and lock the M2M-SED, the USIM and the IV-SED (attestation key made in the card; keys only into 0600 files)"
"$m2m" provision --reader "$reader" --profile "$iv_dir/profile.toml" \
  --kmsa-file "$run_dir/kmsa.key" --kmsa-iv-file "$run_dir/kmsa-iv.key" \
  --export-keys "$run_dir/demo-keys.json"

step "m2m card status: a real TS 102 484 secure channel with the terminal's Kmsa"
"$m2m" card status --reader "$reader" --kmsa-file "$run_dir/kmsa.key"

if [ "$bootstrap" = gba ]; then
  step "The lab network learns the node without Kmr (so the agent bootstraps first); the USIM's subscriber goes to osmo-hlr at serve"
else
  step "The lab network learns the node by its bootstrap key only (so the agent bootstraps first)"
fi
"$netsim" import --db "$run_dir/lab.db" --without-kmr "$run_dir/demo-keys.json"
node_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["node_id"].lower())' "$run_dir/demo-keys.json")
step "The NSCL's integrity policy for the node: the manifest's reference values; a failed report gets partial access (the agent's maintenance container only)"
"$netsim" policy --db "$run_dir/lab.db" "$node_id" --manifest "$iv_dir/manifest-1.cose" \
  --on-fail partial --allow applications/telemetry/containers/maintenance

bsf_args=()
if [ "$bootstrap" = gba ]; then
  bsf_args=(--bsf 127.0.0.1:8440 --auc osmo-hlr)
  step "Starting the lab network: BSF :8440 (osmo-hlr as the AuC), MSBF :8441, NSCL connection :8442, NSCL mId :8443 (loopback)"
else
  step "Starting the lab network: MSBF :8441, NSCL connection :8442, NSCL mId :8443 (loopback)"
fi
"$netsim" serve --db "$run_dir/lab.db" --ready-file "$run_dir/netsim-ready.json" "${bsf_args[@]}" \
  --registration-lifetime 8 \
  2>"$run_dir/netsim.log" &
netsim_pid=$!
for _ in $(seq 100); do
  [ -f "$run_dir/netsim-ready.json" ] && break
  kill -0 "$netsim_pid" 2>/dev/null || { cat "$run_dir/netsim.log"; exit 1; }
  sleep 0.1
done
cat "$run_dir/netsim-ready.json"

if [ "$bootstrap" = gba ]; then
  step "m2m agent run: GBA bootstrap (Ub with the USIM, Ua with Ks_ext_NAF; Kmr = Ks_int_NAF) -> service connection (new Kmc) -> integrity report + SCL registration -> contentInstances"
else
  step "m2m agent run: bootstrap (Kbs) -> service connection (new Kmc) -> integrity report + SCL registration -> contentInstances"
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

# One expression over the status's "integrity" object (i).
integrity_field() {
  "$m2m" agent status --config "$run_dir/agent.toml" --json 2>/dev/null |
    python3 -c "import json,sys; i=json.load(sys.stdin).get('integrity') or {}; print(eval(sys.argv[1]))" "$1" 2>/dev/null || true
}
show_integrity() {
  "$m2m" agent status --config "$run_dir/agent.toml" --json | python3 -c '
import json, sys
i = json.load(sys.stdin)["integrity"]
print(json.dumps({k: i[k] for k in ("last_report", "verdict", "halted", "actions")}, indent=2))'
}
step "Integrity: the first report (signed in the IV-SED) and the NSCL's verdict"
show_integrity
[ "$(integrity_field "i.get('verdict')")" = full ] || { echo "the NSCL did not grant full access"; exit 1; }

step "Tampering with a measured file: $plugin (its manifest action: rollback)"
printf 'telemetry plug-in, patched by someone else\n' >"$plugin"
for _ in $(seq 150); do
  [ "$(integrity_field "any(a['action'] == 'rollback' for a in i.get('actions', []))")" = True ] &&
    [ "$(integrity_field "i.get('verdict')")" = full ] && break
  sleep 0.2
done
step "The recovery action, and the NSCL's verdicts: partial for the failed report, full for the one after the rollback"
show_integrity
grep -E "appraised" "$run_dir/netsim.log" | tail -n 4 || true
cmp -s "$plugin" "$iv_dir/plugin-release-1" || { echo "the plug-in was not restored"; exit 1; }
[ "$(integrity_field "i.get('verdict')")" = full ] || { echo "the NSCL's verdict is not full after the rollback"; exit 1; }

step "SIGTERM: the agent terminates the secure channel and stops"
kill -TERM "$agent_pid"
wait "$agent_pid"
tail -n 3 "$run_dir/agent.log"
"$m2m" agent status --config "$run_dir/agent.toml"

step "m2m integrity report --json: a fresh report from the IV-SED (eat = base64url COSE_Sign1, its claims beside it)"
"$m2m" integrity report --config "$run_dir/agent.toml" --json

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
