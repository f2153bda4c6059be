#!/usr/bin/python3
"""Checks what ccfaas made with the vectors' keys (wo_kat emit, JSON on stdin)
with Debian's python3-pycryptodome and python3-ecdsa: the wrapped session keys
unwrap, the sealed out-data opens (Avalon's fixed IV and a prepended fresh IV),
the signature verifies over the response hash computed here.
usage: wo_kat emit VECTORS | wo_kat_verify.py VECTORS"""
import base64
import json
import sys

from Cryptodome.Cipher import PKCS1_OAEP
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from ecdsa import BadSignatureError, VerifyingKey
from ecdsa.util import sigdecode_der

import wo_oracle as o

v = json.load(open(sys.argv[1]))
e = json.load(sys.stdin)
key, iv = bytes.fromhex(v["session_key"]), bytes.fromhex(v["iv"])
rsa = RSA.import_key(v["rsa_private_pem"])
vk = VerifyingKey.from_pem(v["ec_public_pem"])
plain = v["response"]["out_plain"].encode()
rh = o.response_hash(v["response"]["result"])
checks = [
    ("ccfaas's SHA-1 OAEP wrap unwraps (pycryptodome default)",
     lambda: PKCS1_OAEP.new(rsa).decrypt(bytes.fromhex(e["wrapped_sha1"])) == key),
    ("ccfaas's SHA-256 OAEP wrap unwraps",
     lambda: PKCS1_OAEP.new(rsa, hashAlgo=SHA256).decrypt(bytes.fromhex(e["wrapped_sha256"])) == key),
    ("ccfaas's sealed data opens (fixed IV)",
     lambda: o.unseal(key, iv, base64.b64decode(e["sealed_fixed_iv"]), False) == plain),
    ("ccfaas's sealed data opens (fresh IV first)",
     lambda: o.unseal(key, iv, base64.b64decode(e["sealed_fresh_iv"]), True) == plain),
    ("the fresh IV is not the fixed one",
     lambda: base64.b64decode(e["sealed_fresh_iv"])[:12] != iv),
    ("ccfaas's response hash equals python's", lambda: e["response_hash"] == rh.hex()),
    ("ccfaas's signature verifies with python-ecdsa",
     lambda: vk.verify_digest(base64.b64decode(e["signature"]), rh, sigdecode=sigdecode_der)),
]
failed = 0
for name, fn in checks:
    try:
        ok = fn()
    except (ValueError, KeyError, BadSignatureError) as ex:
        ok = False
        name += ": " + str(ex)
    if not ok:
        failed += 1
        print("FAIL: " + name)
print("%d passed, %d failed" % (len(checks) - failed, failed))
sys.exit(1 if failed else 0)
