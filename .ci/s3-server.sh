#!/usr/bin/env bash
# A throw-away S3 server on 127.0.0.1 for Eddy's object-storage tests (npm run test:s3).
#
#   bash .ci/s3-server.sh start [rgw|moto]   start (installing when missing); prints `export …` lines
#   bash .ci/s3-server.sh stop  [rgw|moto]   stop it and drop its data
#   bash .ci/s3-server.sh env   [rgw|moto]   print the `export …` lines of the running server
#   eval "$(bash .ci/s3-server.sh env)"      use them in this shell
#
# rgw  (default): Ceph radosgw from Debian's packages (16.2 on Debian 12, 18.2 on Debian 13) as a one-node
#      cluster: 1 monitor + 1 in-memory (memstore) OSD + radosgw on 127.0.0.1:${EDDY_S3_PORT:-7480}. A real S3
#      implementation whose conditional writes (If-None-Match: *) are enforced by the storage layer.
#      `apt-get install radosgw ceph-mon ceph-osd` runs when they are missing (needs root; ~15 s once).
# moto: moto_server from Python on 127.0.0.1:${EDDY_S3_PORT:-5000}; found on PATH, or installed with pip into
#      .cache/moto-venv (ignored by git) when missing. An emulator: used as a second pass only.
#
# Both listen on 127.0.0.1 only; all data lives in memory and dies with the server. After start the bucket
# ${EDDY_S3_BUCKET:-eddy} exists. The env lines are the standard AWS ones (enough for the SDK and the CLI),
# plus EDDY_S3_* for the tests. State lives in ${EDDY_S3_STATE:-/tmp/eddy-s3-<backend>}.
set -euo pipefail
cmd=${1:-start}
backend=${2:-${EDDY_S3_BACKEND:-rgw}}
case "$backend" in rgw) default_port=7480 ;; moto) default_port=5000 ;; *) echo "unknown backend '$backend' (rgw|moto)" >&2; exit 2 ;; esac
port=${EDDY_S3_PORT:-$default_port}
state=${EDDY_S3_STATE:-/tmp/eddy-s3-$backend}
bucket=${EDDY_S3_BUCKET:-eddy}
AK=${EDDY_S3_ACCESS_KEY:-eddytestkey}
SK=${EDDY_S3_SECRET_KEY:-eddytestsecret}
root=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s%N)
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }
log() { echo "# s3-server: $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 "$2"); do port_open "$1" && return 0; sleep 0.1; done; return 1; }
endpoint="http://127.0.0.1:$port"

# Answers S3 (any HTTP status from the S3 API) on the endpoint?
http_ok() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$endpoint/" 2>/dev/null | grep -qE '^[2-4][0-9][0-9]$'; }

# An authenticated S3 call with curl's SigV4 support: s3_curl METHOD PATH [curl args…] -> prints the HTTP status.
# (curl 7.88 does not send x-amz-content-sha256 itself, and radosgw requires it.)
s3_curl() {
  local method=$1 path=$2
  shift 2
  curl -s -o /dev/null -m 30 -w '%{http_code}' -X "$method" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$@" "$endpoint$path"
}

emit_env() {
  mkdir -p "$state"
  cat >"$state/env" <<EOF
export EDDY_S3_ENDPOINT=$endpoint
export EDDY_S3_BACKEND=$backend
export EDDY_S3_BUCKET=$bucket
export AWS_ENDPOINT_URL_S3=$endpoint
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=$AK
export AWS_SECRET_ACCESS_KEY=$SK
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required
export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
EOF
  cat "$state/env"
}

make_bucket() {
  local code
  for _ in $(seq 1 50); do
    code=$(s3_curl PUT "/$bucket" || true)
    case "$code" in 200 | 409) return 0 ;; esac
    sleep 0.2
  done
  echo "s3-server: could not create bucket '$bucket' (last HTTP status $code)" >&2
  exit 1
}

# Refuses to hand out a server that ignores If-None-Match: commit tests against it would prove nothing.
check_conditional_put() {
  local key="/$bucket/.eddy-guard-$$-$RANDOM" a b
  a=$(s3_curl PUT "$key" -H 'If-None-Match: *' --data-binary x || true)
  b=$(s3_curl PUT "$key" -H 'If-None-Match: *' --data-binary y || true)
  s3_curl DELETE "$key" >/dev/null || true
  if [ "$a" != 200 ] || [ "$b" != 412 ]; then
    echo "s3-server: $backend does NOT enforce If-None-Match (got $a then $b, want 200 then 412)" >&2
    exit 1
  fi
}

# ---------------------------------------------------------------------------------------------- radosgw
rgw_stop() {
  local d=$state/ceph f
  [ -d "$d/run" ] || { rm -rf "$d"; return 0; }
  for f in "$d"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local alive=0
    for f in "$d"/run/*.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for f in "$d"/run/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$d"
}

# apt-get install the given packages when any of the given commands is missing (needs root).
apt_need() { # "cmd1 cmd2 …" pkg1 pkg2 …
  local cmds=$1 c missing=0
  shift
  for c in $cmds; do command -v "$c" >/dev/null || missing=1; done
  [ $missing = 0 ] && return 0
  [ "$(id -u)" = 0 ] || { echo "s3-server: $* missing, and installing needs root (apt-get)" >&2; exit 1; }
  log "installing $* with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  log "installed $* in $(ms) ms"
}

rgw_start() {
  apt_need "radosgw ceph-mon ceph-osd ceph radosgw-admin curl" radosgw ceph-mon ceph-osd curl
  local d=$state/ceph
  rgw_stop
  mkdir -p "$d"/{mon,osd,run,log}
  export CEPH_CONF=$d/ceph.conf
  cat >"$CEPH_CONF" <<EOF
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon host = v2:127.0.0.1:${EDDY_S3_MON_PORT:-3300}
public addr = 127.0.0.1
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $d/run
admin socket = $d/run/\$name.asok
pid file = $d/run/\$name.pid
log file = $d/log/\$name.log
log to stderr = false
err to stderr = true
keyring = /dev/null
[mon.0]
mon data = $d/mon
mon data avail crit = 0
mon data avail warn = 0
paxos propose interval = 0.1
paxos min wait = 0.01
[osd.0]
osd data = $d/osd
osd objectstore = memstore
memstore device bytes = ${EDDY_S3_MEMSTORE_BYTES:-2147483648}
osd class load list = *
osd class default list = *
[client.rgw.0]
# radosgw defaults to cephx and a 'secure' monitor connection; with auth none that fails with EACCES
auth client required = none
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw dns name = localhost
rgw thread pool size = 64
EOF
  ceph-mon --id 0 --mkfs --keyring /dev/null
  touch "$d/mon/keyring"
  ceph-mon --id 0
  local osd
  osd=$(timeout 30 ceph osd create)
  timeout 30 ceph osd crush add "osd.$osd" 1 root=default >/dev/null 2>&1
  ceph-osd --id "$osd" --mkfs 2>>"$d/log/osd-mkfs.err"
  ceph-osd --id "$osd" 2>>"$d/log/osd.err"
  for _ in $(seq 1 150); do timeout 5 ceph osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.2; done
  timeout 5 ceph osd stat 2>/dev/null | grep -q '1 up' || {
    echo "s3-server: the OSD did not come up" >&2
    tail -20 "$d/log/osd.$osd.log" >&2 || true
    exit 1
  }
  # Create the pools radosgw would otherwise create lazily (about 2 s each on first use).
  local p
  for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index \
    default.rgw.buckets.data default.rgw.buckets.non-ec; do
    (timeout 30 ceph osd pool create "$p" 1 >/dev/null 2>&1 && timeout 30 ceph osd pool application enable "$p" rgw >/dev/null 2>&1) &
  done
  wait
  timeout 60 radosgw -n client.rgw.0 --keyring /dev/null
  wait_port "$port" 600 || {
    echo "s3-server: radosgw did not come up" >&2
    tail -20 "$d/log/client.rgw.0.log" >&2 || true
    exit 1
  }
  timeout 30 radosgw-admin user create --uid=eddy --display-name=eddy --access-key="$AK" --secret-key="$SK" >/dev/null
  make_bucket
  check_conditional_put
  log "radosgw $(ceph --version | awk '{print $3}') ready on $endpoint in $(ms) ms"
  emit_env
}

rgw_running() { [ -f "$state/ceph/run/client.rgw.0.pid" ] && kill -0 "$(cat "$state/ceph/run/client.rgw.0.pid")" 2>/dev/null && http_ok; }

# ------------------------------------------------------------------------------------------------- moto
moto_bin() {
  if command -v moto_server >/dev/null; then command -v moto_server; return; fi
  local venv=$root/.cache/moto-venv
  if [ ! -x "$venv/bin/moto_server" ]; then
    log "installing moto[server] into $venv"
    python3 -m venv "$venv" >&2 || { echo "s3-server: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
    "$venv/bin/pip" install -q 'moto[server]>=5.1' >&2
  fi
  echo "$venv/bin/moto_server"
}

moto_stop() {
  [ -f "$state/moto.pid" ] && kill "$(cat "$state/moto.pid")" 2>/dev/null || true
  rm -f "$state/moto.pid"
}

moto_start() {
  local bin
  apt_need curl curl
  bin=$(moto_bin)
  moto_stop
  mkdir -p "$state"
  setsid "$bin" -H 127.0.0.1 -p "$port" >"$state/moto.log" 2>&1 &
  echo $! >"$state/moto.pid"
  wait_port "$port" 300 || {
    echo "s3-server: moto_server did not come up" >&2
    tail -20 "$state/moto.log" >&2
    exit 1
  }
  make_bucket
  check_conditional_put
  log "moto ready on $endpoint in $(ms) ms"
  emit_env
}

moto_running() { [ -f "$state/moto.pid" ] && kill -0 "$(cat "$state/moto.pid")" 2>/dev/null && http_ok; }

case "$cmd" in
  start)
    if "${backend}_running"; then
      log "$backend already running on $endpoint"
      make_bucket
      emit_env
    else
      # The daemons outlive this script and inherit its open descriptors: a caller's lock (e.g.
      # `flock /tmp/eddy-s3.lock …` around a test run) would stay held by them until they stop.
      for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
      "${backend}_start"
    fi
    ;;
  stop) "${backend}_stop" ;;
  env)
    "${backend}_running" || { echo "s3-server: $backend is not running (bash .ci/s3-server.sh start $backend)" >&2; exit 1; }
    cat "$state/env"
    ;;
  *)
    echo "usage: $0 start|stop|env [rgw|moto]" >&2
    exit 2
    ;;
esac
