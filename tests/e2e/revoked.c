/* vn_revoked: does the server notice, on a connection that stays open,
 * that its device key changed hands? It caches who is on a connection
 * (server/peers.c), so this checks that the cache follows the store:
 *
 *   vn_revoked INVITE
 *
 * One device key, two connections. On the first: a `whoami` before joining
 * (unregistered), the join with INVITE, two `whoami`s (registered; the
 * second answered from the cache). On the second, with the same key: the
 * account is deleted. On the first again, still open: a `whoami`, which
 * must be refused as unregistered. Prints one line per step,
 * "STEP: outcome", for the script to assert on; exits 0 when every step
 * could run, 1 when one failed on the way (and says what), 2 on bad
 * arguments. */
#include "vn/conn.h"
#include "vn/err.h"
#include "vn/frame.h"
#include "vn/invite.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Sends a whoami on c and prints "step: registered ACCOUNT ROLE" or
 * "step: ERROR_NAME". */
static void whoami(vn_conn *c, const char *step)
{
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Reply *rep = NULL;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    vn_err err = vn_conn_call(c, &req, &rep);
    if (!err && rep->body_case == VN__REPLY__BODY_IDENTITY)
        printf("%s: registered %s %s\n", step, rep->identity->account, rep->identity->role);
    else if (!err)
        printf("%s: unexpected reply %d\n", step, (int)rep->body_case);
    else
        printf("%s: %s\n", step, vn_err_name(err));
    vn_frame_reply_free(rep);
}

int main(int argc, char **argv)
{
    vn_invite inv;
    uint8_t pub[32], sec[32];
    vn_conn *c1 = NULL, *c2 = NULL;
    Vn__Reply *rep = NULL;
    int rc = 1;
    if (argc != 2 || vn_invite_decode(argv[1], &inv) != VN_OK) {
        fprintf(stderr, "usage: vn_revoked INVITE\n");
        return 2;
    }
    if (vn_conn_curve_keypair(pub, sec) ||
        vn_conn_open(&c1, inv.endpoint, inv.server_key, pub, sec)) {
        fprintf(stderr, "vn_revoked: cannot connect\n");
        goto out;
    }
    whoami(c1, "before-join");

    Vn__Request req = VN__REQUEST__INIT;
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret = (ProtobufCBinaryData){VN_INVITE_SECRET_LEN, inv.secret};
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    vn_err err = vn_conn_call(c1, &req, &rep);
    if (err || rep->body_case != VN__REPLY__BODY_REDEEMED) {
        fprintf(stderr, "vn_revoked: the join failed: %s: %s\n", vn_err_name(err),
                vn_conn_error(c1, NULL));
        goto out;
    }
    printf("joined: %s\n", rep->redeemed->account);
    vn_frame_reply_free(rep);
    rep = NULL;
    whoami(c1, "after-join");
    whoami(c1, "again");

    if (vn_conn_open(&c2, inv.endpoint, inv.server_key, pub, sec)) {
        fprintf(stderr, "vn_revoked: cannot open the second connection\n");
        goto out;
    }
    Vn__Request del = VN__REQUEST__INIT;
    Vn__DeleteAccount da = VN__DELETE_ACCOUNT__INIT;
    da.confirm = true;
    del.body_case = VN__REQUEST__BODY_DELETE_ACCOUNT;
    del.delete_account = &da;
    err = vn_conn_call(c2, &del, &rep);
    if (err || rep->body_case != VN__REPLY__BODY_DELETED) {
        fprintf(stderr, "vn_revoked: the delete failed: %s: %s\n", vn_err_name(err),
                vn_conn_error(c2, NULL));
        goto out;
    }
    printf("deleted: on a second connection\n");
    whoami(c1, "after-delete");
    rc = 0;
out:
    vn_frame_reply_free(rep);
    vn_conn_close(&c2);
    vn_conn_close(&c1);
    memset(sec, 0, sizeof sec);
    return rc;
}
