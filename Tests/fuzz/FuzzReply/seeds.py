import base64, json, os, sys
d = sys.argv[1]
def block(obj, raw=None):
    b = raw if raw is not None else base64.b64encode(json.dumps(obj).encode()).decode()
    lines = "\n".join(b[i:i + 76] for i in range(0, len(b), 76))
    return "Hi,\n\n-----BEGIN SEALMILTER SECURE REPLY-----\n%s\n-----END SEALMILTER SECURE REPLY-----\n" % lines
good = {"v": 1, "envelope": base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode(),
        "epk": base64.b64encode(bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + os.urandom(64)).decode(),
        "nonce": base64.b64encode(os.urandom(12)).decode(), "ct": base64.b64encode(os.urandom(80)).decode(),
        "mac": base64.b64encode(os.urandom(32)).decode()}
seeds = {"good": block(good), "v2": block(dict(good, v=2)), "noend": block(good).replace("-----END", "-----FIN"),
         "quoted": "> " + block(good).replace("\n", "\n> "), "notb64": block(None, "!!!!"),
         "deep": block(None, base64.b64encode(b"[" * 100).decode()), "crlf": block(good).replace("\n", "\r\n")}
for k, v in seeds.items():
    open(os.path.join(d, k), "w").write(v)
