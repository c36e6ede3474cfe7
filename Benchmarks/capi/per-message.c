/*
 * per-message.c — the engine's own cost per message through the C interface,
 * as sealmilterd drives it for the Postfix benchmark's messages: one session
 * per message (one SMTP connection per message), the queue ID macro, MAIL, six
 * header fields, end of headers, a 4096-byte body, end of message, the result
 * read, the session closed. Prints microseconds per message (a benchmark, not a
 * test). Compare with the milter process's CPU per message in docs/e2e.md.
 *
 *   swift build -c release --product sealmilter
 *   cc -O2 -Iinclude Benchmarks/capi/per-message.c -o /tmp/per-message \
 *      -L.build/release -lsealmilter -Wl,-rpath,$PWD/.build/release
 *   /tmp/per-message Benchmarks/postfix/passthrough.yaml [MESSAGES] [ROUNDS]
 */
#include "sealmilter.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s POLICY [MESSAGES] [ROUNDS]\n", argv[0]);
        return 2;
    }
    sealmilter_engine *e = NULL;
    char *err = NULL;
    if (sealmilter_engine_open(argv[1], &e, &err) != SEALMILTER_OK) {
        fprintf(stderr, "%s\n", err ? err : argv[1]);
        return 1;
    }
    int n = argc > 2 ? atoi(argv[2]) : 20000;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    static unsigned char body[4096];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (i % 77 == 76) ? '\n' : (unsigned char)('a' + i % 26);
    static const char *const hdr[][2] = {
        { "Received", "from client.bench.test (localhost [127.0.0.1]) by mx.example with ESMTP id 4XyZ1" },
        { "Date", "Sat, 28 Nov 2026 07:08:35 +0000" }, { "From", "bench@ext.test" },
        { "To", "sink@int.test" }, { "Subject", "test" }, { "Message-Id", "<20261128070835.1@ext.test>" },
    };
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            sealmilter_session *s = NULL;
            if (sealmilter_session_open(e, &s) != SEALMILTER_OK)
                return 1;
            sealmilter_session_macro(s, "i", "4XyZ1");
            sealmilter_session_mail_from(s, "<bench@ext.test>");
            for (size_t k = 0; k < sizeof hdr / sizeof hdr[0]; k++)
                sealmilter_session_header(s, hdr[k][0], hdr[k][1]);
            sealmilter_session_end_of_headers(s);
            sealmilter_session_body(s, body, sizeof body);
            if (sealmilter_session_end_of_message(s) != SEALMILTER_ACCEPT)
                return 1;
            (void)sealmilter_session_header_edit_count(s);
            (void)sealmilter_session_log(s);
            sealmilter_session_close(s);
        }
        double dt = now() - t0;
        printf("round %d: %d messages, %.2f us/message\n", r + 1, n, dt / n * 1e6);
    }
    sealmilter_engine_release(e);
    return 0;
}
