#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_wire.c into tests/fuzz/corpus/wire/.

    /usr/bin/python3 tests/fuzz/make_wire_corpus.py [output-dir]

Each seed is a byte stream of wire v1 frames, encoded here independently of the C code
from the byte offsets in src/wire/layout.h (docs/protocol.md describes the same layout):
a valid request and a valid response for every opcode, a sign.batch of 3 items and its
response, error frames, one stream of several frames, and a few invalid frames that stop
at each kind of check. Output is deterministic; rerun after changing the layout and commit
the result. The fuzzer's own finds stay in the build tree and are not part of this corpus.
"""
import os
import struct
import sys

MAGIC = b"SPOD"
VERSION = 1
HDR_BYTES = 24
FLAG_RESPONSE = 0x0001
BODY_MAX = 256 * 1024 - HDR_BYTES

OP_INFO, OP_ECHO, OP_HELLO = 0x01, 0x02, 0x03
OP_KEY_GENERATE, OP_KEY_PUBLIC, OP_KEY_LIST, OP_KEY_DELETE = 0x10, 0x11, 0x12, 0x13
OP_SIGN, OP_SIGN_BATCH, OP_SIGN_TX = 0x20, 0x21, 0x22
OP_POLICY_SET, OP_POLICY_GET, OP_POLICY_ADMINS, OP_POLICY_SYNC = 0x50, 0x51, 0x52, 0x53
OP_EVIDENCE, OP_AUDIT_HEAD = 0x60, 0x61
AUDIT_HEAD_SIGN, AUDIT_HEAD_QUERY = 1, 2
ALG_ED25519, ALG_SECP256K1, ALG_P256 = 1, 2, 3
MODE_RAW, MODE_DIGEST, MODE_SHA256, MODE_KECCAK256 = 0, 1, 2, 3
RECID_NONE = 0xFF
PUB_MAX = 65
SIG_MAX = 64

# status = -SPOD_E_* (include/spod/err.h)
E_BAD_VERSION, E_KEY_NOT_FOUND = 6, 14

KID_A = bytes.fromhex("00112233445566778899aabbccddeeff")
KID_B = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f")
# fuzz_enclave steers an id whose first byte is 1 (mod 4) onto its secp256k1 key
KID_K1 = bytes.fromhex("01112233445566778899aabbccddeeff")
# A policy in its CBOR form (docs/policy.md): {1: 1, 2: [{1: "raw-ok", 2: 1, 5: [4],
# 17: {1: 2, 2: 3600}}]}: raw signs allowed, at most two an hour.
POLICY_RAW2 = (bytes([0xa2, 0x01, 0x01, 0x02, 0x81, 0xa4, 0x01, 0x66]) + b"raw-ok" +
               bytes([0x02, 0x01, 0x05, 0x81, 0x04, 0x11, 0xa2, 0x01, 0x02, 0x02, 0x19, 0x0e, 0x10]))
# RFC 8032 test 1's public key: a valid Ed25519 point for an admin set
ADMIN_PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def header(opcode, rid, body_len, flags=0, status=0, version=VERSION, reserved=0):
    # magic 0, version 4, opcode 5, flags 6, request id 8, status 16, reserved 18, len 20
    return MAGIC + struct.pack("<BBHQHHI", version, opcode, flags, rid, status, reserved,
                               body_len)


def frame(opcode, rid, body=b"", **kw):
    return header(opcode, rid, len(body), **kw) + body


def response(opcode, rid, body=b"", status=0):
    return frame(opcode, rid, body, flags=FLAG_RESPONSE, status=status)


def sign_item(key_id, mode, data_off, data_len):
    # key id 0, mode 16, reserved 17..19, data off 20, data len 24, reserved 28..31
    return key_id + bytes([mode, 0, 0, 0]) + struct.pack("<III", data_off, data_len, 0)


def key_fixed(key_id, alg, pub_off, pub_len, label_off=0, label_len=0):
    # key id 0, alg 16, label len 17, reserved 18..19, pub off 20, pub len 24, label off 28
    return key_id + bytes([alg, label_len, 0, 0]) + struct.pack("<III", pub_off, pub_len,
                                                               label_off if label_len else 0)


def sign_req(rid, key_id, mode, data):
    return frame(OP_SIGN, rid, sign_item(key_id, mode, 32, len(data)) + data)


def batch_req(rid, items):
    fixed = 8 + 32 * len(items)
    table, data, off = b"", b"", fixed
    for key_id, mode, msg in items:
        table += sign_item(key_id, mode, off, len(msg))
        data += msg
        off += len(msg)
    return frame(OP_SIGN_BATCH, rid, struct.pack("<II", len(items), 0) + table + data)


def sig_resp(rid, alg, recid, sig):
    # alg 0, recid 1, reserved 2..3, sig off 4, sig len 8, reserved 12..15; sig at 16
    return response(OP_SIGN, rid, bytes([alg, recid, 0, 0]) +
                    struct.pack("<III", 16, len(sig), 0) + sig)


def batch_resp(rid, items):
    # count 0, reserved 4; 16-byte items; then one 64-byte signature slot per item
    n = len(items)
    table, slots = b"", b""
    for i, (status, alg, recid, sig) in enumerate(items):
        off = 8 + 16 * n + SIG_MAX * i
        table += struct.pack("<HBBIII", status, alg, recid, off, len(sig), 0)
        slots += sig.ljust(SIG_MAX, b"\0")
    return response(OP_SIGN_BATCH, rid, struct.pack("<II", n, 0) + table + slots)


def key_resp(opcode, rid, key_id, alg, pub, label=b""):
    # the public key right after the fixed part, then the label
    return response(opcode, rid, key_fixed(key_id, alg, 32, len(pub), 32 + len(pub), len(label))
                    + pub + label)


def info_resp(rid, version):
    # proto 0, reserved 2, alg mask 4, key count 8, capacity 12, flags 16,
    # version off 20, version len 24, reserved 28; version text at 32
    body = struct.pack("<HHIIIIIII", 1, 0, 0b1110, 2, 1000, 1, 32, len(version), 0)
    return response(OP_INFO, rid, body + version)


def list_resp(rid, keys, max_entries, next_cursor, total):
    # count 0, next 4, total 8, reserved 12; max entries of 32 bytes; 65-byte key slots;
    # then the labels, packed in entry order
    table, slots, labels = b"", b"", b""
    label_base = 16 + (32 + PUB_MAX) * max_entries
    for i in range(max_entries):
        if i < len(keys):
            key_id, alg, pub, label = keys[i]
            off = 16 + 32 * max_entries + PUB_MAX * i
            table += key_fixed(key_id, alg, off, len(pub), label_base + len(labels), len(label))
            slots += pub.ljust(PUB_MAX, b"\0")
            labels += label
        else:
            table += bytes(32)
            slots += bytes(PUB_MAX)
    head = struct.pack("<IIII", len(keys), next_cursor, total, 0)
    return response(OP_KEY_LIST, rid, head + table + slots + labels)


def sign_tx_req(rid, key_id, chain, tx, form=0):
    # key id 0..15, chain 16, form 17, reserved 18..19, tx off 20, len 24, reserved 28
    return frame(OP_SIGN_TX, rid, key_id + bytes([chain, form, 0, 0]) +
                 struct.pack("<III", 32, len(tx), 0) + tx)


def policy_set_req(rid, key_id, policy, approvals=b""):
    # key id 0..15, n 16, reserved 17..19, policy off 20, len 24, reserved 28, approvals, policy
    n = len(approvals) // 96
    return frame(OP_POLICY_SET, rid, key_id + bytes([n, 0, 0, 0]) +
                 struct.pack("<III", 32 + 96 * n, len(policy), 0) + approvals + policy)


def admins_req(rid, threshold, keys):
    return frame(OP_POLICY_ADMINS, rid, bytes([threshold, len(keys)]) + bytes(6) + b"".join(keys))


def sign_tx_resp(rid, chain, kind, flags, chain_id, transfers, signed):
    # chain 0, kind 1, n 2, reserved 3, flags 4, chain id 8, signed off 16, len 20, reserved 24
    fixed = 32 + 100 * len(transfers)
    body = bytes([chain, kind, len(transfers), 0]) + struct.pack("<IQII", flags, chain_id,
                                                                 fixed, len(signed)) + bytes(8)
    for asset, decimals, token, to, amount in transfers:
        body += bytes([asset, decimals, len(token), len(to)])
        body += token.ljust(32, b"\0") + to.ljust(32, b"\0") + amount.to_bytes(32, "big")
    return response(OP_SIGN_TX, rid, body + signed)


def evidence_frame(first, records, sig=bytes(range(64))):
    # pub 0, first 32, count 40, reserved 44, sig 48, records from 112 (160 bytes each)
    body = bytes([0xE1] * 32) + struct.pack("<QII", first, len(records), 0) + sig
    return response(OP_EVIDENCE, 0, body + b"".join(records))


def evidence_record(counter, key_id, status=0, rule=b""):
    # version, opcode, mode, form, status, counter, key id, digest, policy hash, rule id
    return (struct.pack("<BBBBiQ", 1, OP_SIGN, MODE_DIGEST, 0, status, counter) + key_id +
            bytes([0xD1] * 32) + bytes(32) + rule.ljust(64, b"\0"))


def audit_head(rid, mode, seq, nonce=b"", answer=False):
    # mode 0, nonce length 1, reserved 2..8, seq 8, hash 16, nonce 48 (64 bytes)
    body = (struct.pack("<BB6xQ", mode, len(nonce), seq) + bytes([0xAB] * 32) +
            nonce.ljust(64, b"\0"))
    if not answer:
        return frame(OP_AUDIT_HEAD, rid, body)
    # pub 112, counter 144, sig 152
    return response(OP_AUDIT_HEAD, rid, body + bytes([0xE1] * 32) + struct.pack("<Q", 9) +
                    bytes(64))


def seeds():
    digest = bytes([0x11]) * 32
    sig = bytes(range(0x40, 0x80))
    ed_pub = bytes(range(32))
    ec_pub = b"\x04" + bytes(range(1, 65))
    batch3 = [(KID_A, MODE_DIGEST, digest), (KID_B, MODE_SHA256, b"abc"),
              (KID_A, MODE_KECCAK256, b"")]

    yield "req_info", frame(OP_INFO, 1)
    yield "req_echo", frame(OP_ECHO, 2, b"hello")
    yield "req_generate_ed25519", frame(OP_KEY_GENERATE, 3, bytes([ALG_ED25519]) + bytes(7))
    yield "req_generate_p256", frame(OP_KEY_GENERATE, 4, bytes([ALG_P256]) + bytes(7))
    # label length at 4, the label after the 8-byte fixed part
    yield "req_generate_label", frame(OP_KEY_GENERATE, 12, bytes([ALG_SECP256K1, 0, 0, 0])
                                      + struct.pack("<I", 10) + b"hot-wallet")
    # token length at 0, reserved 4..7, the token text after the fixed part
    token = b"spod_" + b"A" * 43
    yield "req_hello", frame(OP_HELLO, 13, struct.pack("<I", len(token)) + bytes(4) + token)
    yield "req_key_public", frame(OP_KEY_PUBLIC, 5, KID_A)
    yield "req_key_delete", frame(OP_KEY_DELETE, 6, KID_B)
    yield "req_key_list", frame(OP_KEY_LIST, 7, struct.pack("<II", 0, 100))
    yield "req_sign_raw", sign_req(8, KID_B, MODE_RAW, b"hello world")
    yield "req_sign_digest", sign_req(9, KID_A, MODE_DIGEST, digest)
    yield "req_sign_sha256_empty", sign_req(10, KID_A, MODE_SHA256, b"")
    yield "req_sign_batch3", batch_req(11, batch3)

    yield "resp_info", info_resp(1, b"0.1.0")
    yield "resp_echo", response(OP_ECHO, 2, b"hello")
    yield "resp_key_generate", key_resp(OP_KEY_GENERATE, 3, KID_B, ALG_ED25519, ed_pub)
    yield "resp_key_public", key_resp(OP_KEY_PUBLIC, 5, KID_A, ALG_SECP256K1, ec_pub)
    yield "resp_key_generate_label", key_resp(OP_KEY_GENERATE, 12, KID_A, ALG_SECP256K1, ec_pub,
                                              b"hot-wallet")
    yield "resp_key_delete", response(OP_KEY_DELETE, 6)
    # token id 0..15, flags 16 (AUTH), ops 20 (sign, list)
    yield "resp_hello", response(OP_HELLO, 13, KID_A + struct.pack("<II", 1, 0x09))
    yield "resp_key_list", list_resp(7, [(KID_A, ALG_SECP256K1, ec_pub, b"hot-wallet"),
                                         (KID_B, ALG_ED25519, ed_pub, b"")], 3, 0, 2)
    yield "resp_sign", sig_resp(9, ALG_SECP256K1, 1, sig)
    yield "resp_sign_batch3", batch_resp(11, [(0, ALG_SECP256K1, 0, sig),
                                              (E_KEY_NOT_FOUND, ALG_P256, RECID_NONE, b""),
                                              (0, ALG_SECP256K1, 1, sig)])
    eip155 = bytes.fromhex("ec098504a817c800825208943535353535353535353535353535353535353535"
                           "880de0b6b3a764000080018080")
    yield "req_sign_tx_eth", sign_tx_req(40, KID_A, 1, eip155)
    yield "req_sign_tx_sol", sign_tx_req(41, KID_B, 2, bytes([1]) + bytes(64) + bytes([1, 0, 1]))
    yield "resp_sign_tx_eth", sign_tx_resp(40, 1, 1, 0, 1,
                                           [(1, 18, b"", b"\x35" * 20, 10**18)], eip155 + sig)
    yield "resp_sign_tx_sol", sign_tx_resp(41, 2, 17, 8, 0,
                                           [(1, 255, b"", b"", 11), (2, 6, b"\x20" * 32,
                                                                      b"\x22" * 32, 42)],
                                           bytes([1]) + sig + bytes([0x80, 1, 0, 1]))
    # policies: set, sign under it, sync, show, remove; an admin set; an EIP-191 message
    yield "req_policy_set", policy_set_req(50, KID_K1, POLICY_RAW2)
    yield "stream_policy", (policy_set_req(51, KID_K1, POLICY_RAW2) +
                            sign_req(52, KID_K1, MODE_DIGEST, digest) +
                            sign_req(53, KID_K1, MODE_DIGEST, digest) +
                            sign_req(54, KID_K1, MODE_DIGEST, digest) +
                            frame(OP_POLICY_SYNC, 55, KID_K1) + frame(OP_POLICY_GET, 56, KID_K1) +
                            policy_set_req(57, KID_K1, b""))
    yield "req_policy_admins", admins_req(58, 1, [ADMIN_PUB])
    yield "req_sign_message_eip191", sign_tx_req(59, KID_K1, 1, b"hello spod", form=1)
    yield "resp_policy_get", response(OP_POLICY_GET, 56, bytes([1, 0, 0, 0]) +
                                      struct.pack("<III", 80, len(POLICY_RAW2), 0) +
                                      bytes([0x5a]) * 32 + bytes(32) + POLICY_RAW2)
    yield "resp_policy_admins", response(OP_POLICY_ADMINS, 58, bytes([1, 1]) + bytes(6) +
                                         bytes([0xad]) * 32 + ADMIN_PUB)
    yield "resp_error_key_not_found", response(OP_SIGN, 12, b"no such key",
                                               status=E_KEY_NOT_FOUND)
    yield "resp_error_bad_version", response(OP_INFO, 13, b"unsupported wire protocol version",
                                             status=E_BAD_VERSION)

    yield "stream_mixed", (frame(OP_INFO, 20) + sign_req(21, KID_A, MODE_DIGEST, digest) +
                           batch_req(22, batch3) + sig_resp(21, ALG_P256, RECID_NONE, sig) +
                           frame(OP_KEY_LIST, 23, struct.pack("<II", 5, 1024)))

    yield "evidence_one", evidence_frame(1, [evidence_record(1, KID_A)])
    yield "evidence_three", evidence_frame(7, [evidence_record(7, KID_A),
                                               evidence_record(8, KID_K1, -39, b"no-raw"),
                                               evidence_record(9, KID_B)])
    yield "bad_evidence_count", evidence_frame(1, [evidence_record(1, KID_A)])[:-160]
    yield "audit_head_sign", audit_head(60, AUDIT_HEAD_SIGN, 12, b"0123456789abcdef")
    yield "audit_head_query", audit_head(61, AUDIT_HEAD_QUERY, 0, b"nonce")
    yield "resp_audit_head", audit_head(61, AUDIT_HEAD_QUERY, 12, b"nonce", answer=True)
    bad = bytearray(audit_head(62, AUDIT_HEAD_SIGN, 3, b"ab"))
    bad[HDR_BYTES + 48 + 5] = 1  # a nonce byte past its length
    yield "bad_audit_head_nonce_pad", bytes(bad)

    yield "bad_magic", b"SPOX" + header(OP_INFO, 30, 0)[4:]
    yield "bad_too_large", header(OP_ECHO, 31, BODY_MAX + 1) + b"x"
    yield "bad_truncated", header(OP_ECHO, 32, 40) + bytes(10)
    yield "bad_version", frame(OP_INFO, 33, version=2)
    yield "bad_sign_ref_into_fixed", frame(OP_SIGN, 34,
                                           sign_item(KID_A, MODE_DIGEST, 0, 32) + digest)
    bad = bytearray(batch_req(35, batch3))
    bad[HDR_BYTES + 8 + 32 + 16] = 4  # item 1: mode 4
    yield "bad_batch_middle_item", bytes(bad)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "wire")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
