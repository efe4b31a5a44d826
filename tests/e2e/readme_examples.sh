#!/usr/bin/env bash
# Every command block of README.md runs as written. The convention (stated
# in README.md, "Examples in this file"): a fenced block marked sh, bash or
# console is an example; the blocks run in their order, in one bash shell
# with -e and pipefail, in an empty temporary directory, with vangnetd and
# vangnet of this build first on PATH, so a later block may use what an
# earlier one made. In a console block only the lines starting with "$ "
# are commands. A block whose first line is a comment starting with
# "# not run by tests/e2e/readme_examples.sh" is skipped (the first two,
# which install and build: they are what CI itself runs). Synopses with
# [optional] parts and a|b choices are fenced as text and are not examples.
. "$(dirname "$0")/lib.sh"

README=${VN_README:-$(dirname "$0")/../../README.md}
SKIP_MARK='# not run by tests/e2e/readme_examples.sh'

# extract README OUT MAP: writes the examples of README as one script OUT
# and, per line of OUT, the README line it came from into MAP. Each block
# ends by printing "README_BLOCK_DONE LINE" (the line of its fence).
extract() {
    awk -v out="$2" -v map="$3" -v skip="$SKIP_MARK" '
        function emit(text, src) { print text > out; n++; print src > map }
        BEGIN { n = 0; emit("set -eo pipefail", 0) }
        !inb && /^```(sh|bash|console)[ \t]*$/ { inb = 1; start = NR; first = 1; console = ($0 ~ /console/); skipping = 0; next }
        inb && /^```[ \t]*$/ {
            if (!skipping) emit("echo README_BLOCK_DONE " start, start)
            else emit("echo README_BLOCK_SKIPPED " start, start)
            inb = 0; next
        }
        inb {
            if (first && index($0, skip) == 1) skipping = 1
            first = 0
            if (skipping) next
            if (console) { if (substr($0, 1, 2) != "$ ") next; emit(substr($0, 3), NR) }
            else emit($0, NR)
        }
        END { if (inb) { print "README.md: the block at line " start " is not closed" > "/dev/stderr"; exit 1 } }
    ' "$1"
}

# run_examples README: extracts and runs them in a fresh directory; sets
# RUN_RC, RUN_OUT (what they printed) and FAILED_AT (the README line of the
# command that failed, if one did).
run_examples() {
    local dir
    dir=$(mktemp -d "$T/run.XXXXXX")
    extract "$1" "$dir/examples.sh" "$dir/map"
    mkdir "$dir/work"
    # The ERR trap names the line of the generated script; map names the README's.
    RUN_RC=0
    RUN_OUT=$(cd "$dir/work" && PATH="$(dirname "$VANGNETD"):$(dirname "$VANGNET"):$PATH" \
        bash -c 'trap '\''echo "README_FAILED $LINENO: $BASH_COMMAND" >&2'\'' ERR
                 trap '\''jobs -p | xargs -r kill 2>/dev/null || true'\'' EXIT
                 . ./../examples.sh' 2>&1) || RUN_RC=$?
    FAILED_AT=
    # The README's server writes its log there: a sanitizer build's reports too.
    RUN_LOG=$dir/work/server.log
    local gen
    gen=$(grep -o 'README_FAILED [0-9]*' <<< "$RUN_OUT" | head -1 | cut -d' ' -f2 || true)
    [ -n "$gen" ] && FAILED_AT=$(sed -n "${gen}p" "$dir/map")
    return 0
}

step "the extractor reports a failing example with its README line"
cat > "$T/bad.md" <<'EOF'
# A file with examples

```sh
# not run by tests/e2e/readme_examples.sh: what CI runs
false
```

```text
vangnet case new | list
```

```console
$ echo first
first
$ test -d nowhere
```
EOF
run_examples "$T/bad.md"
check "a failing example fails the run" test "$RUN_RC" -ne 0
expect_eq "it is named by its README line" 15 "$FAILED_AT"
expect_match "the skipped block did not run, the console command did" 'README_BLOCK_SKIPPED 3.*first' "$(tr '\n' ' ' <<< "$RUN_OUT")"

step "every example of README.md runs as written"
NBLOCKS=$(grep -cE '^```(sh|bash|console)[[:space:]]*$' "$README")
NSKIP=$(grep -A1 -E '^```(sh|bash|console)[[:space:]]*$' "$README" | grep -c "^$SKIP_MARK" || true)
expect_eq "the first two blocks (install and build: what CI runs) are the ones skipped" 2 "$NSKIP"
run_examples "$README"
if [ "$RUN_RC" -ne 0 ]; then
    fail "README.md line ${FAILED_AT:-?}: an example failed (exit $RUN_RC)"
    tail -n 25 <<< "$RUN_OUT" | sed 's/^/    /'
else
    pass "all examples ran"
fi
expect_eq "every example block ran to its end" $((NBLOCKS - NSKIP)) "$(grep -c '^README_BLOCK_DONE ' <<< "$RUN_OUT" || true)"
check "the README's server reported no sanitizer error" \
    bash -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' '$RUN_LOG'"
check "the two CI blocks were skipped" test "$(grep -c '^README_BLOCK_SKIPPED ' <<< "$RUN_OUT" || true)" -eq 2
finish
