-- miltertest script for Tests/capi/run.sh: SIGTERM while a message is under way.
-- Environment: SOCK, PID (daemon running Tests/capi/policy.yaml).
-- The daemon stops accepting connections but finishes the open one.
local function check(cond, what)
  if cond then mt.echo("ok - " .. what) else mt.echo("not ok - " .. what) end
end

local conn = mt.connect(os.getenv("SOCK"), 20, 0.1)
assert(conn ~= nil)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
mt.macro(conn, SMFIC_MAIL, "i", "DR1")
assert(mt.mailfrom(conn, "<alice@example.org>") == nil)
assert(mt.rcptto(conn, "<bob@example.com>") == nil)
mt.header(conn, "Subject", "invoice")
mt.header(conn, "X-Sealmilter-Unscannable", "none")

os.execute("kill -TERM " .. os.getenv("PID"))
mt.sleep(1.5)
check(os.execute("kill -0 " .. os.getenv("PID") .. " 2>/dev/null"), "drain: the daemon still runs with a connection open")

-- A new connection now is closed at once: negotiation fails.
local c2 = mt.connect(os.getenv("SOCK"), 1, 0.1)
local refused = (c2 == nil)
if c2 ~= nil then
  local ok, err = pcall(mt.negotiate, c2, nil, nil, nil)
  refused = (not ok) or (err ~= nil)
end
check(refused, "drain: a new connection is refused")

check(mt.eoh(conn) == nil, "drain: eoh after SIGTERM")
mt.bodystring(conn, "hello\r\n")
check(mt.eom(conn) == nil, "drain: eom after SIGTERM")
local r = mt.getreply(conn)
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "drain: the message under way is accepted")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Sealmilter-Unscannable"), "drain: and its forged header deleted")
mt.disconnect(conn)
