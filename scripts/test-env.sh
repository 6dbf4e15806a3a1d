#!/usr/bin/env bash
# The isolated world the tests talk to: its own dockerd (socket, data root, exec root, pidfile, bridge),
# an open loopback registry, a second one behind htpasswd, and seed images built from busybox. Two more engines
# for the tests of several engines: B on a unix socket of its own, C only on tcp://127.0.0.1:PORT with mutual TLS
# (a CA, server and client certificates made with openssl at `up`), each with its own data root, exec root,
# pidfile and bridge, each holding the seed image seed/web:1.43 pulled from the loopback registry.
# It never touches an engine the user already runs, nor the host's firewall (no iptables rules, no ip_forward
# change: published ports reach containers through the userland proxy on 127.0.0.1), and `down` removes
# everything `up` made: processes (by pid), the bridges, the exec roots under /run, engines B and C's state.
#
#   scripts/test-env.sh up     install what is missing, start everything, write $STATE/env
#   scripts/test-env.sh down   stop what `up` started
#
# STATE defaults to .test-env/ in the repository; $STATE/env is what the tests source.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${TEST_ENV_DIR:-$ROOT/.test-env}
BRIDGE=${TEST_BRIDGE:-dkh0}
BRIDGE_CIDR=${TEST_BRIDGE_CIDR:-10.231.0.1/24}
# Engines B and C: bridges and subnets derived from the main engine's, so parallel environments that set only
# TEST_BRIDGE and TEST_BRIDGE_CIDR do not collide (dkh2 → dkh2b, dkh2c; 10.231.2.1/24 → 10.232.2.1/24, 10.233.2.1/24).
derive_cidr() { # derive_cidr CIDR STEP: the same /24 with its second octet STEP higher
  local a b c d
  IFS=. read -r a b c d <<<"${1%/*}"
  echo "$a.$(((b + $2) % 256)).$c.1/24"
}
ENGINE_B_BRIDGE=${TEST_ENGINE_B_BRIDGE:-${BRIDGE}b}
ENGINE_B_CIDR=${TEST_ENGINE_B_CIDR:-$(derive_cidr "$BRIDGE_CIDR" 1)}
ENGINE_C_BRIDGE=${TEST_ENGINE_C_BRIDGE:-${BRIDGE}c}
ENGINE_C_CIDR=${TEST_ENGINE_C_CIDR:-$(derive_cidr "$BRIDGE_CIDR" 2)}
for b in "$BRIDGE" "$ENGINE_B_BRIDGE" "$ENGINE_C_BRIDGE"; do
  # The kernel refuses interface names longer than 15 characters (IFNAMSIZ).
  [ ${#b} -le 15 ] || { echo "[test-env] bridge name '$b' is longer than 15 characters (set TEST_BRIDGE shorter)" >&2; exit 2; }
done
# The exec roots live outside $STATE, under a short path: containerd's socket inside each has a 108-byte limit.
EXEC_ROOT=/run/dkh-$(echo "$STATE" | md5sum | cut -c1-8)

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # free_port START: the first port from START on that nothing listens on
  local p=$1
  until port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}
# Reuse the ports of a running environment; otherwise take free ones near the defaults.
if [ -f "$STATE/env" ] && [ -f "$STATE/registry/pid" ] && kill -0 "$(cat "$STATE/registry/pid")" 2>/dev/null; then
  REGISTRY_PORT=$(sed -n 's/^TEST_REGISTRY=127.0.0.1://p' "$STATE/env")
  AUTH_REGISTRY_PORT=$(sed -n 's/^TEST_AUTH_REGISTRY=127.0.0.1://p' "$STATE/env")
else
  REGISTRY_PORT=${TEST_REGISTRY_PORT:-$(free_port 5055)}
  AUTH_REGISTRY_PORT=${TEST_AUTH_REGISTRY_PORT:-$(free_port $((REGISTRY_PORT + 1)))}
fi
if [ -f "$STATE/engine-c/port" ] && [ -f "$STATE/engine-c/docker.pid" ] && kill -0 "$(cat "$STATE/engine-c/docker.pid")" 2>/dev/null; then
  ENGINE_C_PORT=$(cat "$STATE/engine-c/port")
else
  ENGINE_C_PORT=${TEST_ENGINE_C_PORT:-$(free_port $((AUTH_REGISTRY_PORT + 1)))}
fi
DOCKER_CLI=/usr/bin/docker   # docker.io's own client: it matches the daemon's API and its legacy builder

log() { printf '[test-env] %s\n' "$*" >&2; }

need_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [ -x "$DOCKER_CLI" ] || missing+=(docker.io)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v curl >/dev/null || missing+=(curl)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v docker-compose >/dev/null || missing+=(docker-compose)   # compose.yaml, brought up by the image test
  [ -x /usr/bin/chromium ] || missing+=(chromium)   # the web console's end-to-end tests (playwright-core drives it)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      log "missing packages: ${missing[*]} (run as root on Debian, or install them yourself)"; exit 1
    fi
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # wait_for DESCRIPTION SECONDS COMMAND...
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "$what did not come up in ${secs}s"; return 1; fi
    sleep 0.2
  done
}

start_bridge() { # start_bridge NAME CIDR DIR: DIR/bridge and DIR/bridge.made say `up` made it
  local name=$1 cidr=$2 dir=$3
  mkdir -p "$dir"
  if ! ip link show "$name" >/dev/null 2>&1; then
    ip link add "$name" type bridge
    ip addr add "$cidr" dev "$name"
    echo "$name" >"$dir/bridge"   # ours: `down` deletes it
    echo "$name" >"$dir/bridge.made"   # and checks it is gone
  fi
  ip link set "$name" up
  # Another interface on the same subnet would swallow traffic to the containers (published ports time out).
  local probe=${cidr%.*}.2 via
  via=$(ip -o route get "$probe" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
  if [ "$via" != "$name" ]; then
    log "the route to $probe goes through '$via', not $name: another interface uses $cidr (set its CIDR variable)"; exit 1
  fi
}

# --iptables=false: a dockerd with iptables deletes and recreates the host's shared DOCKER and
# DOCKER-ISOLATION-* chains, wiping the rules of any other engine on the machine. --ip-forward=false: the
# host's net.ipv4.ip_forward stays as it was. Published ports still work on 127.0.0.1 (docker-proxy).
launch_dockerd() { # launch_dockerd DIR EXEC_ROOT BRIDGE HOST [DOCKERD-ARGS...]: starts it in the background, no wait
  local d=$1 exec_root=$2 bridge=$3 host=$4; shift 4
  mkdir -p "$d" "$exec_root"
  rm -f "$d/docker.sock" "$d/docker.pid"
  echo "$exec_root" >"$d/exec-root"
  # dockerd 20.10 derives GET /info's ID from /etc/docker/key.json, shared by every daemon on the host: a key of its
  # own (settable only in a config file, as deprecated-key-path) makes each engine's ID its own.
  printf '{"deprecated-key-path": "%s"}\n' "$d/key.json" >"$d/daemon.json"
  setsid dockerd --config-file "$d/daemon.json" --host "$host" --data-root "$d/data" --exec-root "$exec_root" \
    --pidfile "$d/docker.pid" --bridge "$bridge" --iptables=false --ip-forward=false --ip-masq=false "$@" \
    >"$d/dockerd.log" 2>&1 < /dev/null &
}

ENGINE=$STATE/engine ENGINE_B=$STATE/engine-b ENGINE_C=$STATE/engine-c
ENGINE_C_TLS=$ENGINE_C/tls   # made by support/make-tls-certs.sh: server/ for dockerd, client/ for the tests
ping_main() { curl -sf --unix-socket "$ENGINE/docker.sock" http://engine/_ping; }
ping_b() { curl -sf --unix-socket "$ENGINE_B/docker.sock" http://engine/_ping; }
ping_c() {
  curl -sf --cacert "$ENGINE_C_TLS/client/ca.pem" --cert "$ENGINE_C_TLS/client/cert.pem" --key "$ENGINE_C_TLS/client/key.pem" \
    "https://127.0.0.1:$ENGINE_C_PORT/_ping"
}

# Each launch_* starts its engine unless it already runs; wait_engine then waits for any of them. `up` launches all
# three before waiting for one, so they start side by side.
launch_main() {
  if alive "$ENGINE/docker.pid"; then log "dockerd already running (pid $(cat "$ENGINE/docker.pid"))"; return; fi
  launch_dockerd "$ENGINE" "$EXEC_ROOT" "$BRIDGE" "unix://$ENGINE/docker.sock"
}
launch_b() {
  if alive "$ENGINE_B/docker.pid"; then log "engine B already running (pid $(cat "$ENGINE_B/docker.pid"))"; return; fi
  launch_dockerd "$ENGINE_B" "$EXEC_ROOT-b" "$ENGINE_B_BRIDGE" "unix://$ENGINE_B/docker.sock"
}
launch_c() {
  if alive "$ENGINE_C/docker.pid"; then log "engine C already running (pid $(cat "$ENGINE_C/docker.pid"))"; return; fi
  rm -rf "$ENGINE_C_TLS"
  bash "$ROOT/support/make-tls-certs.sh" "$ENGINE_C_TLS"
  echo "$ENGINE_C_PORT" >"$ENGINE_C/port"
  # Only tcp, only with a client certificate signed by our CA (--tlsverify): no unix socket at all.
  launch_dockerd "$ENGINE_C" "$EXEC_ROOT-c" "$ENGINE_C_BRIDGE" "tcp://127.0.0.1:$ENGINE_C_PORT" \
    --tlsverify --tlscacert "$ENGINE_C_TLS/server/ca.pem" --tlscert "$ENGINE_C_TLS/server/cert.pem" --tlskey "$ENGINE_C_TLS/server/key.pem"
}
wait_engine() { # wait_engine NAME DIR PING
  wait_for "$1" 60 "$3" || { tail -20 "$2/dockerd.log" >&2; exit 1; }
}

start_dockerd() {
  launch_main
  wait_engine dockerd "$ENGINE" ping_main
  log "dockerd up on $ENGINE/docker.sock"
}

start_registry() { # start_registry NAME PORT [HTPASSWD]
  local name=$1 port=$2 htpasswd=${3:-}
  local d=$STATE/$name
  mkdir -p "$d/data"
  if alive "$d/pid"; then return; fi
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $d/data}"
    echo "  delete: {enabled: true}"
    echo "http: {addr: 127.0.0.1:$port}"
    if [ -n "$htpasswd" ]; then
      echo "auth:"
      echo "  htpasswd: {realm: test-realm, path: $htpasswd}"
    fi
  } >"$d/config.yml"
  setsid docker-registry serve "$d/config.yml" >"$d/registry.log" 2>&1 < /dev/null &
  echo $! >"$d/pid"
  wait_for "registry $name" 30 curl -s -o /dev/null "http://127.0.0.1:$port/v2/" || { tail -20 "$d/registry.log" >&2; exit 1; }
  log "registry $name up on 127.0.0.1:$port"
}

# Tests push new tags on every run: with the registry stopped, drop every repository but the seeded ones (KEEP)
# and let the registry's garbage collector delete the blobs nothing references any more.
reset_registry() { # reset_registry NAME "KEEP..."
  local d=$STATE/$1 keep=" $2 "
  alive "$d/pid" && return
  local repos=$d/data/docker/registry/v2/repositories
  [ -d "$repos" ] || return 0
  for r in "$repos"/*; do
    [ -e "$r" ] || continue
    case "$keep" in *" $(basename "$r") "*) ;; *) rm -rf "$r" ;; esac
  done
  [ -f "$d/config.yml" ] && docker-registry garbage-collect --delete-untagged "$d/config.yml" >"$d/gc.log" 2>&1 \
    || log "registry $1: garbage-collect failed (see $d/gc.log)"
  log "registry $1 reset to its seeded repositories ($(du -sh "$d/data" | cut -f1))"
}

docker_cli() { DOCKER_HOST="unix://$ENGINE/docker.sock" DOCKER_BUILDKIT=0 "$DOCKER_CLI" "$@"; }
docker_b() { DOCKER_HOST="unix://$ENGINE_B/docker.sock" "$DOCKER_CLI" "$@"; }
docker_c() { DOCKER_HOST="tcp://127.0.0.1:$ENGINE_C_PORT" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$ENGINE_C_TLS/client" "$DOCKER_CLI" "$@"; }

# Engines B and C hold seed/web:1.43 from the loopback registry, so their lists are not empty.
seed_engine() { # seed_engine NAME CLI
  local image=127.0.0.1:$REGISTRY_PORT/seed/web:1.43
  "$2" image inspect "$image" >/dev/null 2>&1 && return
  "$2" pull -q "$image" >/dev/null || { log "engine $1 could not pull $image"; return 1; }
}

seed_images() {
  local reg=127.0.0.1:$REGISTRY_PORT
  if docker_cli image inspect "$reg/seed/web:1.39" >/dev/null 2>&1 \
     && curl -sf "http://$reg/v2/seed/web/tags/list" | grep -q '1.43' \
     && curl -sf "http://$reg/v2/cold/f/tags/list" | grep -q '"2"'; then
    return
  fi
  local b=$STATE/build
  rm -rf "$b"; mkdir -p "$b/rootfs/bin" "$b/rootfs/tmp" "$b/rootfs/www"
  cp /bin/busybox "$b/rootfs/bin/busybox"
  for app in sh echo sleep httpd cat ls env wc head tail dd rm mkdir true false printf yes date kill ps; do
    ln -sf busybox "$b/rootfs/bin/$app"
  done
  tar -C "$b/rootfs" -c . | docker_cli import -c 'CMD ["/bin/sh"]' - seed/base:1 >/dev/null
  # Two versions of one application sharing the base layer and a common layer, as the seed's
  # mediawiki:1.39 / mediawiki:1.43: pulling the second downloads only the layers that differ.
  for v in 1.39 1.43; do
    mkdir -p "$b/web-$v"
    printf 'seed web %s\n' "$v" >"$b/web-$v/index.html"
    head -c 65536 /dev/urandom >"$b/web-$v/payload-$v.bin"
    cat >"$b/web-$v/Dockerfile" <<EOF
FROM seed/base:1
RUN mkdir -p /www && echo common >/www/common.txt
COPY index.html /www/index.html
COPY payload-$v.bin /www/payload.bin
LABEL org.example.seed="web" org.example.version="$v"
ENV WEB_VERSION=$v
EXPOSE 80
ENTRYPOINT ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]
EOF
    docker_cli build -q -t "$reg/seed/web:$v" "$b/web-$v" >/dev/null
    docker_cli push "$reg/seed/web:$v" >/dev/null
  done
  docker_cli tag seed/base:1 "$reg/seed/base:1"
  docker_cli push "$reg/seed/base:1" >/dev/null
  cold_images
  log "seed images built and pushed to $reg"
}

# Images that live only in the registry, each repository with a base layer of its own, so a pull of
# them is truly cold (nothing "Already exists") however the other tests left the engine. Each test
# file that pulls owns one repository: cold/a ... cold/f, tags 1 and 2 sharing their base and one layer.
COLD_REPOS="a b c d e f"
cold_images() {
  local reg=127.0.0.1:$REGISTRY_PORT b=$STATE/build
  for r in $COLD_REPOS; do
    rm -rf "$b/cold-$r"; mkdir -p "$b/cold-$r/rootfs/bin" "$b/cold-$r/ctx"
    cp /bin/busybox "$b/cold-$r/rootfs/bin/busybox"
    for app in sh echo sleep cat ls; do ln -sf busybox "$b/cold-$r/rootfs/bin/$app"; done
    head -c 262144 /dev/urandom >"$b/cold-$r/rootfs/base-$r.bin"
    tar -C "$b/cold-$r/rootfs" -c . | docker_cli import -c 'CMD ["/bin/sh"]' - "cold-base-$r:1" >/dev/null
    for v in 1 2; do
      head -c 131072 /dev/urandom >"$b/cold-$r/ctx/v$v.bin"
      printf 'FROM cold-base-%s:1\nRUN echo shared >/shared.txt\nCOPY v%s.bin /v.bin\n' "$r" "$v" >"$b/cold-$r/ctx/Dockerfile"
      docker_cli build -q -t "$reg/cold/$r:$v" "$b/cold-$r/ctx" >/dev/null
      docker_cli push "$reg/cold/$r:$v" >/dev/null
    done
    docker_cli rmi "$reg/cold/$r:1" "$reg/cold/$r:2" "cold-base-$r:1" >/dev/null
  done
  docker_cli image prune -f >/dev/null
}

auth_registry() {
  local d=$STATE/auth-registry
  mkdir -p "$d"
  [ -f "$d/htpasswd" ] || htpasswd -Bbc "$d/htpasswd" seeduser 'p@ss:w/rd+=?' >/dev/null 2>&1
  start_registry auth-registry "$AUTH_REGISTRY_PORT" "$d/htpasswd"
}

# The host's firewall as far as engines touch it: the DOCKER* chains and any rule naming our bridge, counters dropped.
firewall_snapshot() {
  iptables-save 2>/dev/null | grep -E "DOCKER|$BRIDGE|$ENGINE_B_BRIDGE|$ENGINE_C_BRIDGE" | sed 's/\[[0-9]*:[0-9]*\]//' | sort
}

up() {
  need_packages
  mkdir -p "$STATE"
  # What `down` checks it left as it found: the firewall before any engine of ours ran.
  if command -v iptables-save >/dev/null; then
    alive "$ENGINE/docker.pid" || alive "$ENGINE_B/docker.pid" || alive "$ENGINE_C/docker.pid" \
      || firewall_snapshot >"$STATE/firewall.before"
  else
    log "iptables-save is not installed: the firewall cannot be compared at down (nothing to compare against)"
    rm -f "$STATE/firewall.before"
  fi
  start_bridge "$BRIDGE" "$BRIDGE_CIDR" "$STATE"
  start_bridge "$ENGINE_B_BRIDGE" "$ENGINE_B_CIDR" "$ENGINE_B"
  start_bridge "$ENGINE_C_BRIDGE" "$ENGINE_C_CIDR" "$ENGINE_C"
  # The three engines start side by side, and the registries while they do.
  launch_main
  launch_b
  launch_c
  reset_registry registry "seed cold"
  reset_registry auth-registry ""
  start_registry registry "$REGISTRY_PORT"
  auth_registry
  wait_engine dockerd "$ENGINE" ping_main
  log "dockerd up on $ENGINE/docker.sock"
  wait_engine "engine B" "$ENGINE_B" ping_b
  log "engine B up on $ENGINE_B/docker.sock"
  wait_engine "engine C" "$ENGINE_C" ping_c
  log "engine C up on tcp://127.0.0.1:$ENGINE_C_PORT (mutual TLS)"
  seed_images
  seed_engine B docker_b & local pull_b=$!
  seed_engine C docker_c & local pull_c=$!
  wait "$pull_b" && wait "$pull_c" || exit 1
  cat >"$STATE/env" <<EOF
TEST_DOCKER_HOST=unix://$ENGINE/docker.sock
TEST_DOCKERD_PIDFILE=$ENGINE/docker.pid
TEST_ENGINE_B_HOST=unix://$ENGINE_B/docker.sock
TEST_ENGINE_B_PIDFILE=$ENGINE_B/docker.pid
TEST_ENGINE_C_HOST=tcp://127.0.0.1:$ENGINE_C_PORT
TEST_ENGINE_C_PIDFILE=$ENGINE_C/docker.pid
TEST_ENGINE_C_TLS_DIR=$ENGINE_C_TLS/client
TEST_REGISTRY=127.0.0.1:$REGISTRY_PORT
TEST_REGISTRY_PIDFILE=$STATE/registry/pid
TEST_AUTH_REGISTRY=127.0.0.1:$AUTH_REGISTRY_PORT
TEST_AUTH_REGISTRY_USER=seeduser
TEST_AUTH_REGISTRY_PASSWORD=p@ss:w/rd+=?
TEST_ENV_SCRIPT=$ROOT/scripts/test-env.sh
EOF
  log "ready: $STATE/env"
}

stop_pid() { # stop_pid PIDFILE
  local f=$1
  if alive "$f"; then
    local pid; pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true   # a test may have left it stopped (SIGSTOP): it must run to exit
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

unmount_under() { # unmount_under DIR: what dockerd left mounted inside DIR (netns/default is an nsfs mount), deepest first
  awk -v x="$1/" 'index($2, x) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

remove_bridge() { # remove_bridge DIR: the bridge `up` recorded in DIR/bridge, if it made one
  if [ -f "$1/bridge" ]; then
    ip link del "$(cat "$1/bridge")" 2>/dev/null || true
    rm -f "$1/bridge"
  fi
}

remove_exec_root() { # remove_exec_root ENGINE-DIR
  [ -f "$1/exec-root" ] || return 0
  local x; x=$(cat "$1/exec-root")
  case "$x" in /run/dkh-*)
    unmount_under "$x"
    rm -rf "$x" || log "could not remove $x"
    ;;
  esac
  rm -f "$1/exec-root"
}

down() {
  stop_pid "$STATE/registry/pid"
  stop_pid "$STATE/auth-registry/pid"
  reset_registry registry "seed cold"
  reset_registry auth-registry ""
  # The three engines stop side by side (each may take its shutdown timeout).
  stop_pid "$ENGINE/docker.pid" & local stop_main=$!
  stop_pid "$ENGINE_B/docker.pid" & local stop_b=$!
  stop_pid "$ENGINE_C/docker.pid" & local stop_c=$!
  wait "$stop_main" "$stop_b" "$stop_c" || true
  # What `up` made outside $STATE: the bridges (only those it made) and the engines' exec roots under /run.
  remove_bridge "$STATE"
  remove_bridge "$ENGINE_B"
  remove_bridge "$ENGINE_C"
  remove_exec_root "$ENGINE"
  remove_exec_root "$ENGINE_B"
  remove_exec_root "$ENGINE_C"
  # Engines B and C start from nothing at every `up` (fresh certificates, only the seed image): their state goes.
  local e
  for e in "$ENGINE_B" "$ENGINE_C"; do
    if [ -d "$e" ] && [ ! -f "$e/docker.pid" ]; then
      unmount_under "$e"
      mv "$e/bridge.made" "$STATE/$(basename "$e").bridge.made" 2>/dev/null || true
      rm -rf "$e" || log "could not remove $e"
    fi
  done
  leftovers
  log "stopped"
}

# Fails `down` when anything `up` made outside $STATE is still there, or the firewall changed while we ran.
leftovers() {
  local bad=0 made x
  for made in "$STATE/bridge.made" "$STATE/engine-b.bridge.made" "$STATE/engine-c.bridge.made"; do
    if [ -f "$made" ] && ip link show "$(cat "$made")" >/dev/null 2>&1; then
      log "left behind: bridge $(cat "$made")"; bad=1
    fi
    rm -f "$made"
  done
  for x in "$EXEC_ROOT" "$EXEC_ROOT-b" "$EXEC_ROOT-c"; do
    if [ -e "$x" ]; then log "left behind: $x"; bad=1; fi
  done
  if ! command -v iptables-save >/dev/null; then
    log "iptables-save is not installed: firewall not compared"
  elif [ -f "$STATE/firewall.before" ]; then
    if ! firewall_snapshot | diff "$STATE/firewall.before" - >"$STATE/firewall.diff"; then
      log "the host firewall's DOCKER/bridge rules changed while the test engines ran:"; cat "$STATE/firewall.diff" >&2; bad=1
    else
      log "host firewall unchanged (DOCKER chains and $BRIDGE, $ENGINE_B_BRIDGE, $ENGINE_C_BRIDGE rules, compared with iptables-save)"
    fi
    rm -f "$STATE/firewall.before"
  fi
  return $bad
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  # Used by fault tests: restart only the engine or a registry, same state.
  restart-engine) start_dockerd ;;
  start-registry) start_registry registry "$REGISTRY_PORT" ;;
  *) echo "usage: $0 up|down|restart-engine|start-registry" >&2; exit 2 ;;
esac
