#!/usr/bin/env bash
# One idempotent install-and-build step, shared by the demo, the test runner and CI.
# Installs the Debian packages and the jCardSim jar the project needs (only what is missing),
# then configures and builds into ${M2M_BUILD_DIR:-build}: everything, or only the meson targets
# named in M2M_BUILD_TARGETS (the demo builds only what it runs). M2M_FUZZ=1 adds clang's
# packages for the fuzz build (tools/scripts/fuzz.sh); M2M_BUILD_JOBS=N limits the compile jobs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
jcardsim_version=3.0.6.0
jcardsim_sha256=db6de7ffde71651c45d00df7e160771685cec3e14e444bf36b796658d289942f
jcardsim_jar=$root/.deps/jcardsim-$jcardsim_version.jar

packages=(
  build-essential meson ninja-build pkg-config git
  pcscd vsmartcard-vpcd libpcsclite-dev pcsc-tools
  libssl-dev openssl libcurl4-openssl-dev
  libcli11-dev catch2 libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libsqlite3-dev libpugixml-dev libcbor-dev
  libcpp-httplib-dev
  osmo-hlr libosmo-gsup-client-dev libosmocore-utils
  openjdk-17-jdk-headless maven
  procps iproute2 netcat-openbsd python3
)
# The fuzz build (tools/scripts/fuzz.sh) needs clang and its libFuzzer and sanitizer runtimes.
if [ -n "${M2M_FUZZ:-}" ]; then
  packages+=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)
fi

log() { printf '[setup] %s\n' "$*" >&2; }

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

fetch_jcardsim() {
  if [ -f "$jcardsim_jar" ] && echo "$jcardsim_sha256  $jcardsim_jar" | sha256sum -c --status; then
    return 0
  fi
  log "fetching com.klinec:jcardsim:$jcardsim_version from Maven Central"
  mkdir -p "$root/.deps"
  mvn -q -B dependency:copy -Dartifact="com.klinec:jcardsim:$jcardsim_version" \
      -DoutputDirectory="$root/.deps" >&2
  if ! echo "$jcardsim_sha256  $jcardsim_jar" | sha256sum -c --status; then
    log "jCardSim jar checksum mismatch: $jcardsim_jar"; exit 1
  fi
}

configure_and_build() {
  if [ ! -f "$build_dir/build.ninja" ]; then
    log "configuring $build_dir"
    meson setup "$build_dir" "$root" "$@" >&2
  elif [ $# -gt 0 ]; then
    meson configure "$build_dir" "$@" >&2
  fi
  local targets=()
  read -r -a targets <<<"${M2M_BUILD_TARGETS:-}"
  log "building ${targets[*]:-everything}"
  local jobs=()
  [ -n "${M2M_BUILD_JOBS:-}" ] && jobs=(-j "$M2M_BUILD_JOBS")
  meson compile -C "$build_dir" "${jobs[@]}" "${targets[@]}" >&2
}

install_packages
fetch_jcardsim
configure_and_build "$@"
