/*
 * sealmilter.h — the C interface of the Sealmilter engine (libsealmilter.so).
 *
 * The engine evaluates an organisation's mail policy on a message handed over the
 * way an MTA hands it: connection facts, MTA macros, envelope, header fields one by
 * one, then the body in chunks of any size. It streams the MIME structure with
 * bounded memory and returns a result the caller applies: replies, header edits,
 * a replacement body, recipient changes, quarantine.
 *
 * Handles
 *   sealmilter_engine   a loaded policy. Open with sealmilter_engine_open(), free
 *                       with sealmilter_engine_release().
 *   sealmilter_session  one SMTP connection's state and its current message. Open
 *                       with sealmilter_session_open(), free with
 *                       sealmilter_session_close().
 *   Every handle has exactly one free call. Strings returned by the library are
 *   owned by the handle they came from and stay valid until the next call on that
 *   handle, unless said otherwise; the caller never frees them.
 *
 * Threading
 *   An engine is immutable once open and may be shared by any number of threads.
 *   A session belongs to one thread at a time (calls on one session must not
 *   overlap). A session holds its own reference to the engine it was opened on:
 *   to reload a policy, open a new engine, publish it for new sessions, and
 *   release the old one — sessions already running finish on the old engine,
 *   which is freed when its last session closes.
 *
 * Errors
 *   Functions return SEALMILTER_OK (0) or a positive SEALMILTER_E* code. Nothing
 *   is printed and nothing aborts: the message is in sealmilter_engine_open()'s
 *   errmsg or in sealmilter_session_errmsg().
 *   NULL handles and NULL required arguments never crash: int-returning calls
 *   return SEALMILTER_EMISUSE; decision-returning calls fail closed with
 *   SEALMILTER_TEMPFAIL (and, when the session is not NULL, set its errmsg);
 *   accessors return 0 or NULL (but sealmilter_session_needs_body() 1, and
 *   sealmilter_session_errmsg() a message); the free calls do nothing.
 *
 * Buffers are pointer plus length; body data may contain any byte, NUL included.
 */
#ifndef SEALMILTER_H
#define SEALMILTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Error codes ------------------------------------------------------- */
#define SEALMILTER_OK        0
#define SEALMILTER_EPOLICY   1  /* the policy file cannot be read or is invalid */
#define SEALMILTER_EMISUSE   2  /* a call out of order or with a bad argument */
#define SEALMILTER_EIO       3  /* spool or temporary file I/O failed */
#define SEALMILTER_EINTERNAL 4  /* an action could not be carried out (fail closed) */
#define SEALMILTER_EKEYFILE  5  /* a key or secret file of the policy is missing or unsafe */

/* ---- Decisions: what the caller does after a stage ---------------------- */
typedef enum sealmilter_decision {
    SEALMILTER_CONTINUE = 0, /* go on with the next stage */
    SEALMILTER_ACCEPT   = 1, /* deliver; no further stages are needed for this message */
    SEALMILTER_REJECT   = 2, /* refuse with the 5xx reply from sealmilter_session_reply() */
    SEALMILTER_TEMPFAIL = 3, /* refuse with the 4xx reply from sealmilter_session_reply() */
    SEALMILTER_DISCARD  = 4  /* accept and silently drop the message */
} sealmilter_decision;

/* ---- Needs: which stages a policy needs (for protocol negotiation) ------ */
#define SEALMILTER_NEED_CONNECT  0x01u /* connection facts (client address, name) */
#define SEALMILTER_NEED_HELO     0x02u
#define SEALMILTER_NEED_MAIL     0x04u /* envelope sender */
#define SEALMILTER_NEED_RCPT     0x08u /* envelope recipients */
#define SEALMILTER_NEED_HEADERS  0x10u /* header fields */
#define SEALMILTER_NEED_BODY     0x20u /* body chunks */
/* The policy may refuse (reject, tempfail, discard) a message before its end: at
 * MAIL, at a header field or at end of headers. Without this bit the caller need
 * not answer the MTA at end of headers (milter: SMFIP_NR_EOH); body chunks never
 * need an answer, whatever the policy (decisions on body facts come at the end). */
#define SEALMILTER_NEED_EARLY_REPLY 0x40u
/* MTA macros beyond the queue ID "i" (which a caller always passes when it has it):
 * each costs the MTA work per message, so a caller asks only for these groups. */
#define SEALMILTER_NEED_CLIENT_MACROS 0x80u  /* {client_addr} {daemon_name} */
#define SEALMILTER_NEED_TLS_MACROS    0x100u /* {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} */
#define SEALMILTER_NEED_AUTH_MACROS   0x200u /* {auth_authen} */

/* ---- Modifications the result may ask for (for negotiation) ------------ */
#define SEALMILTER_MOD_ADDHDRS    0x01u
#define SEALMILTER_MOD_CHGHDRS    0x02u
#define SEALMILTER_MOD_CHGBODY    0x04u
#define SEALMILTER_MOD_ADDRCPT    0x08u
#define SEALMILTER_MOD_DELRCPT    0x10u
#define SEALMILTER_MOD_QUARANTINE 0x20u

typedef struct sealmilter_engine sealmilter_engine;
typedef struct sealmilter_session sealmilter_session;

/* The library version, e.g. "0.1.0". Static storage. */
const char *sealmilter_version(void);

/* ---- Engine ------------------------------------------------------------ */

/*
 * Loads and validates the policy at `policy_path` and returns a new engine in
 * *engine. On failure returns SEALMILTER_EPOLICY and, if errmsg is not NULL, sets
 * *errmsg to a message "FILE:LINE:COL: what is wrong" that the caller frees with
 * sealmilter_free(). *engine is NULL on failure.
 */
int sealmilter_engine_open(const char *policy_path, sealmilter_engine **engine, char **errmsg);

/*
 * Checks the files the policy names. The key and secret files of the `keys:`
 * section must each exist, be a regular file, belong to the user ID `uid` (-1:
 * the calling process's effective user ID), be readable by it and by nobody else
 * (no permission bits for group or others: mode 0600 or 0400). The spool
 * directory (`spool.directory`) must exist, be a directory and be writable by
 * that user. Returns SEALMILTER_OK, or SEALMILTER_EKEYFILE with one line
 * "FILE:LINE:COL: keys.NAME: PATH what is wrong" (or "spool.directory: ...") per
 * problem in *errmsg (free it with sealmilter_free()). A daemon
 * calls it with the user it runs as, before serving and on every reload, and
 * refuses a policy that fails it. sealmilter_engine_open() does not check files,
 * but reads the marker secret of the policy's `submission:` section (if any): a
 * secret it could not read or that is too short is reported here as
 * "FILE: submission.marker_key: keys.NAME: PATH what is wrong".
 */
int sealmilter_engine_check_keys(const sealmilter_engine *engine, long uid, char **errmsg);

/* Drops the caller's reference. The engine is freed when no session uses it. */
void sealmilter_engine_release(sealmilter_engine *engine);

/* SEALMILTER_NEED_* bits: the stages any rule or built-in behaviour needs. */
unsigned sealmilter_engine_needs(const sealmilter_engine *engine);

/* SEALMILTER_MOD_* bits: the modifications results of this policy may ask for. */
unsigned sealmilter_engine_modifications(const sealmilter_engine *engine);

/* The milter stages at which an MTA sends macros (libmilter's SMFIM_* order). */
typedef enum sealmilter_stage {
    SEALMILTER_STAGE_CONNECT = 0,
    SEALMILTER_STAGE_HELO    = 1,
    SEALMILTER_STAGE_MAIL    = 2,
    SEALMILTER_STAGE_RCPT    = 3,
    SEALMILTER_STAGE_DATA    = 4,
    SEALMILTER_STAGE_EOH     = 5,
    SEALMILTER_STAGE_EOM     = 6
} sealmilter_stage;

/*
 * The MTA macros this policy needs at `stage`, as one space-separated list such
 * as "i {auth_authen}": what a milter asks the MTA for (smfi_setsymlist) and
 * passes to sealmilter_session_macro() at that stage. The engine owns the macro
 * vocabulary, so a caller lists no macro names itself. `skipped` holds
 * SEALMILTER_NEED_CONNECT and/or SEALMILTER_NEED_HELO when the caller does not
 * receive those stages (negotiated away): their macros are then in MAIL's list.
 * Every list holds the queue ID "i". Valid until the engine is freed; NULL for a
 * NULL engine or an unknown stage.
 */
const char *sealmilter_engine_macros(const sealmilter_engine *engine, int stage, unsigned skipped);

/*
 * A setting of the policy file's `milter:` section ("socket", "metrics_listen"),
 * or NULL when unset. Valid until the engine is freed.
 */
const char *sealmilter_engine_setting(const sealmilter_engine *engine, const char *name);

/* Frees a string the library allocated for the caller (errmsg). */
void sealmilter_free(void *p);

/* ---- Session: one connection, message after message -------------------- */

/* Opens a session on `engine` (the session takes its own reference). */
int sealmilter_session_open(sealmilter_engine *engine, sealmilter_session **session);

/* Frees the session and everything it handed out; removes any spool file. */
void sealmilter_session_close(sealmilter_session *session);

/* The last error on this session, or "" when none. */
const char *sealmilter_session_errmsg(const sealmilter_session *session);

/*
 * Connection facts. `hostname` and `address` may be NULL. Returns a decision;
 * the reply, if any, is in sealmilter_session_reply().
 */
sealmilter_decision sealmilter_session_connect(sealmilter_session *s, const char *hostname, const char *address);
sealmilter_decision sealmilter_session_helo(sealmilter_session *s, const char *helo);

/*
 * An MTA macro ("i", "{auth_authen}", "{tls_version}", ...), as name and value.
 * Braces are optional ("{cipher}" and "cipher" are the same macro). Values are
 * copied. The queue ID macro "i" names the message in log lines.
 */
int sealmilter_session_macro(sealmilter_session *s, const char *name, const char *value);

/*
 * The envelope. Addresses may come with or without angle brackets. Calling
 * mail_from starts a new message (the previous one on the session is reset).
 * rcpt returns a decision for that recipient alone: SEALMILTER_REJECT or
 * SEALMILTER_TEMPFAIL refuse only that recipient, with sealmilter_session_reply()
 * (with submission.rcpt_deferral: "452 4.5.3" for a recipient whose version
 * differs from the first accepted recipient's).
 */
sealmilter_decision sealmilter_session_mail_from(sealmilter_session *s, const char *sender);
sealmilter_decision sealmilter_session_rcpt(sealmilter_session *s, const char *recipient);

/* One header field: name and value as received (folded values allowed). */
sealmilter_decision sealmilter_session_header(sealmilter_session *s, const char *name, const char *value);

/*
 * End of headers. Afterwards sealmilter_session_needs_body() tells whether the
 * body must be passed at all; when it returns 0 the caller may skip the body and
 * call sealmilter_session_end_of_message() directly.
 */
sealmilter_decision sealmilter_session_end_of_headers(sealmilter_session *s);
int sealmilter_session_needs_body(const sealmilter_session *s);

/* A body chunk, any size, CRLF or LF line ends. */
sealmilter_decision sealmilter_session_body(sealmilter_session *s, const unsigned char *data, size_t len);

/*
 * End of message: remaining rules run and the result is final. After this the
 * result accessors below describe what to do with the message. If an action
 * cannot be carried out, the decision is SEALMILTER_TEMPFAIL (fail closed) and
 * the reply and errmsg say why.
 *
 * With a policy that makes per-recipient versions (for_each_recipient) or sends
 * notices (notify), this call blocks while it submits those messages to the MTA
 * (policy `submission:`; each step bounded by submission.timeout). When all are
 * accepted, the recipients of other versions come back as SEALMILTER_RCPT_DELETE
 * edits (the engine then asks for SEALMILTER_MOD_DELRCPT) and the log line names
 * the new queue IDs ("versions=2 resubmitted=QID"); when one is not, the decision
 * is SEALMILTER_TEMPFAIL with 451 4.3.0 and no edits. The caller must apply the
 * recipient deletions, or tempfail the message, so that nobody gets two versions.
 * A message whose submission marker verifies is passed with one edit (the
 * marker's removal) and no rule runs on it.
 */
sealmilter_decision sealmilter_session_end_of_message(sealmilter_session *s);

/* Forgets the current message (SMTP RSET or abort); the connection stays. */
void sealmilter_session_abort(sealmilter_session *s);

/*
 * Convenience for offline use: feed a whole raw message (header section and
 * body, as in an .eml file) in chunks of any size; the engine splits the header
 * fields itself. Call after mail_from/rcpt, then end_of_message.
 */
sealmilter_decision sealmilter_session_raw(sealmilter_session *s, const unsigned char *data, size_t len);

/* ---- Result ----------------------------------------------------------- */

/*
 * The SMTP reply that goes with the last REJECT or TEMPFAIL decision (also a
 * per-recipient one). Any out pointer may be NULL. Returns 0 when there is none.
 */
int sealmilter_session_reply(const sealmilter_session *s, const char **code, const char **xcode, const char **text);

/*
 * Header edits, to apply in order, after end_of_message. CHANGE and DELETE count
 * the fields the caller passed (sealmilter_session_header). INSERT's index is the
 * 0-based position as smfi_insheader takes it: the MTA's header section begins
 * with its own Received field, which it does not pass to filters (Postfix,
 * Sendmail); 0 puts the field above that Received, 1 below it and above every
 * field the message arrived with (the engine's "top", where it inserts its
 * Authentication-Results); an index past the last field appends. The engine
 * emits INSERTs after its other edits of a message, never with a negative index.
 * A caller that applies edits itself (no MTA) treats its header section as if
 * that Received field were there.
 */
typedef enum sealmilter_header_op {
    SEALMILTER_HEADER_ADD    = 0, /* append field `name: value` (smfi_addheader) */
    SEALMILTER_HEADER_CHANGE = 1, /* replace the index-th (1-based) field called `name` (smfi_chgheader) */
    SEALMILTER_HEADER_DELETE = 2, /* delete the index-th (1-based) field called `name` (smfi_chgheader, NULL) */
    SEALMILTER_HEADER_INSERT = 3  /* insert `name: value` at position index, 0-based (smfi_insheader) */
} sealmilter_header_op;

size_t sealmilter_session_header_edit_count(const sealmilter_session *s);
/* Edit i (0-based). value is NULL for DELETE. Returns SEALMILTER_EMISUSE if i is out of range. */
int sealmilter_session_header_edit(const sealmilter_session *s, size_t i, sealmilter_header_op *op,
                                   const char **name, const char **value, int *index);

/* Recipient edits after end_of_message. */
typedef enum sealmilter_rcpt_op { SEALMILTER_RCPT_ADD = 0, SEALMILTER_RCPT_DELETE = 1 } sealmilter_rcpt_op;
size_t sealmilter_session_rcpt_edit_count(const sealmilter_session *s);
int sealmilter_session_rcpt_edit(const sealmilter_session *s, size_t i, sealmilter_rcpt_op *op, const char **address);

/* Quarantine reason (hold the message), or NULL. */
const char *sealmilter_session_quarantine(const sealmilter_session *s);

/*
 * Replacement body. sealmilter_session_body_replaced() is 1 when the body must be
 * replaced. Then call sealmilter_session_body_read() until *len is 0: each call
 * hands out the next chunk (valid until the next call). Returns SEALMILTER_EIO if
 * the spool cannot be read — the caller must then tempfail the message.
 */
int sealmilter_session_body_replaced(const sealmilter_session *s);
int sealmilter_session_body_read(sealmilter_session *s, const unsigned char **data, size_t *len);

/*
 * One log line for the message's decision, without the queue ID prefix: the
 * action, the rules that matched and the unscannable kinds found, e.g.
 * "action=accept rules=flag-pgp unscannable=pgp-mime". Valid after end_of_message
 * or after a stage that decided REJECT/TEMPFAIL/DISCARD.
 */
const char *sealmilter_session_log(const sealmilter_session *s);

/*
 * The result as one JSON object (parts, unscannable, rules, verdict) — what
 * `sealctl scan --json` prints. Valid until the next call on the session.
 */
const char *sealmilter_session_json(sealmilter_session *s);

/* ---- Tools ------------------------------------------------------------ */

/*
 * The sealctl command line (check-config, scan, ...): `argv` as main() gets it.
 * Prints to standard output and standard error and returns the exit status. The
 * sealctl program is this call, so the tool and the daemon share one engine.
 */
int sealmilter_ctl_main(int argc, char **argv);

/* ---- Metrics ---------------------------------------------------------- */

/*
 * The process-wide metrics (messages by action, rule matches, unscannable kinds,
 * limits exceeded, errors, policy loads, a per-message latency histogram) in the
 * Prometheus text exposition format. *text is allocated for the caller, who frees
 * it with sealmilter_free(); *len (if not NULL) is its length. Thread-safe.
 */
int sealmilter_metrics_text(char **text, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* SEALMILTER_H */
