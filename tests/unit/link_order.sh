#!/usr/bin/env bash
# link_order.sh PROGRAM...: each program must bind the protobuf-c runtime
# (protobuf_c_message_pack, _unpack, _get_packed_size, _free_unpacked) to
# libprotobuf-c, never to the older copy libsignal-protocol-c bundles and
# exports under the same names: its copy crashes on the code protoc-c
# generates today. Which one serves a program depends on the order of its
# NEEDED libraries (core/CMakeLists.txt puts libprotobuf-c first). The
# dynamic linker reports its bindings (LD_DEBUG=bindings), all made at
# load time under LD_BIND_NOW; the program itself only prints its usage.
set -euo pipefail

T=$(mktemp -d /tmp/vn-link.XXXXXX)
trap 'rm -rf "$T"' EXIT
SYMS="protobuf_c_message_pack protobuf_c_message_unpack protobuf_c_message_get_packed_size protobuf_c_message_free_unpacked"
PASSES=0
FAILS=0

for prog in "$@"; do
    name=${prog##*/}
    rm -f "$T"/ld.*
    LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$T/ld" "$prog" --help >/dev/null 2>&1 || true
    cat "$T"/ld.* >"$T/all" 2>/dev/null || true
    for sym in $SYMS; do
        # "binding file PROG [0] to LIB [0]: normal symbol `SYM' ..."
        lines=$(grep -F "normal symbol \`$sym'" "$T/all" || true)
        # The program's own references, and libsignal's: both must go to
        # libprotobuf-c (libsignal's calls into its copy are interposed too).
        if [ -z "$lines" ]; then
            echo "FAIL: $name: no binding of $sym seen (neither it nor libsignal uses protobuf-c?)"
            FAILS=$((FAILS + 1))
            continue
        fi
        wrong=$(grep -v " to [^ ]*libprotobuf-c\.so" <<<"$lines" || true)
        if [ -n "$wrong" ]; then
            echo "FAIL: $name: $sym bound elsewhere than libprotobuf-c:"
            sed 's/^ *[0-9]*: */    /' <<<"$wrong"
            FAILS=$((FAILS + 1))
        else
            PASSES=$((PASSES + 1))
        fi
    done
    echo "$name: NEEDED $(readelf -d "$prog" | grep -oE 'lib(protobuf-c|signal-protocol-c)[^]]*' | tr '\n' ' ')"
done
echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
