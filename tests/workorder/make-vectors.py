#!/usr/bin/python3
"""Writes tests/data/workorder/vectors.json: known-answer vectors for the
work-order cryptography (docs/workorders.md), made with Debian's
python3-pycryptodome and python3-ecdsa, the libraries Avalon uses, following
Avalon's rules independently of ccfaas's C code. Rerun to make new vectors:
    /usr/bin/python3 tests/workorder/make-vectors.py > tests/data/workorder/vectors.json
"""
import base64
import hashlib
import json
import secrets

from Cryptodome.Cipher import AES, PKCS1_OAEP
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from ecdsa import SECP256k1, SigningKey
from ecdsa.util import sigencode_der

import wo_oracle as o


def main():
    rsa = RSA.generate(3072)
    sk = SigningKey.generate(curve=SECP256k1)
    key, iv = secrets.token_bytes(32), secrets.token_bytes(12)
    v = {"about": "made by tests/workorder/make-vectors.py (pycryptodome + ecdsa)",
         "rsa_private_pem": rsa.export_key().decode(),
         "rsa_public_pem": rsa.publickey().export_key().decode(),
         "ec_private_pem": sk.to_pem().decode(),
         "ec_public_pem": sk.get_verifying_key().to_pem().decode(),
         "session_key": key.hex(), "iv": iv.hex(),
         "wrapped_sha1": PKCS1_OAEP.new(rsa.publickey()).encrypt(key).hex().upper(),
         "wrapped_sha256": PKCS1_OAEP.new(rsa.publickey(), hashAlgo=SHA256).encrypt(key).hex().upper(),
         "worker_name": "scone-worker-1",
         "worker_id": hashlib.sha256(b"scone-worker-1").hexdigest()}
    reqs = []
    for fresh in (False, True):
        texts = ["Mujtaba", "100 100 50 50", ""]
        p = {"workOrderId": secrets.token_hex(32), "workerId": v["worker_id"],
             "workloadId": b"python-hello".hex(), "requesterId": secrets.token_hex(32),
             "requesterNonce": secrets.token_hex(16),
             "encryptedSessionKey": v["wrapped_sha256" if fresh else "wrapped_sha1"],
             # items out of index order and with every optional field: the sort and concatenation
             "inData": [{"index": 2, "data": base64.b64encode(o.seal(key, iv, texts[2].encode(), fresh)).decode()},
                        {"index": 0, "data": base64.b64encode(o.seal(key, iv, texts[0].encode(), fresh)).decode(),
                         "dataHash": "AB", "encryptedDataEncryptionKey": "null", "iv": ""},
                        {"index": 1, "data": base64.b64encode(o.seal(key, iv, texts[1].encode(), fresh)).decode()}],
             "outData": [{"index": 0, "data": "", "iv": "x"}]}
        if fresh:
            p["encryptedSessionKeyOaepHash"] = "SHA-256"
        else:
            p["sessionKeyIv"] = iv.hex().upper()
        h = o.request_hash(p)
        p["encryptedRequestHash"] = o.seal(key, iv, h, fresh).hex().upper()
        reqs.append({"fresh_iv": fresh, "params": p, "request_hash": h.hex(), "in_plain": texts})
    v["requests"] = reqs
    res = {"workloadId": b"python-fib".hex(), "workOrderId": secrets.token_hex(32),
           "workerId": v["worker_id"], "requesterId": secrets.token_hex(32),
           "workerNonce": base64.b64encode(b"ABCDEFGH12345678").decode(),
           "outData": [{"index": 0, "data": base64.b64encode(o.seal(key, iv, b"Fibonacci number at position 5 = 5", False)).decode(),
                        "encryptedDataEncryptionKey": "null", "iv": ""}]}
    rh = o.response_hash(res)
    res["workerSignature"] = base64.b64encode(sk.sign_digest_deterministic(rh, sigencode=sigencode_der)).decode()
    v["response"] = {"result": res, "response_hash": rh.hex(), "out_plain": "Fibonacci number at position 5 = 5"}
    # the encryption key's signature, as a worker publishes it
    v["encryption_key_signature"] = sk.sign_digest_deterministic(
        hashlib.sha256(v["rsa_public_pem"].encode()).digest(), sigencode=sigencode_der).hex()
    print(json.dumps(v, indent=1))


if __name__ == "__main__":
    main()
