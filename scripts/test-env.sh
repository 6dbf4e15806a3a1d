#!/usr/bin/env bash
# The isolated world the tests talk to: its own dockerd (socket, data root, exec root, pidfile, bridge),
# an open loopback registry, a second one behind htpasswd, and seed images built from busybox.
# It never touches an engine the user already runs, nor the host's firewall (no iptables rules, no ip_forward
# change: published ports reach containers through the userland proxy on 127.0.0.1), and `down` removes
# everything `up` made: processes (by pid), the bridge, the exec root under /run.
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

start_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
    echo "$BRIDGE" >"$STATE/bridge"   # ours: `down` deletes it
    echo "$BRIDGE" >"$STATE/bridge.made"   # and checks it is gone
  fi
  ip link set "$BRIDGE" up
  # Another interface on the same subnet would swallow traffic to the containers (published ports time out).
  local probe=${BRIDGE_CIDR%.*}.2 via
  via=$(ip -o route get "$probe" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
  if [ "$via" != "$BRIDGE" ]; then
    log "the route to $probe goes through '$via', not $BRIDGE: another interface uses $BRIDGE_CIDR (set TEST_BRIDGE_CIDR)"; exit 1
  fi
}

start_dockerd() {
  local d=$STATE/engine
  mkdir -p "$d"
  if alive "$d/docker.pid"; then log "dockerd already running (pid $(cat "$d/docker.pid"))"; return; fi
  rm -f "$d/docker.sock" "$d/docker.pid"
  # The exec root must be short: containerd's socket path inside it has a 108-byte limit.
  local exec_root=/run/dkh-$(echo "$STATE" | md5sum | cut -c1-8)
  mkdir -p "$exec_root"
  echo "$exec_root" >"$d/exec-root"
  # --iptables=false: a dockerd with iptables deletes and recreates the host's shared DOCKER and
  # DOCKER-ISOLATION-* chains, wiping the rules of any other engine on the machine. --ip-forward=false: the
  # host's net.ipv4.ip_forward stays as it was. Published ports still work on 127.0.0.1 (docker-proxy).
  setsid dockerd --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$exec_root" \
    --pidfile "$d/docker.pid" --bridge "$BRIDGE" --iptables=false --ip-forward=false --ip-masq=false \
    >"$d/dockerd.log" 2>&1 < /dev/null &
  wait_for dockerd 60 curl -sf --unix-socket "$d/docker.sock" http://engine/_ping || { tail -20 "$d/dockerd.log" >&2; exit 1; }
  log "dockerd up on $d/docker.sock"
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

docker_cli() { DOCKER_HOST="unix://$STATE/engine/docker.sock" DOCKER_BUILDKIT=0 "$DOCKER_CLI" "$@"; }

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
firewall_snapshot() { iptables-save 2>/dev/null | grep -E "DOCKER|$BRIDGE" | sed 's/\[[0-9]*:[0-9]*\]//' | sort; }

up() {
  need_packages
  mkdir -p "$STATE"
  # What `down` checks it left as it found: the firewall before any engine of ours ran.
  if command -v iptables-save >/dev/null; then
    alive "$STATE/engine/docker.pid" || firewall_snapshot >"$STATE/firewall.before"
  else
    log "iptables-save is not installed: the firewall cannot be compared at down (nothing to compare against)"
    rm -f "$STATE/firewall.before"
  fi
  start_bridge
  start_dockerd
  reset_registry registry "seed cold"
  reset_registry auth-registry ""
  start_registry registry "$REGISTRY_PORT"
  auth_registry
  seed_images
  cat >"$STATE/env" <<EOF
TEST_DOCKER_HOST=unix://$STATE/engine/docker.sock
TEST_DOCKERD_PIDFILE=$STATE/engine/docker.pid
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
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  stop_pid "$STATE/registry/pid"
  stop_pid "$STATE/auth-registry/pid"
  reset_registry registry "seed cold"
  reset_registry auth-registry ""
  stop_pid "$STATE/engine/docker.pid"
  # What `up` made outside $STATE: the bridge (only if it made it) and the engine's exec root under /run.
  if [ -f "$STATE/bridge" ]; then
    ip link del "$(cat "$STATE/bridge")" 2>/dev/null || true
    rm -f "$STATE/bridge"
  fi
  if [ -f "$STATE/engine/exec-root" ]; then
    local x; x=$(cat "$STATE/engine/exec-root")
    # dockerd leaves mounts inside it (netns/default is an nsfs mount): unmount each, deepest first, then remove it.
    case "$x" in /run/dkh-*)
      awk -v x="$x/" 'index($2, x) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
      done
      rm -rf "$x" || log "could not remove $x"
      ;;
    esac
    rm -f "$STATE/engine/exec-root"
  fi
  leftovers
  log "stopped"
}

# Fails `down` when anything `up` made outside $STATE is still there, or the firewall changed while we ran.
leftovers() {
  local bad=0
  if [ -f "$STATE/bridge.made" ] && ip link show "$(cat "$STATE/bridge.made")" >/dev/null 2>&1; then
    log "left behind: bridge $(cat "$STATE/bridge.made")"; bad=1
  fi
  rm -f "$STATE/bridge.made"
  local x=/run/dkh-$(echo "$STATE" | md5sum | cut -c1-8)
  if [ -e "$x" ]; then log "left behind: $x"; bad=1; fi
  if ! command -v iptables-save >/dev/null; then
    log "iptables-save is not installed: firewall not compared"
  elif [ -f "$STATE/firewall.before" ]; then
    if ! firewall_snapshot | diff "$STATE/firewall.before" - >"$STATE/firewall.diff"; then
      log "the host firewall's DOCKER/$BRIDGE rules changed while the test engine ran:"; cat "$STATE/firewall.diff" >&2; bad=1
    else
      log "host firewall unchanged (DOCKER chains and $BRIDGE rules, compared with iptables-save)"
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
