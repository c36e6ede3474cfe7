#!/bin/bash
# install-test.sh — install the Sealmilter packages on this machine, run them the
# way the systemd unit would, put a message through a private Postfix, and purge.
#
#   packaging/tests/install-test.sh [MAIN_DEB [DEV_DEB]]
#
# Without arguments it runs packaging/build-deb first. Needs root; installs and
# purges the packages system-wide (do not run it where a real sealmilter is
# installed). Uses Tests/e2e/postfix-harness.sh for the private Postfix
# (ports PFH_SMTP_PORT/PFH_SINK_PORT, default here 10125/10126) and the default
# milter socket inet:8891@127.0.0.1, which must be free.
# Prints "ok - ..."/"not ok - ..." per check and "N passed, M failed" last.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
notok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then ok "$what"; else notok "$what"; fi
}
note() { echo "# $*"; }
has() { printf '%s\n' "$1" | grep -Eq -- "$2"; } # has TEXT REGEX
not_has() { ! has "$@"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

if [ "$(id -u)" != 0 ]; then
    notok "install-test.sh must run as root"
    finish
fi

tmp=$(mktemp -d /tmp/sealmilter-install-test.XXXXXX)
chmod 755 "$tmp"
daemon_pid=
harness_up=0
export PFH_SMTP_PORT=${PFH_SMTP_PORT:-10125} PFH_SINK_PORT=${PFH_SINK_PORT:-10126}
cleanup() {
    stop_daemon
    if [ "$harness_up" = 1 ]; then pfh_cleanup; fi
    local left
    left=$(known_pkgs)
    if [ -n "$left" ]; then
        echo "# cleanup: purging what a failed run left: $left"
        # shellcheck disable=SC2086
        apt-get purge -y -q $left >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
stop_daemon() { # $daemon_pid is strace; the daemon is its child (setpriv and sh exec it)
    if [ -n "$daemon_pid" ]; then
        local target
        target=$(pgrep -P "$daemon_pid" | head -n 1)
        kill -TERM "${target:-$daemon_pid}" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
        daemon_stop_status=$?
        daemon_pid=
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The sealmilter packages dpkg still knows (installed, or removed with config files).
known_pkgs() {
    dpkg-query -W -f='${Package} ${Status}\n' sealmilter sealmilter-dev 2>/dev/null \
        | awk '$NF != "not-installed" { print $1 }'
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
    local i
    for i in $(seq 1 100); do port_busy "$1" && return 0; sleep 0.1; done
    return 1
}

# ---- The packages -----------------------------------------------------------
main_deb=${1:-}
dev_deb=${2:-}
if [ -z "$main_deb" ]; then
    note "building the packages with packaging/build-deb --lintian"
    if ! "$root/packaging/build-deb" --lintian >"$tmp/build-deb.out" 2>"$tmp/build-deb.err"; then
        tail -30 "$tmp/build-deb.err" | sed 's/^/#   /'
        notok "packaging/build-deb --lintian failed"
        finish
    fi
    # lintian's tags: E (error) fails the build above; warnings are listed here.
    tags=$(grep -E '^[EWIP]: sealmilter' "$tmp/build-deb.err" | sort -u)
    printf '%s\n' "$tags" | grep -E '^[WI]: ' | sed 's/^/# lintian: /'
    check "lintian on both packages: no errors" not_has "$tags" '^E: '
    check "lintian on both packages: no warnings" not_has "$tags" '^W: '
    main_deb=$(tail -n 1 "$tmp/build-deb.out")
    dev_deb=$(tail -n 2 "$tmp/build-deb.out" | head -n 1)
fi
if [ -z "$dev_deb" ]; then
    dev_deb=$(ls "$(dirname "$main_deb")"/sealmilter-dev_*.deb 2>/dev/null | tail -n 1)
fi
case $main_deb in /*) ;; *) main_deb="$PWD/$main_deb" ;; esac
case $dev_deb in /*|"") ;; *) dev_deb="$PWD/$dev_deb" ;; esac
check "main package exists: $main_deb" test -f "$main_deb"
check "dev package exists: $dev_deb" test -f "$dev_deb"
[ -f "$main_deb" ] && [ -f "$dev_deb" ] || finish

if [ -n "$(known_pkgs)" ]; then
    note "sealmilter is already installed: purging it first"
    # shellcheck disable=SC2086
    apt-get purge -y -q $(known_pkgs) >/dev/null 2>&1
fi
getent passwd sealmilter >/dev/null && notok "a sealmilter user exists before the install (left over?)"

# ---- Install ------------------------------------------------------------------
if apt-get install -y -q "$main_deb" "$dev_deb" >"$tmp/apt-install.log" 2>&1; then
    ok "apt-get install $(basename "$main_deb") $(basename "$dev_deb")"
else
    sed 's/^/#   /' "$tmp/apt-install.log" | tail -30
    notok "apt-get install failed"
    finish
fi

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
libdir=/usr/lib/$multiarch
version=$(dpkg-query -W -f='${Version}' sealmilter)
upstream=${version%-*}
for f in /usr/sbin/sealmilter /usr/bin/sealctl "$libdir/libsealmilter.so.$upstream" \
         /etc/sealmilter/sealmilter.yaml /lib/systemd/system/sealmilter.service \
         /usr/share/man/man8/sealmilter.8.gz /usr/share/man/man1/sealctl.1.gz \
         /usr/share/man/man5/sealmilter.yaml.5.gz \
         /usr/share/doc/sealmilter/copyright /usr/share/doc/sealmilter/changelog.Debian.gz \
         /usr/include/sealmilter.h; do
    check "installed: $f" test -f "$f"
done
check "symlink $libdir/libsealmilter.so.0 -> libsealmilter.so.$upstream" \
    test "$(readlink "$libdir/libsealmilter.so.0")" = "libsealmilter.so.$upstream"
check "dev symlink $libdir/libsealmilter.so resolves" test -f "$libdir/libsealmilter.so"
check "ldconfig knows libsealmilter.so.0" sh -c "ldconfig -p | grep -q 'libsealmilter.so.0 '"
check "/etc/sealmilter/sealmilter.yaml is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}' sealmilter | grep -q '/etc/sealmilter/sealmilter.yaml '"
for m in sealmilter.8 sealctl.1 sealmilter.yaml.5; do
    sec=${m##*.}
    check "man $sec ${m%.*} renders" sh -c "MANWIDTH=80 man $sec ${m%.*} 2>/dev/null | grep -q ."
done

# ---- No Swift runtime needed ------------------------------------------------
for f in /usr/sbin/sealmilter /usr/bin/sealctl "$libdir/libsealmilter.so.$upstream"; do
    l=$(env -i PATH=/usr/bin:/bin ldd "$f" 2>&1)
    echo "$l" | sed "s|^|#   ldd $(basename "$f"): |"
    if echo "$l" | grep -Eq 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libicu|not found'; then
        notok "ldd $f: needs a Swift runtime library or something missing"
    else
        ok "ldd $f: no Swift runtime, nothing missing"
    fi
done
# One copy of the engine: the daemon and sealctl are C hosts of the library.
for f in /usr/sbin/sealmilter /usr/bin/sealctl; do
    check "ldd $f shows libsealmilter.so.0" sh -c "env -i PATH=/usr/bin:/bin ldd $f | grep -Eq 'libsealmilter.so.0 => (/usr)?/lib/[^ ]*/libsealmilter.so.0 '"
done
size_kb=$(dpkg-deb -f "$main_deb" Installed-Size)
download_kb=$(( $(stat -c %s "$main_deb") / 1024 ))
echo "# package: Installed-Size ${size_kb} KiB, download ${download_kb} KiB"
check "Installed-Size at most 40 MB (${size_kb} KiB)" test "$size_kb" -le 40960

# ---- User, directories, unit ----------------------------------------------------
check "system user sealmilter (home /var/lib/sealmilter, no login shell)" \
    sh -c 'getent passwd sealmilter | grep -Eq "^sealmilter:[^:]*:[0-9]+:[0-9]+:[^:]*:/var/lib/sealmilter:/usr/sbin/nologin$" && [ "$(id -u sealmilter)" -lt 1000 ]'
check "system group sealmilter" sh -c 'getent group sealmilter >/dev/null'
check "/var/spool/sealmilter is sealmilter:sealmilter 0750" \
    test "$(stat -c '%U:%G %a' /var/spool/sealmilter 2>/dev/null)" = "sealmilter:sealmilter 750"
if getent passwd postfix >/dev/null && [ -d /var/spool/postfix ]; then
    check "/var/spool/postfix/sealmilter is sealmilter:sealmilter 0750" \
        test "$(stat -c '%U:%G %a' /var/spool/postfix/sealmilter 2>/dev/null)" = "sealmilter:sealmilter 750"
    check "postfix is in group sealmilter" sh -c 'id -nG postfix | tr " " "\n" | grep -qx sealmilter'
else
    note "no postfix user or /var/spool/postfix: socket directory not checked"
fi
check "the unit is enabled (multi-user.target.wants link)" \
    test -L /etc/systemd/system/multi-user.target.wants/sealmilter.service
if systemd-analyze verify /lib/systemd/system/sealmilter.service >"$tmp/verify.log" 2>&1 && [ ! -s "$tmp/verify.log" ]; then
    ok "systemd-analyze verify on the installed unit: clean"
else
    sed 's/^/#   /' "$tmp/verify.log"
    notok "systemd-analyze verify on the installed unit"
fi
if [ -d /run/systemd/system ]; then
    note "systemd is running here: the postinst started the service; stopping it to run the daemon by hand"
    systemctl stop sealmilter.service
fi

t=$(sealctl check-config /etc/sealmilter/sealmilter.yaml 2>&1)
check "sealctl check-config on the packaged policy: $t" has "$t" '^/etc/sealmilter/sealmilter.yaml: OK'
check "sealctl --version is $upstream" test "$(sealctl --version 2>&1)" = "$upstream"

# ---- Test messages ----------------------------------------------------------
# A real CMS enveloped-data object (openssl cms -encrypt) attached to a message.
(
    cd "$tmp" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout rcpt.key -out rcpt.pem \
        -subj "/CN=bob@example.com" >/dev/null 2>&1 &&
    printf 'Content-Type: text/plain\r\n\r\nThe secret plan.\r\n' > inner.txt &&
    openssl cms -encrypt -aes256 -in inner.txt -outform DER -out enc.der rcpt.pem
) || notok "openssl could not make the S/MIME test object"
{
    printf 'From: Alice <alice@sender.example>\r\nTo: Bob <bob@example.com>\r\n'
    printf 'Subject: install-test smime %s\r\nMessage-ID: <smime.%s@sender.example>\r\n' "$$" "$$"
    printf 'Date: %s\r\nMIME-Version: 1.0\r\n' "$(date -R)"
    printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    printf -- '--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the attachment.\r\n'
    printf -- '--b1\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n'
    printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n'
    base64 -w 76 "$tmp/enc.der" | sed 's/$/\r/'
    printf -- '--b1--\r\n'
} > "$tmp/smime.eml"
{
    printf 'From: Alice <alice@sender.example>\r\nTo: Bob <bob@example.com>\r\n'
    printf 'Subject: install-test plain %s\r\nMessage-ID: <plain.%s@sender.example>\r\n' "$$" "$$"
    printf 'Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nNothing hidden here.\r\n' "$(date -R)"
} > "$tmp/plain.eml"
chmod 644 "$tmp"/*.eml

t=$(sealctl scan "$tmp/smime.eml" 2>&1)
check "sealctl scan finds smime-enveloped in the test message" has "$t" '^Unscannable: .*smime-enveloped'

# ---- The daemon, started as the unit starts it -------------------------------------
unit=/lib/systemd/system/sealmilter.service
start_pre=$(sed -n 's/^ExecStartPre=//p' "$unit" | head -n 1)
start=$(sed -n 's/^ExecStart=//p' "$unit" | head -n 1)
umask_unit=$(sed -n 's/^UMask=//p' "$unit" | head -n 1)
unit_user=$(sed -n 's/^User=//p' "$unit" | head -n 1)
unit_group=$(sed -n 's/^Group=//p' "$unit" | head -n 1)
note "unit: User=$unit_user Group=$unit_group UMask=$umask_unit"
note "unit: ExecStartPre=$start_pre"
note "unit: ExecStart=$start"
as_unit() { # the unit's credentials: user, group, supplementary groups of the user, umask
    setpriv --reuid="$unit_user" --regid="$unit_group" --init-groups --no-new-privs -- \
        /bin/sh -c "umask ${umask_unit:-0022}; exec \"\$@\"" sh "$@"
}
# shellcheck disable=SC2086 # the unit's command lines are split on spaces, as systemd does
if as_unit $start_pre >"$tmp/pre.log" 2>&1; then ok "ExecStartPre as $unit_user: $(cat "$tmp/pre.log")"
else notok "ExecStartPre as $unit_user: $(cat "$tmp/pre.log")"; fi

# Key files, as docs/install.md tells an administrator to set them up: a key the
# unit's user does not own, or that others may read, is refused by the installed
# daemon's -t (ExecStartPre, ExecReload) as that user; the documented setup passes.
keydir=$(mktemp -d /tmp/sealmilter-keys.XXXXXX); chmod 755 "$keydir"
printf 'not a real key\n' > "$keydir/gateway.key"
{ cat /etc/sealmilter/sealmilter.yaml; printf '\nkeys:\n  gateway: %s\n' "$keydir/gateway.key"; } > "$keydir/policy.yaml"
chmod 644 "$keydir/policy.yaml"; chmod 600 "$keydir/gateway.key"
t=$(as_unit /usr/sbin/sealmilter -t --policy "$keydir/policy.yaml" 2>&1)
check "key file owned by root: refused as $unit_user ($t)" has "$t" "keys.gateway: .*belongs to root .*but the filter runs as $unit_user"
chown "$unit_user:$unit_group" "$keydir/gateway.key"; chmod 640 "$keydir/gateway.key"
t=$(as_unit /usr/sbin/sealmilter -t --policy "$keydir/policy.yaml" 2>&1)
check "key file of mode 0640: refused ($t)" has "$t" "keys.gateway: .*open to other users than its owner \(mode 0640\)"
chmod 600 "$keydir/gateway.key"
t=$(as_unit /usr/sbin/sealmilter -t --policy "$keydir/policy.yaml" 2>&1)
check "key file $unit_user:$unit_group 0600: accepted ($t)" has "$t" ': OK$'
t=$(sealctl check-config --user "$unit_user" "$keydir/policy.yaml" 2>&1)
check "sealctl check-config --user $unit_user agrees ($t)" has "$t" ': OK'
rm -rf "$keydir"

# start_daemon LOG [EXTRA ARGS] — the unit's ExecStart as its user, traced for
# MemoryDenyWriteExecute (no writable+executable mapping, no mprotect to exec).
start_daemon() {
    local log=$1; shift
    # shellcheck disable=SC2086
    strace -f -qq -o "$log.strace" -e trace=mmap,mprotect,pkey_mprotect \
        setpriv --reuid="$unit_user" --regid="$unit_group" --init-groups --no-new-privs -- \
        /bin/sh -c "umask ${umask_unit:-0022}; exec \"\$@\"" sh $start "$@" >"$log" 2>&1 &
    daemon_pid=$!
}
mdwe_check() {
    local f=$1.strace
    if [ ! -s "$f" ]; then notok "MemoryDenyWriteExecute check: no strace output"; return; fi
    local bad
    bad=$(grep -E 'mmap\(.*PROT_WRITE\|PROT_EXEC|mmap\(.*PROT_EXEC\|PROT_WRITE|mprotect\(.*PROT_EXEC' "$f" | grep -v ' = -1 ' | head -3)
    if [ -z "$bad" ]; then ok "MemoryDenyWriteExecute: the daemon made no W+X mapping and no mprotect(PROT_EXEC) ($(wc -l < "$f") calls traced)"
    else notok "MemoryDenyWriteExecute would kill the daemon: $bad"; fi
}

if port_busy 8891; then
    notok "127.0.0.1:8891 (the default socket) is already in use: cannot test the default"
    finish
fi
start_daemon "$tmp/daemon.log"
if wait_port 8891; then ok "daemon listens on the default socket inet:8891@127.0.0.1"
else notok "daemon does not listen on 127.0.0.1:8891"; sed 's/^/#   daemon: /' "$tmp/daemon.log"; finish; fi
check "daemon runs as $unit_user" sh -c "ps -o user= --ppid $daemon_pid -p $daemon_pid | grep -qx '$unit_user'"

# ---- Through Postfix ----------------------------------------------------------------
harness="$root/Tests/e2e/postfix-harness.sh"
if [ ! -f "$harness" ]; then
    notok "Tests/e2e/postfix-harness.sh is missing"
    finish
fi
# shellcheck source=/dev/null
. "$harness"
if pfh_init "$tmp/postfix" && pfh_start; then
    harness_up=1
    ok "private Postfix up (smtpd 127.0.0.1:$PFH_SMTP_PORT, sink $PFH_SINK_PORT)"
else
    notok "private Postfix did not start"
    finish
fi

# send FILE SUBJECT-TAG — swaks into the private Postfix (STARTTLS); prints the delivered copy's file.
send() {
    swaks --server "127.0.0.1:$PFH_SMTP_PORT" --tls --from alice@sender.example --to bob@example.com \
        --data "$1" >"$1.swaks" 2>&1 || { sed 's/^/#   swaks: /' "$1.swaks" | tail -8; return 1; }
    local i
    for i in $(seq 1 150); do
        f=$(pfh_sink_find "$2" | head -n 1)
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.1
    done
    return 1
}
# delivered_header FILE — the X-Sealmilter-Unscannable fields of the delivered message
delivered_header() { pfh_sink_message "$1" | sed -n '/^\r\{0,1\}$/q; /^X-Sealmilter-Unscannable:/Ip'; }

run_through() { # LABEL
    local label=$1 f
    if f=$(send "$tmp/smime.eml" "install-test smime $$"); then
        h=$(delivered_header "$f")
        check "$label: delivered S/MIME message has X-Sealmilter-Unscannable: smime-enveloped ($h)" \
            has "$h" '^X-Sealmilter-Unscannable: .*smime-enveloped'
    else
        notok "$label: S/MIME message not delivered"
        pfh_maillog | tail -10 | sed 's/^/#   maillog: /'
    fi
    if f=$(send "$tmp/plain.eml" "install-test plain $$"); then
        h=$(delivered_header "$f")
        check "$label: delivered plain message has no X-Sealmilter-Unscannable" test -z "$h"
    else
        notok "$label: plain message not delivered"
    fi
    rm -f "$PFH_DIR"/sink/*
}

pfh_milter "inet:127.0.0.1:8891"
run_through "default inet socket"
# The groups Postfix's smtpd keeps after dropping privileges: the unix-socket setup
# below relies on the supplementary group sealmilter being among them.
for p in $(pgrep -x smtpd); do
    note "smtpd pid $p: $(grep -E '^(Uid|Gid|Groups):' /proc/$p/status 2>/dev/null | tr '\t\n' '  ')"
done
check "daemon logged a decision with the queue ID" grep -Eq '[0-9A-F]{6,}: action=' "$tmp/daemon.log"
# The packaged policy leaves milter.macros at "needed": the daemon asks Postfix for
# the queue ID only, so the TLS facts of these STARTTLS sessions never reach it
# (with "macros: all" its decision lines carry tls=..., as the e2e tests check).
check "default policy: no TLS macros asked for (no tls= in the decision lines)" \
    not_has "$(grep -E ': action=' "$tmp/daemon.log")" ' tls='
check "the test messages came over TLS" grep -q 'TLS started' "$tmp/smime.eml.swaks"
# Reload as the unit does: ExecReload= runs "-t" as the unit's user, then SIGHUP.
reload_check=$(sed -n 's/^ExecReload=//p' "$unit" | sed -n 1p)
reload_signal=$(sed -n 's/^ExecReload=//p' "$unit" | sed -n 2p)
check "unit's ExecReload: $reload_check; $reload_signal" has "$reload_check
$reload_signal" '^/bin/kill -HUP \$MAINPID$'
# shellcheck disable=SC2086
if as_unit $reload_check >/dev/null 2>&1; then
    kill -HUP "$(pgrep -P "$daemon_pid" | head -n 1)"
    for i in $(seq 1 100); do grep -q 'reloaded' "$tmp/daemon.log" && break; sleep 0.1; done
    check "reload: the daemon loaded the policy again on SIGHUP" grep -q 'SIGHUP: policy .* reloaded' "$tmp/daemon.log"
else
    notok "reload: ExecReload's policy check failed"
fi
stop_daemon
check "daemon stopped on SIGTERM with status 0" test "${daemon_stop_status:-1}" = 0
mdwe_check "$tmp/daemon.log"
sed 's/^/#   daemon: /' "$tmp/daemon.log"

# The documented alternative: a unix socket in Postfix's chroot, which smtpd (user
# postfix) reaches through its membership in the group sealmilter.
if [ -d /var/spool/postfix/sealmilter ]; then
    sock=/var/spool/postfix/sealmilter/sealmilter.sock
    start_daemon "$tmp/daemon-unix.log" --socket "unix:$sock"
    for i in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
    check "unix socket created: $(stat -c '%U:%G %a' "$sock" 2>/dev/null)" \
        test "$(stat -c '%U:%G %a' "$sock" 2>/dev/null)" = "sealmilter:sealmilter 770"
    pfh_milter "unix:$sock"
    run_through "unix socket $sock"
    stop_daemon
    pfh_milter none
else
    notok "/var/spool/postfix/sealmilter missing: unix socket alternative not tested"
fi
pfh_cleanup
harness_up=0

# ---- A C program against the installed library ------------------------------------
if gcc -std=c11 -Wall -Wextra -Werror -O1 "$here/embed_test.c" -o "$tmp/embed_test" -lsealmilter \
        >"$tmp/gcc.log" 2>&1; then
    ok "gcc: embed_test.c compiled against /usr/include/sealmilter.h, linked with -lsealmilter"
    l=$(env -i PATH=/usr/bin:/bin ldd "$tmp/embed_test")
    echo "$l" | sed 's/^/#   ldd embed_test: /'
    resolved=$(printf '%s\n' "$l" | sed -n 's/.*libsealmilter\.so\.0 => \([^ ]*\).*/\1/p')
    check "embed_test loads the installed library ($resolved)" \
        test -n "$resolved" -a "$(readlink -f "$resolved")" = "$libdir/libsealmilter.so.$upstream"
    for case in "smime.eml smime-enveloped" "plain.eml -"; do
        set -- $case
        if env -i PATH=/usr/bin:/bin "$tmp/embed_test" /etc/sealmilter/sealmilter.yaml "$tmp/$1" "$2" \
                >"$tmp/embed.out" 2>&1; then
            ok "embed_test $1 (env -i, no Swift on the library path): $(grep -c '^ok' "$tmp/embed.out") checks"
        else
            sed 's/^/#   /' "$tmp/embed.out"
            notok "embed_test $1"
        fi
    done
else
    sed 's/^/#   /' "$tmp/gcc.log"
    notok "gcc could not build embed_test.c against the installed header and library"
fi
# The project's own C-interface test, built the same way (if present).
if [ -f "$root/Tests/capi/capi_test.c" ]; then
    if gcc -std=c11 -D_GNU_SOURCE -O1 "$root/Tests/capi/capi_test.c" -o "$tmp/capi_test" -lsealmilter -lpthread \
            >"$tmp/gcc2.log" 2>&1; then
        # the arguments Tests/capi/run.sh gives it
        env -i PATH=/usr/bin:/bin "$tmp/capi_test" "$root/Tests/capi/policy.yaml" "$root/Tests/capi/bad-policy.yaml" \
            "$root/Tests/capi/policy-actions.yaml" >"$tmp/capi.out" 2>&1
        st=$?
        summary=$(tail -n 1 "$tmp/capi.out")
        if [ $st -eq 0 ]; then ok "Tests/capi/capi_test.c against the installed library: $summary"
        else grep '^not ok' "$tmp/capi.out" | sed 's/^/#   /'; notok "Tests/capi/capi_test.c against the installed library: status $st, $summary"; fi
    else
        sed 's/^/#   /' "$tmp/gcc2.log"
        notok "Tests/capi/capi_test.c does not build against the installed header"
    fi
fi

# The end-to-end cases through a private Postfix, with the installed daemon and
# sealctl (hosts of the installed libsealmilter.so.0): the core cases (pass-through,
# flagging, forged fields, attachment removal, reject/tempfail, reject_recipient,
# quarantine, STARTTLS macros, hostile patterns). SEALMILTER_INSTALL_E2E=0 skips them.
if [ "${SEALMILTER_INSTALL_E2E:-1}" != 0 ] && [ -x "$root/Tests/e2e/run.sh" ]; then
    E2E_ONLY="a b c d e f g h n" "$root/Tests/e2e/run.sh" /usr/sbin/sealmilter /usr/bin/sealctl >"$tmp/e2e.out" 2>&1
    st=$?
    summary=$(tail -n 1 "$tmp/e2e.out")
    if [ $st -eq 0 ]; then ok "Tests/e2e/run.sh with the installed daemon and sealctl: $summary"
    else grep '^not ok' "$tmp/e2e.out" | sed 's/^/#   /'; notok "Tests/e2e/run.sh with the installed daemon and sealctl: status $st, $summary"; fi
fi

# ---- Upgrade in place, remove, purge -----------------------------------------------
# A local change to the policy survives reinstalling the same version (the upgrade
# path of the maintainer scripts: postinst configure with the old version).
printf '\n# local change by install-test %s\n' "$$" >> /etc/sealmilter/sealmilter.yaml
if dpkg -i "$main_deb" >"$tmp/reinstall.log" 2>&1; then
    ok "dpkg -i over the installed package (upgrade path)"
else
    sed 's/^/#   /' "$tmp/reinstall.log" | tail -10
    notok "dpkg -i over the installed package"
fi
check "the local change to the conffile was kept" grep -q "local change by install-test $$" /etc/sealmilter/sealmilter.yaml
check "still one sealmilter user after the upgrade" test "$(getent passwd | grep -c '^sealmilter:')" = 1

if apt-get remove -y -q sealmilter-dev sealmilter >"$tmp/apt-remove.log" 2>&1; then
    ok "apt-get remove sealmilter sealmilter-dev"
else
    sed 's/^/#   /' "$tmp/apt-remove.log" | tail -20
    notok "apt-get remove failed"
fi
check "after remove: the binaries are gone" test ! -e /usr/sbin/sealmilter -a ! -e /usr/bin/sealctl
check "after remove: the policy (conffile) is kept" grep -q "local change by install-test $$" /etc/sealmilter/sealmilter.yaml
check "after remove: the user is kept" sh -c 'getent passwd sealmilter >/dev/null'

# After the remove, sealmilter-dev (no conffiles) is already gone from dpkg's database.
purge_list=$(known_pkgs | tr '\n' ' ')
check "after remove: dpkg keeps only sealmilter's configuration: $purge_list" test "$purge_list" = "sealmilter "
# shellcheck disable=SC2086
if apt-get purge -y -q $purge_list >"$tmp/apt-purge.log" 2>&1; then
    ok "apt-get purge $purge_list"
else
    sed 's/^/#   /' "$tmp/apt-purge.log" | tail -20
    notok "apt-get purge failed"
fi
check "dpkg knows neither package any more" \
    sh -c '! dpkg-query -W -f="\${Status}\n" sealmilter sealmilter-dev 2>/dev/null | grep -qv "not-installed"'
check "user sealmilter removed" sh -c '! getent passwd sealmilter'
check "group sealmilter removed" sh -c '! getent group sealmilter'
check "postfix no longer in group sealmilter" sh -c '! id -nG postfix 2>/dev/null | tr " " "\n" | grep -qx sealmilter'
for p in /etc/sealmilter /var/spool/sealmilter /var/spool/postfix/sealmilter /var/lib/sealmilter \
         /run/sealmilter /lib/systemd/system/sealmilter.service \
         /etc/systemd/system/multi-user.target.wants/sealmilter.service \
         /usr/sbin/sealmilter /usr/bin/sealctl /usr/include/sealmilter.h \
         "$libdir/libsealmilter.so" "$libdir/libsealmilter.so.0" "$libdir/libsealmilter.so.$upstream" \
         /usr/share/doc/sealmilter /usr/share/doc/sealmilter-dev; do
    check "gone after purge: $p" test ! -e "$p" -a ! -L "$p"
done
left=$(find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
    -name '*sealmilter*' 2>/dev/null)
check "no deb-systemd-helper state left${left:+: $left}" test -z "$left"

finish
