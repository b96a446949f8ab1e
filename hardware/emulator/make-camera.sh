#!/usr/bin/env bash
# Writes an emulated body camera: its mass-storage volume with realistic clips (H.264 + AAC, made
# with ffmpeg) and the files the SDK emulator (libzfyemu.so) reads for identity, password and clock.
#
#   make-camera.sh ROOT [options] ITEM...
#     --serial S        7 letters/digits (default A1B2C3D)
#     --officer N       6-digit 警号 (default 123456)
#     --name TEXT       officer name (default 张伟)
#     --unit-no N       unit number (default 110101000000)
#     --unit TEXT       unit name (default 城关派出所)
#     --start "YYYY-MM-DD HH:MM:SS"   camera local time (Asia/Shanghai) of the first clip (default 08:30:00 nine days ago)
#     --size WxH        resolution (default 320x240)
#     --password P      SDK password (default 000000)
#     --clock-offset S  camera clock minus dock clock, seconds (default 0)
#   ITEM, in recording order:
#     clip:SECONDS            a clip; the camera clock moves on by its length
#     imp:SECONDS             a clip marked important (_IMP)
#     speech:SECONDS:TEXT     a clip that starts with TEXT spoken (pinyin, espeak-ng cmn-latn-pinyin)
#     tone:SECONDS            a clip whose audio is a steady 1 kHz tone
#     noise:SECONDS           a clip whose audio is loud steady noise
#     gap:SECONDS             the camera does not record for that long
#     jump:SECONDS            a clip whose video timestamps jump 30 s forward halfway through
#     truncated:SECONDS       a clip cut off half way (power lost while writing)
#     cutshort:SECONDS        a fast-start clip (index first) cut off half way: its index still says SECONDS
#     notvideo                a text file named like a clip
#     odd:NAME                an empty file with a name that does not follow the convention
# Layout: ROOT/identity.ini, ROOT/password, ROOT/clock_offset, ROOT/volume/DCIM/100MEDIA/*.MP4
set -euo pipefail
root=$1; shift
serial=A1B2C3D officer=123456 name="张伟" unit_no=110101000000 unit="城关派出所"
start="$(TZ=Asia/Shanghai date -d "9 days ago" +%F) 08:30:00" size=320x240 password=000000 offset=0
items=()
while [ $# -gt 0 ]; do
  case "$1" in
    --serial) serial=$2; shift 2 ;;
    --officer) officer=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --unit-no) unit_no=$2; shift 2 ;;
    --unit) unit=$2; shift 2 ;;
    --start) start=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --password) password=$2; shift 2 ;;
    --clock-offset) offset=$2; shift 2 ;;
    *) items+=("$1"); shift ;;
  esac
done

dir="$root/volume/DCIM/100MEDIA"
mkdir -p "$dir"
printf 'serial=%s\nuserNo=%s\nuserName=%s\nunitNo=%s\nunitName=%s\n' "$serial" "$officer" "$name" "$unit_no" "$unit" > "$root/identity.ini"
printf '%s\n' "$password" > "$root/password"
printf '%s\n' "$offset" > "$root/clock_offset"

# Camera local time is Asia/Shanghai (UTC+8, no daylight saving).
clock=$(TZ=Asia/Shanghai date -d "$start" +%s)
seq=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

clip_name() { # $1 suffix
  printf '%s/%s_%s_%s_%04d%s.MP4' "$dir" "$serial" "$officer" "$(TZ=Asia/Shanghai date -d "@$clock" +%Y%m%d%H%M%S)" "$seq" "$1"
}

encode() { # $1 seconds, $2 output, $3 audio input args..., rest: extra output args
  local seconds=$1 out=$2; shift 2
  local created; created=$(date -u -d "@$clock" +%Y-%m-%dT%H:%M:%S.000000Z)
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=$size:rate=15:duration=$seconds" "$@" \
    -map 0:v -map 1:a -c:v libx264 -preset ultrafast -g 30 -pix_fmt yuv420p -c:a aac -b:a 48k -ar 16000 -ac 1 \
    -t "$seconds" -metadata creation_time="$created" "$out"
}

quiet_noise() { echo -f lavfi -i "anoisesrc=color=pink:amplitude=0.01:sample_rate=16000:duration=$1"; }

for item in "${items[@]}"; do
  kind=${item%%:*}; rest=${item#*:}
  case "$kind" in
    clip|imp)
      suffix=""; [ "$kind" = imp ] && suffix="_IMP"
      encode "$rest" "$(clip_name "$suffix")" $(quiet_noise "$rest")
      clock=$((clock + rest)); seq=$((seq + 1)) ;;
    tone)
      encode "$rest" "$(clip_name "")" -f lavfi -i "sine=frequency=1000:sample_rate=16000:duration=$rest"
      clock=$((clock + rest)); seq=$((seq + 1)) ;;
    noise)
      encode "$rest" "$(clip_name "")" -f lavfi -i "anoisesrc=color=white:amplitude=0.5:sample_rate=16000:duration=$rest"
      clock=$((clock + rest)); seq=$((seq + 1)) ;;
    speech)
      seconds=${rest%%:*}; text=${rest#*:}
      espeak-ng -v cmn-latn-pinyin -s 150 -w "$tmp/speech.wav" "$text"
      ffmpeg -nostdin -loglevel error -y -i "$tmp/speech.wav" -f lavfi -i "anoisesrc=color=pink:amplitude=0.01:sample_rate=16000:duration=$seconds" \
        -filter_complex "[0:a]aresample=16000,apad[s];[s][1:a]amix=inputs=2:duration=shortest:normalize=0" -t "$seconds" "$tmp/audio.wav"
      encode "$seconds" "$(clip_name "")" -i "$tmp/audio.wav"
      clock=$((clock + seconds)); seq=$((seq + 1)) ;;
    jump)
      # The video timestamps leap 30 s forward halfway through (a splice, or a camera that paused
      # its encoder): the file plays, but its clock has a hole.
      half=$((rest / 2))
      ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=$size:rate=15:duration=$rest" $(quiet_noise "$rest") \
        -map 0:v -map 1:a -vf "setpts=PTS+if(gte(T\,$half)\,30/TB\,0)" -fps_mode passthrough \
        -c:v libx264 -preset ultrafast -g 30 -pix_fmt yuv420p -c:a aac -b:a 48k -ar 16000 -ac 1 \
        -metadata creation_time="$(date -u -d "@$clock" +%Y-%m-%dT%H:%M:%S.000000Z)" "$(clip_name "")"
      clock=$((clock + rest + 30)); seq=$((seq + 1)) ;;
    truncated)
      out=$(clip_name "")
      encode "$rest" "$tmp/full.mp4" $(quiet_noise "$rest")
      head -c $(( $(stat -c %s "$tmp/full.mp4") / 2 )) "$tmp/full.mp4" > "$out"
      clock=$((clock + rest)); seq=$((seq + 1)) ;;
    cutshort)
      out=$(clip_name "")
      encode "$rest" "$tmp/full.mp4" $(quiet_noise "$rest") -movflags +faststart
      head -c $(( $(stat -c %s "$tmp/full.mp4") / 2 )) "$tmp/full.mp4" > "$out"
      clock=$((clock + rest)); seq=$((seq + 1)) ;;
    notvideo)
      echo "this is not a video" > "$(clip_name "")"
      seq=$((seq + 1)) ;;
    gap)
      clock=$((clock + rest)) ;;
    odd)
      : > "$dir/$rest" ;;
    *) echo "make-camera.sh: unknown item '$item'" >&2; exit 2 ;;
  esac
done
