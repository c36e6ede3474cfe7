-- miltertest script for Benchmarks/footprint.sh: $COUNT messages, one milter
-- connection each (as Postfix makes one per SMTP connection), to the daemon on
-- $SOCK. Each message: MAIL, RCPT, six header fields, a 4 KB body, end of message.
local count = tonumber(os.getenv("COUNT") or "1000")
local body = string.rep("Hello, this is line of the body of a benchmark message.\r\n", 70)
for i = 1, count do
  local conn = mt.connect(os.getenv("SOCK"), 20, 0.05)
  if conn == nil then error("cannot connect to " .. tostring(os.getenv("SOCK"))) end
  if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
  mt.macro(conn, SMFIC_MAIL, "i", "FP" .. i)
  mt.mailfrom(conn, "<alice@example.org>")
  if not mt.test_option(conn, SMFIP_NORCPT) then mt.rcptto(conn, "<bob@example.com>") end
  mt.header(conn, "From", "Alice <alice@example.org>")
  mt.header(conn, "To", "Bob <bob@example.com>")
  mt.header(conn, "Subject", "Message " .. i)
  mt.header(conn, "Date", "Mon, 30 Nov 2026 08:00:00 +0000")
  mt.header(conn, "Message-ID", "<fp" .. i .. "@example.org>")
  mt.header(conn, "Content-Type", "text/plain")
  mt.eoh(conn)
  mt.bodystring(conn, body)
  if mt.eom(conn) ~= nil then error("eom " .. i) end
  mt.disconnect(conn)
end
