/* Unit tests of framing: request and reply round trips, the size limit on
 * both sides of it (decode and encode), what is refused as malformed
 * (garbage, truncation, no body), the version check that still hands back
 * the request id, and that a full-size body fits the default frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vn/frame.h"

static uint8_t *pack_request(uint32_t version, uint64_t id, size_t body_len, size_t *len)
{
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Send send = VN__SEND__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    uint8_t *body = calloc(1, body_len ? body_len : 1), *buf = NULL;
    assert_non_null(body);
    req.version = version;
    req.request_id = id;
    if (body_len) {
        static char to[] = "0123456789abcdef0123456789abcdef";
        send.to = to;
        send.body.data = body;
        send.body.len = body_len;
        req.body_case = VN__REQUEST__BODY_SEND;
        req.send = &send;
    } else {
        req.body_case = VN__REQUEST__BODY_WHOAMI;
        req.whoami = &who;
    }
    assert_int_equal(vn_frame_request_encode(&req, SIZE_MAX, &buf, len), VN_OK);
    free(body);
    return buf;
}

static void test_request_round_trip(void **state)
{
    size_t len;
    uint8_t *buf = pack_request(VN_PROTOCOL_VERSION, 42, 0, &len);
    Vn__Request *req = (Vn__Request *)&len; /* must be overwritten */
    assert_int_equal(vn_frame_request_decode(buf, len, len, &req), VN_OK);
    assert_non_null(req);
    assert_int_equal(req->version, VN_PROTOCOL_VERSION);
    assert_int_equal(req->request_id, 42);
    assert_int_equal(req->body_case, VN__REQUEST__BODY_WHOAMI);
    vn_frame_request_free(req);
    free(buf);

    buf = pack_request(VN_PROTOCOL_VERSION, UINT64_MAX, 1000, &len);
    assert_int_equal(vn_frame_request_decode(buf, len, VN_FRAME_MAX_DEFAULT, &req), VN_OK);
    assert_int_equal(req->body_case, VN__REQUEST__BODY_SEND);
    assert_true(req->request_id == UINT64_MAX);
    assert_int_equal(req->send->body.len, 1000);
    assert_string_equal(req->send->to, "0123456789abcdef0123456789abcdef");
    vn_frame_request_free(req);
    free(buf);
    vn_frame_request_free(NULL); /* safe */
}

static void test_size_limits(void **state)
{
    size_t len;
    uint8_t *buf = pack_request(VN_PROTOCOL_VERSION, 7, 5000, &len);
    Vn__Request *req = (Vn__Request *)&len;
    /* Exactly at the limit is fine, one byte over is not, and nothing is decoded then. */
    assert_int_equal(vn_frame_request_decode(buf, len, len, &req), VN_OK);
    vn_frame_request_free(req);
    req = (Vn__Request *)&len;
    assert_int_equal(vn_frame_request_decode(buf, len, len - 1, &req), VN_ETOOBIG);
    assert_null(req);
    req = (Vn__Request *)&len;
    assert_int_equal(vn_frame_request_decode(buf, len, 0, &req), VN_ETOOBIG);
    assert_null(req);
    free(buf);

    /* The encoder has the same limit. */
    Vn__Request r = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    r.version = VN_PROTOCOL_VERSION;
    r.request_id = 1;
    r.body_case = VN__REQUEST__BODY_WHOAMI;
    r.whoami = &who;
    size_t need = vn__request__get_packed_size(&r), got = 0;
    buf = NULL;
    assert_int_equal(vn_frame_request_encode(&r, need - 1, &buf, &got), VN_ETOOBIG);
    assert_null(buf);
    assert_int_equal(vn_frame_request_encode(&r, need, &buf, &got), VN_OK);
    assert_int_equal(got, need);
    free(buf);

    /* The largest padded body a Send may carry fits a default frame. */
    buf = pack_request(VN_PROTOCOL_VERSION, UINT64_MAX, VN_BODY_MAX, &len);
    assert_true(len <= VN_FRAME_MAX_DEFAULT);
    assert_int_equal(vn_frame_request_decode(buf, len, VN_FRAME_MAX_DEFAULT, &req), VN_OK);
    assert_int_equal(req->send->body.len, VN_BODY_MAX);
    vn_frame_request_free(req);
    free(buf);
}

static void test_malformed(void **state)
{
    Vn__Request *req = NULL;
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    req = (Vn__Request *)garbage;
    assert_int_equal(vn_frame_request_decode(garbage, sizeof garbage, 1024, &req), VN_EPROTO);
    assert_null(req);
    /* A field whose declared length runs past the end. */
    static const uint8_t overrun[] = {0x08, 0x01, 0x6a, 0x7f, 0x00};
    assert_int_equal(vn_frame_request_decode(overrun, sizeof overrun, 1024, &req), VN_EPROTO);
    assert_null(req);

    /* A Send cut anywhere inside its body bytes. */
    size_t len;
    uint8_t *buf = pack_request(VN_PROTOCOL_VERSION, 9, 300, &len);
    for (size_t cut = 1; cut <= 300; cut += 37) {
        req = (Vn__Request *)&len;
        assert_int_equal(vn_frame_request_decode(buf, len - cut, 1024, &req), VN_EPROTO);
        assert_null(req);
    }
    free(buf);

    /* Right version, no body: malformed. The decoder still hands the
     * request over (the server echoes its id); it must be freed. */
    Vn__Request r = VN__REQUEST__INIT;
    r.version = VN_PROTOCOL_VERSION;
    r.request_id = 77;
    buf = NULL;
    assert_int_equal(vn_frame_request_encode(&r, 1024, &buf, &len), VN_OK);
    req = NULL;
    assert_int_equal(vn_frame_request_decode(buf, len, 1024, &req), VN_EPROTO);
    if (req) assert_int_equal(req->request_id, 77);
    vn_frame_request_free(req);
    free(buf);
}

static void test_version(void **state)
{
    size_t len;
    Vn__Request *req = NULL;
    uint8_t *buf = pack_request(7, 1234, 0, &len);
    assert_int_equal(vn_frame_request_decode(buf, len, 1024, &req), VN_EVERSION);
    assert_non_null(req); /* so that the reply can echo the id */
    assert_int_equal(req->version, 7);
    assert_int_equal(req->request_id, 1234);
    vn_frame_request_free(req);
    free(buf);
    buf = pack_request(VN_PROTOCOL_VERSION + 1, 1, 0, &len);
    assert_int_equal(vn_frame_request_decode(buf, len, 1024, &req), VN_EVERSION);
    vn_frame_request_free(req);
    free(buf);
    /* An empty frame is a message with every field absent: version 0. */
    assert_int_equal(vn_frame_request_decode((const uint8_t *)"", 0, 1024, &req), VN_EVERSION);
    assert_non_null(req);
    assert_int_equal(req->version, 0);
    vn_frame_request_free(req);
}

static void test_reply(void **state)
{
    Vn__Reply rep = VN__REPLY__INIT;
    Vn__Error e = VN__ERROR__INIT;
    static char msg[] = "rate limit: retry after 500 ms";
    e.code = VN_ERATE;
    e.message = msg;
    e.retry_after_ms = 500;
    rep.version = VN_PROTOCOL_VERSION;
    rep.request_id = 5;
    rep.body_case = VN__REPLY__BODY_ERROR;
    rep.error = &e;
    uint8_t *buf = NULL;
    size_t len = 0, need = vn__reply__get_packed_size(&rep);
    assert_int_equal(vn_frame_reply_encode(&rep, need - 1, &buf, &len), VN_ETOOBIG);
    assert_int_equal(vn_frame_reply_encode(&rep, need, &buf, &len), VN_OK);
    assert_int_equal(len, need);

    Vn__Reply *out = (Vn__Reply *)&len;
    assert_int_equal(vn_frame_reply_decode(buf, len, len - 1, &out), VN_ETOOBIG);
    assert_null(out);
    assert_int_equal(vn_frame_reply_decode(buf, len, len, &out), VN_OK);
    assert_int_equal(out->body_case, VN__REPLY__BODY_ERROR);
    assert_int_equal(out->error->code, VN_ERATE); /* negative codes survive sint32 */
    assert_string_equal(out->error->message, msg);
    assert_int_equal(out->error->retry_after_ms, 500);
    assert_int_equal(out->request_id, 5);
    vn_frame_reply_free(out);
    free(buf);

    /* Wrong version, no body, garbage. */
    rep.version = 2;
    assert_int_equal(vn_frame_reply_encode(&rep, 1024, &buf, &len), VN_OK);
    assert_int_equal(vn_frame_reply_decode(buf, len, 1024, &out), VN_EVERSION);
    assert_non_null(out);
    vn_frame_reply_free(out);
    free(buf);
    rep.version = VN_PROTOCOL_VERSION;
    rep.body_case = VN__REPLY__BODY__NOT_SET;
    rep.error = NULL;
    assert_int_equal(vn_frame_reply_encode(&rep, 1024, &buf, &len), VN_OK);
    assert_int_equal(vn_frame_reply_decode(buf, len, 1024, &out), VN_EPROTO);
    vn_frame_reply_free(out);
    free(buf);
    static const uint8_t garbage[] = {0x0f, 0xff, 0xff};
    assert_int_equal(vn_frame_reply_decode(garbage, sizeof garbage, 1024, &out), VN_EPROTO);
    assert_null(out);
    vn_frame_reply_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
