/* vn_recordforge: a record from someone who may not author it. It joins
 * the network with an invite code as an honest device (a real Signal
 * identity in a temporary store, a real sender certificate from the
 * server), and sends RECIPIENT one end-to-end message whose content is a
 * RecordNote: a test result, a clinical state, a medication exception or
 * an alert history, as only the case's casemanager (and for alerts a buddy
 * or medical lead) may send. Nothing about the message is forged but its
 * meaning: the recipient's client must show it as an ordinary message of
 * its real sender and never keep it as a record.
 *
 *   vn_recordforge INVITE_CODE RECIPIENT CASE DATE KIND RESULT [confirmed]
 *
 * A casemanager invite first gets a case of its own, so the sender is the
 * casemanager of another case. Prints the sender's account id and exits 0
 * once the server accepted the message, 1 otherwise, 2 on bad usage. */
#include "testdevice.h"
#include "vn/conn.h"
#include "vn/e2ee.h"
#include "vn/kv.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/pad.h"
#include "vn/sealed.h"
#include "vn/wallclock.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What to send, from the command line. */
typedef struct job {
    const char *to;    /* the recipient's account */
    Vn__RecordNote rn; /* the record */
} job;

/* Redeems the invite; a casemanager also opens a case of its own. */
static int enrol(test_device *d, const vn_invite *inv)
{
    bool cm = false;
    Vn__Reply *rep = NULL;
    int rc = td_redeem(d, inv, &cm);
    if (rc || !cm) return rc;
    Vn__CaseNew cn = VN__CASE_NEW__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_NEW;
    req.case_new = &cn;
    rc = td_call(d, &req, VN__REPLY__BODY_CASE_INFO, &rep);
    vn_frame_reply_free(rep);
    return rc;
}

/* The record as one sealed, padded Signal message to j->to, sent. */
static int send_record(test_device *d, const job *j)
{
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.record = (Vn__RecordNote *)&j->rn;
    content.sent_ms = vn_wallclock_ms();
    return td_send_content(d, j->to, &content);
}

int main(int argc, char **argv)
{
    vn_invite inv;
    test_device d;
    job j = {.rn = VN__RECORD_NOTE__INIT};
    if ((argc != 7 && argc != 8) || vn_invite_decode(argv[1], &inv) || !vn_account_valid(argv[2]) ||
        (argc == 8 && strcmp(argv[7], "confirmed") != 0)) {
        fprintf(stderr, "usage: vn_recordforge INVITE_CODE RECIPIENT CASE DATE KIND RESULT "
                        "[confirmed]\n");
        return 2;
    }
    j.to = argv[2];
    j.rn.case_id = argv[3];
    j.rn.date = argv[4];
    j.rn.kind = argv[5];
    j.rn.result = argv[6];
    j.rn.note = "";
    j.rn.confirmed = argc == 8;
    if (td_open(&d, "vn_recordforge", &inv)) {
        td_close(&d);
        return 2;
    }
    int rc = enrol(&d, &inv) || td_publish(&d, false) || send_record(&d, &j);
    if (td_close(&d)) rc = 1;
    return rc;
}
