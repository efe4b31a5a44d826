#!/usr/bin/env bash
# Installs the two Debian packages into a fresh Debian 12 (bookworm) chroot
# and runs Vangnet from the installed files only: `vangnetd init`, the
# server with the installed /etc/vangnet/vangnetd.conf as the vangnet user,
# and two clients from the vangnet package that join and exchange a message.
#
#   deploy/chroot-test.sh BUILD_DIR [WORK_DIR]
#
# Needs root, debootstrap and the Debian mirror (minutes: not part of CI).
# BUILD_DIR is a configured build (cmake -DCMAKE_INSTALL_PREFIX=/usr); the
# packages are made there with cpack if missing. A WORK_DIR/base left by an
# earlier run is copied instead of bootstrapping again.
set -euo pipefail
build=$(cd "${1:?usage: chroot-test.sh BUILD_DIR [WORK_DIR]}" && pwd)
work=${2:-/tmp/vangnet-chroot}
[ "$(id -u)" -eq 0 ] || { echo "chroot-test: run as root (debootstrap, chroot)"; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null

PASSES=0
FAILS=0
pass() { echo "ok: $*"; PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }

root=$work/root
server_pid=
cleanup() {
    set +e
    [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    umount "$root/proc" 2>/dev/null
    umount "$root/dev" 2>/dev/null
}
trap cleanup EXIT

echo "== the packages"
if ! compgen -G "$build/vangnetd_*.deb" >/dev/null || ! compgen -G "$build/vangnet_*.deb" >/dev/null; then
    (cd "$build" && cpack -G DEB >/dev/null)
fi
server_deb=$(ls "$build"/vangnetd_*.deb | tail -1)
client_deb=$(ls "$build"/vangnet_*.deb | tail -1)
echo "$server_deb"; echo "$client_deb"

echo "== a fresh Debian 12 chroot"
mkdir -p "$work"
if [ ! -d "$work/base" ]; then
    debootstrap --variant=minbase bookworm "$work/base.tmp" http://deb.debian.org/debian >"$work/debootstrap.log"
    mv "$work/base.tmp" "$work/base"
fi
rm -rf "$root"
cp -a "$work/base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
mkdir -p "$root/tmp/debs"
cp "$server_deb" "$client_deb" "$root/tmp/debs/"

echo "== apt-get install ./vangnetd_*.deb ./vangnet_*.deb"
in_root apt-get update -qq
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/debs/*.deb' |
    grep -E '^(Setting up|Unpacking|vangnetd:)' || true
check "vangnetd is installed in /usr/sbin" test -x "$root/usr/sbin/vangnetd"
check "vangnet is installed in /usr/bin" test -x "$root/usr/bin/vangnet"
check "the unit is installed" test -f "$root/usr/lib/systemd/system/vangnetd.service"
check "the settings file is installed" test -f "$root/etc/vangnet/vangnetd.conf"
check "the man pages are installed" test -f "$root/usr/share/man/man8/vangnetd.8" -a \
    -f "$root/usr/share/man/man5/vangnetd.conf.5" -a -f "$root/usr/share/man/man1/vangnet.1"
check "postinst made the system user vangnet" in_root getent passwd vangnet
mode=$(in_root stat -c '%a %U' /var/lib/vangnet)
check "postinst made /var/lib/vangnet 0700 for vangnet (got $mode)" test "$mode" = "700 vangnet"
check "nothing was started: no store yet" test ! -e "$root/var/lib/vangnet/server.key"

echo "== vangnetd init, as docs/OPERATIONS.md says"
in_root vangnetd init --state /var/lib/vangnet --store-key /root/vangnetd-store.key >/dev/null 2>&1
in_root chown -R vangnet:vangnet /var/lib/vangnet
check "init made the store" test -s "$root/var/lib/vangnet/server.key"
# Without systemd in a chroot the key is a plain file the service user
# reads; under systemd it would be sealed with systemd-creds instead.
in_root install -m 0600 -o vangnet -g vangnet /root/vangnetd-store.key /var/lib/vangnet-store.key

echo "== the server from the installed files and settings"
# The installed settings, with two keys uncommented: any free port, and
# every request logged (to show request names in the log).
sed -i -e 's|^#listen = .*|listen = tcp://127.0.0.1:*|' -e 's|^#log-level = .*|log-level = debug|' \
    "$root/etc/vangnet/vangnetd.conf"
# setpriv executes vangnetd in its place (runuser would stay as its
# parent), so the signal below reaches the server itself; chroot and env
# execute too, and a function would add a subshell: call them directly.
chroot "$root" env -i PATH=/usr/sbin:/usr/bin LANG=C.UTF-8 setpriv --reuid vangnet --regid vangnet --init-groups vangnetd run --state /var/lib/vangnet \
    --config /etc/vangnet/vangnetd.conf --store-key /var/lib/vangnet-store.key \
    2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$root/var/lib/vangnet/endpoint" ] && break; sleep 0.1; done
check "the server listens ($(cat "$root/var/lib/vangnet/endpoint" 2>/dev/null))" test -s "$root/var/lib/vangnet/endpoint"

echo "== two clients from the vangnet package join and exchange a message"
export VANGNET_PASSPHRASE="chroot test passphrase"
vn() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin HOME=/root VANGNET_PASSPHRASE="$VANGNET_PASSPHRASE" vangnet --profile "/root/$1" "${@:2}"; }
code=$(in_root runuser -u vangnet -- vangnetd invite --state /var/lib/vangnet \
    --store-key /var/lib/vangnet-store.key --role casemanager)
cm=$(vn cm join "$code")
case_id=$(vn cm case new)
doc=$(vn doc join "$(vn cm invite --case "$case_id" --role participant)")
check "both joined (casemanager $cm, participant $doc)" test -n "$cm" -a -n "$doc"
vn doc send "$cm" "hello from an installed vangnet" >/dev/null
inbox=$(vn cm inbox)
echo "$inbox"
check "the casemanager reads the participant's message" grep -q "hello from an installed vangnet" <<< "$inbox"
vn cm send "$doc" "read you" >/dev/null
check "and the participant the answer" grep -q "read you" <<< "$(vn doc inbox)"

echo "== stop"
kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=
check "the server exits 0 on SIGTERM" test "$rc" -eq 0
check "the log names requests (debug level)" grep -q "debug vangnetd: request send result=OK" "$work/server.log"
check "the log holds no account id" bash -c "! grep -Eq '$cm|$doc' '$work/server.log'"
echo "--- server log (head)"
head -n 8 "$work/server.log"
echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
