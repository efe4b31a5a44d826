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


check() {
    local root=$1 src m missing=() covered=0
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
        elif grep -qsE "^ \* covers:.*\b$m\b" "$root"/tests/unit/test_*.c; then
            # One test program may cover several small modules of one
            # library; it lists them on a " * covers: a b c" line.
            covered=$((covered + 1))
        else
            missing+=("${src#"$root"/}")
        fi
    done
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
    expect "a module with neither its test nor a covers line is named" 1 'FAIL: module sstore'
    printf '/* store tables\n * covers: sstore keys */\n' >"$tmp/tests/unit/test_tables.c"
    expect "every module tested (e2ee_* by test_e2ee, sstore by a covers line)" 0 '^5 modules have their unit test'
    touch "$tmp/core/rules/src/day.c"
    expect "a core module without a test is named" 1 'FAIL: module day \(core/rules/src/day.c\) has no tests/unit/test_day.c'
    touch "$tmp/tests/unit/test_day.c" "$tmp/protocol/src/frame.c"
    expect "a protocol module without a test is named" 1 'FAIL: module frame \(protocol/src/frame.c\)'
    touch "$tmp/tests/unit/test_frame.c"
    rm "$tmp/tests/unit/test_e2ee.c"
    expect "e2ee_* needs some test_e2ee*.c" 1 'FAIL: module e2ee_group'
    [ "$fails" -eq 0 ] && echo "self-test: the check fails on every module without a test"
    [ "$fails" -eq 0 ]
}

case ${1:-} in
--self-test) self_test ;;
-h | --help) sed -n '2,9p' "$0" ;;
*) check "${1:-$(cd "$(dirname "$0")/.." && pwd)}" ;;
esac
