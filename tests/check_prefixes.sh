#!/usr/bin/env bash
# One header, one noun: every function a public header of core/ or
# protocol/ declares (core/*/include/vn/X.h, protocol/include/vn/X.h) is
# named vn_X_something (or is vn_X itself).
#
#   check_prefixes.sh [ROOT]       checks the tree at ROOT (default: this repository)
#   check_prefixes.sh --self-test  shows on a fixture tree that the check fails
#                                  naming the header and the function
#
# Plain bash and grep: CI has no python3.
set -euo pipefail

check() {
    local root=$1 h noun f bad=0 n=0
    shopt -s nullglob
    for h in "$root"/core/*/include/vn/*.h "$root"/protocol/include/vn/*.h; do
        noun=$(basename "$h" .h)
        n=$((n + 1))
        # Declarations: a vn_ name followed by "(" at the start of a
        # declaration (after its return type), not inside a comment.
        for f in $(grep -v '^\s*\(/\*\|\*\)' "$h" | grep -oE '\bvn_[a-z0-9_]+\(' | tr -d '(' | sort -u); do
            case $f in
                "vn_$noun" | "vn_${noun}_"*) ;;
                *) echo "FAIL: ${h#"$root"/} declares $f, not vn_${noun}_*"; bad=1 ;;
            esac
        done
    done
    if [ "$n" -eq 0 ]; then
        echo "FAIL: no public headers under $root"
        return 1
    fi
    [ "$bad" -eq 0 ] && echo "ok: every function of $n public headers has its header's prefix"
    return "$bad"
}

self_test() {
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    mkdir -p "$tmp/core/rules/include/vn" "$tmp/protocol/include/vn"
    printf 'int vn_day_parse(const char *s);\n/* vn_other(x) in a comment */\n' \
        >"$tmp/core/rules/include/vn/day.h"
    printf 'void vn_pad(void);\nint vn_pad_bucket(int n);\n' >"$tmp/protocol/include/vn/pad.h"
    check "$tmp" >/dev/null || { echo "FAIL: self-test: a clean tree fails"; return 1; }
    printf 'int vn_severity_name(int s);\n' >>"$tmp/core/rules/include/vn/day.h"
    local out
    if out=$(check "$tmp"); then
        echo "FAIL: self-test: a second prefix passed"
        return 1
    fi
    grep -q 'core/rules/include/vn/day.h declares vn_severity_name, not vn_day_\*' <<<"$out" ||
        { echo "FAIL: self-test: the message does not name header and function: $out"; return 1; }
    echo "ok: self-test: a header with a second prefix fails, named"
}

if [ "${1:-}" = --self-test ]; then
    self_test
else
    check "${1:-$(cd "$(dirname "$0")/.." && pwd)}"
fi
