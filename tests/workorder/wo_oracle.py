#!/usr/bin/python3
"""An independent work-order client for ccfaas's tests (issue 19): it makes
requests and checks answers with Debian's python3-pycryptodome and
python3-ecdsa, the libraries Avalon's own client uses, following the rules
written down in docs/workorders.md (not ccfaas's C code).

  wo_oracle.py URL submit WORKER_NAME WORKLOAD INPUT [--mode avalon|fresh]
               [--tamper hash|session-key|workload] [--worker-id HEX]
      prints the JSON-RPC answers, then "RESULT <text>" for a verified result,
      or "ERROR <code> <message>"; exit 0 when a result verified.
  wo_oracle.py URL rpc JSON      posts JSON, prints the answer
"""
import base64
import hashlib
import json
import secrets
import sys
import urllib.request

from Cryptodome.Cipher import AES, PKCS1_OAEP
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from ecdsa import VerifyingKey
from ecdsa.util import sigdecode_der


def post(url, obj):
    data = json.dumps(obj).encode()
    req = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.headers.get("Content-Type") == "application/json", r.headers.get("Content-Type")
        return json.loads(r.read())


def sha256(b):
    return hashlib.sha256(b).digest()


def datahash(items):
    s = ""
    for it in sorted(items, key=lambda x: x["index"]):
        s += it.get("dataHash", "") + it.get("data", "") + \
            it.get("encryptedDataEncryptionKey", "") + it.get("iv", "")
    return sha256(s.encode())


def request_hash(p):
    h1 = sha256((p["requesterNonce"] + p["workOrderId"] + p["workerId"] +
                 p["workloadId"] + p["requesterId"]).encode())
    h3 = datahash(p["outData"]) if p.get("outData") else b""
    return sha256(h1 + datahash(p["inData"]) + h3)


def response_hash(r):
    h1 = sha256((r["workerNonce"] + r["workOrderId"] + r["workerId"] +
                 r["workloadId"] + r["requesterId"]).encode())
    h2 = datahash(r["outData"]) if r.get("outData") else b""
    return sha256(h1 + h2)


def seal(key, iv, data, fresh):
    if fresh:
        iv = secrets.token_bytes(12)
    c, tag = AES.new(key, AES.MODE_GCM, iv).encrypt_and_digest(data)
    return (iv if fresh else b"") + c + tag


def unseal(key, iv, blob, fresh):
    if fresh:
        iv, blob = blob[:12], blob[12:]
    return AES.new(key, AES.MODE_GCM, iv).decrypt_and_verify(blob[:-16], blob[-16:])


def main(argv):
    url, cmd = argv[1], argv[2]
    if cmd == "rpc":
        print(json.dumps(post(url, json.loads(argv[3]))))
        return 0
    name, workload, text = argv[3], argv[4], argv[5]
    opts = dict(zip(argv[6::2], argv[7::2]))
    fresh = opts.get("--mode", "avalon") == "fresh"
    tamper = opts.get("--tamper")
    worker_id = opts.get("--worker-id") or hashlib.sha256(name.encode()).hexdigest()
    w = post(url, {"jsonrpc": "2.0", "method": "WorkerRetrieve", "id": 1,
                   "params": {"workerId": worker_id}})
    if "error" in w:
        print("ERROR %d %s" % (w["error"]["code"], w["error"]["message"]))
        return 1
    td = w["result"]["details"]["workerTypeData"]
    vk = VerifyingKey.from_pem(td["verificationKey"])
    # the encryption key's signature (Avalon: verify_encryption_key_signature)
    assert vk.verify_digest(bytes.fromhex(td["encryptionKeySignature"]),
                            sha256(td["encryptionKey"].encode()), sigdecode=sigdecode_der)
    rsa = RSA.import_key(td["encryptionKey"])
    key, iv = secrets.token_bytes(32), secrets.token_bytes(12)
    if tamper == "session-key":  # the key wrapped for another worker
        rsa = RSA.generate(2048)
    if fresh:
        wrapped = PKCS1_OAEP.new(rsa, hashAlgo=SHA256).encrypt(key)
    else:
        wrapped = PKCS1_OAEP.new(rsa).encrypt(key)
    wl = workload.encode().hex()
    p = {"responseTimeoutMSecs": 6000, "payloadFormat": "JSON-RPC",
         "workOrderId": secrets.token_hex(32), "workerId": worker_id,
         "workloadId": wl, "requesterId": secrets.token_hex(32),
         "requesterNonce": secrets.token_hex(16),
         "workerEncryptionKey": td["encryptionKey"].encode().hex(),
         "dataEncryptionAlgorithm": "AES-GCM-256",
         "encryptedSessionKey": wrapped.hex().upper(),
         "encryptedRequestHash": "", "requesterSignature": "",
         "inData": [{"index": 0, "data": base64.b64encode(
             seal(key, iv, text.encode(), fresh)).decode()}]}
    if fresh:
        p["encryptedSessionKeyOaepHash"] = "SHA-256"
    else:
        p["sessionKeyIv"] = iv.hex().upper()
    rh = request_hash(p)
    if tamper == "hash":
        rh = bytes([rh[0] ^ 1]) + rh[1:]
    p["encryptedRequestHash"] = seal(key, iv, rh, fresh).hex().upper()
    a = post(url, {"jsonrpc": "2.0", "method": "WorkOrderSubmit", "id": 2, "params": p})
    print(json.dumps(a))
    if "error" in a and a["error"]["code"] != 5:
        print("ERROR %d %s" % (a["error"]["code"], a["error"]["message"]))
        return 1
    r = post(url, {"jsonrpc": "2.0", "method": "WorkOrderGetResult", "id": 3,
                   "params": {"workOrderId": p["workOrderId"]}})
    print(json.dumps(r))
    if "error" in r:
        print("ERROR %d %s" % (r["error"]["code"], r["error"]["message"]))
        return 1
    res = r["result"]
    assert vk.verify_digest(base64.b64decode(res["workerSignature"]), response_hash(res),
                            sigdecode=sigdecode_der), "worker signature"
    for k in ("workOrderId", "workerId", "workloadId", "requesterId"):
        assert res[k] == p[k], k
    out = unseal(key, iv, base64.b64decode(res["outData"][0]["data"]), fresh)
    print("RESULT " + out.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
