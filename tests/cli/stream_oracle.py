#!/usr/bin/python3
"""An independent implementation of CCFSTR01 (docs/guest-crypto.md) with Debian's
python3-pycryptodome, written from the document, never from src/envelope/stream.c.
Used by tests/cli/test-stream-oracle and tests/e2e/test-guest-crypto.

  stream_oracle.py seal KEYFILE IN OUT [CHUNK]   encrypts IN ("-" = stdin) into OUT
  stream_oracle.py open KEYFILE IN OUT           decrypts IN; exit 1 on any refusal
  stream_oracle.py wrap PUBPEM KEYFILE OUT       RSA-OAEP (SHA-256, MGF1 SHA-256) of KEYFILE
"""
import struct
import sys

from Cryptodome.Cipher import AES, PKCS1_OAEP
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.Random import get_random_bytes

MAGIC = b"CCFSTR01"
FINAL = 0x80000000


def nonce(base, i):
    return base[:4] + (int.from_bytes(base[4:], "big") ^ i).to_bytes(8, "big")


def seal(key, plain, chunk=65536, base=None):
    base = base if base is not None else get_random_bytes(12)
    header = MAGIC + struct.pack(">I", chunk) + base
    out = [header]
    i = 0
    pos = 0
    while True:
        rest = len(plain) - pos
        final = rest <= chunk
        piece = plain[pos:pos + (rest if final else chunk)]
        field = struct.pack(">I", len(piece) | (FINAL if final else 0))
        c = AES.new(key, AES.MODE_GCM, nonce=nonce(base, i))
        c.update(header + field)
        ct, tag = c.encrypt_and_digest(piece)
        out += [field, ct, tag]
        pos += len(piece)
        i += 1
        if final:
            return b"".join(out)


def open_(key, data):
    header = data[:24]
    if len(header) != 24 or header[:8] != MAGIC:
        raise ValueError("not a CCFSTR01 stream")
    (chunk,) = struct.unpack(">I", header[8:12])
    if not 1024 <= chunk <= 16 << 20:
        raise ValueError("chunk size out of range")
    base = header[12:24]
    pos, i, plain = 24, 0, []
    while True:
        if pos + 4 > len(data):
            raise ValueError("truncated: no final record")
        field = data[pos:pos + 4]
        (v,) = struct.unpack(">I", field)
        final, length = bool(v & FINAL), v & ~FINAL
        if length > chunk or (not final and length != chunk):
            raise ValueError("bad length field in record %d" % i)
        end = pos + 4 + length + 16
        if end > len(data):
            raise ValueError("truncated record %d" % i)
        c = AES.new(key, AES.MODE_GCM, nonce=nonce(base, i))
        c.update(header + field)
        plain.append(c.decrypt_and_verify(data[pos + 4:end - 16], data[end - 16:end]))
        pos, i = end, i + 1
        if final:
            if pos != len(data):
                raise ValueError("bytes after the final record")
            return b"".join(plain)


def main():
    mode = sys.argv[1]
    if mode == "wrap":
        pub = RSA.import_key(open(sys.argv[2], "rb").read())
        key = open(sys.argv[3], "rb").read()
        wrapped = PKCS1_OAEP.new(pub, hashAlgo=SHA256).encrypt(key)  # MGF1 follows hashAlgo
        open(sys.argv[4], "wb").write(wrapped)
        return 0
    key = open(sys.argv[2], "rb").read()
    assert len(key) == 32, "a key is 32 raw bytes"
    src = sys.stdin.buffer.read() if sys.argv[3] == "-" else open(sys.argv[3], "rb").read()
    if mode == "seal":
        chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 65536
        out = seal(key, src, chunk)
    else:
        try:
            out = open_(key, src)
        except ValueError as e:
            print("refused: %s" % e, file=sys.stderr)
            return 1
    open(sys.argv[4], "wb").write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
