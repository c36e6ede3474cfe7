-- miltertest script for Tests/capi/run.sh: the daemon on $SOCK runs
-- Tests/capi/policy-actions.yaml (quarantine, remove_attachments). Checks that
-- quarantine and body replacement reach the MTA, and that a modification the
-- MTA did not allow makes the message fail temporarily (fail closed).
local function check(cond, what)
  if cond then mt.echo("ok - " .. what) else mt.echo("not ok - " .. what) end
end

local function headers(conn, subject)
  mt.header(conn, "From", "alice@example.org")
  mt.header(conn, "To", "bob@example.com")
  mt.header(conn, "Subject", subject)
  mt.header(conn, "MIME-Version", "1.0")
  mt.header(conn, "Content-Type", "multipart/mixed; boundary=\"b1\"")
end

local exe_body = "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" ..
  "--b1\r\nContent-Type: application/octet-stream; name=\"tool.exe\"\r\n" ..
  "Content-Disposition: attachment; filename=\"tool.exe\"\r\n" ..
  "Content-Transfer-Encoding: base64\r\n\r\n" ..
  "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==\r\n" ..
  "--b1--\r\n"
local text_body = "--b1\r\nContent-Type: text/plain\r\n\r\nPlease hold this.\r\n--b1--\r\n"

local function message(conn, qid, subject, body)
  mt.macro(conn, SMFIC_MAIL, "i", qid)
  assert(mt.mailfrom(conn, "<alice@example.org>") == nil)
  if not mt.test_option(conn, SMFIP_NORCPT) then assert(mt.rcptto(conn, "<bob@example.com>") == nil) end
  headers(conn, subject)
  assert(mt.eoh(conn) == nil)
  -- the body in two chunks, cut inside the base64 line
  local cut = math.floor(#body * 2 / 3)
  mt.bodystring(conn, body:sub(1, cut))
  mt.bodystring(conn, body:sub(cut + 1))
  assert(mt.eom(conn) == nil)
  return mt.getreply(conn)
end

-- 1. Everything offered.
local conn = mt.connect(os.getenv("SOCK"), 20, 0.1)
assert(conn ~= nil)
check(mt.negotiate(conn, nil, nil, nil) == nil, "actions: negotiation")
check(mt.test_action(conn, SMFIF_QUARANTINE), "actions: QUARANTINE requested (quarantine rule)")
check(mt.test_action(conn, SMFIF_CHGBODY), "actions: CHGBODY requested (remove_attachments rule)")
check(not mt.test_option(conn, SMFIP_NOBODY), "actions: body requested")

local r = message(conn, "ACT1", "please hold", text_body)
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "quarantine message: accepted")
check(mt.eom_check(conn, MT_QUARANTINE, "held for review"), "quarantine message: quarantined \"held for review\"")
check(not mt.eom_check(conn, MT_BODYCHANGE), "quarantine message: body unchanged")

r = message(conn, "ACT2", "tool", exe_body)
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "exe message: accepted")
check(mt.eom_check(conn, MT_BODYCHANGE), "exe message: body replaced")
check(not mt.eom_check(conn, MT_QUARANTINE), "exe message: not quarantined")
mt.disconnect(conn)

-- 2. The MTA does not allow body changes: the exe message must be tempfailed.
conn = mt.connect(os.getenv("SOCK"), 20, 0.1)
assert(conn ~= nil)
-- Debian's miltertest 2.11 takes (conn, version, steps, actions), whatever its
-- manual says (checked with strace on the daemon's side of the 'O' packet).
check(mt.negotiate(conn, nil, nil, SMFIF_ADDHDRS + SMFIF_CHGHDRS + SMFIF_QUARANTINE + SMFIF_SETSYMLIST) == nil,
      "no-chgbody: negotiation without CHGBODY")
check(not mt.test_action(conn, SMFIF_CHGBODY), "no-chgbody: CHGBODY not requested when not offered")
r = message(conn, "ACT3", "tool", exe_body)
check(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL, "no-chgbody: exe message tempfailed (fail closed)")
r = message(conn, "ACT4", "please hold", text_body)
check((r == SMFIR_ACCEPT or r == SMFIR_CONTINUE) and mt.eom_check(conn, MT_QUARANTINE),
      "no-chgbody: the next message on the connection still works")
mt.disconnect(conn)
