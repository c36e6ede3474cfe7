-- miltertest script for Tests/capi/run.sh: one milter conversation with the
-- daemon on $SOCK running Tests/capi/policy.yaml. Prints "ok - ..." or
-- "not ok - ..." per check; run.sh counts them.
local function check(cond, what)
  if cond then mt.echo("ok - " .. what) else mt.echo("not ok - " .. what) end
end

local conn = mt.connect(os.getenv("SOCK"), 20, 0.1)
if conn == nil then error("cannot connect to " .. tostring(os.getenv("SOCK"))) end
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiation")
check(mt.test_action(conn, SMFIF_ADDHDRS), "negotiated action ADDHDRS (add_header rule)")
check(mt.test_action(conn, SMFIF_CHGHDRS), "negotiated action CHGHDRS (forged header removal)")
check(not mt.test_action(conn, SMFIF_QUARANTINE), "no QUARANTINE action (no quarantine rule)")
check(not mt.test_action(conn, SMFIF_ADDRCPT), "no ADDRCPT action")
check(mt.test_action(conn, SMFIF_SETSYMLIST), "macros requested (SETSYMLIST)")
check(mt.test_option(conn, SMFIP_NOUNKNOWN) and mt.test_option(conn, SMFIP_NODATA), "no UNKNOWN, no DATA")
check(not mt.test_option(conn, SMFIP_NORCPT), "RCPT kept (recipient rule)")
check(not mt.test_option(conn, SMFIP_NOMAIL) and not mt.test_option(conn, SMFIP_NR_MAIL), "MAIL kept with replies (sender rule)")
check(not mt.test_option(conn, SMFIP_NOHDRS), "headers kept")
check(mt.test_option(conn, SMFIP_NR_HDR), "no reply per header field (NR_HDR)")

if not mt.test_option(conn, SMFIP_NOCONNECT) then
  check(mt.conninfo(conn, "client.example.com", "192.0.2.10") == nil, "conninfo")
end
if not mt.test_option(conn, SMFIP_NOHELO) then
  check(mt.helo(conn, "client.example.com") == nil, "helo")
end

-- Message 1: accepted, forged header removed, X-Invoice added, one recipient refused.
mt.macro(conn, SMFIC_MAIL, "i", "MT4242", "{auth_authen}", "alice")
check(mt.mailfrom(conn, "<alice@example.org>") == nil, "mailfrom")
check(mt.getreply(conn) == SMFIR_CONTINUE, "MAIL alice: continue")
if mt.test_option(conn, SMFIP_NORCPT) then
  check(false, "RCPT checks skipped: the daemon negotiated RCPT away")
else
  check(mt.rcptto(conn, "<bob@example.com>") == nil, "rcpt bob")
  check(mt.getreply(conn) == SMFIR_CONTINUE, "RCPT bob: continue")
  check(mt.rcptto(conn, "<secret@example.org>") == nil, "rcpt secret")
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "RCPT secret: refused with a reply code")
end
mt.header(conn, "From", "Alice <alice@example.org>")
mt.header(conn, "To", "Bob <bob@example.com>")
mt.header(conn, "Subject", "Your invoice")
mt.header(conn, "X-Sealmilter-Unscannable", "none")
mt.header(conn, "Content-Type", "text/plain")
check(mt.eoh(conn) == nil, "eoh")
mt.bodystring(conn, "Hello Bob,\r\n\r\nthe invoice")
mt.bodystring(conn, " is below.\r\n")
check(mt.eom(conn) == nil, "eom")
local r = mt.getreply(conn)
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "EOM: accepted")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Sealmilter-Unscannable"), "EOM: forged X-Sealmilter-Unscannable deleted")
check(mt.eom_check(conn, MT_HDRADD, "X-Invoice", "yes"), "EOM: X-Invoice: yes added")

-- Message 2: the sender is refused at MAIL with the policy's reply.
mt.macro(conn, SMFIC_MAIL, "i", "MT4243")
check(mt.mailfrom(conn, "<bad@evil.example>") == nil, "mailfrom bad")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "MAIL bad@evil.example: refused with a reply code")
mt.abort(conn)

-- Message 3: refused by a header rule; the decision is answered at end of headers.
mt.macro(conn, SMFIC_MAIL, "i", "MT4244")
check(mt.mailfrom(conn, "<alice@example.org>") == nil, "mailfrom (3)")
check(mt.rcptto(conn, "<bob@example.com>") == nil, "rcpt (3)")
mt.header(conn, "From", "alice@example.org")
mt.header(conn, "X-Bad", "yes")
mt.header(conn, "Subject", "hello")
check(mt.eoh(conn) == nil, "eoh (3)")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "EOH after X-Bad: yes: refused with a reply code")
mt.abort(conn)
mt.disconnect(conn)
