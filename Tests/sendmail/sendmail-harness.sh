#!/usr/bin/env bash
# sendmail-harness.sh — a private, throw-away Sendmail for end-to-end tests, beside
# the Postfix that .ci/setup installs (see docs/e2e.md, "Sendmail").
#
# Sourced (functions smh_*). Debian's sendmail-bin conflicts with postfix as a
# package, so nothing is installed: smh_fetch gets sendmail-bin, sendmail-base and
# sendmail-cf with `apt-get download` (or takes the .debs from $SMH_DEBS) and
# unpacks them with `dpkg-deb -x` into the work directory. The libraries they need
# (liblockfile1, libwrap0, ...) and m4 are ordinary packages in .ci/setup.
#
# Everything lives under one work directory, SMH_DIR:
#   root/                the unpacked packages (root/usr/libexec/sendmail/sendmail,
#                        root/usr/share/sendmail/cf/ the m4 files)
#   etc/sendmail.mc      the configuration source; etc/sendmail.cf is built from it
#                        with m4 and sendmail-cf's cf.m4
#   etc/aliases ...      the few files the .cf names (aliases, class files, switch)
#   queue/               QueueDirectory (quarantined messages stay here as hf*)
#   tls/                 test CA and server certificate (postfix-harness.sh's)
#   sink/                smtp-sink's dumps (postfix-harness.sh's sink, reused)
#   log/                 traffic.log (sendmail -X: every SMTP session), sink.log, ...
#   run/sendmail.pid
# Sendmail listens on 127.0.0.1:$SMH_SMTP_PORT and relays every domain to the sink
# on 127.0.0.1:$PFH_SINK_PORT; the milter is inet:$SMH_MILTER_PORT@127.0.0.1 with
# F=T. Ports not given in the environment are chosen free (bound to port 0).
#
# Must run as root (sendmail -bd binds and writes its queue as root). Nothing
# outside SMH_DIR is written, but for one `apt-get update` when a download fails.

SMH_DIR=${SMH_DIR:-}
SMH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The sink, the test CA and the port helpers come from the Postfix harness.
# shellcheck source=../e2e/postfix-harness.sh
. "$SMH_HERE/../e2e/postfix-harness.sh"

smh_log() { printf '# %s\n' "$*" >&2; }

# smh_sm ARGS... — runs this instance's sendmail binary. In its own UTS namespace
# with the host name mx.e2e.test: at start, sendmail resolves the machine's host
# name, and when that is unqualified (a bare "vm", say) it logs "My unqualified
# host name ... unknown; sleeping for retry" and sleeps 60 s, in every invocation
# (mailq included), before reading its configuration. The namespace changes
# nothing outside the process and its children.
smh_sm() {
    if [ -z "${SMH_NO_UNSHARE:-}" ]; then
        unshare --uts sh -c 'hostname mx.e2e.test && exec "$0" "$@"' "$SMH_SENDMAIL" "$@"
    else
        "$SMH_SENDMAIL" "$@"
    fi
}

# smh_free_port — a TCP port on 127.0.0.1 that nothing listens on right now.
smh_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# smh_init [DIR] — work directory, ports, certificates.
smh_init() {
    if [ "$(id -u)" != 0 ]; then echo "sendmail-harness: must run as root" >&2; return 1; fi
    SMH_DIR=${1:-$(mktemp -d /tmp/sealmilter-smh.XXXXXX)}
    mkdir -p "$SMH_DIR"/{etc,queue,log,tls,sink,run,debs}
    chmod 755 "$SMH_DIR"
    chmod 700 "$SMH_DIR/queue"
    chown postfix:postfix "$SMH_DIR/sink" # smtp-sink -u postfix writes the dumps
    SMH_SMTP_PORT=${SMH_SMTP_PORT:-$(smh_free_port)}
    SMH_MILTER_PORT=${SMH_MILTER_PORT:-$(smh_free_port)}
    PFH_SINK_PORT=${SMH_SINK_PORT:-$(smh_free_port)}
    PFH_DIR=$SMH_DIR # for pfh_make_certs and the pfh_sink_* functions
    export SMH_DIR PFH_DIR
    pfh_make_certs || return 1
}

# smh_fetch — the Sendmail binaries and m4 files, unpacked into SMH_DIR/root.
# Fails naming what is missing.
smh_fetch() {
    local p d found
    for p in sendmail-bin sendmail-base sendmail-cf; do
        found=
        if [ -n "${SMH_DEBS:-}" ]; then
            for d in "$SMH_DEBS"/"${p}"_*.deb; do [ -f "$d" ] && found=$d; done
        fi
        if [ -z "$found" ]; then
            # stale package lists name versions the mirror no longer has: update once
            if ! (cd "$SMH_DIR/debs" && apt-get download "$p") >>"$SMH_DIR/log/fetch.log" 2>&1 &&
               ! { apt-get update -qq >>"$SMH_DIR/log/fetch.log" 2>&1 &&
                   (cd "$SMH_DIR/debs" && apt-get download "$p") >>"$SMH_DIR/log/fetch.log" 2>&1; }; then
                echo "sendmail-harness: cannot fetch $p (apt-get download $p failed; run 'apt-get update', or set SMH_DEBS to a directory with the .deb): $(tail -1 "$SMH_DIR/log/fetch.log")" >&2
                return 1
            fi
            for d in "$SMH_DIR/debs"/"${p}"_*.deb; do [ -f "$d" ] && found=$d; done
        fi
        if [ -z "$found" ]; then echo "sendmail-harness: no ${p}_*.deb after download" >&2; return 1; fi
        dpkg-deb -x "$found" "$SMH_DIR/root" || { echo "sendmail-harness: dpkg-deb -x $found failed" >&2; return 1; }
        echo "$(basename "$found")" >> "$SMH_DIR/log/packages"
    done
    SMH_SENDMAIL=$SMH_DIR/root/usr/libexec/sendmail/sendmail
    SMH_CFDIR=$SMH_DIR/root/usr/share/sendmail/cf
    [ -x "$SMH_SENDMAIL" ] || { echo "sendmail-harness: $SMH_SENDMAIL missing from sendmail-bin" >&2; return 1; }
    if ! unshare --uts true 2>/dev/null; then
        smh_log "unshare --uts is not allowed here: sendmail runs with the machine's host name (slow when unqualified)"
        SMH_NO_UNSHARE=1
    fi
    [ -f "$SMH_CFDIR/m4/cf.m4" ] || { echo "sendmail-harness: $SMH_CFDIR/m4/cf.m4 missing from sendmail-cf" >&2; return 1; }
    command -v m4 >/dev/null || { echo "sendmail-harness: m4 is not installed (.ci/setup installs it)" >&2; return 1; }
    local missing
    missing=$(ldd "$SMH_SENDMAIL" 2>&1 | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
    if [ -n "$missing" ]; then
        echo "sendmail-harness: libraries sendmail needs are not installed: $missing(.ci/setup installs them)" >&2
        return 1
    fi
    SMH_VERSION=$(smh_sm -d0.1 -bt -C /dev/null </dev/null 2>/dev/null | sed -n 's/^Version //p' | head -1)
}

# smh_write_config — etc/sendmail.mc and the .cf built from it.
smh_write_config() {
    local e=$SMH_DIR/etc
    printf 'hosts files\naliases files\n' > "$e/service.switch"
    : > "$e/local-host-names"
    : > "$e/relay-domains"
    printf 'postmaster: root\n' > "$e/aliases"
    # m4 quoting: `...' ; the shell expands $SMH_DIR etc., \$ stays for sendmail.
    cat > "$e/sendmail.mc" <<EOF
divert(-1)
# Private Sealmilter e2e Sendmail — generated by Tests/sendmail/sendmail-harness.sh
divert(0)dnl
include(\`$SMH_CFDIR/m4/cf.m4')dnl
VERSIONID(\`sealmilter e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.e2e.test')dnl
dnl Files: everything in the work directory, nothing from /etc/mail.
define(\`QUEUE_DIR', \`$SMH_DIR/queue')dnl
define(\`STATUS_FILE', \`$SMH_DIR/etc/sendmail.st')dnl
define(\`ALIAS_FILE', \`$SMH_DIR/etc/aliases')dnl
define(\`HELP_FILE', \`$SMH_DIR/etc/helpfile')dnl
define(\`confPID_FILE', \`$SMH_DIR/run/sendmail.pid')dnl
define(\`confCW_FILE', \`$SMH_DIR/etc/local-host-names')dnl
define(\`confCR_FILE', \`$SMH_DIR/etc/relay-domains')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SMH_DIR/etc/service.switch')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
dnl The work directory is under /tmp (mode 1777): sendmail refuses files in a
dnl path with a world-writable directory unless it may trust the sticky bit.
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
dnl Leave messages as they are; deliver at once; retry quickly.
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confTO_CONNECT', \`5s')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`promiscuous_relay')dnl
DAEMON_OPTIONS(\`Port=$SMH_SMTP_PORT, Addr=127.0.0.1, Name=MTA, Family=inet')dnl
dnl STARTTLS with the test CA.
define(\`confCACERT_PATH', \`$SMH_DIR/tls')dnl
define(\`confCACERT', \`$SMH_DIR/tls/ca.pem')dnl
define(\`confSERVER_CERT', \`$SMH_DIR/tls/server.pem')dnl
define(\`confSERVER_KEY', \`$SMH_DIR/tls/server.key')dnl
dnl Every domain goes to the sink.
define(\`RELAY_MAILER_ARGS', \`TCP \$h $PFH_SINK_PORT')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $PFH_SINK_PORT')dnl
dnl The filter: F=T tempfails when it is unreachable or fails; timeouts
dnl C connect, S sending to it, R reading its reply, E the whole end of message.
dnl (SMH_MILTER=none leaves it out: Sendmail alone, to check the checks.)
$([ "${SMH_MILTER:-}" = none ] && echo "dnl SMH_MILTER=none: no filter" ||
  echo "INPUT_MAIL_FILTER(\`sealmilter', \`S=inet:$SMH_MILTER_PORT@127.0.0.1, F=T, T=C:10s;S:30s;R:60s;E:5m')dnl")
$(smh_macro_defines)
MAILER(\`local')dnl
MAILER(\`smtp')dnl
LOCAL_NET_CONFIG
R\$* < @ \$* > \$*	\$#relay \$@ [127.0.0.1] \$: \$1 < @ \$2 > \$3
EOF
    if ! m4 "$e/sendmail.mc" > "$e/sendmail.cf" 2>"$SMH_DIR/log/m4.log"; then
        echo "sendmail-harness: m4 failed: $(head -3 "$SMH_DIR/log/m4.log")" >&2; return 1
    fi
    cp "$SMH_DIR/root/etc/mail/helpfile" "$e/helpfile" 2>/dev/null || : > "$e/helpfile"
    smh_sm -C "$e/sendmail.cf" -bi >"$SMH_DIR/log/newaliases.log" 2>&1 ||
        { echo "sendmail-harness: newaliases failed: $(head -3 "$SMH_DIR/log/newaliases.log")" >&2; return 1; }
}

# The milter macro lists (docs/install.md, "Connect Sendmail"). Sealmilter names
# its own lists with SMFIF_SETSYMLIST, which replace these for it; these are what
# an MTA sends to a filter that does not ask, and what the docs recommend.
smh_macro_defines() {
    # SMH_CF_MACROS=default: leave Sendmail's default lists (cf/m4/cfhead.m4).
    [ "${SMH_CF_MACROS:-}" = default ] && return 0
    cat <<'EOF'
define(`confMILTER_MACROS_CONNECT', ``j, _, {daemon_name}, {if_name}, {if_addr}, {client_addr}'')dnl
define(`confMILTER_MACROS_HELO', ``{tls_version}, {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}'')dnl
define(`confMILTER_MACROS_ENVFROM', ``i, {auth_type}, {auth_authen}, {auth_ssf}, {auth_author}, {mail_mailer}, {mail_host}, {mail_addr}, {client_addr}, {daemon_name}, {tls_version}, {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}'')dnl
define(`confMILTER_MACROS_ENVRCPT', ``i, {rcpt_mailer}, {rcpt_host}, {rcpt_addr}'')dnl
define(`confMILTER_MACROS_EOH', ``i'')dnl
define(`confMILTER_MACROS_EOM', ``i, {msg_id}'')dnl
EOF
}

# smh_start — the sink, then sendmail -bd.
smh_start() {
    local p
    for p in "$SMH_SMTP_PORT" "$PFH_SINK_PORT"; do
        if pfh_port_busy "$p"; then
            echo "sendmail-harness: 127.0.0.1:$p is already in use (set SMH_SMTP_PORT/SMH_SINK_PORT)" >&2
            return 1
        fi
    done
    pfh_sink_start || return 1
    # -bd: listen; -q5s: run the queue every 5 s (deferred retries); -X: the SMTP
    # traffic of every session and delivery (there is no syslog here to log to).
    if ! smh_sm -C "$SMH_DIR/etc/sendmail.cf" -bd -q5s -X "$SMH_DIR/log/traffic.log" \
            >"$SMH_DIR/log/sendmail-start.log" 2>&1; then
        echo "sendmail-harness: sendmail -bd failed: $(head -3 "$SMH_DIR/log/sendmail-start.log")" >&2
        return 1
    fi
    pfh_wait_port "$SMH_SMTP_PORT" 100 ||
        { echo "sendmail-harness: sendmail not listening on $SMH_SMTP_PORT: $(grep -v '^[0-9]* [<>]' "$SMH_DIR/log/traffic.log" 2>/dev/null | head -3) $(head -3 "$SMH_DIR/log/sendmail-start.log")" >&2; return 1; }
}

# smh_stop — the listening sendmail and its children (deliveries), then the sink.
smh_stop() {
    local pid i
    if [ -n "$SMH_DIR" ] && [ -f "$SMH_DIR/run/sendmail.pid" ]; then
        pid=$(head -1 "$SMH_DIR/run/sendmail.pid")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null
            for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null
        fi
    fi
    # Deliveries and queue runs that outlive the daemon (background delivery
    # detaches them): every sendmail process works in its queue directory.
    [ -n "$SMH_DIR" ] && smh_queue_procs_kill
    pfh_sink_stop
}

# smh_queue_procs_kill — ends, by PID, the processes whose working directory is
# this instance's queue directory (sendmail chdir()s there): only this instance's.
smh_queue_procs_kill() {
    local d p
    for d in /proc/[0-9]*; do
        [ "$(readlink "$d/cwd" 2>/dev/null)" = "$SMH_DIR/queue" ] || continue
        p=${d#/proc/}
        kill "$p" 2>/dev/null
    done
}

smh_cleanup() {
    smh_stop
    if [ -n "$SMH_DIR" ] && [ -z "${SMH_KEEP:-}" ]; then rm -rf "$SMH_DIR"; fi
}

# ---- helpers for tests ----------------------------------------------------

# smh_mailq [ARGS] — mailq of this instance (sendmail -bp), e.g. smh_mailq -qQ.
smh_mailq() { smh_sm -C "$SMH_DIR/etc/sendmail.cf" -bp "$@" 2>&1; }

# smh_queued QID — the message still has a queue file (qf: active/deferred).
smh_queued() { [ -e "$SMH_DIR/queue/qf$1" ]; }

# smh_quarantined QID — the message is quarantined (hf: held queue file).
smh_quarantined() { [ -e "$SMH_DIR/queue/hf$1" ]; }

# smh_wait_gone QID [SECONDS] — wait until the queue no longer holds qfQID.
smh_wait_gone() {
    local i n=$(( ${2:-15} * 10 ))
    for i in $(seq 1 "$n"); do
        smh_queued "$1" || return 0
        sleep 0.1
    done
    return 1
}
