/*
 * nullmilter.c — a do-nothing libmilter filter, the baseline of the Postfix
 * throughput benchmark: what any milter costs Postfix on this machine, before
 * Sealmilter does any work. It negotiates as sealmilterd does with the
 * pass-through policy: the same stages (no CONNECT/HELO/RCPT/DATA, MAIL, header
 * fields, end of headers and body chunks all without replies, end of message)
 * and the same macros (SMFIF_SETSYMLIST: the queue ID "i" alone at every stage,
 * instead of Postfix's default lists). It accepts at end of message. No
 * modifications.
 *
 * Over TCP it sets TCP_NODELAY on each accepted connection and TCP_QUICKACK
 * after each read (sealmilterd does the same): without them, header fields sent
 * without replies (SMFIP_NR_HDR) leave Postfix's next small write waiting for an
 * ACK the filter delays by ~40 ms, and one session drops to ~20 messages per
 * second — that would measure Nagle and delayed ACKs, not milter overhead.
 * libmilter offers no hook, so accept() and read() are wrapped at link time
 * against the static libmilter:
 *
 *   cc -O2 -o nullmilter nullmilter.c /usr/lib/x86_64-linux-gnu/libmilter.a \
 *      -Wl,--wrap=accept -Wl,--wrap=read -lpthread
 *   nullmilter unix:/path/sock | inet:PORT@127.0.0.1
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <unistd.h>

int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t __real_read(int fd, void *buf, size_t count);
ssize_t __wrap_read(int fd, void *buf, size_t count);

ssize_t __wrap_read(int fd, void *buf, size_t count)
{
    ssize_t n = __real_read(fd, buf, count);
    if (n > 0) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one); /* not TCP: fails harmlessly */
    }
    return n;
}

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int s = __real_accept(fd, addr, len);
    if (s >= 0) {
        int one = 1;
        (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix sockets */
    }
    return s;
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
    (void)f2; (void)f3;
    unsigned long want = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NR_MAIL | SMFIP_NORCPT |
                         SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_NOUNKNOWN | SMFIP_NODATA;
    *pf0 = 0;
    if (f0 & SMFIF_SETSYMLIST) {
        static char qid[] = "i";
        int stages[] = { SMFIM_CONNECT, SMFIM_HELO, SMFIM_ENVFROM, SMFIM_ENVRCPT, SMFIM_DATA, SMFIM_EOH, SMFIM_EOM };
        for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
            (void)smfi_setsymlist(ctx, stages[i], qid);
        *pf0 = SMFIF_SETSYMLIST;
    }
    *pf1 = want & f1;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

/* Stages negotiated without replies answer SMFIS_NOREPLY. */
static sfsistat on_envfrom(SMFICTX *ctx, char **argv) { (void)ctx; (void)argv; return SMFIS_NOREPLY; }
static sfsistat on_header(SMFICTX *ctx, char *n, char *v) { (void)ctx; (void)n; (void)v; return SMFIS_NOREPLY; }
static sfsistat on_eoh(SMFICTX *ctx) { (void)ctx; return SMFIS_NOREPLY; }
static sfsistat on_body(SMFICTX *ctx, unsigned char *b, size_t n) { (void)ctx; (void)b; (void)n; return SMFIS_NOREPLY; }
static sfsistat on_eom(SMFICTX *ctx) { (void)ctx; return SMFIS_ACCEPT; }

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s unix:/path|inet:PORT@HOST\n", argv[0]);
        return 2;
    }
    struct smfiDesc d;
    memset(&d, 0, sizeof d);
    d.xxfi_name = "nullmilter";
    d.xxfi_version = SMFI_VERSION;
    d.xxfi_flags = 0;
    d.xxfi_envfrom = on_envfrom;
    d.xxfi_header = on_header;
    d.xxfi_eoh = on_eoh;
    d.xxfi_body = on_body;
    d.xxfi_eom = on_eom;
    d.xxfi_negotiate = on_negotiate;
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(d) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: cannot set up %s\n", argv[1]);
        return 1;
    }
    umask(0);  /* the unix socket must be writable by Postfix's smtpd */
    if (smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: cannot open %s\n", argv[1]);
        return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
