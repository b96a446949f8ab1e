#!/usr/bin/env bash
# A PostgreSQL server (Debian's postgresql package) on 127.0.0.1 for the tests only: its own cluster
# in a temp folder, password (SCRAM) logins over TCP, started by the test run and stopped by it.
#   postgres.sh start DIR PORT   prints "host port password" once the server takes connections;
#                                roles ev_owner (owns database evidencevault) and ev_app share the password
#   postgres.sh stop DIR
#   postgres.sh restart DIR      (fault tests: the server goes away and comes back on the same port)
# PostgreSQL refuses to run as root: under root the cluster belongs to the postgres user.
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "postgres.sh: PostgreSQL is not installed (Debian package postgresql)" >&2; exit 1; }
as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi
case "$cmd" in
  stop)
    [ -f "$dir/data/postmaster.pid" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    exit 0 ;;
  restart)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 restart -l "$dir/log" >/dev/null
    exit 0 ;;
  start) ;;
  *) echo "usage: postgres.sh start DIR PORT | stop DIR | restart DIR" >&2; exit 2 ;;
esac
port=$3
rm -rf "$dir"; mkdir -p "$dir"
# A start that fails stops the server if it got as far as starting it.
trap 'status=$?; [ "$status" -eq 0 ] || "$0" stop "$dir" >/dev/null 2>&1 || true' EXIT
password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$password" > "$dir/pwfile"
chmod 600 "$dir/pwfile"
[ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --pwfile="$dir/pwfile" -E UTF8 --locale=C >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir" start >/dev/null
"${as[@]}" "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<SQL
CREATE ROLE ev_owner LOGIN CREATEDB PASSWORD '$password';
CREATE ROLE ev_app LOGIN PASSWORD '$password';
CREATE DATABASE evidencevault OWNER ev_owner;
SQL
echo "127.0.0.1 $port $password"
