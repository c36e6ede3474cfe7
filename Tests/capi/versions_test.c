/*
 * versions_test.c — per-recipient versions through the C interface: a policy with
 * a for_each_recipient rule, a small SMTP listener in a thread on a free loopback
 * port, and the recipient deletions and log line the daemon applies.
 *   versions_test WORKDIR
 * Prints "ok - ..." / "not ok - ..." lines.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealmilter.h"

static int failed;
static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf(cond ? "ok - " : "not ok - ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond)
        failed++;
}

/* The listener: answers like Postfix's smtpd; records the RCPT lines and the data. */
static int listen_fd;
static char rcpts[512], data[8192];
static void say(int c, const char *s) { (void)!write(c, s, strlen(s)); }
static void *serve(void *arg)
{
    (void)arg;
    int c = accept(listen_fd, NULL, NULL);
    if (c < 0)
        return NULL;
    FILE *in = fdopen(c, "r");
    char line[1024];
    int in_data = 0;
    say(c, "220 capi.test ESMTP\r\n");
    while (fgets(line, sizeof line, in)) {
        if (in_data) {
            if (strcmp(line, ".\r\n") == 0) {
                in_data = 0;
                say(c, "250 2.0.0 Ok: queued as CAPI1\r\n");
            } else if (strlen(data) + strlen(line) < sizeof data) {
                strcat(data, line);
            }
        } else if (strncmp(line, "RCPT", 4) == 0) {
            if (strlen(rcpts) + strlen(line) < sizeof rcpts)
                strcat(rcpts, line);
            say(c, "250 2.1.5 Ok\r\n");
        } else if (strncmp(line, "DATA", 4) == 0) {
            in_data = 1;
            say(c, "354 go ahead\r\n");
        } else if (strncmp(line, "QUIT", 4) == 0) {
            say(c, "221 bye\r\n");
            break;
        } else {
            say(c, "250 ok\r\n");
        }
    }
    fclose(in);
    return NULL;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fclose(f);
    return chmod(path, mode);
}

static sealmilter_decision run(sealmilter_session *s)
{
    sealmilter_session_connect(s, "localhost", "127.0.0.1");
    sealmilter_session_mail_from(s, "<alice@int.test>");
    sealmilter_session_macro(s, "i", "ORIG1");
    sealmilter_session_rcpt(s, "<bob@int.test>");
    sealmilter_session_rcpt(s, "<xavier@ext.test>");
    sealmilter_session_rcpt(s, "<yvonne@ext.test>");
    sealmilter_session_header(s, "From", "alice@int.test");
    sealmilter_session_header(s, "Subject", "capi versions");
    sealmilter_session_header(s, "Message-ID", "<capi-versions@int.test>");
    sealmilter_session_end_of_headers(s);
    const char *body = "Hello.\r\n.dot line\r\n";
    sealmilter_session_body(s, (const unsigned char *)body, strlen(body));
    return sealmilter_session_end_of_message(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: versions_test WORKDIR\n");
        return 2;
    }
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(listen_fd, 4) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &al) != 0) {
        printf("not ok - no loopback listener\n");
        return 1;
    }
    int port = ntohs(a.sin_port);

    char key[600], pol[600], text[2048];
    snprintf(key, sizeof key, "%s/marker.key", argv[1]);
    snprintf(pol, sizeof pol, "%s/versions.yaml", argv[1]);
    write_file(key, "c2VjcmV0IG1hcmtlciBrZXkgZm9yIHRoZSBjYXBpIHRlc3Q=\n", 0600);
    snprintf(text, sizeof text,
             "internal_domains: [int.test]\n"
             "keys: {marker: %s}\n"
             "submission: {host: 127.0.0.1, port: %d, timeout: 5s, marker_key: marker}\n"
             "rules:\n"
             "  - name: outside\n"
             "    for_each_recipient: true\n"
             "    when: {direction: outbound}\n"
             "    actions: [{add_header: {name: X-Outside, value: \"yes\"}}]\n",
             key, port);
    write_file(pol, text, 0644);

    sealmilter_engine *e = NULL;
    char *err = NULL;
    int rc = sealmilter_engine_open(pol, &e, &err);
    check(rc == SEALMILTER_OK, "engine_open on a versions policy %s", err ? err : "");
    sealmilter_free(err);
    if (rc != SEALMILTER_OK)
        return 1;
    unsigned mods = sealmilter_engine_modifications(e), needs = sealmilter_engine_needs(e);
    check((mods & SEALMILTER_MOD_DELRCPT) != 0, "modifications include DELRCPT 0x%x", mods);
    check((needs & SEALMILTER_NEED_RCPT) && (needs & SEALMILTER_NEED_BODY) && (needs & SEALMILTER_NEED_CLIENT_MACROS),
          "needs RCPT, BODY and the client macros 0x%x", needs);
    check(sealmilter_engine_check_keys(e, -1, &err) == SEALMILTER_OK, "check_keys: the marker key is fine %s", err ? err : "");
    sealmilter_free(err);
    err = NULL;

    pthread_t t;
    pthread_create(&t, NULL, serve, NULL);
    sealmilter_session *s = NULL;
    sealmilter_session_open(e, &s);
    sealmilter_decision d = run(s);
    pthread_join(t, NULL);
    check(d == SEALMILTER_ACCEPT, "end_of_message accepts (%d) %s", (int)d, sealmilter_session_errmsg(s));
    size_t n = sealmilter_session_rcpt_edit_count(s);
    sealmilter_rcpt_op op0 = SEALMILTER_RCPT_ADD, op1 = SEALMILTER_RCPT_ADD;
    const char *r0 = NULL, *r1 = NULL;
    sealmilter_session_rcpt_edit(s, 0, &op0, &r0);
    sealmilter_session_rcpt_edit(s, 1, &op1, &r1);
    check(n == 2 && op0 == SEALMILTER_RCPT_DELETE && op1 == SEALMILTER_RCPT_DELETE && r0 && r1 &&
              strcmp(r0, "xavier@ext.test") == 0 && strcmp(r1, "yvonne@ext.test") == 0,
          "the outside recipients are deleted from the original (%zu edits: %s %s)", n, r0 ? r0 : "-", r1 ? r1 : "-");
    const char *log = sealmilter_session_log(s);
    check(log && strstr(log, "versions=2 resubmitted=CAPI1"), "log line names the new queue ID: %s", log ? log : "(null)");
    check(strstr(rcpts, "RCPT TO:<xavier@ext.test>") && strstr(rcpts, "RCPT TO:<yvonne@ext.test>") && !strstr(rcpts, "bob@"),
          "the listener got the outside recipients only");
    check(strncmp(data, "X-Sealmilter-Submitted: v=1; t=", 31) == 0 && strstr(data, "\r\nX-Outside: yes\r\n") &&
              strstr(data, "\r\n\r\nHello.\r\n..dot line\r\n"),
          "the submitted version: marker first, X-Outside, body dot-stuffed");
    for (size_t i = 0; i < sealmilter_session_header_edit_count(s); i++) {
        sealmilter_header_op hop;
        const char *name = NULL, *value = NULL;
        int index = 0;
        sealmilter_session_header_edit(s, i, &hop, &name, &value, &index);
        check(!(name && strcmp(name, "X-Outside") == 0), "the original keeps no X-Outside (edit %zu: %s)", i, name ? name : "-");
    }
    sealmilter_session_abort(s);

    /* Nothing listens any more: the whole message is tempfailed, no recipient edits. */
    close(listen_fd);
    d = run(s);
    const char *code = NULL, *xcode = NULL;
    sealmilter_session_reply(s, &code, &xcode, NULL);
    check(d == SEALMILTER_TEMPFAIL && code && strcmp(code, "451") == 0 && xcode && strcmp(xcode, "4.3.0") == 0 &&
              sealmilter_session_rcpt_edit_count(s) == 0,
          "listener down: TEMPFAIL 451 4.3.0, no recipient edits (%s)", sealmilter_session_errmsg(s));
    sealmilter_session_close(s);
    sealmilter_engine_release(e);

    /* A marker secret too short to be one: check_keys says so. */
    write_file(key, "short\n", 0600);
    e = NULL;
    sealmilter_engine_open(pol, &e, NULL);
    rc = sealmilter_engine_check_keys(e, -1, &err);
    check(rc == SEALMILTER_EKEYFILE && err && strstr(err, "submission.marker_key: keys.marker:") && strstr(err, "at least 16"),
          "check_keys refuses a short marker secret: %s", err ? err : "(none)");
    sealmilter_free(err);
    sealmilter_engine_release(e);
    return failed ? 1 : 0;
}
