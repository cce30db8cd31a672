#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_nsm.c into tests/fuzz/corpus/nsm/.

    /usr/bin/python3 tests/fuzz/make_nsm_corpus.py [output-dir]

Each seed is one answer of the Nitro Secure Module as aws-nitro-enclaves-nsm-api's
Response enum encodes it with serde_cbor 0.11 (docs/research/nitro.md §3.1,
docs/attestation.md "The nitro backend"): externally tagged, so {"Variant": {field:
value, ...}} with the fields in declaration order, byte fields as CBOR byte strings, and
{"Error": "<ErrorCode>"} for errors. They are encoded here with Debian's python3-cbor2,
independently of the C code, which keeps dict order and writes shortest heads as serde_cbor
does; the answers tests/unit/test_nsm.c spells out in hex are checked byte for byte below.

Seeds: an Attestation answer around each real AWS document in tests/data/attestation,
the same answer with indefinite-length maps, one with a document too long for the driver's
response buffer (0x3100 bytes, as tests/unit/test_nsm.c uses), DescribePCR locked and unlocked (and with the
fields reordered in indefinite maps), GetRandom of 1, 32 and 256 bytes, every ErrorCode,
and test_nsm's answer with unknown fields of every CBOR kind. Output is deterministic;
rerun after changing the NSM API and commit the result. The fuzzer's own finds stay in the
build tree and are not part of this corpus.
"""
import os
import sys

import cbor2

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "attestation")

# aws-nitro-enclaves-nsm-api ErrorCode, in declaration order.
ERROR_CODES = ("Success", "InvalidArgument", "InvalidIndex", "InvalidResponse",
               "ReadOnlyIndex", "InvalidOperation", "BufferTooSmall", "InputTooLarge",
               "InternalError")

# Answers spelled out in tests/unit/test_nsm.c (hex), to tie this encoder to those tests.
TEST_NSM_DESCRIBE_PCR = ("a16b4465736372696265504352a2646c6f636bf5646461746158"
                         "30" + "ab" * 48)
TEST_NSM_ERROR = "a1654572726f726f496e76616c6964417267756d656e74"
TEST_NSM_UNKNOWN_FIELDS = ("a16b4174746573746174696f6e" "a4"
                           "6178870120a1616182406174" "f93e00f6f5d200"
                           "68646f63756d656e74" "420102"
                           "61795f41014102ff" "617a7f6161ff")


def answer(variant, fields):
    return cbor2.dumps({variant: fields})


def indefinite_map(*pairs):
    """bf key value ... ff, each key and value already encoded."""
    return b"\xbf" + b"".join(k + v for k, v in pairs) + b"\xff"


def seeds():
    for name in sorted(os.listdir(DATA)):
        if name.endswith(".cbor"):
            with open(os.path.join(DATA, name), "rb") as f:
                doc = f.read()
            yield "attestation_" + name[:-len(".cbor")], answer("Attestation", {"document": doc})
    with open(os.path.join(DATA, "capejs_2022.cbor"), "rb") as f:
        doc = f.read()
    inner = indefinite_map((cbor2.dumps("document"), cbor2.dumps(doc)))
    yield "attestation_indefinite", indefinite_map((cbor2.dumps("Attestation"), inner))
    # Longer than the driver's 0x3000-byte response buffer: what reaches the decoder is cut.
    yield "attestation_oversize", answer("Attestation", {"document": bytes(range(256)) * 49})

    yield "describe_pcr_locked", answer("DescribePCR", {"lock": True, "data": b"\xab" * 48})
    yield "describe_pcr_unlocked", answer("DescribePCR", {"lock": False, "data": bytes(48)})
    inner = indefinite_map((cbor2.dumps("data"), cbor2.dumps(bytes(range(48)))),
                           (cbor2.dumps("lock"), cbor2.dumps(False)))
    yield "describe_pcr_indefinite", indefinite_map((cbor2.dumps("DescribePCR"), inner))

    yield "get_random_1", answer("GetRandom", {"random": b"\x07"})
    yield "get_random_32", answer("GetRandom", {"random": bytes(range(32))})
    yield "get_random_256", answer("GetRandom", {"random": bytes(range(256))})

    for code in ERROR_CODES:
        yield "error_" + code, cbor2.dumps({"Error": code})
    yield "attestation_unknown_fields", bytes.fromhex(TEST_NSM_UNKNOWN_FIELDS)


def check():
    """The encodings above agree with the hex in tests/unit/test_nsm.c."""
    got = dict(seeds())
    assert got["describe_pcr_locked"] == bytes.fromhex(TEST_NSM_DESCRIBE_PCR)
    assert got["error_InvalidArgument"] == bytes.fromhex(TEST_NSM_ERROR)
    doc = got["attestation_marlin_aws_2024"]
    assert doc[:26] == b"\xa1\x6bAttestation\xa1\x68document\x59\x11\xb7"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus", "nsm")
    check()
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
