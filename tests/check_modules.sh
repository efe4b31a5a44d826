#!/usr/bin/env bash
# tests/ mirrors the modules: every module under core/ and protocol/ (a
# core/*/src/X.c or protocol/src/X.c) has its unit test tests/unit/test_X.c.
#
#   check_modules.sh [ROOT]       checks the tree at ROOT (default: this repository)
#   check_modules.sh --self-test  shows on a fixture tree that the check fails
#                                 naming a module without a test
#
# The e2ee_* files are parts of one module (e2ee_internal.h) and are covered
# by the test_e2ee*.c programs. Plain bash: CI has no python3.
set -euo pipefail

# Store modules being rewritten (issue 8): their tests land with the new
# store. Each entry is a promise, not a permission: shrink this list as the
# store tests land, and delete it when it is empty. clock is not here: it
# has its test already.
EXEMPT="sstore cases alerts contract"

check() {
    local root=$1 src m missing=() covered=0 known=()
    shopt -s nullglob
    local srcs=("$root"/core/*/src/*.c "$root"/protocol/src/*.c)
    if [ ${#srcs[@]} -eq 0 ]; then
        echo "FAIL: no module sources under $root/core/*/src or $root/protocol/src"
        return 1
    fi
    for src in "${srcs[@]}"; do
        m=$(basename "$src" .c)
        if [ -f "$root/tests/unit/test_$m.c" ]; then
            covered=$((covered + 1))
        elif [[ $m == e2ee_* ]] && compgen -G "$root/tests/unit/test_e2ee*.c" >/dev/null; then
            covered=$((covered + 1))
        elif [[ " $EXEMPT " == *" $m "* ]]; then
            known+=("$m")
        else
            missing+=("${src#"$root"/}")
        fi
    done
    for m in $EXEMPT; do
        if [ -f "$root/tests/unit/test_$m.c" ]; then
            echo "note: $m has tests/unit/test_$m.c now: remove it from EXEMPT in $0"
        fi
    done
    [ ${#known[@]} -eq 0 ] || echo "known: no unit test yet for ${known[*]} (exempt while the store is rewritten)"
    if [ ${#missing[@]} -ne 0 ]; then
        for src in "${missing[@]}"; do
            echo "FAIL: module $(basename "$src" .c) ($src) has no tests/unit/test_$(basename "$src" .c).c"
        done
        return 1
    fi
    echo "$covered modules have their unit test"
}

self_test() {
    local tmp fails=0 out rc
    tmp=$(mktemp -d /tmp/vn-check-modules.XXXXXX)
    trap 'rm -rf "$tmp"' RETURN
    mkdir -p "$tmp/core/rules/src" "$tmp/core/e2ee/src" "$tmp/core/store/src" "$tmp/protocol/src" \
        "$tmp/tests/unit"
    touch "$tmp/core/rules/src/util.c" "$tmp/core/e2ee/src/e2ee.c" "$tmp/core/e2ee/src/e2ee_group.c" \
        "$tmp/core/store/src/sstore.c" "$tmp/protocol/src/pad.c" "$tmp/tests/unit/test_util.c" \
        "$tmp/tests/unit/test_e2ee.c" "$tmp/tests/unit/test_pad.c"
    # expect NAME WANT_RC REGEX: the check on the fixture as it is now.
    expect() {
        rc=0
        out=$(check "$tmp" 2>&1) || rc=$?
        if [ "$rc" = "$2" ] && grep -Eq -- "$3" <<< "$out"; then
            echo "ok: $1"
        else
            echo "FAIL: $1: exit $rc (want $2), output:"
            sed 's/^/    /' <<< "$out"
            fails=$((fails + 1))
        fi
    }
    expect "every module tested (e2ee_* by test_e2ee, sstore exempt)" 0 '^4 modules have their unit test'
    touch "$tmp/core/rules/src/day.c"
    expect "a core module without a test is named" 1 'FAIL: module day \(core/rules/src/day.c\) has no tests/unit/test_day.c'
    touch "$tmp/tests/unit/test_day.c" "$tmp/protocol/src/frame.c"
    expect "a protocol module without a test is named" 1 'FAIL: module frame \(protocol/src/frame.c\)'
    touch "$tmp/tests/unit/test_frame.c"
    rm "$tmp/tests/unit/test_e2ee.c"
    expect "e2ee_* needs some test_e2ee*.c" 1 'FAIL: module e2ee_group'
    touch "$tmp/tests/unit/test_e2ee_group.c" "$tmp/tests/unit/test_e2ee.c" "$tmp/tests/unit/test_sstore.c"
    expect "a store module that gets its test is pointed out in the exemption list" 0 'note: sstore has tests/unit/test_sstore.c now'
    [ "$fails" -eq 0 ] && echo "self-test: the check fails on every module without a test"
    [ "$fails" -eq 0 ]
}

case ${1:-} in
--self-test) self_test ;;
-h | --help) sed -n '2,9p' "$0" ;;
*) check "${1:-$(cd "$(dirname "$0")/.." && pwd)}" ;;
esac
