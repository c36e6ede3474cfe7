/*
 * Test of libsealmilter.so through include/sealmilter.h alone.
 *
 *   capi_test POLICY BAD_POLICY ACTIONS_POLICY
 *
 * POLICY is Tests/capi/policy.yaml, BAD_POLICY an invalid one, ACTIONS_POLICY
 * Tests/capi/policy-actions.yaml (quarantine, remove_attachments). Prints one
 * "ok - ..." or "not ok - ..." line per check, then "N passed, M failed".
 */
#include "sealmilter.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int passed, failed;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&count_lock);
    printf("%s - ", cond ? "ok" : "not ok");
    vprintf(fmt, ap);
    putchar('\n');
    if (cond)
        passed++;
    else
        failed++;
    pthread_mutex_unlock(&count_lock);
    va_end(ap);
}

static const char *dname(int d)
{
    switch (d) {
    case SEALMILTER_CONTINUE: return "CONTINUE";
    case SEALMILTER_ACCEPT: return "ACCEPT";
    case SEALMILTER_REJECT: return "REJECT";
    case SEALMILTER_TEMPFAIL: return "TEMPFAIL";
    case SEALMILTER_DISCARD: return "DISCARD";
    }
    return "?";
}

static int streq(const char *a, const char *b) { return a != NULL && b != NULL && strcmp(a, b) == 0; }
static int contains(const char *hay, const char *needle) { return hay != NULL && strstr(hay, needle) != NULL; }

/* Index of the header edit (op, name) or -1; *index and *value out. */
static int find_header_edit(sealmilter_session *s, sealmilter_header_op want, const char *name,
                            int *index, const char **value)
{
    size_t n = sealmilter_session_header_edit_count(s);
    for (size_t i = 0; i < n; i++) {
        sealmilter_header_op op;
        const char *nm = NULL, *v = NULL;
        int idx = -1;
        if (sealmilter_session_header_edit(s, i, &op, &nm, &v, &idx) != SEALMILTER_OK)
            return -2;
        if (op == want && nm != NULL && strcasecmp(nm, name) == 0) {
            if (index) *index = idx;
            if (value) *value = v;
            return (int)i;
        }
    }
    return -1;
}

static const char *body_chunks[] = {
    "Hello Bob,\r\n\r\nplease find the invoice for October",
    " below.\r\nAmount: 42 EUR\r\n",
    "\r\nRegards,\r\nAlice\r\n",
};

/* One message through the stages, as a milter sees it. Returns the eom decision;
 * *rcpt_secret gets the decision for the refused recipient. */
static sealmilter_decision run_message(sealmilter_session *s, const char *qid, sealmilter_decision *mail,
                                       sealmilter_decision *rcpt_ok, sealmilter_decision *rcpt_secret,
                                       sealmilter_decision *hdrs)
{
    *mail = sealmilter_session_mail_from(s, "<alice@example.org>");
    sealmilter_session_macro(s, "i", qid);
    sealmilter_session_macro(s, "{auth_authen}", "alice");
    *rcpt_ok = sealmilter_session_rcpt(s, "<bob@example.com>");
    *rcpt_secret = sealmilter_session_rcpt(s, "secret@example.org");
    sealmilter_decision d = SEALMILTER_CONTINUE;
    static const char *const hv[][2] = {
        { "From", "Alice <alice@example.org>" },
        { "To", "Bob <bob@example.com>" },
        { "Subject", "Your invoice" },
        { "X-Sealmilter-Unscannable", "none" },
        { "Message-ID", "<capi-test@example.org>" },
        { "MIME-Version", "1.0" },
        { "Content-Type", "text/plain; charset=us-ascii" },
    };
    for (size_t i = 0; i < sizeof hv / sizeof hv[0] && d == SEALMILTER_CONTINUE; i++)
        d = sealmilter_session_header(s, hv[i][0], hv[i][1]);
    if (d == SEALMILTER_CONTINUE)
        d = sealmilter_session_end_of_headers(s);
    *hdrs = d;
    if (sealmilter_session_needs_body(s)) {
        for (size_t i = 0; i < 3; i++)
            (void)sealmilter_session_body(s, (const unsigned char *)body_chunks[i], strlen(body_chunks[i]));
    }
    return sealmilter_session_end_of_message(s);
}

/* ---- Checks ------------------------------------------------------------- */

static void test_engine(sealmilter_engine *e, const char *policy)
{
    const char *v = sealmilter_version();
    check(v != NULL && v[0] != '\0', "sealmilter_version() is \"%s\"", v ? v : "(null)");
    check(streq(sealmilter_engine_setting(e, "socket"), "unix:/tmp/sealmilter-capi-test.sock"),
          "setting socket from %s", policy);
    check(streq(sealmilter_engine_setting(e, "metrics_listen"), "127.0.0.1:9188"), "setting metrics_listen");
    check(sealmilter_engine_setting(e, "no_such_setting") == NULL, "unknown setting is NULL");
    check(sealmilter_engine_setting(e, NULL) == NULL, "setting(NULL name) is NULL");
    unsigned needs = sealmilter_engine_needs(e);
    check((needs & SEALMILTER_NEED_HEADERS) != 0, "needs HEADERS (forged X-Sealmilter-* stripping) 0x%x", needs);
    check((needs & SEALMILTER_NEED_MAIL) != 0, "needs MAIL (a sender rule) 0x%x", needs);
    check((needs & SEALMILTER_NEED_RCPT) != 0, "needs RCPT (a reject_recipient rule) 0x%x", needs);
    check((needs & (SEALMILTER_NEED_CLIENT_MACROS | SEALMILTER_NEED_TLS_MACROS | SEALMILTER_NEED_AUTH_MACROS)) == 0,
          "no client, TLS or AUTH macros needed (milter.macros defaults to needed) 0x%x", needs);
    unsigned mods = sealmilter_engine_modifications(e);
    check((mods & SEALMILTER_MOD_ADDHDRS) != 0, "modifications include ADDHDRS (add_header) 0x%x", mods);
    check((mods & SEALMILTER_MOD_CHGHDRS) != 0, "modifications include CHGHDRS (header deletion) 0x%x", mods);
    check((mods & SEALMILTER_MOD_QUARANTINE) == 0, "no QUARANTINE without a quarantine rule 0x%x", mods);
    /* The engine's macro lists: the queue ID alone at every stage for this policy. */
    for (int st = SEALMILTER_STAGE_CONNECT; st <= SEALMILTER_STAGE_EOM; st++)
        check(streq(sealmilter_engine_macros(e, st, 0), "i"), "macros at stage %d: \"%s\"", st,
              sealmilter_engine_macros(e, st, 0) ? sealmilter_engine_macros(e, st, 0) : "(null)");
    check(sealmilter_engine_macros(e, 7, 0) == NULL, "macros at an unknown stage: NULL");
    check(sealmilter_engine_macros(e, -1, 0) == NULL, "macros at stage -1: NULL");
    check(sealmilter_engine_macros(NULL, 0, 0) == NULL, "macros of a NULL engine: NULL");
}

static void test_message(sealmilter_engine *e)
{
    sealmilter_session *s = NULL;
    int rc = sealmilter_session_open(e, &s);
    check(rc == SEALMILTER_OK && s != NULL, "session_open");
    if (s == NULL)
        return;
    check(streq(sealmilter_session_errmsg(s), ""), "errmsg of a new session is \"\"");
    sealmilter_decision d = sealmilter_session_connect(s, "client.example.com", "192.0.2.10");
    check(d == SEALMILTER_CONTINUE, "connect -> %s", dname(d));
    check(sealmilter_session_macro(s, "{client_addr}", "192.0.2.10") == SEALMILTER_OK, "macro {client_addr}");
    check(sealmilter_session_macro(s, "tls_version", "TLSv1.3") == SEALMILTER_OK, "macro without braces");
    d = sealmilter_session_helo(s, "client.example.com");
    check(d == SEALMILTER_CONTINUE, "helo -> %s", dname(d));

    sealmilter_decision mail, rok, rsecret, hdrs;
    d = run_message(s, "4XyZ1", &mail, &rok, &rsecret, &hdrs);
    check(mail == SEALMILTER_CONTINUE, "mail_from -> %s", dname(mail));
    check(rok == SEALMILTER_CONTINUE, "rcpt bob@example.com -> %s", dname(rok));
    check(rsecret == SEALMILTER_REJECT, "rcpt secret@example.org -> %s (reject_recipient rule)", dname(rsecret));
    check(hdrs == SEALMILTER_CONTINUE, "headers and end_of_headers -> %s", dname(hdrs));
    check(d == SEALMILTER_ACCEPT, "end_of_message -> %s", dname(d));

    int idx = -1;
    const char *val = "unset";
    int at = find_header_edit(s, SEALMILTER_HEADER_DELETE, "X-Sealmilter-Unscannable", &idx, &val);
    check(at >= 0 && idx == 1 && val == NULL,
          "header edits: DELETE X-Sealmilter-Unscannable index 1 value NULL (found at %d, index %d)", at, idx);
    val = NULL;
    at = find_header_edit(s, SEALMILTER_HEADER_ADD, "X-Invoice", NULL, &val);
    check(at >= 0 && streq(val, "yes"), "header edits: ADD X-Invoice: yes (at %d)", at);
    /* The forged value must not survive as an added or changed field. */
    size_t n = sealmilter_session_header_edit_count(s);
    int forged_kept = 0;
    for (size_t i = 0; i < n; i++) {
        sealmilter_header_op op;
        const char *nm = NULL, *v = NULL;
        int ix = 0;
        if (sealmilter_session_header_edit(s, i, &op, &nm, &v, &ix) == SEALMILTER_OK && op != SEALMILTER_HEADER_DELETE &&
            nm && strcasecmp(nm, "X-Sealmilter-Unscannable") == 0 && streq(v, "none"))
            forged_kept = 1;
    }
    check(!forged_kept, "the forged value \"none\" is not re-added");
    sealmilter_header_op op;
    const char *nm = NULL, *v = NULL;
    int ix = 0;
    check(sealmilter_session_header_edit(s, n, &op, &nm, &v, &ix) == SEALMILTER_EMISUSE,
          "header_edit(count) -> EMISUSE");
    check(sealmilter_session_header_edit(s, (size_t)-1, &op, &nm, &v, &ix) == SEALMILTER_EMISUSE,
          "header_edit(SIZE_MAX) -> EMISUSE");
    check(sealmilter_session_rcpt_edit_count(s) == 0, "no recipient edits");
    check(sealmilter_session_quarantine(s) == NULL, "no quarantine");
    check(sealmilter_session_body_replaced(s) == 0, "body not replaced");
    const char *log = sealmilter_session_log(s);
    check(contains(log, "action=accept") && contains(log, "rules=") && contains(log, "tag-invoice") &&
              contains(log, "unscannable="),
          "log line \"%s\" has action=accept, rules=...tag-invoice, unscannable=", log ? log : "(null)");
    check(log && strncmp(log, "4XyZ1", 5) != 0, "log line has no queue ID prefix");
    const char *json = sealmilter_session_json(s);
    check(json != NULL && json[0] == '{' && contains(json, "tag-invoice"), "json report names the rule: %.60s",
          json ? json : "(null)");

    /* Second message on the same connection: a blocked sender. */
    d = sealmilter_session_mail_from(s, "<bad@evil.example>");
    check(d == SEALMILTER_REJECT, "mail_from bad@evil.example -> %s", dname(d));
    const char *code = NULL, *xcode = NULL, *text = NULL;
    int has = sealmilter_session_reply(s, &code, &xcode, &text);
    check(has == 1 && streq(code, "550") && streq(xcode, "5.7.1") && streq(text, "Sender blocked"),
          "reply 550 5.7.1 Sender blocked (got %d: %s %s %s)", has, code ? code : "-", xcode ? xcode : "-",
          text ? text : "-");
    check(sealmilter_session_reply(s, NULL, NULL, NULL) == 1, "reply with NULL out pointers");
    log = sealmilter_session_log(s);
    check(contains(log, "action=reject") && contains(log, "block-evil-sender"), "log after REJECT at MAIL: \"%s\"",
          log ? log : "(null)");
    sealmilter_session_abort(s);

    /* Third message: the recipient reply; then abort in the middle. */
    (void)sealmilter_session_mail_from(s, "alice@example.org");
    d = sealmilter_session_rcpt(s, "<secret@example.org>");
    has = sealmilter_session_reply(s, &code, &xcode, &text);
    check(d == SEALMILTER_REJECT && has && streq(code, "550") && streq(xcode, "5.1.1") && streq(text, "No such user"),
          "per-recipient reply 550 5.1.1 No such user (%s %s %s)", code ? code : "-", xcode ? xcode : "-",
          text ? text : "-");
    (void)sealmilter_session_header(s, "Subject", "half a message");
    sealmilter_session_abort(s);

    /* Fourth message: raw, split at awkward places. */
    d = sealmilter_session_mail_from(s, "<alice@example.org>");
    (void)sealmilter_session_rcpt(s, "<bob@example.com>");
    const char *raw = "From: alice@example.org\r\nTo: bob@example.com\r\nSubject: invoice 7\r\n"
                      "x-sealmilter-unscannable: none\r\n\r\nThe invoice.\r\n";
    size_t len = strlen(raw), cut1 = 10, cut2 = 75;
    d = sealmilter_session_raw(s, (const unsigned char *)raw, cut1);
    if (d == SEALMILTER_CONTINUE)
        d = sealmilter_session_raw(s, (const unsigned char *)raw + cut1, cut2 - cut1);
    if (d == SEALMILTER_CONTINUE)
        d = sealmilter_session_raw(s, (const unsigned char *)raw + cut2, len - cut2);
    check(d == SEALMILTER_CONTINUE, "raw chunks -> %s", dname(d));
    d = sealmilter_session_end_of_message(s);
    check(d == SEALMILTER_ACCEPT, "raw message end_of_message -> %s", dname(d));
    idx = -1;
    at = find_header_edit(s, SEALMILTER_HEADER_DELETE, "X-Sealmilter-Unscannable", &idx, NULL);
    check(at >= 0 && idx == 1, "raw message: forged header deleted (at %d, index %d)", at, idx);
    check(find_header_edit(s, SEALMILTER_HEADER_ADD, "X-Invoice", NULL, NULL) >= 0, "raw message: X-Invoice added");
    sealmilter_session_close(s);
}

static void test_errors(sealmilter_engine *e, const char *bad_policy)
{
    sealmilter_engine *x = (sealmilter_engine *)1;
    char *err = NULL;
    const char *missing = "/nonexistent/sealmilter-capi-test.yaml";
    int rc = sealmilter_engine_open(missing, &x, &err);
    check(rc == SEALMILTER_EPOLICY && x == NULL, "open missing policy -> EPOLICY (%d), engine NULL", rc);
    check(contains(err, missing), "errmsg names the file: \"%s\"", err ? err : "(null)");
    sealmilter_free(err);

    x = (sealmilter_engine *)1;
    err = NULL;
    rc = sealmilter_engine_open(bad_policy, &x, &err);
    check(rc == SEALMILTER_EPOLICY && x == NULL, "open invalid policy -> EPOLICY (%d)", rc);
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%s:2:", bad_policy);
    check(err != NULL && strncmp(err, prefix, strlen(prefix)) == 0,
          "errmsg is FILE:LINE:COL: ... with line 2: \"%s\"", err ? err : "(null)");
    sealmilter_free(err);
    rc = sealmilter_engine_open(bad_policy, &x, NULL);
    check(rc == SEALMILTER_EPOLICY && x == NULL, "open invalid policy with errmsg NULL -> EPOLICY");

    err = NULL;
    check(sealmilter_engine_open(NULL, &x, &err) == SEALMILTER_EMISUSE, "engine_open(NULL path) -> EMISUSE");
    sealmilter_free(err);
    check(sealmilter_engine_open(missing, NULL, NULL) == SEALMILTER_EMISUSE, "engine_open(NULL engine) -> EMISUSE");
    sealmilter_session *s = (sealmilter_session *)1;
    check(sealmilter_session_open(NULL, &s) == SEALMILTER_EMISUSE && s == NULL, "session_open(NULL engine) -> EMISUSE");
    check(sealmilter_session_open(e, NULL) == SEALMILTER_EMISUSE, "session_open(NULL out) -> EMISUSE");
    check(sealmilter_engine_needs(NULL) == 0 && sealmilter_engine_modifications(NULL) == 0, "needs/mods of NULL are 0");
    check(sealmilter_engine_setting(NULL, "socket") == NULL, "setting of NULL engine is NULL");

    /* NULL sessions: int calls give EMISUSE, decisions fail closed (TEMPFAIL). */
    check(sealmilter_session_macro(NULL, "i", "x") == SEALMILTER_EMISUSE, "macro(NULL session) -> EMISUSE");
    sealmilter_header_op op;
    const char *nm, *v;
    int ix;
    check(sealmilter_session_header_edit(NULL, 0, &op, &nm, &v, &ix) == SEALMILTER_EMISUSE, "header_edit(NULL) -> EMISUSE");
    sealmilter_rcpt_op rop;
    check(sealmilter_session_rcpt_edit(NULL, 0, &rop, &nm) == SEALMILTER_EMISUSE, "rcpt_edit(NULL) -> EMISUSE");
    const unsigned char *data;
    size_t len;
    check(sealmilter_session_body_read(NULL, &data, &len) == SEALMILTER_EMISUSE, "body_read(NULL) -> EMISUSE");
    check(sealmilter_session_connect(NULL, NULL, NULL) == SEALMILTER_TEMPFAIL, "connect(NULL) -> TEMPFAIL");
    check(sealmilter_session_mail_from(NULL, "a@b") == SEALMILTER_TEMPFAIL, "mail_from(NULL) -> TEMPFAIL");
    check(sealmilter_session_end_of_message(NULL) == SEALMILTER_TEMPFAIL, "end_of_message(NULL) -> TEMPFAIL");
    check(sealmilter_session_body(NULL, (const unsigned char *)"x", 1) == SEALMILTER_TEMPFAIL, "body(NULL) -> TEMPFAIL");
    check(sealmilter_session_reply(NULL, &nm, NULL, NULL) == 0 && nm == NULL, "reply(NULL) -> 0");
    check(sealmilter_session_header_edit_count(NULL) == 0 && sealmilter_session_rcpt_edit_count(NULL) == 0,
          "edit counts of NULL are 0");
    check(sealmilter_session_errmsg(NULL) != NULL, "errmsg(NULL) is not NULL");
    sealmilter_session_abort(NULL);
    sealmilter_session_close(NULL);
    sealmilter_engine_release(NULL);
    sealmilter_free(NULL);
    /* (A crash in the calls above ends the program: run.sh reports its exit status.) */

    /* NULL arguments on a real session. */
    s = NULL;
    if (sealmilter_session_open(e, &s) != SEALMILTER_OK) {
        check(0, "session_open for the NULL-argument checks");
        return;
    }
    check(sealmilter_session_macro(s, NULL, "x") == SEALMILTER_EMISUSE, "macro(NULL name) -> EMISUSE");
    check(sealmilter_session_errmsg(s)[0] != '\0', "errmsg after a misuse: \"%s\"", sealmilter_session_errmsg(s));
    check(sealmilter_session_macro(s, "i", NULL) == SEALMILTER_EMISUSE, "macro(NULL value) -> EMISUSE");
    check(sealmilter_session_mail_from(s, NULL) == SEALMILTER_TEMPFAIL, "mail_from(NULL sender) -> TEMPFAIL");
    check(sealmilter_session_errmsg(s)[0] != '\0', "errmsg after mail_from(NULL): \"%s\"", sealmilter_session_errmsg(s));
    check(sealmilter_session_header(s, "Subject", NULL) == SEALMILTER_TEMPFAIL, "header(NULL value) -> TEMPFAIL");
    check(sealmilter_session_body(s, NULL, 5) == SEALMILTER_TEMPFAIL, "body(NULL data, 5) -> TEMPFAIL");
    check(sealmilter_session_body_read(s, NULL, NULL) == SEALMILTER_EMISUSE, "body_read(NULL outs) -> EMISUSE");
    check(sealmilter_session_header_edit(s, 0, &op, &nm, &v, &ix) == SEALMILTER_EMISUSE,
          "header_edit(0) with no edits -> EMISUSE");
    data = (const unsigned char *)"x";
    len = 99;
    check(sealmilter_session_body_read(s, &data, &len) == SEALMILTER_OK && len == 0,
          "body_read with no replacement body -> OK, len 0");
    sealmilter_session_close(s);
}

/* The engine stays alive while a session uses it, after the caller's release. */
static void test_refcount(const char *policy)
{
    sealmilter_engine *e = NULL;
    if (sealmilter_engine_open(policy, &e, NULL) != SEALMILTER_OK) {
        check(0, "engine_open for the refcount check");
        return;
    }
    sealmilter_session *s = NULL;
    sealmilter_session_open(e, &s);
    sealmilter_engine_release(e); /* the session still holds it */
    sealmilter_decision mail, rok, rsecret, hdrs;
    sealmilter_decision d = run_message(s, "REF1", &mail, &rok, &rsecret, &hdrs);
    check(d == SEALMILTER_ACCEPT && rsecret == SEALMILTER_REJECT,
          "session works after engine_release (eom %s, secret rcpt %s)", dname(d), dname(rsecret));
    sealmilter_session_close(s);
}

/* Quarantine and the replacement body through sealmilter_session_body_read(). */
static void test_actions(const char *policy)
{
    sealmilter_engine *e = NULL;
    char *err = NULL;
    if (sealmilter_engine_open(policy, &e, &err) != SEALMILTER_OK) {
        check(0, "engine_open %s: %s", policy, err ? err : "");
        sealmilter_free(err);
        return;
    }
    unsigned mods = sealmilter_engine_modifications(e);
    check((mods & SEALMILTER_MOD_QUARANTINE) && (mods & SEALMILTER_MOD_CHGBODY),
          "actions policy: modifications include QUARANTINE and CHGBODY (0x%x)", mods);
    check((sealmilter_engine_needs(e) & SEALMILTER_NEED_BODY) != 0, "actions policy: needs BODY");
    sealmilter_session *s = NULL;
    sealmilter_session_open(e, &s);
    sealmilter_engine_release(e);

    /* A message to hold. */
    (void)sealmilter_session_mail_from(s, "<alice@example.org>");
    (void)sealmilter_session_rcpt(s, "<bob@example.com>");
    (void)sealmilter_session_header(s, "Subject", "please hold");
    (void)sealmilter_session_end_of_headers(s);
    (void)sealmilter_session_body(s, (const unsigned char *)"text\r\n", 6);
    sealmilter_decision d = sealmilter_session_end_of_message(s);
    const char *q = sealmilter_session_quarantine(s);
    check(d == SEALMILTER_ACCEPT && streq(q, "held for review"), "quarantine: %s, reason \"%s\"", dname(d),
          q ? q : "(null)");
    check(sealmilter_session_body_replaced(s) == 0, "quarantine: body not replaced");
    check(contains(sealmilter_session_log(s), "hold-for-review"), "quarantine: log names the rule: %s",
          sealmilter_session_log(s));

    /* A message with an .exe attachment: the body is replaced without it. */
    static const char body[] =
        "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        "--b1\r\nContent-Type: application/octet-stream; name=\"tool.exe\"\r\n"
        "Content-Disposition: attachment; filename=\"tool.exe\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==\r\n"
        "--b1--\r\n";
    (void)sealmilter_session_mail_from(s, "<alice@example.org>");
    (void)sealmilter_session_rcpt(s, "<bob@example.com>");
    (void)sealmilter_session_header(s, "Subject", "tool");
    (void)sealmilter_session_header(s, "MIME-Version", "1.0");
    (void)sealmilter_session_header(s, "Content-Type", "multipart/mixed; boundary=\"b1\"");
    (void)sealmilter_session_end_of_headers(s);
    size_t len = strlen(body);
    for (size_t off = 0; off < len; off += 37) /* small chunks, cut anywhere */
        (void)sealmilter_session_body(s, (const unsigned char *)body + off, len - off < 37 ? len - off : 37);
    d = sealmilter_session_end_of_message(s);
    check(d == SEALMILTER_ACCEPT, "exe message: end_of_message -> %s", dname(d));
    check(sealmilter_session_body_replaced(s) == 1, "exe message: body replaced");
    char *out = NULL;
    size_t total = 0, chunks = 0;
    int rc = SEALMILTER_OK;
    for (;;) {
        const unsigned char *data = NULL;
        size_t n = 0;
        rc = sealmilter_session_body_read(s, &data, &n);
        if (rc != SEALMILTER_OK || n == 0 || chunks > 100000)
            break;
        char *grown = realloc(out, total + n + 1);
        if (grown == NULL)
            break;
        out = grown;
        memcpy(out + total, data, n);
        total += n;
        out[total] = '\0';
        chunks++;
    }
    check(rc == SEALMILTER_OK && total > 0, "exe message: body_read gave %zu bytes in %zu chunk(s)", total, chunks);
    check(contains(out, "See attached.") && !contains(out, "TVqQAAMAAAAEAAAA"),
          "exe message: the new body keeps the text and drops the attachment");
    const unsigned char *data = (const unsigned char *)"x";
    size_t n = 1;
    check(sealmilter_session_body_read(s, &data, &n) == SEALMILTER_OK && n == 0, "exe message: body_read after the end -> len 0");
    free(out);
    sealmilter_session_close(s);
}

struct worker {
    sealmilter_engine *e;
    int id;
    int messages;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    sealmilter_session *s = NULL;
    if (sealmilter_session_open(w->e, &s) != SEALMILTER_OK)
        return NULL;
    for (int m = 0; m < w->messages; m++) {
        char qid[32];
        snprintf(qid, sizeof qid, "T%dM%d", w->id, m);
        sealmilter_decision mail, rok, rsecret, hdrs;
        sealmilter_decision d = run_message(s, qid, &mail, &rok, &rsecret, &hdrs);
        int idx = -1;
        if (d == SEALMILTER_ACCEPT && rsecret == SEALMILTER_REJECT &&
            find_header_edit(s, SEALMILTER_HEADER_DELETE, "X-Sealmilter-Unscannable", &idx, NULL) >= 0 && idx == 1 &&
            find_header_edit(s, SEALMILTER_HEADER_ADD, "X-Invoice", NULL, NULL) >= 0 &&
            contains(sealmilter_session_log(s), "action=accept"))
            w->ok++;
    }
    sealmilter_session_close(s);
    return NULL;
}

static void test_threads(sealmilter_engine *e)
{
    enum { THREADS = 4, MESSAGES = 200 };
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){ .e = e, .id = i, .messages = MESSAGES, .ok = 0 };
        pthread_create(&t[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        check(w[i].ok == MESSAGES, "thread %d: %d/%d messages with the expected result", i, w[i].ok, MESSAGES);
}

/* Key files: sealmilter_engine_check_keys() refuses one that others can read. */
static void test_keys(void)
{
    char dir[] = "/tmp/sealmilter-capi-keys.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        check(0, "check_keys: mkdtemp");
        return;
    }
    char key[256], pol[256];
    snprintf(key, sizeof key, "%s/gw.key", dir);
    snprintf(pol, sizeof pol, "%s/policy.yaml", dir);
    FILE *f = fopen(key, "w");
    FILE *p = fopen(pol, "w");
    if (f == NULL || p == NULL) {
        check(0, "check_keys: cannot write test files");
        return;
    }
    fputs("not really a key\n", f);
    fclose(f);
    fprintf(p, "milter: {macros: all}\nkeys:\n  gateway: %s\n", key);
    fclose(p);

    sealmilter_engine *e = NULL;
    char *err = NULL;
    int rc = sealmilter_engine_open(pol, &e, &err);
    check(rc == SEALMILTER_OK, "check_keys: a policy with keys opens (%d %s)", rc, err ? err : "");
    unsigned macro_bits = SEALMILTER_NEED_CLIENT_MACROS | SEALMILTER_NEED_TLS_MACROS | SEALMILTER_NEED_AUTH_MACROS;
    check((sealmilter_engine_needs(e) & macro_bits) == macro_bits,
          "milter.macros: all -> needs CLIENT, TLS and AUTH macros (0x%x)", sealmilter_engine_needs(e));
    /* ... and the engine lists them at the stage that has them, or at MAIL when
     * that stage is not delivered. */
    const char *m_connect = sealmilter_engine_macros(e, SEALMILTER_STAGE_CONNECT, 0);
    const char *m_helo = sealmilter_engine_macros(e, SEALMILTER_STAGE_HELO, 0);
    const char *m_mail = sealmilter_engine_macros(e, SEALMILTER_STAGE_MAIL, 0);
    const char *m_mail_skip = sealmilter_engine_macros(e, SEALMILTER_STAGE_MAIL,
                                                       SEALMILTER_NEED_CONNECT | SEALMILTER_NEED_HELO);
    const char *m_eom = sealmilter_engine_macros(e, SEALMILTER_STAGE_EOM, SEALMILTER_NEED_CONNECT);
    check(streq(m_connect, "i {client_addr} {daemon_name}"), "macros at CONNECT: \"%s\"", m_connect ? m_connect : "(null)");
    check(streq(m_helo, "i {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}"),
          "macros at HELO: \"%s\"", m_helo ? m_helo : "(null)");
    check(streq(m_mail, "i {auth_authen}"), "macros at MAIL: \"%s\"", m_mail ? m_mail : "(null)");
    check(contains(m_mail_skip, "{client_addr}") && contains(m_mail_skip, "{tls_version}") &&
              contains(m_mail_skip, "{auth_authen}") && m_mail_skip[0] == 'i',
          "macros at MAIL with CONNECT and HELO skipped: \"%s\"", m_mail_skip ? m_mail_skip : "(null)");
    check(streq(m_eom, "i"), "macros at EOM: \"%s\"", m_eom ? m_eom : "(null)");
    sealmilter_free(err);
    err = NULL;

    chmod(key, 0644);
    rc = sealmilter_engine_check_keys(e, -1, &err);
    check(rc == SEALMILTER_EKEYFILE && contains(err, "keys.gateway: ") && contains(err, "mode 0644") &&
              contains(err, ":3:"),
          "check_keys: mode 0644 -> SEALMILTER_EKEYFILE (%d: %s)", rc, err ? err : "");
    sealmilter_free(err);
    err = NULL;

    chmod(key, 0600);
    rc = sealmilter_engine_check_keys(e, -1, &err);
    check(rc == SEALMILTER_OK && err == NULL, "check_keys: mode 0600, own file -> OK (%d)", rc);
    sealmilter_free(err);
    err = NULL;

    rc = sealmilter_engine_check_keys(e, (long)getuid() + 1, &err);
    check(rc == SEALMILTER_EKEYFILE && contains(err, "but the filter runs as"),
          "check_keys: another user's uid -> SEALMILTER_EKEYFILE (%s)", err ? err : "");
    sealmilter_free(err);
    err = NULL;

    rc = sealmilter_engine_check_keys(NULL, -1, &err);
    check(rc == SEALMILTER_EMISUSE && err != NULL, "check_keys(NULL) -> SEALMILTER_EMISUSE");
    sealmilter_free(err);

    sealmilter_engine_release(e);
    unlink(key);
    unlink(pol);
    rmdir(dir);
}

/* INSERT: inbound S/MIME puts its Authentication-Results at the top (index 1, below
 * the MTA's own Received), after deleting a forged one. A signed message over
 * inbound.max_size gets smime=temperror without any cryptography. */
static void test_insert(void)
{
    char dir[] = "/tmp/sealmilter-capi-insert.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        check(0, "insert: mkdtemp");
        return;
    }
    char pol[256];
    snprintf(pol, sizeof pol, "%s/policy.yaml", dir);
    FILE *p = fopen(pol, "w");
    if (p == NULL) {
        check(0, "insert: cannot write %s", pol);
        rmdir(dir);
        return;
    }
    fputs("smime:\n  inbound: {authserv_id: capi.test, harvest: false, max_size: 1024}\n", p);
    fclose(p);
    sealmilter_engine *e = NULL;
    char *err = NULL;
    int rc = sealmilter_engine_open(pol, &e, &err);
    check(rc == SEALMILTER_OK, "insert: S/MIME inbound policy opens (%d %s)", rc, err ? err : "");
    sealmilter_free(err);
    unlink(pol);
    rmdir(dir);
    if (e == NULL)
        return;
    check((sealmilter_engine_modifications(e) & SEALMILTER_MOD_ADDHDRS) != 0,
          "insert: modifications include ADDHDRS (smfi_insheader needs SMFIF_ADDHDRS)");
    sealmilter_session *s = NULL;
    if (sealmilter_session_open(e, &s) != SEALMILTER_OK || s == NULL) {
        check(0, "insert: session_open");
        sealmilter_engine_release(e);
        return;
    }
    (void)sealmilter_session_mail_from(s, "<alice@partner.example>");
    (void)sealmilter_session_rcpt(s, "<bob@example.org>");
    static const char *const hv[][2] = {
        { "From", "Alice <alice@partner.example>" },
        { "Subject", "signed" },
        { "Authentication-Results", "capi.test; smime=pass (forged)" },
        { "Authentication-Results", "other.test; spf=pass" },
        { "Content-Type", "multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"b\"" },
    };
    sealmilter_decision d = SEALMILTER_CONTINUE;
    for (size_t i = 0; i < sizeof hv / sizeof hv[0] && d == SEALMILTER_CONTINUE; i++)
        d = sealmilter_session_header(s, hv[i][0], hv[i][1]);
    if (d == SEALMILTER_CONTINUE)
        d = sealmilter_session_end_of_headers(s);
    char body[2400];
    size_t n = (size_t)snprintf(body, sizeof body, "--b\r\nContent-Type: text/plain\r\n\r\n");
    while (n < 2200)
        n += (size_t)snprintf(body + n, sizeof body - n, "filler line over max_size\r\n");
    n += (size_t)snprintf(body + n, sizeof body - n, "--b--\r\n");
    if (d == SEALMILTER_CONTINUE && sealmilter_session_needs_body(s))
        (void)sealmilter_session_body(s, (const unsigned char *)body, n);
    d = sealmilter_session_end_of_message(s);
    check(d == SEALMILTER_ACCEPT || d == SEALMILTER_CONTINUE, "insert: end_of_message -> %s", dname(d));

    int del_idx = -1, ins_idx = -1;
    const char *ins_val = NULL;
    int del_at = find_header_edit(s, SEALMILTER_HEADER_DELETE, "Authentication-Results", &del_idx, NULL);
    int ins_at = find_header_edit(s, SEALMILTER_HEADER_INSERT, "Authentication-Results", &ins_idx, &ins_val);
    size_t count = sealmilter_session_header_edit_count(s);
    check(ins_at >= 0 && ins_idx == 1 && contains(ins_val, "capi.test; smime=temperror"),
          "insert: SEALMILTER_HEADER_INSERT Authentication-Results at index 1 (at %d, index %d, \"%s\")", ins_at, ins_idx,
          ins_val ? ins_val : "(null)");
    check(del_at >= 0 && del_idx == 1 && del_at < ins_at && (size_t)ins_at == count - 1,
          "insert: the forged one deleted (index %d) before, the insert is the last edit (%d of %zu)", del_idx, ins_at, count);
    check(find_header_edit(s, SEALMILTER_HEADER_ADD, "Authentication-Results", NULL, NULL) == -1,
          "insert: no Authentication-Results appended");
    sealmilter_session_close(s);
    sealmilter_engine_release(e);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s POLICY BAD_POLICY ACTIONS_POLICY\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    sealmilter_engine *e = NULL;
    char *err = NULL;
    int rc = sealmilter_engine_open(argv[1], &e, &err);
    check(rc == SEALMILTER_OK && e != NULL && err == NULL, "engine_open %s (%d%s%s)", argv[1], rc, err ? ": " : "",
          err ? err : "");
    sealmilter_free(err);
    if (e != NULL) {
        test_engine(e, argv[1]);
        test_message(e);
        test_errors(e, argv[2]);
        test_refcount(argv[1]);
        test_actions(argv[3]);
        test_threads(e);
        test_keys();
        test_insert();
        sealmilter_engine_release(e);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
