#!/usr/bin/env bash
# A local stand-in for node:20-bookworm-slim on the engine at $DOCKER_HOST, for machines that cannot pull from
# Docker Hub: this machine's own node binary and the libraries `ldd` lists, its npm, busybox-static for /bin/sh
# and the usual tools, and a `node` user and group (1000) as the official image has, imported with
# `docker import`. The shipped Dockerfile then builds unchanged against it.
#
#   DOCKER_HOST=unix://... scripts/node-stand-in.sh [NAME]     (NAME defaults to node:20-bookworm-slim)
set -euo pipefail
NAME=${1:-node:20-bookworm-slim}
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
log() { printf '[node-stand-in] %s\n' "$*" >&2; }

if "$DOCKER_CLI" image inspect "$NAME" >/dev/null 2>&1; then log "$NAME already on the engine"; exit 0; fi
NODE=$(readlink -f "$(command -v node)")
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../node_modules/npm
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$major" = 20 ] || log "warning: this machine's node is $("$NODE" -v), not 20 — the stand-in carries it anyway"
[ -x /bin/busybox ] || { log "busybox-static is missing (/bin/busybox)"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/local/bin,usr/local/lib/node_modules,etc,tmp,home/node,root,lib64}
chmod 1777 "$root/tmp"
cp "$NODE" "$root/usr/local/bin/node"
# Every shared library node links against, at the same path (the loader among them).
for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp -a "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
done
mkdir -p "$root/usr/bin"
ln -s /bin/busybox "$root/usr/bin/env"   # npm's `#!/usr/bin/env node`
# npm resolves the registry's name: the resolver's files the way Debian has them.
for f in /etc/resolv.conf /etc/nsswitch.conf /etc/ssl/certs/ca-certificates.crt; do
  [ -e "$f" ] && { mkdir -p "$root$(dirname "$f")"; cp -L "$f" "$root$f"; }
done
cat >"$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$root/etc/group" <<'G'
root:x:0:
node:x:1000:
nogroup:x:65534:
G
chown 1000:1000 "$root/home/node"
# A machine behind a TLS-inspecting proxy trusts its CA through NODE_EXTRA_CA_CERTS: the stand-in carries that
# trust (the bundle was copied above), so `npm ci` inside the build reaches the registry as it does here.
extra_env=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  mkdir -p "$root$(dirname "$NODE_EXTRA_CA_CERTS")"
  cp -L "$NODE_EXTRA_CA_CERTS" "$root$NODE_EXTRA_CA_CERTS"
  extra_env=(-c "ENV NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS")
fi
tar -C "$root" -c . | "$DOCKER_CLI" import "${extra_env[@]}" \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION='"$("$NODE" -p process.versions.node)" \
  -c 'CMD ["node"]' - "$NAME" >/dev/null
log "$NAME imported ($("$NODE" -v), $(du -sh "$root" | cut -f1) unpacked)"
