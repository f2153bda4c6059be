#!/usr/bin/python3
"""Interoperability of ccfaas's JOSE (src/jose, through jose-tool) with an
independent implementation, Debian's python3-jwcrypto:
  - JWE ECDH-ES+A256KW (P-256) and RSA-OAEP-256 with A256GCM: jwcrypto encrypts,
    ccfaas decrypts, and ccfaas encrypts (to a Trustee-style tee-pubkey JWK),
    jwcrypto decrypts; a tampered jwcrypto JWE is refused
  - JWT ES256 and EdDSA (Ed25519): signed by each, verified by the other; an
    expired token is refused
  - JCS numbers: 20000 random doubles against Python's shortest round-trip repr
    put in ECMAScript's format (RFC 8785 §3.2.2.3)
usage: interop.py JOSE-TOOL. Exit 77 (skip) when jwcrypto is missing."""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

try:
    from jwcrypto import jwe, jwk, jwt
except ImportError:
    print("SKIP: python3-jwcrypto is not installed (scripts/install-deps installs it)")
    sys.exit(77)

tool = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="ccf-jose-")
checks = 0


def run(args, data=b"", ok=True):
    p = subprocess.run([tool] + args, input=data, capture_output=True)
    if ok and p.returncode != 0:
        sys.exit(f"FAIL: jose-tool {' '.join(args)}: {p.stderr.decode()}")
    if not ok and p.returncode == 0:
        sys.exit(f"FAIL: jose-tool {' '.join(args)} accepted what it should refuse")
    return p.stdout if ok else p.stderr.decode()


def check(cond, what):
    global checks
    if not cond:
        sys.exit(f"FAIL: {what}")
    checks += 1


def write(name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def keypair(name, **kw):
    k = jwk.JWK.generate(**kw)
    priv = write(name + ".key", k.export_to_pem(private_key=True, password=None))
    pub = write(name + ".pub", k.export_to_pem())
    return k, priv, pub


ec, ec_priv, ec_pub = keypair("ec", kty="EC", crv="P-256")
rsa, rsa_priv, rsa_pub = keypair("rsa", kty="RSA", size=2048)
ed, ed_priv, ed_pub = keypair("ed", kty="OKP", crv="Ed25519")
messages = [b"", b"k", os.urandom(32), os.urandom(5000)]

# JWE: jwcrypto → ccfaas
for alg, key, priv in (("ECDH-ES+A256KW", ec, ec_priv), ("RSA-OAEP-256", rsa, rsa_priv)):
    for msg in messages:
        e = jwe.JWE(msg, protected=json.dumps({"alg": alg, "enc": "A256GCM"}))
        e.add_recipient(key)
        token = e.serialize(compact=False)
        out = run(["decrypt", priv], token.encode())
        check(out == msg, f"{alg}: jwcrypto's JWE of {len(msg)} bytes decrypted by ccfaas")
    # a tampered ciphertext is refused
    doc = json.loads(token)
    ct = bytearray(jwk.base64url_decode(doc["ciphertext"]))
    ct[0] ^= 1
    doc["ciphertext"] = jwk.base64url_encode(bytes(ct))
    err = run(["decrypt", priv], json.dumps(doc).encode(), ok=False)
    check("tag mismatch" in err, f"{alg}: tampered jwcrypto JWE refused ({err.strip()})")

# JWE: ccfaas → jwcrypto, to the tee-pubkey JWK as a Trustee client sends it
for alg, key, pub in (("ECDH-ES+A256KW", ec, ec_pub), ("RSA-OAEP-256", rsa, rsa_pub)):
    tee = json.loads(run(["jwk", pub, alg]))
    check(tee["kty"] == key["kty"] and tee["alg"] == alg, f"{alg}: JWK {tee}")
    check(jwk.JWK(**tee).thumbprint() == key.thumbprint(), f"{alg}: JWK is the same key")
    jwk_path = write("tee-" + alg + ".json", json.dumps(tee).encode())
    for msg in messages[1:]:  # jwcrypto 1.1 takes an empty plaintext for a failure
        token = run(["encrypt", jwk_path], msg).decode()
        doc = json.loads(token)
        check(set(doc) == {"protected", "encrypted_key", "iv", "ciphertext", "tag"},
              f"{alg}: flattened members {sorted(doc)}")
        d = jwe.JWE()
        d.deserialize(token, key=key)
        check(d.payload == msg, f"{alg}: ccfaas's JWE of {len(msg)} bytes decrypted by jwcrypto")
        check(json.loads(d.objects["protected"])["alg"] == alg, f"{alg}: protected alg")

# JWT both ways
now = int(time.time())
for alg, key, priv, pub in (("ES256", ec, ec_priv, ec_pub), ("EdDSA", ed, ed_priv, ed_pub)):
    claims = {"iss": "jwcrypto", "iat": now, "nbf": now - 5, "exp": now + 300, "n": [1, 2.5]}
    t = jwt.JWT(header={"alg": alg, "typ": "JWT"}, claims=claims)
    t.make_signed_token(key)
    out = run(["jwt-verify", pub, str(now)], t.serialize().encode())
    check(json.loads(out) == claims, f"{alg}: jwcrypto's JWT verified by ccfaas")
    err = run(["jwt-verify", pub, str(now + 301)], t.serialize().encode(), ok=False)
    check("expired" in err, f"{alg}: expired jwcrypto JWT refused")
    other = {"ES256": ed_pub, "EdDSA": ec_pub}[alg]
    err = run(["jwt-verify", other, str(now)], t.serialize().encode(), ok=False)
    check("does not match" in err, f"{alg}: JWT with a key of another type refused")

    claims["iss"] = "ccfaas"
    token = run(["jwt-sign", priv], json.dumps(claims).encode()).decode().strip()
    v = jwt.JWT(jwt=token, key=jwk.JWK.from_pem(open(pub, "rb").read()),
                algs=[alg], check_claims={"exp": None})
    check(json.loads(v.claims) == claims, f"{alg}: ccfaas's JWT verified by jwcrypto")
    check(json.loads(jwk.base64url_decode(token.split(".")[0]))["alg"] == alg, f"{alg}: header")


# JCS numbers: ECMAScript's Number::toString from Python's shortest repr
def es_number(x):
    if x == 0:
        return "0"
    sign, digits, exp = Decimal(repr(abs(x))).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    n = len(digits) + exp  # value = 0.ds × 10^n
    k = len(ds)
    s = "-" if x < 0 else ""
    if k <= n <= 21:
        return s + ds + "0" * (n - k)
    if 0 < n <= 21:
        return s + ds[:n] + "." + ds[n:]
    if -6 < n <= 0:
        return s + "0." + "0" * (-n) + ds
    e = n - 1
    return s + ds[0] + ("." + ds[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))


rng = random.Random(8785)
values = []
for i in range(20000):
    if i % 4 == 0:  # integers and short decimals, as JSON documents hold
        values.append(float(rng.randint(-10**17, 10**17)) / 10 ** rng.randint(0, 12))
    else:
        bits = rng.getrandbits(64)
        if (bits >> 52) & 0x7FF == 0x7FF:
            continue  # NaN / infinity
        values.append(struct.unpack("<d", struct.pack("<Q", bits))[0])
lines = "".join("%016x\n" % struct.unpack("<Q", struct.pack("<d", v))[0] for v in values)
got = run(["jcs-numbers"], lines.encode()).decode().split("\n")
for v, g in zip(values, got):
    check(g == es_number(v), f"JCS number {v!r}: ccfaas {g}, expected {es_number(v)}")

# JCS of a whole document against the RFC 8785 rules for BMP keys (Python
# sorts by code point, which equals UTF-16 order without astral characters)
doc = {"z": [True, None, {"b": 1, "a": "é\u2028\u0001"}], "a": 0.1, "€": -0.0, "\u00e9": 1e21}
out = run(["jcs"], json.dumps(doc).encode()).decode()
py = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
py = py.replace("-0.0", "0").replace("1e+21", "1e+21")
check(out == py, f"JCS document: {out} vs {py}")

print(f"jose interop: {checks} checks passed (jwcrypto)")
