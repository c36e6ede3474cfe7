/*
 * random_calls.c — misuse from C must not crash the engine: sessions fed the
 * stages of sealmilter.h in random order (body before MAIL, end of message twice,
 * raw after header fields, results read at any time, random bytes as body), with a
 * policy that has rules at every stage, a body rewrite and refusals.
 *
 *   random_calls POLICY SEED SESSIONS     prints "ok - ..." and exits 0, or crashes
 */
#include "sealmilter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = { "Subject", "Content-Type", "X-Sealmilter-Unscannable", "From",
                                     "Content-Transfer-Encoding" };
static const char *const values[] = { "invoice test", "multipart/mixed; boundary=b", "none", "a@b.example",
                                      "base64", "application/zip; name=x.zip", "" };
static const char *const bodies[] = {
    "--b\r\nContent-Type: application/zip; name=x.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "UEsDBBQAAQAAAA==\r\n--b--\r\n",
    "hello the world\r\n", "--b\r\n", "\r\n\r\n", "-----BEGIN PGP MESSAGE-----\r\n",
};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void random_call(sealmilter_session *s)
{
    unsigned char buf[512];
    const char *b = bodies[rand() % COUNT(bodies)];
    switch (rand() % 16) {
    case 0: sealmilter_session_connect(s, "client.example", "192.0.2.1"); break;
    case 1: sealmilter_session_helo(s, "client.example"); break;
    case 2: sealmilter_session_macro(s, "i", "Q1"); break;
    case 3: sealmilter_session_mail_from(s, "<a@b.example>"); break;
    case 4: sealmilter_session_rcpt(s, rand() % 2 ? "<x@example.org>" : "<secret@example.org>"); break;
    case 5: sealmilter_session_header(s, names[rand() % COUNT(names)], values[rand() % COUNT(values)]); break;
    case 6: sealmilter_session_end_of_headers(s); break;
    case 7: sealmilter_session_body(s, (const unsigned char *)b, strlen(b)); break;
    case 8: sealmilter_session_end_of_message(s); break;
    case 9: sealmilter_session_abort(s); break;
    case 10: sealmilter_session_raw(s, (const unsigned char *)b, strlen(b)); break;
    case 11: {
        const unsigned char *d;
        size_t len;
        sealmilter_session_body_read(s, &d, &len);
        break;
    }
    case 12: {
        size_t n = sealmilter_session_header_edit_count(s);
        for (size_t i = 0; i <= n; i++) { /* one past the end on purpose */
            sealmilter_header_op op;
            const char *name, *value;
            int index;
            sealmilter_session_header_edit(s, i, &op, &name, &value, &index);
        }
        break;
    }
    case 13:
        (void)sealmilter_session_log(s);
        (void)sealmilter_session_json(s);
        break;
    case 14:
        for (int i = 0; i < COUNT(buf); i++)
            buf[i] = (unsigned char)rand();
        sealmilter_session_body(s, buf, (size_t)(rand() % COUNT(buf)));
        break;
    default: {
        const char *code, *xcode, *text;
        sealmilter_session_reply(s, &code, &xcode, &text);
        (void)sealmilter_session_quarantine(s);
        (void)sealmilter_session_needs_body(s);
        (void)sealmilter_session_body_replaced(s);
        break;
    }
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s POLICY SEED SESSIONS\n", argv[0]);
        return 2;
    }
    sealmilter_engine *e = NULL;
    char *err = NULL;
    if (sealmilter_engine_open(argv[1], &e, &err) != SEALMILTER_OK) {
        fprintf(stderr, "%s\n", err ? err : argv[1]);
        return 1;
    }
    srand((unsigned)atoi(argv[2]));
    int sessions = atoi(argv[3]);
    for (int n = 0; n < sessions; n++) {
        sealmilter_session *s = NULL;
        if (sealmilter_session_open(e, &s) != SEALMILTER_OK)
            return 1;
        for (int k = rand() % 40; k > 0; k--)
            random_call(s);
        sealmilter_session_close(s);
    }
    sealmilter_engine_release(e);
    printf("ok - random call orders, seed %s: %d sessions, no crash\n", argv[2], sessions);
    return 0;
}
