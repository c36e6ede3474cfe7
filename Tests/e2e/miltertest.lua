-- Tests/e2e/miltertest.lua — drives sealmilterd as an independent milter client
-- (OpenDKIM's miltertest). Run through Tests/e2e/run-miltertest.sh, which starts the
-- daemon with Tests/e2e/policy.yaml and defines:
--   SOCKET      the daemon's socket ("unix:/path")
--   SMIME_BODY  a file: the base64 body of a real `openssl cms -encrypt` message (CRLF)
-- Prints "ok - name" / "not ok - name: reason" and finally "N passed, M failed".

local passed, failed = 0, 0

local function ok(name) passed = passed + 1; print("ok - " .. name) end
local function notok(name, why) failed = failed + 1; print("not ok - " .. name .. ": " .. tostring(why)) end

local function rname(r)
  local names = {
    [SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept", [SMFIR_REJECT] = "reject",
    [SMFIR_TEMPFAIL] = "tempfail", [SMFIR_DISCARD] = "discard", [SMFIR_REPLYCODE] = "replycode",
  }
  if SMFIR_SKIP then names[SMFIR_SKIP] = "skip" end
  return names[r] or string.format("%q", string.char(r % 256))
end

-- Whether the daemon asked to skip a stage (SMFIP_NO*): then the stage is not sent,
-- as an MTA would not send it either (miltertest refuses to).
local function skips(conn, opt) return opt ~= nil and mt.test_option(conn, opt) end

-- A fresh connection up to (and including) RCPT. Errors are raised (caught by run()).
local function open(rcpts, qid)
  local conn = mt.connect(SOCKET, 20, 0.25)
  if conn == nil then error("mt.connect(" .. tostring(SOCKET) .. ") failed") end
  local e = mt.negotiate(conn, nil, nil, nil)
  if e ~= nil then error("negotiate: " .. e) end
  if not skips(conn, SMFIP_NOCONNECT) then
    e = mt.conninfo(conn, "client.e2e.test", "127.0.0.1")
    if e ~= nil then error("conninfo: " .. e) end
    if mt.getreply(conn) ~= SMFIR_CONTINUE then error("conninfo reply " .. rname(mt.getreply(conn))) end
  end
  if not skips(conn, SMFIP_NOHELO) then
    e = mt.helo(conn, "client.e2e.test")
    if e ~= nil then error("helo: " .. e) end
  end
  mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", "", "{tls_version}", "TLSv1.3",
           "{cipher}", "TLS_AES_256_GCM_SHA384", "{client_addr}", "127.0.0.1", "{daemon_name}", "miltertest")
  e = mt.mailfrom(conn, "<sender@ext.test>")
  if e ~= nil then error("mailfrom: " .. e) end
  if mt.getreply(conn) ~= SMFIR_CONTINUE then error("mailfrom reply " .. rname(mt.getreply(conn))) end
  if skips(conn, SMFIP_NORCPT) then return conn, nil end  -- no replies: RCPT is not sent
  local replies = {}
  for _, r in ipairs(rcpts or { "<bob@int.test>" }) do
    e = mt.rcptto(conn, r)
    if e ~= nil then error("rcptto: " .. e) end
    replies[r] = mt.getreply(conn)
  end
  return conn, replies
end

-- Headers, body, EOM. Returns the reply after the stage that ended the message.
local function message(conn, headers, body, bodyfile)
  if skips(conn, SMFIP_NOHDRS) then error("the daemon negotiated SMFIP_NOHDRS (does not look at headers)") end
  for _, h in ipairs(headers) do
    local e = mt.header(conn, h[1], h[2])
    if e ~= nil then error("header: " .. e) end
    local r = mt.getreply(conn)
    if r ~= SMFIR_CONTINUE then return r, "header" end
  end
  local e, r
  if not skips(conn, SMFIP_NOEOH) then
    e = mt.eoh(conn)
    if e ~= nil then error("eoh: " .. e) end
    r = mt.getreply(conn)
    if r ~= SMFIR_CONTINUE and r ~= SMFIR_SKIP then return r, "eoh" end
  end
  if skips(conn, SMFIP_NOBODY) then error("the daemon negotiated SMFIP_NOBODY (does not look at the body)") end
  if bodyfile then e = mt.bodyfile(conn, bodyfile) else e = mt.bodystring(conn, body) end
  if e ~= nil then error("body: " .. e) end
  r = mt.getreply(conn)
  if r ~= SMFIR_CONTINUE and r ~= SMFIR_SKIP then return r, "body" end
  e = mt.eom(conn)
  if e ~= nil then error("eom: " .. e) end
  return mt.getreply(conn), "eom"
end

local function run(name, f)
  local good, why = pcall(f)
  if good and why == nil then ok(name) elseif good then notok(name, why) else notok(name, why) end
end

local function deleted(conn, names)
  for _, n in ipairs(names) do
    if mt.eom_check(conn, MT_HDRDELETE, n) then return true end
  end
  return false
end

local function added(conn, name, value)
  return mt.eom_check(conn, MT_HDRADD, name, value) or mt.eom_check(conn, MT_HDRINSERT, name, value)
end

-- 0. Control: a clean message is let through with no header edits at all.
run("clean message: accepted, no header added or deleted", function()
  local conn = open(nil, "MT0001")
  local r, stage = message(conn, {
    { "From", "sender@ext.test" }, { "To", "bob@int.test" }, { "Subject", "hello" },
  }, "Just text.\r\n")
  if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then return "reply " .. rname(r) .. " at " .. stage end
  if mt.eom_check(conn, MT_HDRADD) or mt.eom_check(conn, MT_HDRINSERT) then return "a header was added" end
  if mt.eom_check(conn, MT_HDRCHANGE) then return "a header was changed or deleted" end
  if mt.eom_check(conn, MT_BODYCHANGE) then return "the body was replaced" end
  mt.disconnect(conn)
end)

-- 1. A forged X-Sealmilter header is deleted (SMFIR_CHGHEADER with an empty value).
run("forged X-Sealmilter-* headers deleted", function()
  local conn = open(nil, "MT0002")
  local r, stage = message(conn, {
    { "From", "mallory@ext.test" }, { "To", "bob@int.test" },
    { "X-Sealmilter-Unscannable", "none" },
    { "Subject", "forged" },
    { "x-sealmilter-foo", "bar\r\n\tfolded" },
    { "X-Sealmilterish", "not our prefix" },
  }, "Body.\r\n")
  if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then return "reply " .. rname(r) .. " at " .. stage end
  if not deleted(conn, { "X-Sealmilter-Unscannable", "x-sealmilter-unscannable" }) then
    return "X-Sealmilter-Unscannable not deleted"
  end
  if not deleted(conn, { "x-sealmilter-foo", "X-Sealmilter-Foo", "X-Sealmilter-foo" }) then
    return "x-sealmilter-foo not deleted"
  end
  if deleted(conn, { "X-Sealmilterish", "x-sealmilterish" }) then return "X-Sealmilterish deleted too" end
  mt.disconnect(conn)
end)

-- 2. An S/MIME enveloped-data body gets X-Sealmilter-Unscannable: smime-enveloped.
run("S/MIME enveloped-data flagged", function()
  local conn = open(nil, "MT0003")
  local r, stage = message(conn, {
    { "From", "dave@ext.test" }, { "To", "bob@int.test" }, { "Subject", "secret" },
    { "MIME-Version", "1.0" },
    { "Content-Disposition", "attachment; filename=\"smime.p7m\"" },
    { "Content-Type", "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"" },
    { "Content-Transfer-Encoding", "base64" },
  }, nil, SMIME_BODY)
  if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then return "reply " .. rname(r) .. " at " .. stage end
  if not added(conn, "X-Sealmilter-Unscannable", "smime-enveloped") then
    local v = mt.getheader(conn, "X-Sealmilter-Unscannable", 0)
    return "no X-Sealmilter-Unscannable: smime-enveloped (value: " .. tostring(v) .. ")"
  end
  mt.disconnect(conn)
end)

-- 3. A rule with reject: Subject E2E-REJECT -> 550 5.7.1 (at end of headers or of message).
run("reject rule answers 550 5.7.1", function()
  local conn = open(nil, "MT0004")
  local r, stage = message(conn, {
    { "From", "eve@ext.test" }, { "To", "bob@int.test" }, { "Subject", "E2E-REJECT please" },
  }, "Hello.\r\n")
  if r ~= SMFIR_REPLYCODE and r ~= SMFIR_REJECT then return "reply " .. rname(r) .. " at " .. stage end
  if stage == "eom" and not mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", "Rejected by e2e reject rule") then
    return "reply at eom is not '550 5.7.1 Rejected by e2e reject rule'"
  end
  mt.disconnect(conn, false)
end)

-- 3b. tempfail: Subject E2E-TEMPFAIL -> 451 4.7.1.
run("tempfail rule answers 451 4.7.1", function()
  local conn = open(nil, "MT0006")
  local r, stage = message(conn, {
    { "From", "eve@ext.test" }, { "To", "bob@int.test" }, { "Subject", "E2E-TEMPFAIL please" },
  }, "Hello.\r\n")
  if r ~= SMFIR_REPLYCODE and r ~= SMFIR_TEMPFAIL then return "reply " .. rname(r) .. " at " .. stage end
  if stage == "eom" and not mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1", "Deferred by e2e tempfail rule") then
    return "reply at eom is not '451 4.7.1 Deferred by e2e tempfail rule'"
  end
  mt.disconnect(conn, false)
end)

-- 3c. quarantine: Subject E2E-QUARANTINE -> SMFIR_QUARANTINE with the rule's reason, accepted.
run("quarantine rule asks for quarantine", function()
  local conn = open(nil, "MT0007")
  local r, stage = message(conn, {
    { "From", "eve@ext.test" }, { "To", "bob@int.test" }, { "Subject", "E2E-QUARANTINE please" },
  }, "Hello.\r\n")
  if stage ~= "eom" or (r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE) then return "reply " .. rname(r) .. " at " .. stage end
  if not mt.eom_check(conn, MT_QUARANTINE, "e2e quarantine rule") then
    return "no quarantine request with reason 'e2e quarantine rule'" ..
      (mt.eom_check(conn, MT_QUARANTINE) and " (a different reason)" or "")
  end
  mt.disconnect(conn)
end)

-- 4. reject_recipient: only blocked@int.test is refused at RCPT.
run("reject_recipient refuses only that recipient", function()
  local conn, rep = open({ "<ok1@int.test>", "<blocked@int.test>", "<ok2@int.test>" }, "MT0005")
  if rep == nil then return "the daemon negotiated SMFIP_NORCPT: it never sees recipients" end
  local b = rep["<blocked@int.test>"]
  if b ~= SMFIR_REPLYCODE and b ~= SMFIR_REJECT then return "blocked@: reply " .. rname(b) end
  for _, a in ipairs({ "<ok1@int.test>", "<ok2@int.test>" }) do
    if rep[a] ~= SMFIR_CONTINUE then return a .. ": reply " .. rname(rep[a]) end
  end
  mt.disconnect(conn, false)
end)

print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then error("failures") end
