#!/usr/bin/env bash
# EvidenceVault build entry point.
#   ./build.sh demo   dock a camera folder into a fresh embedded vault and verify custody (no servers)
#   ./build.sh test   install what is missing, build, run every test; last line "N passed, N failed"
#   ./build.sh test +400d   the same with the clock moved 400 days ahead (libfaketime), as .ci/run also does
#   ./build.sh bench  run the benchmarks in bench/ (figures go to docs/benchmarks.md by hand)
#   ./build.sh publish  what a deployment installs, in out/: the dock agent (ReadyToRun), the API, the worker, the CLI
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

# The SDK emulator (C) that tests and the demo dock cameras through.
build_emulator() {
  command -v gcc >/dev/null || ensure_packages gcc libc6-dev
  mkdir -p hardware/emulator/build
  if [ ! -f hardware/emulator/build/libzfyemu.so ] || [ hardware/emulator/zfy_emulator.c -nt hardware/emulator/build/libzfyemu.so ]; then
    gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o hardware/emulator/build/libzfyemu.so hardware/emulator/zfy_emulator.c
  fi
}

build() {
  need_dotnet
  build_emulator
  dotnet build EvidenceVault.sln -c Release -nologo -v quiet -clp:ErrorsOnly
}

demo() {
  # fonts-noto-cjk: the court export's explanation sheet (PDF, Chinese); xorriso: its disc image.
  ensure_packages ffmpeg espeak-ng fonts-noto-cjk xorriso curl
  build >/dev/null
  local out="$ROOT/.demo" agent="dotnet src/DeviceAgent/bin/Release/net10.0/deviceagent.dll"
  # The station belongs to a Hebei sub-district office: its regulation (001) is the vault's policy profile.
  export EVIDENCEVAULT_POLICY=hebei-street-office EVIDENCEVAULT_STATION=dock-01
  local custody="dotnet src/Custody.Cli/bin/Release/net10.0/custody.dll"
  rm -rf "$out"; mkdir -p "$out/docked"
  # The shift was yesterday (Beijing); the report is as of this morning's 09:00 or, later in the day, tomorrow's.
  local shift_day next_morning
  shift_day=$(TZ=Asia/Shanghai date -d yesterday +%F)
  next_morning="$(TZ=Asia/Shanghai date -d "$( [ "$(TZ=Asia/Shanghai date +%H)" -lt 9 ] && echo today || echo tomorrow)" +%F)T09:00:00+08:00"
  echo "== shift end: two cameras come back to the dock"
  # Camera 1 (docked through the vendor SDK): recording interrupted for 5 minutes; on resuming the
  # officer explains why on camera (R3). Its clock runs 40 s fast.
  hardware/emulator/make-camera.sh "$out/cam1" --serial A1B2C3D --officer 123456 --clock-offset 40 \
    --start "$shift_day 09:00:00" clip:8 imp:6 gap:300 \
    speech:10:"xian4 zai4 ji4 xu4 lu4 xiang4. gang1 cai2 she4 bei4 mei2 dian4, huan4 le5 dian4 chi2." clip:6
  # Camera 2 (plain mass storage): one clip was cut off when the battery died, one file is no video.
  hardware/emulator/make-camera.sh "$out/cam2" --serial B7C8D9E --officer 654321 --name 李娜 \
    --start "$shift_day 14:10:00" clip:8 truncated:6 clip:5 notvideo
  mv "$out/cam2/volume" "$out/docked/B7C8D9E"
  echo "   camera A1B2C3D: $(ls "$out/cam1/volume/DCIM/100MEDIA" | wc -l) files (SDK dock); camera B7C8D9E: $(ls "$out/docked/B7C8D9E/DCIM/100MEDIA" | wc -l) files (mass storage)"
  echo
  echo "== deviceagent sdk: identity, clock offset, sync, mass storage, ingest"
  ZFY_EMULATOR_ROOT="$out/cam1" $agent sdk --library hardware/emulator/build/libzfyemu.so \
    --data "$out/vault" --volume "$out/cam1/volume" 2>/dev/null || true
  echo
  echo "== deviceagent dock: every mounted volume is a docked camera"
  $agent dock "$out/docked" --data "$out/vault" --once 2>/dev/null || true
  echo
  echo "== docking camera B7C8D9E again: nothing is read twice"
  $agent ingest "$out/docked/B7C8D9E" --data "$out/vault" 2>/dev/null | cut -c1-40 | sort | uniq -c
  if [ -d src/Ingest.Worker ] && ls src/Ingest.Worker/*.csproj >/dev/null 2>&1; then
    echo; echo "== Ingest.Worker: probe, interruptions"
    dotnet src/Ingest.Worker/bin/Release/net10.0/Ingest.Worker.dll --data "$out/vault" --drain 2>/dev/null || true
  fi
  echo
  echo "== custody clips"
  $custody clips --data "$out/vault"
  echo
  echo "== custody interruptions (R3: explained by voice on resuming, or in writing signed by two officers)"
  $custody interruptions --data "$out/vault"
  echo
  echo "== custody deadlines, as of the next morning (profile hebei-street-office, 001)"
  $custody deadlines --data "$out/vault" --at "$next_morning"
  echo
  echo "== custody stats (R17)"
  $custody stats --data "$out/vault" --at "$next_morning"
  echo
  echo "== inclusion proof of entry 3 against the newest signed checkpoint"
  $custody proof --data "$out/vault" --index 3 | tail -12
  echo
  echo "== custody verify --objects"
  $custody verify --data "$out/vault" --objects
  echo
  echo "== the procuratorate's witness (its own folder, its own key) cosigns every checkpoint that extends the last"
  local witness="dotnet src/Custody.Witness/bin/Release/net10.0/custody-witness.dll" wkey wurl="" port attempt
  wkey=$($witness init --data "$out/procuratorate" --name procuratorate.example/witness 2>/dev/null)
  $witness trust --data "$out/procuratorate" --log-key "$($custody key --data "$out/vault" | head -1)"
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    $witness serve --data "$out/procuratorate" --urls "http://127.0.0.1:$port" >"$out/procuratorate.log" 2>&1 &
    WITNESS_PID=$!
    trap 'kill $WITNESS_PID 2>/dev/null || true' EXIT
    for _ in $(seq 50); do
      curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && { wurl="http://127.0.0.1:$port/"; break; }
      kill -0 $WITNESS_PID 2>/dev/null || break
      sleep 0.2
    done
    [ -n "$wurl" ] && break
    kill $WITNESS_PID 2>/dev/null || true
  done
  [ -n "$wurl" ] || { echo "build.sh: the witness did not start (see $out/procuratorate.log)" >&2; return 1; }
  echo "   witness key: $wkey"
  $custody witness add --data "$out/vault" --url "$wurl" --key "$wkey" --reason "the district procuratorate oversees this office" --by admin | tail -1
  rm -rf "$out/vault-copy"; cp -a "$out/vault" "$out/vault-copy" # an ordinary backup, taken now
  echo
  echo "== court export (R8, R9): a case, a request, an approval by the head, the package, the court's offline check"
  local case="冀执罚〔2026〕8号" sha
  $custody case register --data "$out/vault" --number "$case" --cause "占道经营" --party "张三" --by clerk01 >/dev/null
  for sha in $($custody clips --data "$out/vault" --json | grep -o '"sha256":"[0-9a-f]*"' | cut -d'"' -f4 | head -3); do
    $custody case link --data "$out/vault" --number "$case" --clip "$sha" --reason "recorded the inspection" --by clerk01 >/dev/null
  done
  $custody role grant --data "$out/vault" --user head01 --role agency-head --reason "head of the office" --by admin >/dev/null
  local request
  request=$($custody export request --data "$out/vault" --case "$case" --reason "提交某区人民法院，证明当事人占道经营" --by clerk01 | awk '{print $NF}')
  $custody export approve --data "$out/vault" --request "$request" --by clerk01 2>&1 | sed 's/^/   refused: /' || true
  # 001 §13: the handler's opinion (the request), the reviewer's review, then the approver's approval, each dated.
  $custody role grant --data "$out/vault" --user legal01 --role reviewer --reason "legal affairs of the office" --by admin >/dev/null
  $custody inbox --data "$out/vault" --user legal01 | sed 's/^/   /'
  $custody review --data "$out/vault" --request "$request" --opinion "证据齐全，建议提供" --by legal01 >/dev/null
  $custody export approve --data "$out/vault" --request "$request" --opinion "同意" --by head01 >/dev/null
  $custody export --data "$out/vault" --case "$case" --out "$out/export" --iso
  echo
  echo "== custody verify-export (needs nothing but the package and the keys the court pins: the agency's and the witness's)"
  $custody verify-export "$out/export.zip" --key "$($custody key --data "$out/vault" | head -1)" --witness-key "$wkey"
  echo
  echo "== the camera register (R15): a fault is reported, and stays open until a repair record closes it"
  $custody device register --data "$out/vault" --serial A1B2C3D --model DSJ-V9 --unit 城关街道办事处 --administrator admin07 --reason "issued to the street office" --by admin07 >/dev/null
  $custody device assign --data "$out/vault" --serial A1B2C3D --officer 123456 --reason "day shift" --by admin07 >/dev/null
  $custody device fault --data "$out/vault" --serial A1B2C3D --fault "屏幕不亮，按键无反应" --by officer01
  $custody device list --data "$out/vault" --at "$next_morning"
  echo
  echo "== a copy for a party (R8): asked by the clerk, reviewed, approved by the head (not the clerk), made from verified originals"
  local copy_request copy_clip
  copy_clip=$($custody clips --data "$out/vault" --json | grep -o '"sha256":"[0-9a-f]*"' | cut -d'"' -f4 | head -1)
  for clerk in clerk01 clerk02; do
    $custody role grant --data "$out/vault" --user "$clerk" --role clerk --reason "evidence clerk of the office" --by admin >/dev/null
  done
  copy_request=$($custody copy request --data "$out/vault" --clip "$copy_clip" --party "张三（当事人）" --reason "当事人申请复制本人被检查时的录像" --by clerk01 | awk '{print $NF}')
  $custody review --data "$out/vault" --request "$copy_request" --opinion "系当事人本人录像，建议同意" --by legal01 >/dev/null
  $custody copy approve --data "$out/vault" --request "$copy_request" --opinion "同意" --by head01 >/dev/null
  rm -rf "$out/copy-for-party"
  $custody copy make --data "$out/vault" --request "$copy_request" --out "$out/copy-for-party" --by clerk02
  sed 's/^/   /' "$out/copy-for-party/COPY.txt"
  echo
  echo "== units and labels (R8 004 §28, R10): an agency-level supervisor labels the clip personal-privacy; an uncleared clerk's next request is refused"
  $custody unit create --data "$out/vault" --id chengguan --name 城关街道办事处 --reason "the office" --by admin >/dev/null
  $custody unit assign --data "$out/vault" --user 123456 --unit chengguan --reason "posted to the office: clips docked from now on are the office's" --by admin >/dev/null
  $custody role grant --data "$out/vault" --user sup01 --role supervisor --reason "head of enforcement" --by admin >/dev/null
  $custody unit list --data "$out/vault"
  $custody label set --data "$out/vault" --clip "$copy_clip" --label personal-privacy --reason "录像中可见未成年人" --by sup01
  $custody copy request --data "$out/vault" --clip "$copy_clip" --party "李四" --reason "申请复制" --by clerk01 2>&1 | sed 's/^/   refused: /' || true
  echo
  echo "== Ingest.Api: an officer asks for a clip's bytes; the refusal is itself a ledger entry (who, what, why)"
  local api="dotnet src/Ingest.Api/bin/Release/net10.0/Ingest.Api.dll" aurl="" officer_key clip
  officer_key=$($custody account issue --data "$out/vault" --id officer01 --kind person --reason "demo" --by admin --json | grep -o '"key":"[^"]*"' | cut -d'"' -f4)
  $custody role grant --data "$out/vault" --user officer01 --role officer --reason "demo" --by admin >/dev/null
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    $api --data "$out/vault" --urls "http://127.0.0.1:$port" >"$out/api.log" 2>&1 &
    API_PID=$!
    trap 'kill $WITNESS_PID $API_PID 2>/dev/null || true' EXIT
    for _ in $(seq 100); do
      curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && { aurl="http://127.0.0.1:$port"; break; }
      kill -0 $API_PID 2>/dev/null || break
      sleep 0.2
    done
    [ -n "$aurl" ] && break
    kill $API_PID 2>/dev/null || true
  done
  [ -n "$aurl" ] || { echo "build.sh: Ingest.Api did not start (see $out/api.log)" >&2; return 1; }
  clip=$($custody clips --data "$out/vault" --json | grep -o '"sha256":"[0-9a-f]*"' | cut -d'"' -f4 | head -1)
  curl -s -H "Authorization: Bearer $officer_key" "$aurl/clips/$clip/content?reason=curious" | sed 's/^/   403: /'; echo
  kill $API_PID 2>/dev/null || true; wait $API_PID 2>/dev/null || true
  $custody log --data "$out/vault" | grep -E "AccessRefused" | sed 's/^/   /'
  echo
  echo "== whoever holds the server puts the backup back: the export and its entries are gone"
  rm -rf "$out/rolled-back"; cp -a "$out/vault-copy" "$out/rolled-back"
  $custody verify --data "$out/rolled-back" --objects | head -1
  echo "   ... but the witness remembers what it cosigned:"
  $custody verify --data "$out/rolled-back" --witness-key "$wkey" | head -1 || true
  kill $WITNESS_PID 2>/dev/null || true
  trap - EXIT
}

# The shifted-clock runs (.ci/run): libfaketime moves the wall clock of the test processes and every
# program they start; FAKETIME_DONT_FAKE_MONOTONIC is set only for Ceph's daemons (tests/infra/radosgw.sh).
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1

run_tests() {
  # $1: a libfaketime offset such as +400d (the whole suite under a clock moved that far), or nothing.
  local shift="${1:-}"
  need_dotnet
  # Real media (ffmpeg, espeak-ng), the C emulator (gcc) and a real S3 server (Ceph radosgw, started
  # on 127.0.0.1 by the tests through tests/infra/radosgw.sh and stopped by them) are part of the tests,
  # and so are the court export's tools: the CJK font for its PDF sheet, pdftotext (poppler-utils) to
  # read it back, xorriso for its disc image, openssl as a local RFC 3161 time-stamping authority;
  # PostgreSQL for the deployment ledger (tests/infra/postgres.sh runs its own cluster on 127.0.0.1).
  ensure_packages ffmpeg espeak-ng gcc libc6-dev radosgw ceph-mon ceph-osd curl fonts-noto-cjk poppler-utils xorriso openssl postgresql faketime
  local results="$ROOT/.test-results${shift:+-$shift}"
  rm -rf "$results"
  # The deployment tests run the dock agent, the API, the CLI and the witness as ./build.sh publish installs them (the worker from out/ they do not use).
  if ! build || ! publish_agent || ! publish_api || ! publish_cli || ! publish_witness; then
    echo "build.sh: the build failed" >&2
    echo "0 passed, 1 failed"
    return 1
  fi
  local status=0
  # The tests' own temporary folder: what they leave behind in it is found and counted below.
  local tmp; tmp=$(mktemp -d /tmp/evidencevault-tests.XXXXXX)
  chmod 755 "$tmp" # the PostgreSQL cluster inside runs as the postgres user
  local clock=()
  if [ -n "$shift" ]; then
    clock=(env "LD_PRELOAD=$FAKETIME_LIB" "FAKETIME=$shift")
    echo "build.sh: the tests run with the clock at $(LD_PRELOAD=$FAKETIME_LIB FAKETIME=$shift date -u +%FT%TZ) (libfaketime $shift)" >&2
  fi
  TMPDIR="$tmp" "${clock[@]}" dotnet test EvidenceVault.sln -c Release --no-build --nologo -v quiet \
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
  # The tests' own folders are named ev-*; MSBuild and the runtime keep their own files there too.
  local left; left=$(cd "$tmp" && ls -d ev-* 2>/dev/null || true)
  if [ -n "$left" ]; then
    echo "build.sh: the tests left behind in the temporary folder: $(echo "$left" | tr '\n' ' ')" >&2
    failed=$((failed + 1))
  fi
  rm -rf "$tmp"
  echo "$passed passed, $failed failed"
  [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
}

# What a deployment installs (docs/deploy.md). The dock agent is precompiled for the dock PC's
# runtime (linux-x64, framework-dependent); the services and the CLI are plain framework-dependent builds.
publish_agent() {
  need_dotnet
  rm -rf "$ROOT/out/deviceagent"
  dotnet publish src/DeviceAgent -c Release -r linux-x64 --self-contained false -nologo -v quiet -clp:ErrorsOnly -o "$ROOT/out/deviceagent"
}

# The API as a deployment node runs it (the deployment tests start it against PostgreSQL and RGW).
publish_api() {
  need_dotnet
  rm -rf "$ROOT/out/Ingest.Api"
  dotnet publish src/Ingest.Api -c Release -nologo -v quiet -clp:ErrorsOnly -o "$ROOT/out/Ingest.Api"
}

# The CLI as the DBA runs it: the PostgreSQL tests create each database's schema with its `database migrate`.
publish_cli() {
  need_dotnet
  rm -rf "$ROOT/out/Custody.Cli"
  dotnet publish src/Custody.Cli -c Release -nologo -v quiet -clp:ErrorsOnly -o "$ROOT/out/Custody.Cli"
}

# The witness as another body installs it (the witness tests run this one).
publish_witness() {
  need_dotnet
  rm -rf "$ROOT/out/Custody.Witness"
  dotnet publish src/Custody.Witness -c Release -nologo -v quiet -clp:ErrorsOnly -o "$ROOT/out/Custody.Witness"
}

publish() {
  rm -rf "$ROOT/out"
  publish_agent
  local project
  for project in Ingest.Api Ingest.Worker Custody.Cli Custody.Witness; do
    dotnet publish "src/$project" -c Release -nologo -v quiet -clp:ErrorsOnly -o "$ROOT/out/$project"
  done
}

bench() {
  need_dotnet
  dotnet run -c Release --project bench/Custody.Bench -- "$@"
}

case "${1:-}" in
  demo) demo ;;
  test) shift; run_tests "${1:-}" ;;
  bench) shift; bench "$@" ;;
  build) build ;;
  publish) publish ;;
  *) echo "usage: ./build.sh demo | test [CLOCK-SHIFT] | bench [name] | build | publish" >&2; exit 2 ;;
esac
