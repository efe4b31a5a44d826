#!/usr/bin/env bash
# Writes vangnet(1) in roff to stdout from what the client itself prints:
# `vangnet --help` and `vangnet COMMAND --help`, which are written from the
# command table (client-cli/commands.c). Run at build time, so the page
# cannot drift from the table. Plain bash and sed: no python.
#   vangnet-man.sh VANGNET VERSION
set -euo pipefail
vangnet=${1:?usage: vangnet-man.sh VANGNET VERSION}
version=${2:-}

# roff text: backslashes and dashes escaped, a leading dot or quote guarded.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }
# A block of lines as they are, in a fixed layout.
pre() { echo ".nf"; esc; echo ".fi"; }

help=$("$vangnet" --help)
# The command names: the first word of each line of the command list.
commands=$(sed -n '/^commands:/,/^$/p' <<< "$help" | grep -E '^  [a-z]' | awk '{print $1}' | awk '!seen[$0]++')
[ -n "$commands" ] || { echo "vangnet-man.sh: no commands in \`vangnet --help\`" >&2; exit 1; }

cat <<ROFF
.\\" Written by man/vangnet-man.sh from \`vangnet --help\` at build time: do not edit.
.TH VANGNET 1 "" "Vangnet $version" "User Commands"
.SH NAME
vangnet \\- the Vangnet client: end\\-to\\-end encrypted support messages, cases and alerts
.SH SYNOPSIS
\\fBvangnet\\fR [\\fB\\-\\-profile\\fR \\fIDIR\\fR] [\\fB\\-\\-json\\fR] [\\fB\\-\\-timeout\\fR \\fISECONDS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]
.SH DESCRIPTION
\\fBvangnet\\fR is the command\\-line client of Vangnet. Each profile directory holds one
identity, encrypted at rest with a passphrase. A device joins with a one\\-time invite code
from \\fBvangnetd invite\\fR or from a casemanager, and from then on sends and reads messages
that the server relays but cannot read.
.SH OVERVIEW
ROFF
pre <<< "$help"
echo ".SH COMMANDS"
for c in $commands; do
    echo ".SS $(esc <<< "$c")"
    # Each command's help ends with the same line about the global options.
    "$vangnet" "$c" --help | grep -v '^global options: ' | pre
done
cat <<'ROFF'
.SH ENVIRONMENT
.TP
\fBVANGNET_PROFILE\fR
the profile directory when \fB\-\-profile\fR is not given (default \fI~/.vangnet\fR)
.TP
\fBVANGNET_PASSPHRASE\fR
the profile's passphrase; asked on the terminal when unset
.SH SEE ALSO
\fBvangnetd\fR(8)
ROFF
