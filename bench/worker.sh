#!/usr/bin/env bash
# Worker throughput on short clips with 1 and 2 workers, and per-clip cost against a bare ffprobe
# of the same files, same run, same machine.
# Usage: bench/worker.sh [clips=500] [runs=3]
set -euo pipefail
cd "$(dirname "$0")/.."
clips=${1:-500} runs=${2:-3}
work=${EVBENCH_DIR:-/var/tmp/evbench-worker}
./build.sh build >/dev/null
agent="dotnet src/DeviceAgent/bin/Release/net10.0/deviceagent.dll"
worker="dotnet src/Ingest.Worker/bin/Release/net10.0/Ingest.Worker.dll"
rm -rf "$work"; mkdir -p "$work"
items=(); for i in $(seq 1 "$clips"); do items+=(clip:1); done
hardware/emulator/make-camera.sh "$work/cam" --size 320x240 "${items[@]}" >/dev/null
files=("$work"/cam/volume/DCIM/100MEDIA/*)
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a bare one two
for run in $(seq 1 "$runs"); do
  # Baseline: what probing must at least do, one ffprobe of format and streams per clip.
  s=$(now); for f in "${files[@]}"; do ffprobe -v error -show_format -show_streams -of json "$f" >/dev/null; done; e=$(now)
  bare+=("$(echo "$e - $s" | bc)")
  for n in 1 2; do
    rm -rf "$work/data"; $agent ingest "$work/cam/volume" --data "$work/data" >/dev/null 2>&1
    s=$(now)
    pids=(); for w in $(seq 1 $n); do $worker --data "$work/data" --drain --worker-id "w$w" >/dev/null 2>&1 & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
    e=$(now)
    if [ $n = 1 ]; then one+=("$(echo "$e - $s" | bc)"); else two+=("$(echo "$e - $s" | bc)"); fi
  done
  echo "run $run: bare ffprobe ${bare[-1]} s, 1 worker ${one[-1]} s, 2 workers ${two[-1]} s"
done
b=$(median "${bare[@]}"); o=$(median "${one[@]}"); t=$(median "${two[@]}")
echo
echo "$clips clips of 1 s (320x240 H.264 + AAC), median of $runs runs:"
printf '  bare ffprobe, one per clip (baseline)   %6.2f s  %6.1f clips/s\n' "$b" "$(echo "$clips / $b" | bc -l)"
printf '  Ingest.Worker --drain, 1 worker         %6.2f s  %6.1f clips/s  per clip %.2fx bare ffprobe (goal <= 1.3x)\n' "$o" "$(echo "$clips / $o" | bc -l)" "$(echo "$o / $b" | bc -l)"
printf '  Ingest.Worker --drain, 2 workers        %6.2f s  %6.1f clips/s  (%.2fx one worker)\n' "$t" "$(echo "$clips / $t" | bc -l)" "$(echo "$o / $t" | bc -l)"
rm -rf "$work"
