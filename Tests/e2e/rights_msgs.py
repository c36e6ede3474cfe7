#!/usr/bin/env python3
"""Tests/e2e/rights_msgs.py DIR TOKEN — the messages of Tests/e2e/rights.sh in DIR:

  protected.eml   alice@int.test -> bob, carol: "[secret] Northwind ..." (protected on its way)
  fwd-refs.eml    bob -> eve@ext.test, References: the protected message
  reply.eml       bob -> alice, In-Reply-To + the quoted text
  fwd-eml.eml     bob -> eve, the protected message attached as northwind.eml (base64)
  fwd-rfc822.eml  bob -> eve, the protected message attached as message/rfc822
  fwd-rfc822-id.eml  bob -> eve, the protected message as message/rfc822 inside a forwarded
                  message/rfc822 (Thunderbird style), its text replaced entirely: only its
                  Message-ID ties it to the protected message
  fwd-rfc822-other.eml  the same with an unrelated inner Message-ID (passes)
  fwd-quote.eml   bob -> eve, the text quoted and re-wrapped at 38 columns, no references
  fwd-edit.eml    bob -> eve, quoted at 55 columns with '>> ' and some words changed
  tag.eml         alice -> bob: "[dnf] Salary review" (a manual request)
TOKEN makes every Message-ID and subject unique."""
import base64, sys, textwrap

d, tok = sys.argv[1], sys.argv[2]
TEXT = ("The board has approved the acquisition of Northwind Components for a total consideration of "
        "forty two million euros, payable in three instalments over the coming eighteen months. The "
        "announcement is planned for the fourteenth of next month, after the works council has been "
        "informed and the financing has been confirmed by both lenders. Until then the number of people "
        "who know about it must stay as small as possible; please do not discuss the price, the timing or "
        "the name of the target with anyone outside this list, and do not store the attached term sheet "
        "on shared drives. Integration planning starts next week with a small team from finance, legal "
        "and operations, and each of you will receive a separate invitation with the details.")
PID = f"<{tok}-p@int.test>"

def wrap(text, width, prefix):
    return "\n".join(prefix + l for l in textwrap.wrap(text, width))

def write(name, headers, body):
    with open(f"{d}/{name}", "w", newline="\n") as f:
        f.write("".join(f"{k}: {v}\n" for k, v in headers) + "\n" + body + "\n")

protected_headers = [("From", "Alice <alice@int.test>"), ("To", "bob@int.test, carol@int.test"),
                     ("Subject", f"[secret] Northwind {tok}"), ("Message-ID", PID), ("MIME-Version", "1.0"),
                     ("Content-Type", "text/plain; charset=utf-8")]
protected_body = wrap(TEXT, 72, "")
write("protected.eml", protected_headers, protected_body)
original = "".join(f"{k}: {v}\r\n" for k, v in protected_headers) + "\r\n" + protected_body.replace("\n", "\r\n") + "\r\n"

def fwd(name, to, extra, body, subject="Fwd: Northwind"):
    write(name, [("From", "Bob <bob@int.test>"), ("To", to), ("Subject", f"{subject} {tok} {name}"),
                 ("Message-ID", f"<{tok}-{name}@int.test>")] + extra, body)

fwd("fwd-refs.eml", "eve@ext.test", [("References", f"<x{tok}@int.test> {PID}")], "Eve, FYI - the thread below.")
fwd("reply.eml", "alice@int.test", [("In-Reply-To", PID), ("References", PID)],
    "Agreed, thanks.\n\nOn Monday Alice wrote:\n" + wrap(TEXT, 70, "> "), subject="Re: Northwind")
b64 = base64.encodebytes(original.encode()).decode()
fwd("fwd-eml.eml", "eve@ext.test", [("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=b1")],
    "--b1\nContent-Type: text/plain\n\nSee attached.\n--b1\nContent-Type: application/octet-stream; name=\"northwind.eml\"\n"
    "Content-Disposition: attachment; filename=\"northwind.eml\"\nContent-Transfer-Encoding: base64\n\n" + b64 + "--b1--")
fwd("fwd-rfc822.eml", "eve@ext.test", [("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=b2")],
    "--b2\nContent-Type: text/plain\n\nForwarded as an attachment.\n--b2\nContent-Type: message/rfc822\n\n"
    + original.replace("\r\n", "\n").replace(PID, f"<{tok}-copy@int.test>") + "--b2--")
REWRITTEN = ("Nothing of the original text is left here: this paragraph talks about the canteen, the new "
             "coffee machine on the third floor and the summer party that the social committee is planning.")
def nested(inner_id):
    inner = "".join(f"{k}: {inner_id if k == 'Message-ID' else v}\n" for k, v in protected_headers) + "\n" + wrap(REWRITTEN, 72, "") + "\n"
    wrapper = (f"From: Carol <carol@int.test>\nTo: bob@int.test\nSubject: Fwd: lunch {tok}\nMessage-ID: <{tok}-w@int.test>\n"
               "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=w1\n\n--w1\nContent-Type: text/plain\n\nCarol's note.\n"
               "--w1\nContent-Type: message/rfc822\n\n" + inner + "--w1--\n")
    return ("--b3\nContent-Type: text/plain\n\nForwarded as an attachment.\n--b3\nContent-Type: message/rfc822\n\n"
            + wrapper + "--b3--")
mixed3 = [("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=b3")]
fwd("fwd-rfc822-id.eml", "eve@ext.test", mixed3, nested(PID))
fwd("fwd-rfc822-other.eml", "eve@ext.test", mixed3, nested(f"<{tok}-lunch@int.test>"))
fwd("fwd-quote.eml", "eve@ext.test", [], "Eve, keep this to yourself.\n\n" + wrap(TEXT, 38, "> "))
edited = TEXT
for a, b in [("forty two", "roughly forty"), ("fourteenth", "fifteenth"), ("finance", "controlling")]:
    edited = edited.replace(a, b)
fwd("fwd-edit.eml", "eve@ext.test", [], "Heads up:\n\n" + wrap(edited, 55, ">> "))
write("tag.eml", [("From", "alice@int.test"), ("To", "bob@int.test"), ("Subject", f"[dnf] Salary review {tok}"),
                  ("Message-ID", f"<{tok}-tag@int.test>")],
      "The salary review figures for the whole department are in the table below, please check them.")
