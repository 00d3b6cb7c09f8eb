#!/usr/bin/env bash
# The gateway demo (agent/GATEWAY.md): a gateway on the emulated UICC in slot 0, a device with its
# own emulated UICC in slot 1 and a software-only device (no UICC) behind it, the lab network
# knowing only the gateway. Both devices register through the gateway and their readings flow to
# the NSCL; then the carded device's measured plug-in is changed: at its next report the gateway
# denies it (cut off: none of its requests is relayed, and the NSCL ends its registration) while
# the software device's readings keep flowing; the file restored, the device is back to full.
#   tools/scripts/demo.sh --gateway [--keep]     (or this script directly)
#     --keep   leaves the emulated cards, the lab network and the agents running
# Exits non-zero when any expectation fails.
#
# The gateway's policy is on_fail = "deny" rather than partial: the device's manifest action is
# `report` (nothing on the device mends it), so there is nothing a maintenance container would
# carry that the gateway's status and the NSCL's records do not already show, and deny is what
# "controls the access of M2M Devices to the NSCL in the case where faults are detected" means
# at its plainest: no request of that device leaves the gateway until a report passes again.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=true ;;
    *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
  esac
  shift
done

# Only what the demo runs: the CLI, the lab network and the emulated card (not the tests).
M2M_BUILD_TARGETS="m2m m2m-netsim m2m-uicc-card.jar" "$root/tools/scripts/setup.sh"

cardsim=$build_dir/tools/cardsim/m2m-cardsim
m2m=$build_dir/tools/m2m
netsim=$build_dir/tools/netsim/m2m-netsim
run_dir=${M2M_RUN_DIR:-$root/.run}/gateway
# shellcheck source=gateway-lab.sh
source "$root/tools/scripts/gateway-lab.sh"
$keep || trap gw_stop_all EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

rm -rf "$run_dir"
mkdir -p "$run_dir"

# Fixed Node-IDs for the devices: the NSCL names a gateway's device by its SCL-ID
# m2m:scl/<Node-ID in lowercase hex>.
sensor_node=0000000000000000000000000000d001
soft_node=0000000000000000000000000000d002

step "The lab network's policy key and a test SP key (signs both manifests)"
gw_start_network

step "The gateway: emulated UICC in slot 0, M2M-SED + USIM + IV-SED (its decisions checked with the NSCL's policy key)"
gw_provision_gateway
echo "gateway node: $gateway_node; the gateway's own policy key (signs its devices' decisions): $run_dir/gateway-policy.key"

step "Device 'sensor' (emulated UICC in slot 1): Node-ID $sensor_node, SCL-ID m2m:scl/$sensor_node, Kmr pre-provisioned, IV-SED trusting the gateway's policy key; its manifest measures plugins/sensor-plugin.so (action: report)"
mkdir -p "$run_dir/sensor-root/plugins"
plugin=$run_dir/sensor-root/plugins/sensor-plugin.so
printf 'sensor plug-in, release 1\n' >"$plugin"
cp "$plugin" "$run_dir/sensor-plugin-release-1"
gw_provision_card_device 1 "$sensor_node" sensor \
  --object "plugins/sensor-plugin.so=$plugin:required:report"

step "Device 'meter': software-only device (no UICC) — m2m soft-device create, its Kmr in a 0600 key file"
gw_soft_device "$soft_node" meter

step "The gateway's device records (m2m gateway add-device, above): $run_dir/devices.json"
python3 -c 'import json,sys; [print(" ", r["node_id"], r["scl_id"], "software-only" if r.get("software") else "card, attested" if r.get("iv_attestation_public_key") else "card") for r in json.load(open(sys.argv[1]))]' "$run_dir/devices.json"

step "The lab network (m2m-netsim) knows the gateway only; its devices are the gateway's"
gw_serve_network
echo "MSBF :$nscl_msbf, NSCL connection :$nscl_conn, NSCL mId :$nscl_mid (loopback)"

step "The gateway agent: on_fail = deny, software devices full, device registrations of 6 s (a device reports every 3 s)"
gw_write_gateway_config 'on_fail = "deny"' 'unattested = "full"' 'device_registration_lifetime_s = 6'
gw_start_gateway
echo "gateway registered at the NSCL; its dIa listeners: connection :$dia_conn, mId :$dia_mid"

step "The devices' agents: network.connection / network.mid = the gateway's dIa ports, bootstrap = none"
gw_write_device_config sensor
gw_write_device_config meter
gw_start_agent sensor
gw_start_agent meter
echo "sensor (card in slot 1): pid $sensor_pid; meter (software-only device, no UICC): pid $meter_pid"

# A device's numbers at the NSCL, from m2m-netsim show --json: registered, contentInstances, verdict.
nscl_device() {
  "$netsim" show --db "$run_dir/lab.db" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
for g in s["gateways"]:
    for d in g["devices"]:
        if d["node_id"].lower() == sys.argv[1]:
            print(d["registered"], d["content_instances"], d["verdict"])
            sys.exit(0)
print("False 0 absent")' "$1"
}
instances() { nscl_device "$1" | cut -d' ' -f2; }
registered_with() { [ "$(nscl_device "$1" | cut -d' ' -f1)" = True ] && [ "$(instances "$1")" -ge "$2" ]; }
gateway_device() {  # gateway_device NODE EXPR: EXPR over the gateway's record of NODE (g)
  gw_status gateway "next((g for g in d['gateway']['devices'] if g['node_id'].lower() == '$1'), {}).get('$2')"
}

gw_wait 90 "both devices registered at the NSCL through the gateway, readings stored" \
  gw_alive_and "$sensor_pid" "$run_dir/sensor.log" gw_alive_and "$meter_pid" "$run_dir/meter.log" \
  eval 'registered_with $sensor_node 3 && registered_with $soft_node 3' ||
  { tail -n 20 "$run_dir"/{gateway,sensor,meter}.log; exit 1; }

step "m2m-netsim show: the gateway and its devices (both registered, both full, readings flowing)"
"$netsim" show --db "$run_dir/lab.db" | sed -n '/^registrations:/,/^applications:/p'
[ "$(gateway_device "$sensor_node" verdict)" = full ] || fail "the sensor's verdict at the gateway is not full"
[ "$(gateway_device "$soft_node" verdict)" = full ] || fail "the meter's verdict at the gateway is not full"
[ "$(gateway_device "$soft_node" card)" = software ] || fail "the meter is not marked software at the gateway"
echo "meter's own status: $(gw_status meter 'd["card"]')"

step "Tampering with the sensor's measured plug-in: $plugin"
printf 'sensor plug-in, patched by someone else\n' >"$plugin"
gw_wait 30 "the gateway denying the sensor at its next report" \
  eval '[ "$(gateway_device $sensor_node verdict)" = deny ]'
gw_wait 30 "the NSCL ending the sensor's registration" \
  eval '[ "$(nscl_device $sensor_node | cut -d" " -f1)" = False ]'
sensor_cut=$(instances "$sensor_node")
meter_cut=$(instances "$soft_node")
echo "the gateway cut the sensor off; contentInstances now: sensor $sensor_cut, meter $meter_cut"
sleep 8
sensor_later=$(instances "$sensor_node")
meter_later=$(instances "$soft_node")
echo "8 s later: sensor $sensor_later (cut off), meter $meter_later (software-only device, still flowing)"
[ "$sensor_later" -eq "$sensor_cut" ] || fail "the sensor's readings still reached the NSCL after the deny"
[ "$meter_later" -gt "$meter_cut" ] || fail "the meter's readings stopped"

step "m2m agent status --json of the gateway: its devices' verdicts"
"$m2m" agent status --config "$run_dir/gateway.toml" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
g = d["gateway"]
print(json.dumps({"connection_port": g["connection_port"], "mid_port": g["mid_port"],
                  "devices": g["devices"], "relay": g["relay"]}, indent=2))'

step "m2m-netsim show: the gateway and its devices with the verdicts of its last report"
"$netsim" show --db "$run_dir/lab.db" | sed -n '/^registrations:/,/^applications:/p'
[ "$(nscl_device "$sensor_node" | cut -d' ' -f3)" = deny ] || fail "the NSCL does not show the sensor denied"

step "Restoring the plug-in: at its next registration the sensor's report passes"
cp "$run_dir/sensor-plugin-release-1" "$plugin"
gw_wait 40 "the sensor back to full and registered at the NSCL" \
  eval '[ "$(gateway_device $sensor_node verdict)" = full ] && registered_with $sensor_node $((sensor_later + 2))'
sensor_back=$(instances "$sensor_node")
meter_back=$(instances "$soft_node")
echo "contentInstances: sensor $sensor_back (flowing again), meter $meter_back"
"$netsim" show --db "$run_dir/lab.db" | sed -n '/^gateways/,/^applications:/p'
echo "sensor's own status: state $(gw_status sensor 'd["state"]'), verdict $(gw_status sensor 'd["integrity"]["verdict"]')"

if $keep; then
  step "Still running (--keep): pids ${gw_pids[*]}; cards: $cardsim stop --all"
fi
step "The gateway demo passed"
