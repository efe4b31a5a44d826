/* vn_crafted: requests of a registered account that the honest client never
 * sends, for the abuse tests (bundle_abuse.sh, contract_empty_start.sh).
 * Each mode redeems its invite codes as fresh devices with CURVE keys of
 * their own.
 *
 *   vn_crafted bundles INVITE_CODE TARGET COUNT
 *     redeems the invite (a member of TARGET's case), then fetches TARGET's
 *     key bundle COUNT times, as fast as replies come. One line a fetch:
 *     "bundle prekey ID" (a one-time prekey was handed out), "bundle
 *     no-prekey", or "CODE retry=MS: message" for a refusal. Exit 0 once
 *     every fetch had a reply.
 *   vn_crafted empty-start CASEMANAGER_INVITE_CODE
 *     redeems the invite as a casemanager, makes a case, invites its
 *     participant and redeems that invite as a second device, then sets a
 *     contract (the default terms) whose start_date is present on the wire
 *     but empty: bytes 1a 00, which protobuf-c never packs for a proto3
 *     string. It sends that twice: the first makes version 1 (no start
 *     before it: today), the second version 2 (which keeps the start of
 *     version 1). One line each: "accepted version V start DATE" or
 *     "CODE: message". Exit 0 once the server answered both.
 * Exit 2 on bad usage, 1 on any other failure. */
#include "testdevice.h"
#include "vn/account.h"
#include "vn/conn.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/parse.h"
#include "vn/terms.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: vn_crafted bundles INVITE_CODE TARGET COUNT\n"
                    "       vn_crafted empty-start CASEMANAGER_INVITE_CODE\n");
    return 2;
}

/* One fetch of target's bundle; prints its line. 0 if a reply came. */
static int fetch_once(test_device *d, const char *target)
{
    Vn__Reply *rep = NULL;
    uint64_t retry = 0;
    Vn__FetchBundle fb = VN__FETCH_BUNDLE__INIT;
    fb.account = (char *)target;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH_BUNDLE;
    req.fetch_bundle = &fb;
    vn_err err = vn_conn_call(d->conn, &req, &rep);
    if (err == VN_ETIMEOUT || err == VN_ETRANSPORT) {
        fprintf(stderr, "vn_crafted: no reply to a fetch (%s)\n", vn_err_name(err));
        return 1;
    }
    if (err) {
        const char *msg = vn_conn_error(d->conn, &retry);
        printf("%s retry=%llu: %s\n", vn_err_name(err), (unsigned long long)retry, msg);
    } else if (rep->body_case != VN__REPLY__BODY_BUNDLE) {
        fprintf(stderr, "vn_crafted: unexpected reply %d\n", (int)rep->body_case);
        err = VN_EPROTO;
    } else if (rep->bundle->prekey && rep->bundle->prekey->key.len) {
        printf("bundle prekey %u\n", rep->bundle->prekey->id);
    } else {
        printf("bundle no-prekey\n");
    }
    vn_frame_reply_free(rep);
    return err == VN_EPROTO;
}

static int run_bundles(const char *code, const char *target, const char *count)
{
    vn_invite inv;
    test_device d;
    uint64_t n = 0;
    if (vn_invite_decode(code, &inv) || !vn_account_valid(target) ||
        vn_parse_u64(count, 1, 10000, &n))
        return usage();
    if (td_open(&d, "vn_crafted", &inv)) {
        td_close(&d);
        return 1;
    }
    int rc = td_redeem(&d, &inv, NULL);
    for (uint64_t i = 0; !rc && i < n; i++)
        rc = fetch_once(&d, target);
    fflush(stdout);
    if (td_close(&d)) rc = 1;
    return rc;
}

/* Makes a case and its participant: the first device is its casemanager.
 * case_id gets the case's id. */
static int make_case(test_device *cm, const vn_invite *cm_inv, char case_id[VN_ACCOUNT_HEX + 1])
{
    Vn__Reply *rep = NULL;
    vn_invite pinv = *cm_inv;
    bool is_cm = false;
    test_device p;
    if (td_redeem(cm, cm_inv, &is_cm)) return 1;
    if (!is_cm) {
        fprintf(stderr, "vn_crafted: the invite is not a casemanager's\n");
        return 1;
    }
    Vn__CaseNew cn = VN__CASE_NEW__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_NEW;
    req.case_new = &cn;
    if (td_call(cm, &req, VN__REPLY__BODY_CASE_INFO, &rep)) return 1;
    snprintf(case_id, VN_ACCOUNT_HEX + 1, "%s", rep->case_info->case_id);
    vn_frame_reply_free(rep);
    Vn__CaseInvite ci = VN__CASE_INVITE__INIT;
    ci.case_id = case_id;
    ci.role = "participant";
    req = (Vn__Request)VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_INVITE;
    req.case_invite = &ci;
    if (td_call(cm, &req, VN__REPLY__BODY_INVITED, &rep)) return 1;
    int rc = rep->invited->secret.len != sizeof pinv.secret;
    if (!rc) memcpy(pinv.secret, rep->invited->secret.data, sizeof pinv.secret);
    vn_frame_reply_free(rep);
    if (rc || td_open(&p, "vn_crafted", &pinv)) rc = 1;
    /* The participant's account id goes to stdout too: the test may use it. */
    if (!rc) rc = td_redeem(&p, &pinv, NULL);
    if (td_close(&p)) rc = 1;
    return rc;
}

/* buf += a varint. */
static size_t put_varint(uint8_t *buf, uint64_t v)
{
    size_t n = 0;
    do {
        buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* The ContractSet request, by hand around protobuf-c's packing: the
 * contract's bytes get start_date (field 3) appended as present and empty,
 * and the request gets the set (field 27) appended. *frame is malloc'd. */
static int crafted_contract_set(const char *case_id, uint64_t id, uint8_t **frame, size_t *len)
{
    vn_terms t;
    Vn__Contract *ct = NULL;
    vn_terms_default(&t, 0);
    if (vn_terms_to_pb(&t, case_id, "", &ct)) {
        if (ct) vn__contract__free_unpacked(ct, NULL);
        return 1;
    }
    free(ct->start_date);
    ct->start_date = NULL;
    size_t clen = vn__contract__get_packed_size(ct);
    Vn__Request head = VN__REQUEST__INIT;
    head.version = VN_PROTOCOL_VERSION;
    head.request_id = id;
    size_t hlen = vn__request__get_packed_size(&head);
    uint8_t *buf = malloc(hlen + clen + 32);
    if (!buf) {
        vn__contract__free_unpacked(ct, NULL);
        return 1;
    }
    size_t n = vn__request__pack(&head, buf);
    size_t inner = clen + 2;                                      /* the contract and 1a 00 */
    size_t set = 1 + put_varint((uint8_t[10]){0}, inner) + inner; /* ContractSet */
    n += put_varint(buf + n, 27 << 3 | 2);
    n += put_varint(buf + n, set);
    buf[n++] = 1 << 3 | 2; /* ContractSet.contract */
    n += put_varint(buf + n, inner);
    n += vn__contract__pack(ct, buf + n);
    buf[n++] = 3 << 3 | 2; /* Contract.start_date, */
    buf[n++] = 0;          /* empty */
    vn__contract__free_unpacked(ct, NULL);
    *frame = buf;
    *len = n;
    return 0;
}

/* Sends the crafted frame and prints the outcome; 0 if the server answered. */
static int send_contract(test_device *cm, const uint8_t *frame, size_t len)
{
    Vn__Reply *rep = NULL;
    int rc = 0;
    vn_err err = vn_conn_raw(cm->conn, frame, len, 10000, &rep);
    if (err == VN_ETIMEOUT || err == VN_ETRANSPORT) {
        fprintf(stderr, "vn_crafted: no reply to the contract (%s)\n", vn_err_name(err));
        rc = 1;
    } else if (err) {
        printf("%s: %s\n", vn_err_name(err), vn_conn_error(cm->conn, NULL));
    } else if (rep->body_case == VN__REPLY__BODY_STORED_CONTRACT) {
        Vn__Contract *c = vn__contract__unpack(NULL, rep->stored_contract->canonical.len,
                                               rep->stored_contract->canonical.data);
        if (c) printf("accepted version %u start %s\n", c->version, c->start_date);
        rc = !c;
        if (c) vn__contract__free_unpacked(c, NULL);
    } else {
        fprintf(stderr, "vn_crafted: unexpected reply %d\n", (int)rep->body_case);
        rc = 1;
    }
    vn_frame_reply_free(rep);
    return rc;
}

static int run_empty_start(const char *code)
{
    vn_invite inv;
    test_device cm;
    char case_id[VN_ACCOUNT_HEX + 1];
    uint8_t *frame = NULL;
    size_t len = 0;
    if (vn_invite_decode(code, &inv)) return usage();
    if (td_open(&cm, "vn_crafted", &inv)) {
        td_close(&cm);
        return 1;
    }
    int rc = make_case(&cm, &inv, case_id);
    /* Ids of their own, after the ones vn_conn_call used. */
    for (uint64_t id = 1000; !rc && id < 1002; id++) {
        rc = crafted_contract_set(case_id, id, &frame, &len) || send_contract(&cm, frame, len);
        free(frame);
        frame = NULL;
    }
    if (td_close(&cm)) rc = 1;
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 5 && strcmp(argv[1], "bundles") == 0) return run_bundles(argv[2], argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "empty-start") == 0) return run_empty_start(argv[2]);
    return usage();
}
