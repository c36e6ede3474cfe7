#!/usr/bin/env python3
"""milter-trace.py LISTEN_PORT FILTER_PORT LOG — a loopback TCP relay between an MTA
and a milter that writes what passes, one line per milter packet, to LOG:

  MTA macros STAGE: name=value ...     a SMFIC_MACRO packet (STAGE: the command it
                                       comes with: C H M R T N E)
  MTA command X                        any other packet from the MTA
  FILTER negotiate actions=0x.. protocol=0x.. lists=STAGE:names;...
  FILTER reply X                       any other packet from the filter

Used by Tests/sendmail/run.sh (case m) to see which macros Sendmail sends at each
stage. Standard library only; runs until killed.
"""
import socket
import struct
import sys
import threading

STAGES = {0: "C", 1: "H", 2: "M", 3: "R", 4: "T", 5: "E", 6: "N"}  # SMFIM_* -> command letter
lock = threading.Lock()


def log(path, line):
    with lock, open(path, "a") as f:
        f.write(line + "\n")


def describe(side, pkt):
    cmd, body = chr(pkt[0]), pkt[1:]
    if side == "MTA" and cmd == "D" and body:
        parts = body[1:].split(b"\0")
        pairs = [f"{parts[i].decode(errors='replace')}={parts[i + 1].decode(errors='replace')}"
                 for i in range(0, len(parts) - 1, 2)]
        return f"MTA macros {chr(body[0])}: " + " ".join(pairs)
    if side == "FILTER" and cmd == "O" and len(body) >= 12:
        _, actions, proto = struct.unpack(">III", body[:12])
        rest, lists = body[12:], []
        while len(rest) >= 4:
            where = struct.unpack(">I", rest[:4])[0]
            names, _, rest = rest[4:].partition(b"\0")
            lists.append(f"{STAGES.get(where, where)}:{names.decode(errors='replace')}")
        return f"FILTER negotiate actions=0x{actions:x} protocol=0x{proto:x} lists=" + ";".join(lists)
    return f"{side} {'command' if side == 'MTA' else 'reply'} {cmd}"


def relay(src, dst, side, path):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            buf += data
            while len(buf) >= 4:
                n = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                log(path, describe(side, buf[4:4 + n]))
                buf = buf[4 + n:]
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    lport, fport, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", lport))
    srv.listen(16)
    while True:
        mta, _ = srv.accept()
        try:
            flt = socket.create_connection(("127.0.0.1", fport), timeout=5)
            flt.settimeout(None)
        except OSError as e:
            log(path, f"cannot reach the filter: {e}")
            mta.close()
            continue
        threading.Thread(target=relay, args=(mta, flt, "MTA", path), daemon=True).start()
        threading.Thread(target=relay, args=(flt, mta, "FILTER", path), daemon=True).start()


if __name__ == "__main__":
    main()
