/*
 * sealmilter — the libmilter front end of the Sealmilter engine.
 *
 * It talks to the engine only through sealmilter.h. One sealmilter_session per
 * milter connection (smfi_setpriv); the engine it was opened on is the engine
 * published when the connection started. SIGHUP loads the policy again and
 * publishes the new engine; running connections finish on the old one (the C
 * interface refcounts engines). SIGTERM and SIGINT stop accepting and drain.
 */
#include "sealmilter.h"
#include "metrics.h"

#include <libmilter/mfapi.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_POLICY "/etc/sealmilter/sealmilter.yaml"
#define DEFAULT_SOCKET "inet:8891@127.0.0.1"
#define DRAIN_SECONDS 30

/* wrap.c: the real sigwait, behind --wrap=sigwait (libmilter's own signal thread
 * goes through the wrapper and no longer takes SIGHUP, SIGINT or SIGTERM); the
 * count of open milter connections; refusing new ones while stopping. */
extern int __real_sigwait(const sigset_t *set, int *sig);
extern void sealmilter_refuse_connections(void);
extern long sealmilter_open_connections(void);

/* ---- Global state --------------------------------------------------------- */

static const char *g_policy_path = DEFAULT_POLICY;
static int g_foreground = 0;
static int g_journal = 0; /* standard error goes to systemd's journal */
static pid_t g_pid;        /* for log lines (foreground only: it never forks) */

/* The engine new connections are opened on. g_lock guards it and g_stop_now. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static sealmilter_engine *g_engine = NULL;
static int g_stop_now = 0; /* a second SIGTERM/SIGINT: stop without waiting */

/* ---- Logging -------------------------------------------------------------- */

static void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logmsg(int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (g_foreground) {
        /* One line, one write(2): no lock held across system calls, and lines of
         * concurrent threads never interleave. The journal stamps and names the
         * line itself ("<N>" is the priority); elsewhere: time and name. */
        char line[4096];
        int n;
        if (g_journal) {
            n = snprintf(line, sizeof line, "<%d>", prio);
        } else {
            char stamp[32];
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
            n = snprintf(line, sizeof line, "%s sealmilter[%ld]: ", stamp, (long)g_pid);
        }
        if (n < 0)
            n = 0;
        int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
        size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
        if (len > sizeof line - 2) { /* truncated: say so */
            len = sizeof line - 2;
            memcpy(line + len - 3, "...", 3);
        }
        line[len++] = '\n';
        (void)!write(2, line, len);
    } else {
        vsyslog(prio, fmt, ap);
    }
    va_end(ap);
}

/* ---- Per-connection state ------------------------------------------------- */

struct conn {
    sealmilter_session *s;
    const sealmilter_engine *engine; /* the session's engine (it holds a reference) */
    unsigned needs;        /* SEALMILTER_NEED_* of the session's engine */
    unsigned mods;         /* SEALMILTER_MOD_* of the session's engine */
    unsigned long pflags;  /* protocol flags agreed with the MTA */
    int body_needed;       /* after eoh: pass body chunks? */
    sealmilter_decision pending; /* a decision taken at a header field we may not
                                    answer (SMFIP_NR_HDR): answered at eoh */
    char qid[64];          /* queue ID (macro i) or "NOQUEUE" */
};

/* Opens a session on the published engine. Returns NULL (and logs) on failure. */
static struct conn *conn_open(void)
{
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        logmsg(LOG_ERR, "NOQUEUE: error: out of memory; action=tempfail");
        return NULL;
    }
    strcpy(c->qid, "NOQUEUE");
    c->body_needed = 1;
    pthread_mutex_lock(&g_lock);
    int rc = g_engine ? sealmilter_session_open(g_engine, &c->s) : SEALMILTER_EINTERNAL;
    if (rc == SEALMILTER_OK) {
        c->engine = g_engine;
        c->needs = sealmilter_engine_needs(g_engine);
        c->mods = sealmilter_engine_modifications(g_engine);
    }
    pthread_mutex_unlock(&g_lock);
    if (rc != SEALMILTER_OK) {
        logmsg(LOG_ERR, "NOQUEUE: error: cannot open a session (code %d); action=tempfail", rc);
        free(c);
        return NULL;
    }
    return c;
}

static void conn_free(struct conn *c)
{
    if (c == NULL)
        return;
    sealmilter_session_close(c->s);
    free(c);
}

/* The connection's state, created at its first callback (negotiate, or connect
 * with MTAs that do not negotiate). NULL when it cannot be created. */
static struct conn *conn_get(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);
    if (c != NULL)
        return c;
    c = conn_open();
    if (c == NULL)
        return NULL;
    if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
        logmsg(LOG_ERR, "NOQUEUE: error: smfi_setpriv failed; action=tempfail");
        conn_free(c);
        return NULL;
    }
    return c;
}

/* The stages whose callbacks the MTA does not deliver (their macros come with MAIL). */
static unsigned skipped_stages(const struct conn *c)
{
    return ((c->pflags & SMFIP_NOCONNECT) ? SEALMILTER_NEED_CONNECT : 0u) |
           ((c->pflags & SMFIP_NOHELO) ? SEALMILTER_NEED_HELO : 0u);
}

/* Passes the macros the engine wants at `stage` (its list, which the MTA was asked
 * for) that the MTA sent to the session. */
static int pass_macros(SMFICTX *ctx, struct conn *c, int stage)
{
    const char *list = sealmilter_engine_macros(c->engine, stage, skipped_stages(c));
    if (list == NULL)
        return -1;
    while (*list != '\0') {
        char name[64];
        size_t n = strcspn(list, " ");
        if (n > 0 && n < sizeof name) {
            memcpy(name, list, n);
            name[n] = '\0';
            char *v = smfi_getsymval(ctx, name);
            if (v != NULL) {
                if (sealmilter_session_macro(c->s, name, v) != SEALMILTER_OK) {
                    logmsg(LOG_ERR, "%s: error: macro %s: %s; action=tempfail", c->qid, name,
                           sealmilter_session_errmsg(c->s));
                    return -1;
                }
                if (strcmp(name, "i") == 0 && v[0] != '\0')
                    snprintf(c->qid, sizeof c->qid, "%s", v);
            }
        }
        list += n;
        while (*list == ' ')
            list++;
    }
    return 0;
}

/* smfi_setreply with the session's reply. '%' is doubled (libmilter formats it)
 * and control characters become spaces. */
static void set_reply(SMFICTX *ctx, struct conn *c)
{
    const char *code = NULL, *xcode = NULL, *text = NULL;
    if (!sealmilter_session_reply(c->s, &code, &xcode, &text) || code == NULL || code[0] == '\0')
        return;
    char buf[1024];
    size_t o = 0;
    for (const char *p = text ? text : ""; *p != '\0' && o + 2 < sizeof buf; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '%') {
            buf[o++] = '%';
            buf[o++] = '%';
        } else {
            buf[o++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
        }
    }
    buf[o] = '\0';
    if (smfi_setreply(ctx, (char *)code, (xcode && xcode[0]) ? (char *)xcode : NULL,
                      buf[0] ? buf : NULL) != MI_SUCCESS)
        logmsg(LOG_WARNING, "%s: warning: the MTA refused reply \"%s %s %s\"", c->qid, code,
               xcode ? xcode : "", buf);
}

static void log_decision(struct conn *c)
{
    const char *line = sealmilter_session_log(c->s);
    logmsg(LOG_INFO, "%s: %s", c->qid, line && line[0] ? line : "action=unknown");
}

/* Fail closed: log why and tempfail. */
static sfsistat fail(SMFICTX *ctx, struct conn *c, const char *what)
{
    const char *err = c ? sealmilter_session_errmsg(c->s) : "";
    const char *log = c ? sealmilter_session_log(c->s) : NULL;
    logmsg(LOG_ERR, "%s: action=tempfail error=\"%s%s%s\"%s%s", c ? c->qid : "NOQUEUE", what,
           err && err[0] ? ": " : "", err ? err : "", log && log[0] ? " policy: " : "",
           log && log[0] ? log : "");
    (void)smfi_setreply(ctx, "451", "4.3.0", "Temporary failure in the mail filter, try again later");
    return SMFIS_TEMPFAIL;
}

/* Maps a decision of a stage to the milter status; logs decisions that end the message. */
static sfsistat decide(SMFICTX *ctx, struct conn *c, sealmilter_decision d, int per_rcpt)
{
    switch (d) {
    case SEALMILTER_CONTINUE:
        return SMFIS_CONTINUE;
    case SEALMILTER_ACCEPT:
        if (!per_rcpt)
            log_decision(c);
        return SMFIS_ACCEPT;
    case SEALMILTER_REJECT:
        set_reply(ctx, c);
        log_decision(c);
        return SMFIS_REJECT;
    case SEALMILTER_TEMPFAIL: {
        const char *err = sealmilter_session_errmsg(c->s);
        set_reply(ctx, c);
        if (err && err[0])
            logmsg(LOG_ERR, "%s: error: %s", c->qid, err);
        log_decision(c);
        return SMFIS_TEMPFAIL;
    }
    case SEALMILTER_DISCARD:
        if (per_rcpt) /* a recipient cannot be discarded alone: the whole message is */
            logmsg(LOG_INFO, "%s: discard at RCPT applies to the whole message", c->qid);
        log_decision(c);
        return SMFIS_DISCARD;
    }
    return fail(ctx, c, "unknown decision from the engine");
}

/* Decisions at CONNECT and HELO. There, SMFIS_ACCEPT would accept every message
 * of the connection unfiltered (forged X-Sealmilter-* fields included), while
 * the engine's ACCEPT is about one message: go on instead. */
static sfsistat connection_stage(SMFICTX *ctx, struct conn *c, sealmilter_decision d)
{
    return d == SEALMILTER_ACCEPT ? SMFIS_CONTINUE : decide(ctx, c, d, 0);
}

/* ---- Callbacks ------------------------------------------------------------ */

static unsigned long mods_to_actions(unsigned mods)
{
    unsigned long a = 0;
    if (mods & SEALMILTER_MOD_ADDHDRS) a |= SMFIF_ADDHDRS;
    if (mods & SEALMILTER_MOD_CHGHDRS) a |= SMFIF_CHGHDRS;
    if (mods & SEALMILTER_MOD_CHGBODY) a |= SMFIF_CHGBODY;
    if (mods & SEALMILTER_MOD_ADDRCPT) a |= SMFIF_ADDRCPT;
    if (mods & SEALMILTER_MOD_DELRCPT) a |= SMFIF_DELRCPT;
    if (mods & SEALMILTER_MOD_QUARANTINE) a |= SMFIF_QUARANTINE;
    return a;
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
    (void)f2;
    (void)f3;
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    unsigned needs = c->needs;

    /* Actions: only the modifications this policy may ask for. */
    unsigned long want = mods_to_actions(c->mods);
    unsigned long actions = want & f0;
    if (actions != want)
        logmsg(LOG_WARNING, "NOQUEUE: warning: the MTA does not offer all modifications the policy "
                            "may need (wanted 0x%lx, offered 0x%lx); such messages will be tempfailed",
               want, f0);
    if (f0 & SMFIF_SETSYMLIST)
        actions |= SMFIF_SETSYMLIST;

    /* Protocol: leave out every stage the policy does not need. */
    unsigned long proto = 0;
    if (!(needs & SEALMILTER_NEED_CONNECT)) proto |= SMFIP_NOCONNECT;
    if (!(needs & SEALMILTER_NEED_HELO)) proto |= SMFIP_NOHELO;
    /* MAIL always comes: it starts a new message on the session and brings the
     * queue ID. When the policy does not look at the sender we never reply to it. */
    if (!(needs & SEALMILTER_NEED_MAIL)) proto |= SMFIP_NR_MAIL;
    if (!(needs & SEALMILTER_NEED_RCPT)) proto |= SMFIP_NORCPT;
    /* Header fields are not answered one by one (a round trip each): a decision
     * taken at a header field is answered at end of headers. */
    if (!(needs & (SEALMILTER_NEED_HEADERS))) proto |= SMFIP_NOHDRS;
    else proto |= SMFIP_NR_HDR;
    if (!(needs & (SEALMILTER_NEED_HEADERS | SEALMILTER_NEED_BODY))) proto |= SMFIP_NOEOH;
    else if (!(needs & SEALMILTER_NEED_EARLY_REPLY)) proto |= SMFIP_NR_EOH;
    /* Body chunks are never answered one by one (a round trip each): the engine
     * decides on body facts at end of message. */
    if (!(needs & SEALMILTER_NEED_BODY)) proto |= SMFIP_NOBODY;
    else proto |= SMFIP_NR_BODY;
    proto |= SMFIP_NOUNKNOWN | SMFIP_NODATA;
    proto &= f1; /* only what the MTA offers */
    c->pflags = proto;

    /* Macros: each costs the MTA work per message (Postfix with 8 sessions lost
     * about 15% of its rate to the client, TLS and AUTH macros, docs/e2e.md), so
     * ask only for what the policy needs: the engine's list for each stage. Every
     * stage gets a list (Postfix sends a stage's macros even when the stage itself
     * is negotiated away, and its own default list for a stage whose list is
     * missing or empty); the macros of a stage negotiated away come with MAIL. */
    if (actions & SMFIF_SETSYMLIST) {
        static const int stages[] = { SMFIM_CONNECT, SMFIM_HELO, SMFIM_ENVFROM, SMFIM_ENVRCPT,
                                      SMFIM_DATA, SMFIM_EOH, SMFIM_EOM };
        unsigned skipped = ((proto & SMFIP_NOCONNECT) ? SEALMILTER_NEED_CONNECT : 0u) |
                           ((proto & SMFIP_NOHELO) ? SEALMILTER_NEED_HELO : 0u);
        for (int st = SEALMILTER_STAGE_CONNECT; st <= SEALMILTER_STAGE_EOM; st++) {
            const char *list = sealmilter_engine_macros(c->engine, st, skipped);
            if (list != NULL)
                (void)smfi_setsymlist(ctx, stages[st], (char *)list);
        }
    }
    *pf0 = actions;
    *pf1 = proto;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

static void format_addr(const struct sockaddr *sa, char *buf, size_t size)
{
    buf[0] = '\0';
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, size);
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    if (pass_macros(ctx, c, SEALMILTER_STAGE_CONNECT) != 0)
        return fail(ctx, c, "connect macros");
    char addr[INET6_ADDRSTRLEN];
    format_addr(hostaddr, addr, sizeof addr);
    if (addr[0] == '\0') {
        const char *m = smfi_getsymval(ctx, "{client_addr}");
        if (m != NULL)
            snprintf(addr, sizeof addr, "%s", m);
    }
    return connection_stage(ctx, c, sealmilter_session_connect(c->s, hostname, addr[0] ? addr : NULL));
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    if (pass_macros(ctx, c, SEALMILTER_STAGE_HELO) != 0)
        return fail(ctx, c, "helo macros");
    return connection_stage(ctx, c, sealmilter_session_helo(c->s, helo ? helo : ""));
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    int noreply = (c->pflags & SMFIP_NR_MAIL) != 0;
    strcpy(c->qid, "NOQUEUE");
    c->body_needed = 1;
    c->pending = SEALMILTER_CONTINUE;
    sealmilter_decision d = sealmilter_session_mail_from(c->s, argv && argv[0] ? argv[0] : "<>");
    /* Macros after mail_from (which starts a new message). The connect and HELO
     * ones too, in case those stages were negotiated away or are sent late. */
    if (pass_macros(ctx, c, SEALMILTER_STAGE_MAIL) != 0) {
        if (noreply) { /* cannot refuse here: refuse the message later */
            logmsg(LOG_ERR, "%s: error: macros: %s", c->qid, sealmilter_session_errmsg(c->s));
            return SMFIS_NOREPLY;
        }
        return fail(ctx, c, "mail macros");
    }
    if (noreply) {
        if (d != SEALMILTER_CONTINUE && d != SEALMILTER_ACCEPT)
            logmsg(LOG_WARNING, "%s: warning: decision %d at MAIL ignored (policy said it does not "
                                "need MAIL)", c->qid, (int)d);
        return SMFIS_NOREPLY;
    }
    return decide(ctx, c, d, 0);
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    const char *rcpt = argv && argv[0] ? argv[0] : NULL;
    if (rcpt == NULL)
        return fail(ctx, c, "RCPT without an address");
    sealmilter_decision d = sealmilter_session_rcpt(c->s, rcpt);
    if (d == SEALMILTER_REJECT || d == SEALMILTER_TEMPFAIL) {
        /* Refuses this recipient only; the message goes on for the others. */
        const char *code = NULL, *xcode = NULL, *text = NULL;
        set_reply(ctx, c);
        (void)sealmilter_session_reply(c->s, &code, &xcode, &text);
        logmsg(LOG_INFO, "%s: action=%s rcpt=%s reply=\"%s %s %s\"", c->qid,
               d == SEALMILTER_REJECT ? "reject-recipient" : "tempfail-recipient", rcpt,
               code ? code : "", xcode ? xcode : "", text ? text : "");
        return d == SEALMILTER_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
    }
    return decide(ctx, c, d, 1);
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    sealmilter_decision d = sealmilter_session_header(c->s, name ? name : "", value ? value : "");
    if (c->pflags & SMFIP_NR_HDR) {
        if (d != SEALMILTER_CONTINUE && c->pending == SEALMILTER_CONTINUE)
            c->pending = d;
        return SMFIS_NOREPLY;
    }
    return decide(ctx, c, d, 0);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    if (pass_macros(ctx, c, SEALMILTER_STAGE_EOH) != 0)
        return fail(ctx, c, "eoh macros");
    sealmilter_decision d = sealmilter_session_end_of_headers(c->s);
    if (d == SEALMILTER_CONTINUE && c->pending != SEALMILTER_CONTINUE)
        d = c->pending; /* decided at a header field (the engine normally repeats it) */
    c->pending = SEALMILTER_CONTINUE;
    c->body_needed = sealmilter_session_needs_body(c->s) != 0;
    if (c->pflags & SMFIP_NR_EOH) {
        /* No answer expected: a decision (the policy said it would not take one
         * here) is kept and given at end of message, where the engine repeats it. */
        c->pending = d;
        return SMFIS_NOREPLY;
    }
    return decide(ctx, c, d, 0);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    int noreply = (c->pflags & SMFIP_NR_BODY) != 0;
    if (!c->body_needed) /* header edits still come at eom: just skip the chunks */
        return noreply ? SMFIS_NOREPLY : (c->pflags & SMFIP_SKIP) ? SMFIS_SKIP : SMFIS_CONTINUE;
    sealmilter_decision d = c->pending != SEALMILTER_CONTINUE ? c->pending : sealmilter_session_body(c->s, data, len);
    if (noreply) { /* a decision is given at end of message, where the engine repeats it */
        c->pending = d;
        return SMFIS_NOREPLY;
    }
    return decide(ctx, c, d, 0);
}

/* Applies the result of end_of_message. Returns 0, or -1 after logging why. */
static int apply_result(SMFICTX *ctx, struct conn *c, const char **what)
{
    size_t n = sealmilter_session_header_edit_count(c->s);
    for (size_t i = 0; i < n; i++) {
        sealmilter_header_op op;
        const char *name = NULL, *value = NULL;
        int index = 0;
        if (sealmilter_session_header_edit(c->s, i, &op, &name, &value, &index) != SEALMILTER_OK ||
            name == NULL) {
            *what = "reading a header edit";
            return -1;
        }
        int rc;
        switch (op) {
        case SEALMILTER_HEADER_ADD:
            rc = smfi_addheader(ctx, (char *)name, (char *)(value ? value : ""));
            *what = "smfi_addheader failed";
            break;
        case SEALMILTER_HEADER_CHANGE:
            rc = smfi_chgheader(ctx, (char *)name, index, (char *)(value ? value : ""));
            *what = "smfi_chgheader failed";
            break;
        case SEALMILTER_HEADER_DELETE:
            rc = smfi_chgheader(ctx, (char *)name, index, NULL);
            *what = "smfi_chgheader (delete) failed";
            break;
        case SEALMILTER_HEADER_INSERT:
            /* SMFIR_INSHEADER: covered by SMFIF_ADDHDRS, which the engine's
             * modifications ask for whenever it may insert (openers). */
            rc = smfi_insheader(ctx, index, (char *)name, (char *)(value ? value : ""));
            *what = "smfi_insheader failed";
            break;
        default:
            rc = MI_FAILURE;
            *what = "unknown header edit";
        }
        if (rc != MI_SUCCESS)
            return -1;
    }
    n = sealmilter_session_rcpt_edit_count(c->s);
    for (size_t i = 0; i < n; i++) {
        sealmilter_rcpt_op op;
        const char *addr = NULL;
        if (sealmilter_session_rcpt_edit(c->s, i, &op, &addr) != SEALMILTER_OK || addr == NULL) {
            *what = "reading a recipient edit";
            return -1;
        }
        int rc = op == SEALMILTER_RCPT_ADD ? smfi_addrcpt(ctx, (char *)addr)
                                           : smfi_delrcpt(ctx, (char *)addr);
        if (rc != MI_SUCCESS) {
            *what = op == SEALMILTER_RCPT_ADD ? "smfi_addrcpt failed" : "smfi_delrcpt failed";
            return -1;
        }
    }
    const char *reason = sealmilter_session_quarantine(c->s);
    if (reason != NULL) {
        if (smfi_quarantine(ctx, (char *)(reason[0] ? reason : "sealmilter")) != MI_SUCCESS) {
            *what = "smfi_quarantine failed";
            return -1;
        }
    }
    if (sealmilter_session_body_replaced(c->s)) {
        for (;;) {
            const unsigned char *data = NULL;
            size_t len = 0;
            if (sealmilter_session_body_read(c->s, &data, &len) != SEALMILTER_OK) {
                *what = "reading the replacement body";
                return -1;
            }
            if (len == 0)
                break;
            if (smfi_replacebody(ctx, (unsigned char *)data, (int)len) != MI_SUCCESS) {
                *what = "smfi_replacebody failed";
                return -1;
            }
        }
    }
    return 0;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    struct conn *c = conn_get(ctx);
    if (c == NULL)
        return SMFIS_TEMPFAIL;
    if (pass_macros(ctx, c, SEALMILTER_STAGE_EOM) != 0)
        return fail(ctx, c, "eom macros");
    sealmilter_decision d = sealmilter_session_end_of_message(c->s);
    if ((d == SEALMILTER_CONTINUE || d == SEALMILTER_ACCEPT) && c->pending != SEALMILTER_CONTINUE)
        d = c->pending; /* taken at a stage that was not answered (the engine normally repeats it) */
    sfsistat st;
    if (d == SEALMILTER_CONTINUE || d == SEALMILTER_ACCEPT) {
        const char *what = "";
        if (apply_result(ctx, c, &what) != 0) {
            st = fail(ctx, c, what);
        } else {
            log_decision(c);
            st = SMFIS_ACCEPT;
        }
    } else {
        st = decide(ctx, c, d, 0);
    }
    /* The message is done: forget it now (frees any spool file early). */
    sealmilter_session_abort(c->s);
    c->pending = SEALMILTER_CONTINUE;
    return st;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);
    if (c != NULL) {
        sealmilter_session_abort(c->s);
        strcpy(c->qid, "NOQUEUE");
        c->body_needed = 1;
        c->pending = SEALMILTER_CONTINUE;
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);
    if (c != NULL) {
        (void)smfi_setpriv(ctx, NULL);
        conn_free(c);
    }
    return SMFIS_CONTINUE;
}

static struct smfiDesc g_desc = {
    .xxfi_name = "sealmilter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT |
                  SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
    .xxfi_connect = cb_connect,
    .xxfi_helo = cb_helo,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_unknown = NULL,
    .xxfi_data = NULL,
    .xxfi_negotiate = cb_negotiate,
};

/* ---- Policy loading and signals ------------------------------------------ */

/* Opens an engine on the policy file and checks its key files for the user ID
 * `key_owner` (-1: the effective user); on failure prints/logs the message. */
static sealmilter_engine *load_engine(const char *path, long key_owner, int to_stderr)
{
    sealmilter_engine *e = NULL;
    char *err = NULL;
    int rc = sealmilter_engine_open(path, &e, &err);
    if (rc == SEALMILTER_OK) {
        rc = sealmilter_engine_check_keys(e, key_owner, &err);
        if (rc != SEALMILTER_OK) {
            sealmilter_engine_release(e);
            e = NULL;
        }
    }
    if (rc != SEALMILTER_OK) {
        if (to_stderr) {
            fprintf(stderr, "%s\n", err ? err : path);
        } else {
            /* One log line per problem. */
            char *line = err, *next;
            do {
                next = line ? strchr(line, '\n') : NULL;
                if (next)
                    *next++ = '\0';
                logmsg(LOG_ERR, "policy not loaded: %s", line ? line : path);
            } while ((line = next) != NULL);
        }
        sealmilter_free(err);
        return NULL;
    }
    sealmilter_free(err);
    return e;
}

static void reload(void)
{
    sealmilter_engine *e = load_engine(g_policy_path, -1, 0);
    if (e == NULL) {
        logmsg(LOG_ERR, "SIGHUP: keeping the policy in use");
        return;
    }
    pthread_mutex_lock(&g_lock);
    sealmilter_engine *old = g_engine;
    g_engine = e;
    pthread_mutex_unlock(&g_lock);
    sealmilter_engine_release(old); /* freed when its last session closes */
    logmsg(LOG_INFO, "SIGHUP: policy %s reloaded (needs=0x%x mods=0x%x)", g_policy_path,
           sealmilter_engine_needs(e), sealmilter_engine_modifications(e));
}

/* Stopping: refuse new connections, let the open ones finish (up to
 * DRAIN_SECONDS, or until a second SIGTERM/SIGINT), then smfi_stop(). libmilter's
 * own smfi_stop() alone would leave open connections unserved: its worker pool
 * stops with the listener. */
static void *drain_thread(void *arg)
{
    (void)arg;
    sealmilter_refuse_connections();
    long open = sealmilter_open_connections();
    logmsg(LOG_INFO, "stopping: refusing new connections; %ld open connection(s) may finish", open);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        open = sealmilter_open_connections();
        pthread_mutex_lock(&g_lock);
        int now_flag = g_stop_now;
        pthread_mutex_unlock(&g_lock);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (open <= 0 || now_flag || now.tv_sec - start.tv_sec >= DRAIN_SECONDS)
            break;
        struct timespec tick = { 0, 50 * 1000 * 1000 };
        nanosleep(&tick, NULL);
    }
    if (open > 0)
        logmsg(LOG_WARNING, "stopping with %ld connection(s) still open", open);
    smfi_stop();
    return NULL;
}

static void *signal_thread(void *arg)
{
    (void)arg;
    int stopping = 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    for (;;) {
        int sig = 0;
        int rc = __real_sigwait(&set, &sig);
        if (rc != 0) {
            if (rc == EINTR)
                continue;
            logmsg(LOG_ERR, "sigwait: %s", strerror(rc));
            return NULL;
        }
        if (sig == SIGHUP) {
            reload();
        } else if (!stopping) {
            logmsg(LOG_INFO, "%s received", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            stopping = 1;
            pthread_t tid;
            if (pthread_create(&tid, NULL, drain_thread, NULL) != 0) {
                logmsg(LOG_ERR, "cannot start the drain thread: stopping now");
                smfi_stop();
            } else {
                pthread_detach(tid);
            }
        } else {
            logmsg(LOG_INFO, "%s received again: stopping now", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            pthread_mutex_lock(&g_lock);
            g_stop_now = 1;
            pthread_mutex_unlock(&g_lock);
        }
    }
}

/* ---- Startup -------------------------------------------------------------- */

/* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose standard error is the
 * journal; it counts only if file descriptor 2 is still that stream. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sealmilter [OPTIONS]\n"
            "The Sealmilter mail filter (a milter for Postfix and Sendmail).\n\n"
            "  -p, --policy FILE    policy file (default " DEFAULT_POLICY ")\n"
            "  -s, --socket SPEC    unix:/path or inet:PORT@HOST or inet6:PORT@HOST\n"
            "                       (default: the policy's milter.socket, else " DEFAULT_SOCKET ")\n"
            "  -f, --foreground     stay in the foreground and log to standard error\n"
            "  -t, --test-config    load the policy, print \"FILE: OK\" or the error, exit\n"
            "  -P, --pidfile FILE   write the process ID to FILE\n"
            "  -u, --user USER      run as USER (and its group) after opening the socket\n"
            "  -m, --metrics ADDR   serve Prometheus metrics at http://ADDR/metrics, loopback only\n"
            "                       (e.g. 127.0.0.1:9125; default: the policy's milter.metrics_listen, else off)\n"
            "  -h, --help           show this help\n"
            "  -V, --version        show the version\n\n"
            "Signals: SIGHUP reloads the policy; SIGTERM and SIGINT stop after open\n"
            "connections finish.\n");
}

/* Forks into the background. The parent waits until the child reports that it
 * is ready ("OK") or why it failed, and exits accordingly. Returns the write end
 * of the report pipe in the child. */
static int daemonize(void)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        perror("sealmilter: pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("sealmilter: fork");
        exit(1);
    }
    if (pid > 0) {
        close(pfd[1]);
        char buf[1024];
        size_t got = 0;
        ssize_t n;
        while (got < sizeof buf - 1 && (n = read(pfd[0], buf + got, sizeof buf - 1 - got)) != 0) {
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            got += (size_t)n;
        }
        buf[got] = '\0';
        if (strcmp(buf, "OK") == 0)
            _exit(0);
        fprintf(stderr, "%s\n", got ? buf : "sealmilter: the daemon failed to start");
        _exit(1);
    }
    close(pfd[0]);
    if (setsid() < 0) {
        dprintf(pfd[1], "sealmilter: setsid: %s", strerror(errno));
        _exit(1);
    }
    pid = fork(); /* never reacquire a controlling terminal */
    if (pid < 0) {
        dprintf(pfd[1], "sealmilter: fork: %s", strerror(errno));
        _exit(1);
    }
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0) { /* cannot fail in practice */
    }
    return pfd[1];
}

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (fd >= 0) {
        char buf[1024];
        vsnprintf(buf, sizeof buf, fmt, ap);
        dprintf(fd, "%s", buf);
    } else {
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}

static int write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f);
}

int main(int argc, char **argv)
{
    const char *socket_spec = NULL, *pidfile = NULL, *user = NULL, *metrics = NULL;
    int test_config = 0;
    static const struct option longopts[] = {
        { "policy", required_argument, NULL, 'p' },
        { "socket", required_argument, NULL, 's' },
        { "foreground", no_argument, NULL, 'f' },
        { "test-config", no_argument, NULL, 't' },
        { "pidfile", required_argument, NULL, 'P' },
        { "user", required_argument, NULL, 'u' },
        { "metrics", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "p:s:ftP:u:m:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p': g_policy_path = optarg; break;
        case 's': socket_spec = optarg; break;
        case 'f': g_foreground = 1; break;
        case 't': test_config = 1; break;
        case 'P': pidfile = optarg; break;
        case 'u': user = optarg; break;
        case 'm': metrics = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("sealmilter %s\n", sealmilter_version()); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sealmilter: unexpected argument: %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    g_journal = stderr_is_journal();
    g_pid = getpid();
    struct passwd *pw = NULL;
    if (user != NULL) {
        pw = getpwnam(user);
        if (pw == NULL) {
            fprintf(stderr, "sealmilter: unknown user %s\n", user);
            return 1;
        }
    }
    /* Key files must belong to the user the daemon serves as. */
    sealmilter_engine *engine = load_engine(g_policy_path, pw != NULL ? (long)pw->pw_uid : -1, 1);
    if (test_config) {
        if (engine == NULL)
            return 1;
        printf("%s: OK\n", g_policy_path);
        sealmilter_engine_release(engine);
        return 0;
    }
    if (engine == NULL)
        return 1;
    g_engine = engine;

    if (socket_spec == NULL)
        socket_spec = sealmilter_engine_setting(engine, "socket");
    if (socket_spec == NULL || socket_spec[0] == '\0')
        socket_spec = DEFAULT_SOCKET;
    char *conn = strdup(socket_spec); /* kept: libmilter keeps the pointer */

    if (smfi_register(g_desc) != MI_SUCCESS) {
        fprintf(stderr, "sealmilter: smfi_register failed\n");
        return 1;
    }
    if (smfi_setconn(conn) != MI_SUCCESS) {
        fprintf(stderr, "sealmilter: bad socket specification: %s\n", conn);
        return 1;
    }

    int rfd = -1;
    if (!g_foreground)
        rfd = daemonize();
    openlog("sealmilter", LOG_PID | LOG_NDELAY, LOG_MAIL);

    if (metrics == NULL)
        metrics = sealmilter_engine_setting(engine, "metrics_listen");
    if (metrics != NULL && metrics[0] != '\0') {
        /* Before dropping privileges (the port may be below 1024), after daemonizing
         * (threads do not survive fork). */
        char err[512];
        if (metrics_start(metrics, err, sizeof err) != 0) {
            report(rfd, "sealmilter: %s", err);
            return 1;
        }
    }
    if (pidfile != NULL && write_pidfile(pidfile) != 0) {
        report(rfd, "sealmilter: cannot write pidfile %s: %s", pidfile, strerror(errno));
        return 1;
    }
    if (pw != NULL) {
        if (setgid(pw->pw_gid) != 0 || initgroups(pw->pw_name, pw->pw_gid) != 0 ||
            setuid(pw->pw_uid) != 0) {
            report(rfd, "sealmilter: cannot switch to user %s: %s", user, strerror(errno));
            return 1;
        }
    }
    /* The socket is group-accessible: put the MTA's user in the daemon's group. */
    mode_t old_mask = umask(007);
    int orc = smfi_opensocket(1);
    umask(old_mask);
    if (orc != MI_SUCCESS) {
        report(rfd, "sealmilter: cannot open socket %s", conn);
        return 1;
    }

    /* Signals: blocked in every thread (threads inherit the mask); our thread
     * takes SIGHUP (reload) and SIGINT/SIGTERM (stop, drain). libmilter's own
     * signal thread is spawned by smfi_main and would stop on SIGHUP: wrap.c keeps
     * SIGHUP and SIGINT out of its sigwait, so it only ever sees SIGTERM, on which
     * it does what smfi_stop() does. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_t tid;
    if (pthread_create(&tid, NULL, signal_thread, NULL) != 0) {
        report(rfd, "sealmilter: cannot start the signal thread");
        return 1;
    }
    pthread_detach(tid);

    logmsg(LOG_INFO, "starting: policy %s, socket %s, needs=0x%x mods=0x%x, version %s", g_policy_path,
           conn, sealmilter_engine_needs(engine), sealmilter_engine_modifications(engine),
           sealmilter_version());
    if (rfd >= 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
            if (devnull > 2)
                close(devnull);
        }
        (void)!write(rfd, "OK", 2);
        close(rfd);
    }

    /* Returns after smfi_stop() (SIGTERM, SIGINT: see drain_thread). */
    int rc = smfi_main();
    logmsg(LOG_INFO, "stopped");
    if (pidfile != NULL)
        (void)unlink(pidfile);
    if (strncmp(conn, "unix:", 5) == 0 || strncmp(conn, "local:", 6) == 0 || conn[0] == '/') {
        const char *path = strchr(conn, '/');
        if (path != NULL)
            (void)unlink(path);
    }
    free(conn);
    return rc == MI_SUCCESS ? 0 : 1;
}
