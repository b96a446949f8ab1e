#!/usr/bin/env bash
# A single-node Ceph (one monitor, one memstore OSD, radosgw with the beast frontend) on 127.0.0.1,
# for the S3 tests only: started by the test run, stopped by it (by pid), data in a temp folder.
#   radosgw.sh start DIR PORT   prints "endpoint access secret" when S3 answers
#   radosgw.sh stop DIR
#   EV_MEMSTORE_BYTES sizes the in-memory OSD (default 1 GiB; the benchmarks use more)
#   radosgw.sh stop-gateway DIR / start-gateway DIR   (fault tests: only the S3 gateway goes away and comes back)
#   radosgw.sh freeze-gateway DIR / thaw-gateway DIR  (fault tests: the gateway stops answering, then goes on)
set -euo pipefail
cmd=$1 dir=$2
# Under libfaketime (the CI's shifted-clock runs) Ceph's daemons stall on a faked monotonic clock:
# they keep the real one, and only the wall clock moves.
export FAKETIME_DONT_FAKE_MONOTONIC=1
case "$cmd" in
  stop-gateway)
    pid=$(cat "$dir/run/client.rgw.pid")
    kill -9 "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    exit 0 ;;
  freeze-gateway) kill -STOP "$(cat "$dir/run/client.rgw.pid")"; exit 0 ;;
  thaw-gateway) kill -CONT "$(cat "$dir/run/client.rgw.pid")"; exit 0 ;;
  start-gateway)
    port=$(grep -o 'endpoint=127.0.0.1:[0-9]*' "$dir/ceph.conf" | cut -d: -f2)
    radosgw -c "$dir/ceph.conf" -n client.rgw
    for i in $(seq 1 60); do
      if curl -s -o /dev/null "http://127.0.0.1:$port/"; then exit 0; fi
      sleep 0.5
    done
    echo "radosgw.sh: radosgw did not come back on 127.0.0.1:$port" >&2; exit 1 ;;
  stop)
    for pid in "$dir"/run/*.pid; do [ -e "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
    sleep 1
    for pid in "$dir"/run/*.pid; do [ -e "$pid" ] && kill -9 "$(cat "$pid")" 2>/dev/null || true; done
    exit 0 ;;
  start) ;;
  *) echo "usage: radosgw.sh start DIR PORT | stop DIR | stop-gateway DIR | start-gateway DIR | freeze-gateway DIR | thaw-gateway DIR" >&2; exit 2 ;;
esac
port=$3
rm -rf "$dir"; mkdir -p "$dir"/{run,log,mon,osd,rgw}
# A start that fails stops whatever it had started (the monitor daemonises before the gateway answers).
trap 'status=$?; [ "$status" -eq 0 ] || "$0" stop "$dir" >/dev/null 2>&1 || true' EXIT
fsid=$(cat /proc/sys/kernel/random/uuid)
monport=$((port + 1))
conf="$dir/ceph.conf"
cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$monport]
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms mon client mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = ${EV_MEMSTORE_BYTES:-1073741824}
run dir = $dir/run
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
mon data = $dir/mon/\$name
osd data = $dir/osd/\$name
keyring = $dir/keyring
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
rgw dns name = 127.0.0.1
CONF
ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$monport]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
ceph-mon -c "$conf" -i a
t() { timeout "$@"; }
t 20 ceph -c "$conf" osd create >/dev/null
mkdir -p "$dir/osd/osd.0" "$dir/mon/mon.a"
ceph-osd -c "$conf" -i 0 --mkfs 2>"$dir/log/osd-mkfs.err"
ceph-osd -c "$conf" -i 0
t 20 ceph -c "$conf" osd crush add osd.0 1.0 host=localhost root=default >/dev/null 2>&1 || true
radosgw -c "$conf" -n client.rgw
for i in $(seq 1 60); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
  sleep 0.5
done
curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "radosgw.sh: radosgw did not answer on 127.0.0.1:$port" >&2; exit 1; }
access=EVTEST$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
t 30 radosgw-admin -c "$conf" -n client.rgw user create --uid=evidencevault --display-name=EvidenceVault --access-key="$access" --secret="$secret" >/dev/null
echo "http://127.0.0.1:$port $access $secret"
