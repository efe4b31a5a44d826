#!/usr/bin/env bash
# Every JSON-RPC method, over the daemon's socket, over its HTTP port and
# over standard input (vangnet jsonrpc): each answers as its command's
# --json output, or with the command's error. The list of methods the
# daemon offers must equal the list tested here, so a new command cannot
# go untested. Also the HTTP side's own answers: health, and clear
# 400/403/404/405/411/413/415/431 for what it does not take.
. "$(dirname "$0")/lib.sh"

step "a case: casemanager, participant, buddy, naaste; a second casemanager"
server_init
server_start $NOLIMITS
join cm casemanager >/dev/null
new_case cm
P=$(join p participant)
B=$(join b buddy)
N=$(join n naaste)
CM2=$(join cm2 casemanager)
vn cm send "$P" "hello" && vn p inbox >/dev/null && vn b send "$P" "hi" && vn p inbox >/dev/null
TODAY=$(date -u +%F)
MONTH=$(date -u +%Y-%m)
CODE=$(vn p --json signal --list | grep -o '"code": "[^"]*"' | head -n 1 | cut -d'"' -f4)
for i in 1 2 3; do
    CLOSE[i]=$(vn cm case new)
    join "gone$i" casemanager >/dev/null
done
CMA=$(vn cm whoami | cut -d' ' -f1)

step "a facilitator with a group a round, the participant in each; intake staff and a visitor"
FAC=$(join fac facilitator)
for i in 1 2 3; do
    GRP[i]=$(vn fac --json group new | sed -E 's/.*"group": "([0-9a-f]{32})".*/\1/')
    vn p join "$(vn fac group invite "${GRP[i]}")" >/dev/null
done
IN=$(join in intake)
vn vis join "$("$VANGNETD" intake-code --state "$STATE" --store-key "$STORE_KEY")" >/dev/null
VIS=$(vn vis whoami | cut -d' ' -f1)
# Answers of the wellbeing check: three complaints often (overstrain).
WB="2,2,2,1,1,0,0,0,1,1,1,1,0,0"
# The check keeps the day on the local clock.
LOCALDAY=$(date +%F)

# The daemons, each with an HTTP port (a free one is found by trying).
declare -A PORT DPID
start_daemon() {
    local p=$1 tries=0
    while :; do
        PORT[$p]=$((20000 + RANDOM % 40000))
        "$VANGNET" --profile "$T/$p" daemon --http "127.0.0.1:${PORT[$p]}" 2>"$T/$p.daemon.log" &
        DPID[$p]=$!
        wait_for "the daemon of $p" 20 grep -Eq 'serving|cannot listen|error' "$T/$p.daemon.log"
        grep -q serving "$T/$p.daemon.log" && return 0
        wait "${DPID[$p]}" 2>/dev/null || true
        tries=$((tries + 1))
        [ $tries -lt 5 ] || { fail "no free port for $p"; return 1; }
    done
}
for p in cm p b n cm2 gone1 gone2 fac in vis; do start_daemon "$p"; done

# call TRANSPORT PROFILE METHOD PARAMS REGEX: one call; its answer must be
# a JSON-RPC response to id 7 matching REGEX.
ID=7
call() {
    local tr=$1 p=$2 m=$3 params=$4 want=$5 req out
    req="{\"jsonrpc\":\"2.0\",\"id\":$ID,\"method\":\"$m\",\"params\":$params}"
    case $tr in
    sock) out=$(printf '%s\n' "$req" | "$VANGNET" --profile "$T/$p" jsonrpc --connect) ;;
    http) out=$(printf '%s' "$req" | curl -sS -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:${PORT[$p]}/") ;;
    stdin) out=$(printf '%s\n' "$req" | "$VANGNET" --profile "$T/$p" jsonrpc 2>/dev/null) ;;
    esac
    TESTED[$m]=1
    LAST=$out
    if grep -Eq -- "^\\{\"jsonrpc\":\"2.0\",(\"result\":|\"error\":\\{\"code\":-320[0-9][0-9]).*\"id\":$ID\\}\$" <<< "$out" &&
        grep -Eq -- "$want" <<< "$out"; then
        pass "$tr: $m"
    else
        fail "$tr: $m: [$out] does not match /$want/"
    fi
}
OK='"result":'
# p_has WORDS REGEX: the --json output of `vangnet WORDS` in the
# participant's profile (through its daemon) matches REGEX.
p_has() { local w; read -r -a w <<< "$1"; grep -Eq -- "$2" <<< "$(vn p --json "${w[@]}" 2>/dev/null)"; }
declare -A TESTED

round() {
    local tr=$1 i=$2 new sos sig g
    step "every method over $tr"
    call "$tr" cm whoami '{}' "\"result\":\\{\"account\":\"[0-9a-f]{32}\",\"role\":\"casemanager\"\\}"
    call "$tr" cm contacts.add "{\"name\":\"pat\",\"account\":\"$P\",\"replace\":true}" "$OK"
    call "$tr" cm contacts '{}' '"result":\[\{"name":"pat"'
    call "$tr" cm send "{\"who\":\"pat\",\"text\":\"over $tr\"}" "$OK"
    call "$tr" p inbox '{}' "\"text\":\"over $tr\""
    call "$tr" p history "{\"who\":\"$B\"}" '"result":\[\{.*"text":"hi"'
    call "$tr" cm verify "{\"who\":\"$P\"}" "$OK"
    call "$tr" cm case.new '{}' "$OK"
    new=$(grep -Eo '[0-9a-f]{32}' <<< "$LAST" | head -n 1)
    call "$tr" cm case.list '{}' "\"$CASE\""
    call "$tr" cm case.show "{\"case\":\"$CASE\"}" "\"$P\""
    call "$tr" cm invite "{\"case\":\"$CASE\",\"role\":\"naaste\"}" '"result":.*vn1-'
    call "$tr" cm case.reassign "{\"case\":\"$new\",\"who\":\"$CM2\"}" "$OK"
    call "$tr" cm case.close "{\"case\":\"${CLOSE[i]}\",\"yes\":true}" "\"${CLOSE[i]}\".*\"state\":\"closed\""
    call "$tr" cm case.reopen "{\"case\":\"${CLOSE[i]}\"}" "\"${CLOSE[i]}\".*\"state\":\"intake\""
    call "$tr" cm contract.set "{\"case\":\"$CASE\",\"template\":\"default\",\"start\":\"$TODAY\"}" "$OK"
    call "$tr" cm contract.show "{\"case\":\"$CASE\"}" "$OK"
    call "$tr" p contract.sign "{\"case\":\"$CASE\"}" "$OK"
    call "$tr" cm contract.instructions "{\"case\":\"$CASE\",\"site\":\"Lab $tr\",\"hours\":\"Mon-Fri 08:00-12:00\",\"cutoff\":\"11:00\"}" \
        "\"case\":\"$CASE\",\"site\":\"Lab $tr\",\"hours\":\"Mon-Fri 08:00-12:00\",\"cutoff\":\"11:00\",\"sent\":true"
    wait_for "the instructions of round $tr at the participant" 20 p_has "contract instructions" "Lab $tr"
    call "$tr" p contract.instructions '{}' "\"site\":\"Lab $tr\".*\"kept\":true"
    call "$tr" p calendar "{\"month\":\"$MONTH\"}" "\"case\":\"$CASE\",\"month\":\"$MONTH\".*\"instructions\":\"at Lab $tr, Mon-Fri 08:00-12:00, before 11:00\""
    # Outside the check-in window (a time of day) the server refuses it.
    call "$tr" p checkin '{}' '"result":|"error":"DENIED","message":"cannot check in: check-in is open'
    call "$tr" p selfhelp.record '{}' "$OK"
    call "$tr" cm contact.record "{\"kind\":\"call\",\"case\":\"$CASE\"}" "$OK"
    call "$tr" cm test.record "{\"result\":\"negative\",\"case\":\"$CASE\",\"date\":\"$TODAY\"}" "$OK"
    call "$tr" cm state.record "{\"state\":\"resumed\",\"case\":\"$CASE\",\"note\":\"n\"}" "$OK"
    call "$tr" cm absence.add "{\"from\":\"2030-0$i-10\",\"to\":\"2030-0$i-11\",\"case\":\"$CASE\"}" "$OK"
    call "$tr" cm caseload '{}' "$OK"
    call "$tr" cm report "{\"case\":\"$CASE\",\"month\":\"$MONTH\"}" "$OK"
    call "$tr" p signal "{\"code\":[\"$CODE\"],\"note\":\"seen\"}" "$OK"
    sig=$(grep -Eo '"[0-9a-f]{32}"' <<< "$LAST" | head -n 1 | tr -d '"')
    call "$tr" cm alerts '{"all":true}' "$OK"
    call "$tr" cm ack "{\"alert\":\"$sig\"}" "$OK"
    call "$tr" p sos "{\"text\":\"help $tr\"}" "$OK"
    sos=$(grep -Eo '"[0-9a-f]{32}"' <<< "$LAST" | head -n 1 | tr -d '"')
    call "$tr" b claim "{\"alert\":\"$sos\"}" "$OK"
    call "$tr" cm disclosure.attest "{\"case\":\"$CASE\",\"safety-at-risk\":true,\"no-action-taken\":true}" "$OK"
    call "$tr" p audit '{}' "$OK"
    call "$tr" p wellbeing "{\"answers\":\"$WB\",\"every\":\"2w\"}" '"complaints":3,"overstrain":true'
    call "$tr" p wellbeing.due '{}' "\"due\":false,\"every_days\":14,\"last\":\"$LOCALDAY\""
    call "$tr" p wellbeing.trend '{"months":1}' "\"result\":\\[\\{\"date\":\"$LOCALDAY\",\"total\":12,\"complaints\":3"
    call "$tr" p wellbeing.share '{"to":"casemanager","months":1}' "\"result\":\\{\"shared\":true,\"to\":\"$CMA\"\\}"
    # An intervision group: the participant presents in this round's group.
    g=${GRP[i]}
    call "$tr" fac group.new '{"cap":3}' '"result":\{"group":"[0-9a-f]{32}","cap":3,"members":0\}'
    call "$tr" fac group.invite "{\"group\":\"$g\",\"ttl\":\"1d\"}" "\"invite\":\"vn1-[^\"]+\",\"group\":\"$g\""
    call "$tr" fac group.list '{}' "\\{\"group\":\"$g\",\"cap\":5,\"members\":1,\"facilitator\":true,\"next_session\":null\\}"
    call "$tr" p group.accept-rules "{\"group\":\"$g\"}" "\"result\":\\{\"group\":\"$g\",\"rules_accepted\":true\\}"
    call "$tr" p group.count-attendance "{\"group\":\"$g\",\"on\":\"on\"}" "\"group\":\"$g\",\"count_attendance\":true"
    call "$tr" p group.send "{\"group\":\"$g\",\"text\":\"a post over $tr\"}" "\"sent\":1,\"group\":\"$g\""
    call "$tr" fac group.schedule "{\"group\":\"$g\",\"at\":\"2031-03-10T19:30\",\"note\":\"room $tr\"}" "\"group\":\"$g\",\"next_session\":\"2031-03-10T19:30\",\"next_note\":\"room $tr\""
    call "$tr" fac group.start "{\"group\":\"$g\",\"method\":\"basic\",\"presenter\":\"$P\"}" "\"group\":\"$g\",\"session\":true,\"phase\":1"
    call "$tr" fac group.next "{\"group\":\"$g\",\"minutes\":5}" "\"group\":\"$g\",\"session\":true,\"phase\":2"
    call "$tr" fac group.status "{\"group\":\"$g\"}" "\"method\":\"basic\",\"presenter\":\"$P\",\"you_present\":false,\"phase\":2,\"phases\":5,.*\"minutes\":5"
    wait_for "the participant to know it presents in round $tr" 20 p_has "group status $g" '"you_present": true'
    call "$tr" p group.plan "{\"group\":\"$g\",\"text\":\"a plan over $tr\"}" "\"group\":\"$g\",\"plan\":\"kept on this device\""
    call "$tr" fac group.end "{\"group\":\"$g\"}" "\"group\":\"$g\",\"session\":false"
    wait_for "the participant to see the session end in round $tr" 20 p_has "group status $g" '"session": null'
    call "$tr" p group.leave "{\"group\":\"$g\"}" "\"group\":\"$g\",\"left\":\"$P\""
    # An anonymous first contact and the intake staff.
    call "$tr" vis intake.write "{\"text\":\"a first word over $tr\"}" "\"result\":\\{\"sent\":1,\"to\":\"$IN\"\\}"
    call "$tr" in intake.list '{}' "\"result\":\\[\\{\"account\":\"$VIS\",\"since\":\"$TODAY\",\"last_active\":\"$TODAY\",\"conversations\":1,"
    call "$tr" cm quiet-hours '{"when":"22:00-07:00"}' "$OK"
    call "$tr" cm quiet-hours '{}' '"result":\{"quiet_hours":"22:00-07:00"\}'
    call "$tr" b settings.read-receipts '{"setting":"on"}' '"result":\{"read_receipts":true\}'
    call "$tr" b settings.read-receipts '{}' '"result":\{"read_receipts":true\}'
    call "$tr" cm server.set-endpoint "{\"endpoint\":\"$ENDPOINT\"}" "$OK"
    call "$tr" cm server.show '{}' "\"result\":\\{\"endpoints\":\\[\"$ENDPOINT\"\\],\"last\":\"$ENDPOINT\"\\}"
    call "$tr" cm profile.restore '{}' "$OK"
    call "$tr" cm case.remove "{\"case\":\"$CASE\",\"who\":\"$N\"}" \
        "$([ "$i" = 1 ] && echo "$OK" || echo '"error":\{"code":-32001,.*"error":"NOTFOUND"')"
    # The profile of a casemanager with no case goes: over the socket and
    # HTTP its daemon stops after answering.
    call "$tr" "gone$i" delete-account '{"yes":true}' "$OK"
}
round sock 1
round http 2
round stdin 3

step "the methods offered are exactly the methods tested"
ALL=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"methods"}' | vn cm jsonrpc --connect |
    grep -o '"method":"[^"]*"' | cut -d'"' -f4 | sort)
expect_eq "every method was called" "$ALL" "$(printf '%s\n' "${!TESTED[@]}" | sort)"
for g in gone1 gone2; do
    RC=0; wait "${DPID[$g]}" || RC=$?
    expect_eq "the daemon of a deleted account ($g) stopped by itself, exit 0" 0 "$RC"
done

step "HTTP: health, and clear errors for what it does not take"
H="http://127.0.0.1:${PORT[cm]}"
expect_eq "GET /health" '{"ok":true,"server":"connected"}' "$(curl -sS "$H/health")"
st() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
expect_eq "an unknown path: 404" 404 "$(st "$H/nothing")"
expect_eq "GET /: 405" 405 "$(st "$H/")"
expect_eq "POST /health: 405" 405 "$(st -X POST "$H/health")"
expect_eq "POST without application/json: 415" 415 "$(st -H 'Content-Type: text/plain' --data '{}' "$H/")"
expect_match "  and it says why" 'Content-Type must be application/json' "$(cat "$T/body")"
expect_eq "a web page's request (Origin): 403" 403 "$(st -H 'Origin: http://evil.example' -H 'Content-Type: application/json' --data '{}' "$H/")"
expect_eq "another Host (DNS rebinding): 403" 403 "$(st -H 'Host: evil.example' "$H/health")"
expect_eq "a body over 1 MiB: 413" 413 "$(head -c 1100000 /dev/zero | tr '\0' 'a' | st -H 'Content-Type: application/json' --data-binary @- "$H/")"
expect_eq "headers over 8 KiB: 431" 431 "$(st -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' 'a')" "$H/health")"
expect_eq "chunked: 501" 501 "$(printf '{}' | st -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @- "$H/")"
RAW=$(printf 'NONSENSE\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/${PORT[cm]}; cat >&3; cat <&3" || true)
expect_match "a request line that is not HTTP: 400" '^HTTP/1.1 400 Bad Request' "$RAW"
OUT=$(printf '%s' '{"jsonrpc":"2.0","id":1,"method":' | curl -sS -H 'Content-Type: application/json' --data-binary @- "$H/")
expect_match "malformed JSON over HTTP: -32700" '"code":-32700' "$OUT"
OUT=$(printf '%s' '[{"jsonrpc":"2.0","id":1,"method":"whoami"},{"jsonrpc":"2.0","id":2,"method":"nope"}]' | curl -sS -H 'Content-Type: application/json' --data-binary @- "$H/")
expect_match "a batch over HTTP" '^\[\{"jsonrpc":"2.0","result":\{"account".*"id":1\},\{"jsonrpc":"2.0","error":\{"code":-32601.*"id":2\}\]$' "$OUT"
expect_eq "a notification alone: 204, no body" 204 "$(printf '%s' '{"jsonrpc":"2.0","method":"whoami"}' | st -H 'Content-Type: application/json' --data-binary @- "$H/")"
RC=0; OUT=$(vn n daemon --http 0.0.0.0:8080 2>&1) || RC=$?
expect_match "a daemon refuses a non-loopback HTTP address" 'only loopback is served' "$OUT"
expect_eq "  with exit 2" 2 "$RC"

step "stdin: several lines, a subscription, the end of the input ends it"
OUT=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"whoami"}' '' '{"jsonrpc":"2.0","id":2,"method":"subscribe"}' | vn b jsonrpc)
expect_match "two answers, one a line" '^\{"jsonrpc":"2.0","result":\{"account".*"id":1\}
\{"jsonrpc":"2.0","result":\{"subscribed":true\},"id":2\}$' "$OUT"

for p in cm p b n cm2; do kill -TERM "${DPID[$p]}"; wait "${DPID[$p]}" || true; done
check "no sanitizer report from the daemons" test -z "$(grep -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T"/*.daemon.log || true)"
finish
