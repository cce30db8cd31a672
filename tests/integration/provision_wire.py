#!/usr/bin/python3
"""An independent provisioning client: the envelope of src/crypto/envelope.h written again in
Python from its documented layout (python3-cryptography's X25519 and HKDF-SHA256,
pycryptodome's ChaCha20_Poly1305 with a 24-byte nonce, which is XChaCha20-Poly1305), talking
spod's wire protocol by hand to spod-host (framing and hello from bad_frames.py).

usage: provision_wire.py SOCKET SRC PCR0_HEX ROOT_PEM OUT_JSON

The pod must be in custodian mode with its seal key rebuilt. Every attestation document is
checked like a custodian would (tests/interop/verify_attest.py: COSE signature, chain to
ROOT_PEM, validity; then PCR0, our nonce, freshness, and the user_data seal record saying
custodians and ready) before anything is encrypted to its public key. Cases:
  - interop: a key (RFC 8032 TEST 1, labelled) imported through the Python envelope comes
    back with its known public key, its label and a sealed blob;
  - an import envelope sent as a custodian share is BAD_FIELD (its purpose), and still
    imports afterwards (the refusal consumed nothing); a share envelope sent as an import is
    BAD_FIELD too;
  - the same envelope again is REPLAYED; one naming a nonce never attested is REPLAYED; one
    whose nonce has 1023 newer attestations still imports; one pushed out of the enclave's
    memory by 1024 newer attestations is REPLAYED;
  - an envelope encrypted to another X25519 key, or from a low-order sender key, is BAD_FIELD;
  - every single-byte change of a valid envelope (each byte xor 0x01 and xor 0x80), every
    truncation and one extension is refused, and the envelope still imports afterwards;
  - payloads the enclave must refuse: a zero scalar and the group order for secp256k1 and
    P-256 (the enclave's BAD_KEY), an unknown algorithm, another payload version, a bad label;
  - key.load (with a real sealed blob) and seal.setup from an application connection are
    FORBIDDEN at spod-host; a share after the seal key is rebuilt is BAD_SHARE ("not
    needed"), and the seal state is unchanged by all of the above.
Writes the imported keys to OUT_JSON for the shell to sign with. Exit 0 when all held.
"""
import json
import os
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography import x509

try:  # Debian's python3-pycryptodome installs the package as Cryptodome
    from Cryptodome.Cipher import ChaCha20_Poly1305
except ImportError:  # pragma: no cover
    from Crypto.Cipher import ChaCha20_Poly1305

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
import bad_frames as bf  # noqa: E402
import verify_attest as va  # noqa: E402

# ---- the envelope, version 1 (src/crypto/envelope.h) ----
ENV_MAGIC = b"SPPE"
ENV_VERSION = 1
PURPOSE_SHARE, PURPOSE_IMPORT = 1, 2
SALT = b"spod provisioning v1"
# ---- the import payload, version 1 ----
ALG_ED25519, ALG_SECP256K1, ALG_P256 = 1, 2, 3
# ---- opcodes and seal answers (include/spod/wire.h, src/wire/layout.h) ----
OP_INFO, OP_ATTEST = 0x01, 0x30
OP_LOAD, OP_IMPORT = 0x14, 0x15
OP_SEAL_SETUP, OP_SEAL_STATUS, OP_SHARE = 0x40, 0x41, 0x42
SEAL_CUSTODIANS = 2

RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC6979_P256 = bytes.fromhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
RFC6979_P256_PUB = ("0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299")
SECP256K1_N = bytes.fromhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
P256_N = bytes.fromhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"provision_wire: FAIL: {what}", file=sys.stderr, flush=True)
    return cond


def raw_pub(key):
    if isinstance(key, x25519.X25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def envelope(purpose, enclave_pub, doc_nonce, payload, *, sender=None, sender_pub=None):
    """The sender side of envelope.h, from its layout: header || doc nonce || ciphertext."""
    sender = sender or x25519.X25519PrivateKey.generate()
    spub = sender_pub if sender_pub is not None else raw_pub(sender)
    aead_nonce = os.urandom(24)
    head = ENV_MAGIC + bytes([ENV_VERSION, purpose]) + struct.pack("<H", len(doc_nonce)) \
        + spub + aead_nonce + doc_nonce
    shared = sender.exchange(x25519.X25519PublicKey.from_public_bytes(enclave_pub))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT,
               info=bytes([purpose]) + enclave_pub + spub).derive(shared)
    c = ChaCha20_Poly1305.new(key=key, nonce=aead_nonce)
    c.update(head)
    ct, tag = c.encrypt_and_digest(payload)
    return head + ct + tag


def import_payload(alg, secret, label=b"", version=1, reserved=0):
    return bytes([version, alg, len(label), reserved]) + secret + label


class Pod:
    def __init__(self, sock, pcr0, root):
        self.s = bf.connect(sock)
        self.rid = 100
        self.pcr0 = pcr0
        self.root = root

    def send(self, op, body):
        self.rid += 1
        self.s.sendall(bf.frame(op, self.rid, body))
        return self.rid

    def recv(self, rid):
        got = bf.recv_frame(self.s)
        if got is None:
            raise SystemExit("provision_wire: spod-host closed the connection")
        fields, body = got
        if fields[4] != rid:
            raise SystemExit(f"provision_wire: answer to request {fields[4]}, want {rid}")
        return fields[5], body

    def call(self, op, body):
        return self.recv(self.send(op, body))

    def attest(self, nonce):
        """A fresh document for nonce, checked as a custodian checks it; its X25519 key."""
        body = bytes(16) + b"\0" * 4 + struct.pack("<III", 32, len(nonce), 0) + nonce
        st, ans = self.call(OP_ATTEST, body)
        if st != 0:
            raise SystemExit(f"provision_wire: attest failed: {bf.name_of(st)} {ans!r}")
        off, length = struct.unpack_from("<II", ans, 0)
        doc = ans[off:off + length]
        protected, payload, signature, fields = va.parse(doc)
        leaf = x509.load_der_x509_certificate(fields["certificate"])
        va.check_signature(protected, payload, signature, leaf)
        va.check_chain(fields, leaf, self.root, int(time.time()))
        if fields["pcrs"].get(0) != self.pcr0:
            raise SystemExit("provision_wire: PCR0 is not the expected one")
        if fields["nonce"] != nonce:
            raise SystemExit("provision_wire: the document does not carry our nonce")
        if abs(fields["timestamp"] / 1000 - time.time()) > 300:
            raise SystemExit("provision_wire: the document is not fresh")
        ud = fields["user_data"] or b""
        seal = seal_record(ud)
        if seal is None or seal["mode"] != SEAL_CUSTODIANS or not seal["ready"]:
            raise SystemExit(f"provision_wire: user_data does not say custodians/ready: {ud.hex()}")
        pub = fields["public_key"]
        if not isinstance(pub, bytes) or len(pub) != 32:
            raise SystemExit("provision_wire: no X25519 provisioning key in the document")
        return pub

    def flood_attest(self, n):
        """n attestation requests with random nonces, sent at once, answers not checked."""
        frames = []
        for i in range(n):
            nonce = os.urandom(32)
            body = bytes(16) + b"\0" * 4 + struct.pack("<III", 32, len(nonce), 0) + nonce
            frames.append(bf.frame(OP_ATTEST, 900000 + i, body))
        self.s.sendall(b"".join(frames))
        for _ in range(n):
            got = bf.recv_frame(self.s)
            if got is None or got[0][5] != 0:
                raise SystemExit(f"provision_wire: attestation flood: {got and got[0]}")

    def fresh(self):
        nonce = os.urandom(32)
        return self.attest(nonce), nonce

    def seal_status(self):
        st, body = self.call(OP_SEAL_STATUS, b"")
        if st != 0:
            raise SystemExit(f"provision_wire: seal.status: {bf.name_of(st)}")
        return parse_seal(body)

    def key_count(self):
        st, body = self.call(OP_INFO, b"")
        if st != 0:
            raise SystemExit(f"provision_wire: info: {bf.name_of(st)}")
        return struct.unpack_from("<I", body, 8)[0]


def seal_record(ud):
    """The seal record of user_data v2 (include/spod/attest.h), or None."""
    if not ud.startswith(b"SPODUD02"):
        return None
    off = 8
    while off + 3 <= len(ud):
        typ, length = ud[off], struct.unpack_from("<H", ud, off + 1)[0]
        val = ud[off + 3:off + 3 + length]
        if typ == 2 and length == 24:
            return {"mode": val[0], "ready": val[1], "threshold": val[2], "shares": val[3],
                    "present": val[4], "seal_key_id": val[8:24].hex()}
        off += 3 + length
    return None


def parse_seal(body):
    return {"mode": body[0], "ready": body[1], "threshold": body[2], "shares": body[3],
            "present": body[4], "seal_key_id": body[8:24].hex(),
            "keys": struct.unpack_from("<I", body, 24)[0]}


def parse_key(body):
    pub_off, pub_len, label_off, blob_off, blob_len = struct.unpack_from("<IIIII", body, 20)
    return {"id": body[0:16].hex(), "alg": body[16],
            "public_key": body[pub_off:pub_off + pub_len].hex(),
            "label": body[label_off:label_off + body[17]].decode() if body[17] else None,
            "blob": body[blob_off:blob_off + blob_len]}


def expect(pod, op, env, want, what, contains=None):
    st, body = pod.call(op, env)
    ok = check(st == bf.E[want] if want != "OK" else st == 0,
               f"{what}: {bf.name_of(st)} {body[:160]!r}, want {want}")
    if ok and contains is not None:
        check(contains.encode() in body, f"{what}: message {body!r} lacks {contains!r}")
    return st, body


def main():
    sock, src, pcr0_hex, root_pem, out_json = sys.argv[1:6]
    bf.load_contract(src)
    for name in ("NOT_PROVISIONED", "BAD_BLOB", "REPLAYED", "FORBIDDEN", "BAD_KEY"):
        if name not in bf.E:
            raise SystemExit(f"err.h lacks SPOD_E_{name}")
    with open(root_pem, "rb") as f:
        root = x509.load_pem_x509_certificate(f.read())
    pod = Pod(sock, bytes.fromhex(pcr0_hex), root)
    seal0 = pod.seal_status()
    check(seal0["mode"] == SEAL_CUSTODIANS and seal0["ready"] == 1, f"pod not ready: {seal0}")
    count0 = pod.key_count()
    imported = []

    # --- interop, and an import envelope is not a share
    pub, nonce = pod.fresh()
    env = envelope(PURPOSE_IMPORT, pub, nonce,
                   import_payload(ALG_ED25519, RFC8032_SEED, b"py-import"))
    expect(pod, OP_SHARE, env, "BAD_FIELD", "an import envelope sent as a share",
           "not a share")
    st, body = expect(pod, OP_IMPORT, env, "OK", "import through the Python envelope")
    blob = b""
    if st == 0:
        k = parse_key(body)
        check(k["public_key"] == RFC8032_PUB and k["alg"] == ALG_ED25519
              and k["label"] == "py-import", f"imported key: {k}")
        blob = k["blob"]
        check(blob[:4] == b"SPSB" and bytes.fromhex(k["id"]) == blob[8:24],
              f"the answer carries no sealed blob of the key: {blob.hex()}")
        check(RFC8032_SEED not in blob, "the sealed blob holds the seed in clear")
        imported.append({"id": k["id"], "public_key": k["public_key"], "label": k["label"]})
    expect(pod, OP_IMPORT, env, "REPLAYED", "the same envelope again", "used already")

    # --- a share envelope is not an import (whatever it carries)
    pub, nonce = pod.fresh()
    share_env = envelope(PURPOSE_SHARE, pub, nonce, import_payload(ALG_ED25519, os.urandom(32)))
    expect(pod, OP_IMPORT, share_env, "BAD_FIELD", "a share envelope sent as an import",
           "carries a share")

    # --- nonces: never attested, forgotten
    expect(pod, OP_IMPORT, envelope(PURPOSE_IMPORT, pub, os.urandom(32),
                                    import_payload(ALG_ED25519, os.urandom(32))),
           "REPLAYED", "a nonce never attested", "did not attest")
    # The enclave remembers SPOD_ATTESTED_NONCES (1024, src/enclave/seal.h) nonces: one
    # followed by 1023 newer ones is still good, one followed by 1024 is forgotten. The newer
    # ones are unchecked attestations, pipelined.
    old_pub, old_nonce = pod.fresh()
    pod.flood_attest(1023)
    st, body = expect(pod, OP_IMPORT, envelope(PURPOSE_IMPORT, old_pub, old_nonce,
                                               import_payload(ALG_ED25519, os.urandom(32))),
                      "OK", "a nonce with 1023 newer attestations")
    if st == 0:
        k = parse_key(body)
        imported.append({"id": k["id"], "public_key": k["public_key"], "label": k["label"]})
    old_pub, old_nonce = pod.fresh()
    pod.flood_attest(1024)
    expect(pod, OP_IMPORT, envelope(PURPOSE_IMPORT, old_pub, old_nonce,
                                    import_payload(ALG_ED25519, os.urandom(32))),
           "REPLAYED", "a nonce pushed out by 1024 newer attestations", "forgotten")

    # --- the wrong recipient, a low-order sender key
    pub, nonce = pod.fresh()
    other = raw_pub(x25519.X25519PrivateKey.generate().public_key())
    expect(pod, OP_IMPORT, envelope(PURPOSE_IMPORT, other, nonce,
                                    import_payload(ALG_ED25519, os.urandom(32))),
           "BAD_FIELD", "an envelope encrypted to another X25519 key", "does not open")
    low = envelope(PURPOSE_IMPORT, pub, nonce, import_payload(ALG_ED25519, os.urandom(32)),
                   sender_pub=bytes(32))
    expect(pod, OP_IMPORT, low, "BAD_FIELD", "a low-order sender key")

    # --- every single-byte change, every truncation: refused; then the envelope still works
    good = envelope(PURPOSE_IMPORT, pub, nonce,
                    import_payload(ALG_P256, RFC6979_P256, b"py-flip"))
    variants = []
    for i in range(len(good)):
        for mask in (0x01, 0x80):
            b = bytearray(good)
            b[i] ^= mask
            variants.append((f"byte {i} ^ 0x{mask:02x}", bytes(b)))
    for n in range(len(good)):
        variants.append((f"first {n} bytes", good[:n]))
    variants.append(("one byte more", good + b"\0"))
    rids = [(what, pod.send(OP_IMPORT, v)) for what, v in variants]  # pipelined
    answers = {}  # answers may come in any order (docs/protocol.md): match them by id
    for _ in rids:
        got = bf.recv_frame(pod.s)
        if got is None:
            raise SystemExit("provision_wire: spod-host closed the connection")
        answers[got[0][4]] = (got[0][5], got[1])
    statuses = {}
    for what, rid in rids:
        st, body = answers.get(rid, (None, b"no answer"))
        statuses[bf.name_of(st)] = statuses.get(bf.name_of(st), 0) + 1
        check(st in (bf.E["BAD_FIELD"], bf.E["REPLAYED"], bf.E["BAD_LENGTH"]),
              f"altered envelope ({what}): {bf.name_of(st)} {body[:120]!r}")
    print(f"{len(variants)} altered envelopes refused: {statuses}")
    check(pod.key_count() == count0 + len(imported), "an altered envelope made a key")
    st, body = expect(pod, OP_IMPORT, good, "OK", "the envelope after its altered copies")
    if st == 0:
        k = parse_key(body)
        check(k["public_key"] == RFC6979_P256_PUB, f"RFC 6979 P-256 key: {k}")
        imported.append({"id": k["id"], "public_key": k["public_key"], "label": k["label"]})
    expect(pod, OP_IMPORT, good, "REPLAYED", "the envelope once more")

    # --- payloads the enclave refuses after opening them
    count1 = pod.key_count()
    for what, payload, want in [
            ("secp256k1 zero scalar", import_payload(ALG_SECP256K1, bytes(32)), "BAD_KEY"),
            ("secp256k1 group order", import_payload(ALG_SECP256K1, SECP256K1_N), "BAD_KEY"),
            ("P-256 zero scalar", import_payload(ALG_P256, bytes(32)), "BAD_KEY"),
            ("P-256 group order", import_payload(ALG_P256, P256_N), "BAD_KEY"),
            ("unknown algorithm", import_payload(9, os.urandom(32)), None),
            ("payload version 2", import_payload(ALG_ED25519, os.urandom(32), version=2),
             "BAD_FIELD"),
            ("reserved byte set", import_payload(ALG_ED25519, os.urandom(32), reserved=1),
             "BAD_FIELD"),
            ("label with a space", import_payload(ALG_ED25519, os.urandom(32), b"a b"),
             "BAD_FIELD"),
            ("payload cut short", import_payload(ALG_ED25519, os.urandom(31)), "BAD_FIELD")]:
        p, n = pod.fresh()
        st, body = pod.call(OP_IMPORT, envelope(PURPOSE_IMPORT, p, n, payload))
        check(st != 0 and (want is None or st == bf.E[want]),
              f"import payload ({what}): {bf.name_of(st)} {body[:120]!r}, want {want or 'an error'}")
    check(pod.key_count() == count1, "a refused payload left a key behind")

    # --- spod-host's own requests, from an application connection
    for what, op, body in [("key.load with a real blob", OP_LOAD, blob or b"\0"),
                           ("key.load with garbage", OP_LOAD, os.urandom(100)),
                           ("seal.setup custodians", OP_SEAL_SETUP, bytes([2]) + bytes(23)),
                           ("seal.setup ephemeral", OP_SEAL_SETUP, bytes([1]) + bytes(23))]:
        expect(pod, op, body, "FORBIDDEN", what)

    # --- a share after the seal key is rebuilt is refused and changes nothing
    p, n = pod.fresh()
    expect(pod, OP_SHARE, envelope(PURPOSE_SHARE, p, n, os.urandom(100)), "BAD_SHARE",
           "a share after the rebuild", "not needed")
    seal1 = pod.seal_status()
    seal0.pop("keys"), seal1.pop("keys")
    check(seal1 == seal0, f"the seal state changed: {seal0} -> {seal1}")
    check(pod.key_count() == count0 + len(imported),
          f"{pod.key_count()} keys, want {count0 + len(imported)}")
    with open(out_json, "w") as f:
        json.dump(imported, f)
    if failures:
        print(f"provision_wire: {len(failures)} failures", file=sys.stderr)
        return 1
    print("provision_wire: every case held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
