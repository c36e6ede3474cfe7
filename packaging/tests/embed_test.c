/*
 * embed_test — a C program that uses the installed libsealmilter like any
 * third-party embedder: compiled against /usr/include/sealmilter.h, linked with
 * -lsealmilter from the system library directory, no Swift toolchain involved.
 *
 *   embed_test POLICY MESSAGE EXPECTED_KIND
 *
 * Runs MESSAGE (a whole .eml) through an engine on POLICY and checks that the
 * result adds "X-Sealmilter-Unscannable" naming EXPECTED_KIND, or, when
 * EXPECTED_KIND is "-", that it adds no such field. Prints "ok - ..." or
 * "not ok - ..." lines; exit status 0 when all checks passed.
 */
#include <sealmilter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int failures;

static void check(int cond, const char *what, const char *detail)
{
    printf("%s - %s%s%s\n", cond ? "ok" : "not ok", what, detail ? ": " : "", detail ? detail : "");
    if (!cond)
        failures++;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: embed_test POLICY MESSAGE EXPECTED_KIND|-\n");
        return 2;
    }
    const char *expected = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
    const char *v = sealmilter_version();
    check(v != NULL && v[0] != '\0', "sealmilter_version()", v);

    sealmilter_engine *e = NULL;
    char *err = NULL;
    int rc = sealmilter_engine_open(argv[1], &e, &err);
    check(rc == SEALMILTER_OK && e != NULL, "engine opened on the policy", err ? err : argv[1]);
    sealmilter_free(err);
    if (e == NULL)
        return 1;

    sealmilter_session *s = NULL;
    rc = sealmilter_session_open(e, &s);
    check(rc == SEALMILTER_OK && s != NULL, "session opened", NULL);
    if (s == NULL)
        return 1;

    FILE *f = fopen(argv[2], "rb");
    check(f != NULL, "message readable", argv[2]);
    if (f == NULL)
        return 1;

    sealmilter_decision d = sealmilter_session_mail_from(s, "<alice@sender.example>");
    if (d == SEALMILTER_CONTINUE)
        d = sealmilter_session_rcpt(s, "<bob@example.com>");
    /* Feed the message in small odd-sized chunks, as an MTA might. */
    unsigned char buf[777];
    size_t n;
    while (d == SEALMILTER_CONTINUE && (n = fread(buf, 1, sizeof buf, f)) > 0)
        d = sealmilter_session_raw(s, buf, n);
    fclose(f);
    if (d == SEALMILTER_CONTINUE)
        d = sealmilter_session_end_of_message(s);
    char dbuf[32];
    snprintf(dbuf, sizeof dbuf, "%d", (int)d);
    check(d == SEALMILTER_CONTINUE || d == SEALMILTER_ACCEPT, "message accepted", dbuf);

    const char *found = NULL;
    size_t edits = sealmilter_session_header_edit_count(s);
    for (size_t i = 0; i < edits; i++) {
        sealmilter_header_op op;
        const char *name = NULL, *value = NULL;
        int index = 0;
        if (sealmilter_session_header_edit(s, i, &op, &name, &value, &index) == SEALMILTER_OK &&
            op == SEALMILTER_HEADER_ADD && name && strcasecmp(name, "X-Sealmilter-Unscannable") == 0)
            found = value ? value : "";
    }
    if (expected != NULL)
        check(found != NULL && strstr(found, expected) != NULL,
              "result adds X-Sealmilter-Unscannable with the expected kind", found ? found : "(no such edit)");
    else
        check(found == NULL, "result adds no X-Sealmilter-Unscannable", found);

    const char *log = sealmilter_session_log(s);
    check(log != NULL && strstr(log, "action=") != NULL, "log line", log);
    const char *json = sealmilter_session_json(s);
    check(json != NULL && json[0] == '{', "JSON report", NULL);

    sealmilter_session_close(s);
    sealmilter_engine_release(e);
    return failures == 0 ? 0 : 1;
}
