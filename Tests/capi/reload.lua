-- miltertest script for Tests/capi/run.sh: policy reload with connections open.
-- Environment: SOCK (daemon socket), PID (daemon), POLICY (the file it reads),
-- V2 (a policy whose tag-invoice rule adds X-Invoice: v2), LOG (daemon log).
-- A connection opened before SIGHUP keeps the old policy; a new one gets the new.
local function check(cond, what)
  if cond then mt.echo("ok - " .. what) else mt.echo("not ok - " .. what) end
end

local function message(conn, qid)
  mt.macro(conn, SMFIC_MAIL, "i", qid)
  assert(mt.mailfrom(conn, "<alice@example.org>") == nil)
  assert(mt.rcptto(conn, "<bob@example.com>") == nil)
  mt.header(conn, "From", "alice@example.org")
  mt.header(conn, "Subject", "invoice")
  assert(mt.eoh(conn) == nil)
  mt.bodystring(conn, "hello\r\n")
  assert(mt.eom(conn) == nil)
end

local old = mt.connect(os.getenv("SOCK"), 20, 0.1)
assert(old ~= nil)
assert(mt.negotiate(old, nil, nil, nil) == nil)
message(old, "RL1")
check(mt.eom_check(old, MT_HDRADD, "X-Invoice", "yes"), "reload: before SIGHUP, X-Invoice: yes")

os.execute("cp '" .. os.getenv("V2") .. "' '" .. os.getenv("POLICY") .. "' && kill -HUP " .. os.getenv("PID"))
local reloaded = false
for _ = 1, 50 do
  if os.execute("grep -q 'reloaded' '" .. os.getenv("LOG") .. "'") then reloaded = true; break end
  mt.sleep(0.1)
end
check(reloaded, "reload: the daemon logged the reload")

local new = mt.connect(os.getenv("SOCK"), 20, 0.1)
assert(new ~= nil)
assert(mt.negotiate(new, nil, nil, nil) == nil)
message(new, "RL2")
check(mt.eom_check(new, MT_HDRADD, "X-Invoice", "v2"), "reload: a new connection uses the new policy (X-Invoice: v2)")
message(old, "RL3")
check(mt.eom_check(old, MT_HDRADD, "X-Invoice", "yes"), "reload: the connection opened before keeps the old policy")
mt.disconnect(new)
mt.disconnect(old)
