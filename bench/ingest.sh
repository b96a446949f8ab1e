#!/usr/bin/env bash
# Ingest throughput against two baselines on the same files, same disk, same run, cold page cache:
#   cp + sync            one read and one durable write: the physical limit of what ingest must do
#   sha256sum, cp + sync what a careful clerk would do by hand
#   deviceagent ingest   read once, hash while streaming, fsync, rename, ledger, checkpoint
#   re-dock              the same camera docked again: every file read and hashed again (docs/dock.md)
# Usage: bench/ingest.sh [GiB=2] [runs=5]   (root: it drops the page cache between runs)
# EVBENCH_BASELINE=COMMIT also times that commit's agent (built in a worktree) in the same rounds: the A/B.
set -euo pipefail
cd "$(dirname "$0")/.."
gib=${1:-2} runs=${2:-5}
work=${EVBENCH_DIR:-/var/tmp/evbench}
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
./build.sh build >/dev/null
agent="dotnet src/DeviceAgent/bin/Release/net10.0/deviceagent.dll"
baseline=""
if [ -n "${EVBENCH_BASELINE:-}" ]; then
  tree="${work}-baseline"
  rm -rf "$tree"; git worktree prune
  git worktree add -q --detach "$tree" "$EVBENCH_BASELINE"
  dotnet build "$tree/src/DeviceAgent/DeviceAgent.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
  baseline="dotnet $tree/src/DeviceAgent/bin/Release/net10.0/deviceagent.dll"
fi

rm -rf "$work"; mkdir -p "$work/camera/DCIM/100MEDIA"
# Clip-named files of incompressible bytes (H.264 is incompressible too; ingest never looks inside).
files=$((gib * 8))
for i in $(seq 1 $files); do
  head -c $((128 * 1024 * 1024)) /dev/urandom > "$work/camera/DCIM/100MEDIA/$(printf 'A1B2C3D_123456_20261123%02d%02d00_%04d.MP4' $((8 + i / 60)) $((i % 60)) "$i")"
done
sync

cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }
now() { date +%s.%N; }

declare -a t_cp t_clerk t_ingest t_redock t_base rss
step_cp() {
  rm -rf "$work/copy"; cold
  s=$(now); cp -r "$work/camera" "$work/copy"; sync; e=$(now)
  t_cp+=("$(echo "$e - $s" | bc)")
}
step_clerk() {
  rm -rf "$work/copy"; cold
  s=$(now); (cd "$work/camera" && find . -type f -exec sha256sum {} + > "$work/sums"); cp -r "$work/camera" "$work/copy"; sync; e=$(now)
  t_clerk+=("$(echo "$e - $s" | bc)")
}
step_ingest() {
  rm -rf "$work/data"; cold
  s=$(now)
  /usr/bin/time -f '%M' -o "$work/rss" $agent ingest "$work/camera" --data "$work/data" >/dev/null 2>&1
  e=$(now)
  t_ingest+=("$(echo "$e - $s" | bc)")
  rss+=("$(cat "$work/rss")")
  # The same camera docked again: every file read and hashed again, nothing new stored.
  cold
  s=$(now); $agent ingest "$work/camera" --data "$work/data" >/dev/null 2>&1; e=$(now)
  t_redock+=("$(echo "$e - $s" | bc)")
}
step_base() {
  rm -rf "$work/data"; cold
  s=$(now); $baseline ingest "$work/camera" --data "$work/data" >/dev/null 2>&1; e=$(now)
  t_base+=("$(echo "$e - $s" | bc)")
}
steps=(step_cp step_clerk step_ingest)
[ -n "$baseline" ] && steps+=(step_base)
for run in $(seq 1 "$runs"); do
  # Each round starts with the next contender: whoever runs right after another's 2 GiB of writes
  # meets the disk still flushing them, and a fixed order would hand that cost to one of them.
  for k in $(seq 0 $((${#steps[@]} - 1))); do
    "${steps[$(( (k + run - 1) % ${#steps[@]} ))]}"
  done
  rm -rf "$work/copy"

  line="run $run: cp+sync ${t_cp[-1]} s, sha256sum+cp+sync ${t_clerk[-1]} s, ingest ${t_ingest[-1]} s, re-dock ${t_redock[-1]} s, agent peak RSS ${rss[-1]} KiB"
  [ -n "$baseline" ] && line+=", ingest of $EVBENCH_BASELINE ${t_base[-1]} s"
  echo "$line"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_cp=$(median "${t_cp[@]}"); m_clerk=$(median "${t_clerk[@]}"); m_ingest=$(median "${t_ingest[@]}"); m_rss=$(median "${rss[@]}")
echo
echo "$gib GiB in $files files, cold cache, median of $runs runs:"
printf '  cp + sync (baseline)        %6.2f s\n' "$m_cp"
printf '  sha256sum, cp + sync        %6.2f s\n' "$m_clerk"
printf '  deviceagent ingest          %6.2f s   %.2fx cp+sync (goal <= 1.15x), %.2fx faster than sha256sum+cp+sync (goal >= 1.7x)\n' \
  "$m_ingest" "$(echo "$m_ingest / $m_cp" | bc -l)" "$(echo "$m_clerk / $m_ingest" | bc -l)"
m_redock=$(median "${t_redock[@]}")
printf '  re-dock of the same camera  %6.2f s   %.2fx cp+sync (every file read and hashed again)\n' "$m_redock" "$(echo "$m_redock / $m_cp" | bc -l)"
if [ -n "$baseline" ]; then
  m_base=$(median "${t_base[@]}")
  printf '  ingest of %s  %6.2f s   %.2fx cp+sync; this build / that build %.2f\n' "$EVBENCH_BASELINE" "$m_base" "$(echo "$m_base / $m_cp" | bc -l)" "$(echo "$m_ingest / $m_base" | bc -l)"
  git worktree remove --force "${work}-baseline"
fi
printf '  agent peak RSS              %6d KiB (goal < 200 MB)\n' "$m_rss"
rm -rf "$work"
