#!/usr/bin/env bash
# What `cmake --install` lays out (into a DESTDIR): vangnetd in sbin,
# vangnet in bin, the manual pages, the unit and the settings file. The
# installed unit passes `systemd-analyze verify` and keeps its hardening
# (`systemd-analyze security`); the manual pages carry every option of
# --help, since they are written from the same tables.
. "$(dirname "$0")/lib.sh"
: "${VN_BUILD_DIR:?set VN_BUILD_DIR to the build directory}"

step "cmake --install into a DESTDIR"
D=$T/root
DESTDIR=$D cmake --install "$VN_BUILD_DIR" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$VN_BUILD_DIR/CMakeCache.txt")
sysconf=/etc
[ "$prefix" = /usr ] || sysconf=$prefix/etc
for f in "$prefix/sbin/vangnetd" "$prefix/bin/vangnet" "$prefix/libexec/vangnet/vangnet-full"; do check "$f is installed and runs" "$D$f" --help; done >/dev/null
for f in "$prefix/share/man/man8/vangnetd.8" "$prefix/share/man/man5/vangnetd.conf.5" \
    "$prefix/share/man/man1/vangnet.1" "$prefix/lib/systemd/system/vangnetd.service" \
    "$sysconf/vangnet/vangnetd.conf" "$prefix/share/doc/vangnetd/OPERATIONS.md"; do
    check "$f is installed" test -s "$D$f"
done
check "the installed settings file is config-example's output" \
    cmp -s "$D$sysconf/vangnet/vangnetd.conf" <("$VANGNETD" config-example)

step "the manual pages carry every option and command of --help"
man8=$D$prefix/share/man/man8/vangnetd.8
man5=$D$prefix/share/man/man5/vangnetd.conf.5
man1=$D$prefix/share/man/man1/vangnet.1
missing=
for o in $("$VANGNETD" --help | grep -oE '^         --[a-z-]+' | tr -d ' '); do
    grep -qF -- "\\fB${o//-/\\-}\\fR" "$man8" || missing+=" $o(8)"
    grep -qF -- "\\fB${o#--}" "$man5" 2>/dev/null || grep -qF -- "\\fB$(sed 's/-/\\-/g' <<< "${o#--}")\\fR" "$man5" || missing+=" $o(5)"
done
expect_eq "every option of vangnetd run in vangnetd(8) and vangnetd.conf(5)" "" "$missing"
missing=
for c in $("$VANGNET" --help | sed -n '/^commands:/,/^$/p' | grep -E '^  [a-z]' | awk '{print $1}' | sort -u); do
    grep -q "^\.SS $(sed 's/-/\\\\-/g' <<< "$c")\$" "$man1" || missing+=" $c"
done
expect_eq "every command of vangnet in vangnet(1)" "" "$missing"
if command -v groff >/dev/null; then
    check "the pages are clean roff (groff -ww)" bash -c "groff -man -ww -z '$man8' '$man5' '$man1' 2>&1 | { ! grep .; }"
else
    echo "skip: groff is not installed: the roff of the pages is not checked"
fi

step "systemd-analyze verify and security on the installed unit"
unit=$D$prefix/lib/systemd/system/vangnetd.service
if ! command -v systemd-analyze >/dev/null; then
    echo "skip: systemd-analyze is absent (apt-get install systemd): the unit is not verified"
else
    # verify checks that ExecStart exists: point it at the DESTDIR's binary.
    mkdir -p "$T/units"
    sed "s|ExecStart=/usr/sbin/vangnetd|ExecStart=$D$prefix/sbin/vangnetd|" "$unit" > "$T/units/vangnetd.service"
    out=$(systemd-analyze verify --man=no "$T/units/vangnetd.service" 2>&1) || fail "systemd-analyze verify: $out"
    expect_eq "systemd-analyze verify says nothing" "" "$out"
    sec=$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for vangnetd.service: \([0-9.]*\).*/\1/p')
    echo "systemd-analyze security --offline=yes: exposure $sec"
    check "exposure at most 2.0 (got $sec)" awk -v s="$sec" 'BEGIN { exit !(s != "" && s <= 2.0) }'
    for k in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
        MemoryDenyWriteExecute=yes SystemCallFilter=@system-service StateDirectory=vangnet \
        StateDirectoryMode=0700 KillSignal=SIGTERM Restart=on-failure LimitNOFILE= \
        LoadCredentialEncrypted=vangnetd-store-key: ConditionPathExists=/var/lib/vangnet/server.key; do
        check "the unit sets $k" grep -q "^$k" "$unit"
    done
fi
finish
