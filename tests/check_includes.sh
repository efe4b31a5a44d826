#!/usr/bin/env bash
# The include graph between modules has no cycle, and the libraries are
# layered: nothing includes a header from a layer above it.
#
#   check_includes.sh [ROOT]      checks the tree at ROOT (default: this repository)
#   check_includes.sh --self-test shows on small fixture trees that the check fails
#                                 on a cycle and on each kind of layering breach
#
# Files: every .c and .h under core/, protocol/, server/ and client-cli/.
# Edges: their #include "..." lines, resolved first next to the including
# file, then by path suffix (vn/kv.h -> core/kv/include/vn/kv.h). Includes
# that resolve to nothing of ours (vangnet.pb-c.h, which is generated, and
# <system> headers) are not edges.
# Modules: the basename of a file without .c/.h, so policy.c and policy.h are
# one module; a private header X_internal.h belongs to module X.
# Layers: protocol, core/<library>, server, client-cli. A layer may include
# only the layers its library links (core/CMakeLists.txt); see ALLOW below.
# Plain bash and awk: CI installs only the Debian packages of
# deploy/install-deps.sh, which do not include python3.
set -euo pipefail

check() {
    local root=$1
    (cd "$root" && find core protocol server client-cli -type f \( -name '*.c' -o -name '*.h' \) \
        2>/dev/null | LC_ALL=C sort) |
        LC_ALL=C awk -v root="$root" '
        function layer(p,   a) { split(p, a, "/"); return a[1] == "core" ? "core/" a[2] : a[1] }
        function module(p,   b) {
            b = p; sub(/.*\//, "", b); sub(/\.[ch]$/, "", b); sub(/_internal$/, "", b); return b
        }
        function dir(p,   d) { d = p; sub(/\/[^\/]*$/, "", d); return d }
        function ends_with(s, t) {
            return length(s) > length(t) && substr(s, length(s) - length(t)) == "/" t
        }
        # The header an include names: next to the includer, else the one
        # header whose path ends in it; "" if none, "?" if several.
        function resolve(from, inc,   c, h, hit, n) {
            c = dir(from) "/" inc
            if (c in hdr) return c
            n = 0
            for (h in hdr) if (ends_with(h, inc)) { hit = h; n++ }
            return n == 0 ? "" : n == 1 ? hit : "?"
        }
        function allowed(from_layer, to_layer,   list) {
            if (from_layer == to_layer) return 1
            if (from_layer in ALLOW) list = ALLOW[from_layer]
            else if (from_layer ~ /^core\//) list = CORE_DEFAULT   # a library not yet in the table
            else list = ""
            list = " " list " "
            return index(list, " " to_layer " ") > 0 || (index(list, " core/* ") && to_layer ~ /^core\//)
        }
        function problem(msg) { print "FAIL: " msg; bad++ }
        # Depth-first search; a back edge closes a cycle, printed with the
        # include that makes each of its edges.
        function dfs(u,   vs, n, i, v, j, path) {
            color[u] = 1; stack[++sp] = u
            n = split(adj[u], vs, " ")
            for (i = 1; i <= n; i++) {
                v = vs[i]
                if (color[v] == 1) {
                    for (j = sp; stack[j] != v; j--) ;
                    path = ""
                    for (; j <= sp; j++)
                        path = path stack[j] " -> "
                    path = path v
                    problem("include cycle: " path)
                    for (j = sp; stack[j] != v; j--) ;
                    for (; j < sp; j++) print "    " where[stack[j], stack[j + 1]]
                    print "    " where[u, v]
                } else if (!color[v]) {
                    dfs(v)
                }
            }
            sp--; color[u] = 2
        }
        BEGIN {
            # What each layer may include besides itself: the libraries it
            # links (core/CMakeLists.txt, protocol/CMakeLists.txt). The rule
            # that matters most: nothing in core/ or protocol/ includes
            # server/ or client-cli/, and core/rules (pure) includes no
            # store, kv, e2ee or transport header.
            ALLOW["protocol"]       = ""
            ALLOW["core/rules"]     = "protocol"
            ALLOW["core/kv"]        = "protocol core/rules"
            ALLOW["core/store"]     = "protocol core/rules core/kv"
            ALLOW["core/e2ee"]      = "protocol core/rules core/kv"
            ALLOW["core/transport"] = "protocol core/rules"
            ALLOW["server"]         = "protocol core/*"
            # The client does not link the server store.
            ALLOW["client-cli"]     = "protocol core/rules core/kv core/e2ee core/transport"
            CORE_DEFAULT = "protocol core/*"
        }
        { files[++nfiles] = $0; if ($0 ~ /\.h$/) hdr[$0] = 1 }
        END {
            for (i = 1; i <= nfiles; i++) {
                f = files[i]; ln = 0
                nodes[module(f)] = 1
                while ((getline line < (root "/" f)) > 0) {
                    ln++
                    if (line !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
                    inc = line; sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
                    t = resolve(f, inc)
                    if (t == "") continue
                    if (t == "?") { problem(f ":" ln ": #include \"" inc "\" names several headers"); continue }
                    nincludes++
                    if (!allowed(layer(f), layer(t)))
                        problem(f ":" ln ": includes " t ", but " layer(f) " may not include " layer(t) \
                                " (it may include: " (layer(f) in ALLOW ? ALLOW[layer(f)] : CORE_DEFAULT) ")")
                    a = module(f); b = module(t)
                    if (a == b || ((a, b) in where)) continue
                    where[a, b] = f ":" ln ": #include \"" inc "\""
                    adj[a] = adj[a] " " b
                    nedges++
                }
                close(root "/" f)
            }
            if (nfiles == 0) { problem("no sources found under " root); exit 1 }
            for (m in nodes) sorted[++nm] = m
            # Insertion sort: a deterministic order for the report.
            for (i = 2; i <= nm; i++) { m = sorted[i]; for (j = i - 1; j > 0 && sorted[j] > m; j--) sorted[j + 1] = sorted[j]; sorted[j + 1] = m }
            for (i = 1; i <= nm; i++) if (!color[sorted[i]]) dfs(sorted[i])
            if (bad) { print bad " problem(s)"; exit 1 }
            printf "%d files, %d includes, %d modules, %d module edges: no cycle, layers respected\n",
                nfiles, nincludes, nm, nedges
        }'
}

# Fixture tree: FILE=INCLUDE... pairs become files with those include lines.
fixture() {
    local dir=$1 spec file incs inc
    shift
    for spec in "$@"; do
        file=${spec%%=*}
        incs=${spec#*=}
        mkdir -p "$dir/$(dirname "$file")"
        : > "$dir/$file"
        for inc in $incs; do printf '#include "%s"\n' "$inc" >> "$dir/$file"; done
    done
}

self_test() {
    local tmp fails=0 out rc
    tmp=$(mktemp -d /tmp/vn-check-includes.XXXXXX)
    trap 'rm -rf "$tmp"' RETURN
    # expect NAME WANT_RC REGEX FIXTURE...: the check on the fixture exits
    # WANT_RC and its output matches REGEX.
    expect() {
        local name=$1 want=$2 re=$3
        shift 3
        fixture "$tmp/$name" "$@"
        rc=0
        out=$(check "$tmp/$name" 2>&1) || rc=$?
        if [ "$rc" = "$want" ] && grep -Eq -- "$re" <<< "$out"; then
            echo "ok: $name"
        else
            echo "FAIL: $name: exit $rc (want $want), output:"
            sed 's/^/    /' <<< "$out"
            fails=$((fails + 1))
        fi
    }
    local clean=(
        "protocol/include/vn/err.h="
        "protocol/src/err.c=vn/err.h"
        "core/rules/include/vn/util.h=vn/err.h"
        "core/rules/src/util.c=vn/util.h"
        "core/kv/include/vn/kv.h=vn/err.h"
        "core/kv/src/kv.c=vn/kv.h vn/util.h"
        "core/e2ee/include/vn/e2ee.h=vn/kv.h"
        "core/e2ee/src/e2ee_internal.h=vn/e2ee.h"
        "core/e2ee/src/e2ee.c=e2ee_internal.h"
        "server/server.h=vn/kv.h vangnet.pb-c.h"
        "server/server.c=server.h"
        "client-cli/client.h=vn/e2ee.h"
        "client-cli/client.c=client.h"
    )
    expect clean 0 'no cycle, layers respected' "${clean[@]}"
    expect cycle 1 'include cycle: a -> b -> c -> a' "${clean[@]}" \
        "core/rules/include/vn/a.h=vn/b.h" "core/rules/include/vn/b.h=vn/c.h" \
        "core/rules/include/vn/c.h=vn/a.h"
    # kv.c includes log.h, which includes kv.h: the modules need each other.
    expect cycle_via_source 1 'include cycle: kv -> log -> kv' "${clean[@]}" \
        "core/kv/src/kv.c=vn/kv.h vn/log.h" "core/kv/include/vn/log.h=vn/kv.h"
    expect cycle_via_private_header 1 'include cycle: e2ee -> crypto -> e2ee' "${clean[@]}" \
        "core/e2ee/include/vn/crypto.h=vn/err.h" "core/e2ee/src/crypto.c=vn/crypto.h vn/e2ee.h" \
        "core/e2ee/src/e2ee_internal.h=vn/e2ee.h vn/crypto.h"
    # Store modules that include each other's headers are a cycle like any other.
    expect store_cycle 1 'include cycle: cases -> sstore -> cases' "${clean[@]}" \
        "core/store/include/vn/sstore.h=vn/kv.h" "core/store/src/sstore.c=vn/sstore.h vn/cases.h" \
        "core/store/include/vn/cases.h=vn/sstore.h"
    expect store_cycle_through_other 1 'include cycle: cases -> clock -> sstore -> cases' "${clean[@]}" \
        "core/store/include/vn/sstore.h=vn/kv.h" "core/store/src/sstore.c=vn/sstore.h vn/cases.h" \
        "core/store/include/vn/cases.h=vn/clock.h" "core/store/include/vn/clock.h=vn/sstore.h"
    expect rules_includes_kv 1 'core/rules/src/util.c:2: includes core/kv/include/vn/kv.h, but core/rules may not include core/kv' \
        "${clean[@]}" "core/rules/src/util.c=vn/util.h vn/kv.h"
    expect core_includes_server 1 'core/kv/src/kv.c:2: includes server/server.h, but core/kv may not include server' \
        "${clean[@]}" "core/kv/src/kv.c=vn/kv.h server.h"
    expect protocol_includes_client 1 'protocol/src/err.c:2: includes client-cli/client.h, but protocol may not' \
        "${clean[@]}" "protocol/src/err.c=vn/err.h client.h"
    expect client_includes_store 1 'client-cli/client.c:2: includes core/store/include/vn/sstore.h, but client-cli may not include core/store' \
        "${clean[@]}" "core/store/include/vn/sstore.h=vn/kv.h" "client-cli/client.c=client.h vn/sstore.h"
    expect ambiguous 1 'names several headers' "${clean[@]}" \
        "core/kv/include/vn/x.h=" "core/e2ee/include/vn/x.h=" "server/server.c=server.h vn/x.h"
    [ "$fails" -eq 0 ] && echo "self-test: every broken fixture fails, the clean one passes"
    [ "$fails" -eq 0 ]
}

case ${1:-} in
--self-test) self_test ;;
-h | --help) sed -n '2,8p' "$0" ;;
*) check "${1:-$(cd "$(dirname "$0")/.." && pwd)}" ;;
esac
