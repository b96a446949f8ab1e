#!/usr/bin/env bash
# EvidenceVault build entry point.
#   ./build.sh demo   dock a camera folder into a fresh embedded vault and verify custody (no servers)
#   ./build.sh test   install what is missing, build, run every test; last line "N passed, N failed"
#   ./build.sh bench  run the benchmarks in bench/ (figures go to docs/benchmarks.md by hand)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need_dotnet() {
  command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
}

# Debian packages the tests need; installed only when missing (CI starts from a fresh machine).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "build.sh: installing ${missing[*]}" >&2
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  need_dotnet
  dotnet build EvidenceVault.sln -c Release -nologo -v quiet -clp:ErrorsOnly
}

demo() {
  build
  local out="$ROOT/.demo"
  rm -rf "$out"
  mkdir -p "$out/camera/DCIM/100MEDIA"
  # A docked camera's volume: clips, the same clip saved twice, and a file that is no video.
  head -c 3000000 /dev/urandom > "$out/camera/DCIM/100MEDIA/A1B2C3D_123456_20261123083000_0001.MP4"
  head -c 2000000 /dev/urandom > "$out/camera/DCIM/100MEDIA/A1B2C3D_123456_20261123084510_0002_IMP.MP4"
  cp "$out/camera/DCIM/100MEDIA/A1B2C3D_123456_20261123083000_0001.MP4" "$out/camera/DCIM/100MEDIA/copy-of-0001.MP4"
  echo "battery log" > "$out/camera/DCIM/notes.txt"
  local agent="dotnet src/DeviceAgent/bin/Release/net10.0/deviceagent.dll"
  local custody="dotnet src/Custody.Cli/bin/Release/net10.0/custody.dll"

  echo "== docking camera A1B2C3D into a fresh vault at $out/data"
  $agent ingest "$out/camera" --data "$out/data" 2>/dev/null
  echo
  echo "== custody trail"
  $custody log --data "$out/data" | grep -E '^ +[0-9]+ ' || true
  echo
  echo "== inclusion proof of entry 2 against the newest signed checkpoint"
  $custody proof --data "$out/data" --index 2
  echo
  echo "== the vault's checkpoint key (publish it; a court pins it)"
  $custody key --data "$out/data"
  echo
  echo "== custody verify --objects"
  $custody verify --data "$out/data" --objects
}

run_tests() {
  need_dotnet
  local results="$ROOT/.test-results"
  rm -rf "$results"
  if ! build; then
    echo "build.sh: the build failed" >&2
    echo "0 passed, 1 failed"
    return 1
  fi
  local status=0
  dotnet test EvidenceVault.sln -c Release --no-build --nologo -v quiet \
    --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=$?
  # VSTest's own summary is not the plain line CI reads: count from the TRX files.
  local passed=0 failed=0 p f
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
    f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  done
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "build.sh: no test ran" >&2
    failed=1
  fi
  echo "$passed passed, $failed failed"
  [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
}

bench() {
  need_dotnet
  dotnet run -c Release --project bench/Custody.Bench -- "$@"
}

case "${1:-}" in
  demo) demo ;;
  test) run_tests ;;
  bench) shift; bench "$@" ;;
  build) build ;;
  *) echo "usage: ./build.sh demo | test | bench [name] | build" >&2; exit 2 ;;
esac
