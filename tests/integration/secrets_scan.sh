#!/usr/bin/env bash
# spod-host never holds a secret (DESIGN.md §1): after keys are generated, known private keys
# imported (hex, PEM, Ethereum keystore, Solana keypair), custodians have provisioned and every
# key has signed, in custodian mode, a core of the running spod-host (gdb's gcore), the SQLite
# database with its -wal and -shm, every log, every other file in the data directory and
# everything the CLI printed (audit tail in text and JSON included) are searched for: each
# imported private key, the seal key (rebuilt here from the share files with the independent
# tests/interop/shamir_gf256.py), each custodian's share and the keystore's passphrase, as raw
# bytes, either half of the raw bytes, hex in either case and base64. Only the share and key
# files themselves (kept apart in secrets/) are not searched. Any hit fails the test, naming
# the secret, the form and where. Positive controls: the same search finds each key in its key
# file and each share in its share file, and finds the imported keys' public keys in the core
# (so the core is a real image of the host's memory). The AddressSanitizer build takes no
# core (it would be tens of gigabytes of shadow memory) and searches everything else.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v gcore >/dev/null || fail "gcore (gdb) is not installed: scripts/install-deps.sh"
SECRETS=$T_DIR/secrets
mkdir -m 700 "$SECRETS"
CLI_LOG=$T_DIR/cli-output.log
keep() { printf '%s\n%s\n' "$OUT" "$ERR" >>"$CLI_LOG"; } # everything the CLI printed

run "$SPOD" custodian init --threshold 2 --shares 3 --out "$SECRETS/shares"
keep
start_pod --seal custodians
PCR0=$(pod_pcr0)
provision "$SECRETS/shares/share-1.json"
keep
provision "$SECRETS/shares/share-3.json"
keep
wait_until 20 keys_served || fail "keys not served after provisioning"
run "$SPOD" custodian status
keep

log "generate and import (hex, PEM, keystore, Solana), then sign with every key"
for alg in ed25519 secp256k1 p256; do
	run "$SPOD" keys generate --alg "$alg" --label "gen-$alg"
	keep
done
echo 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb >"$SECRETS/ed.hex"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$SECRETS/p256.pem" 2>/dev/null ||
	fail "openssl genpkey"
"$PY" - "$SPOD_SRC/tests/unit/test_keyfile.c" "$SECRETS/keystore.json" <<'PY' || fail "no spec_pbkdf2 in test_keyfile.c"
import codecs, re, sys
src = open(sys.argv[1]).read()
m = re.search(r'static const char spec_pbkdf2\[\] =\s*((?:"(?:[^"\\]|\\.)*"\s*)+);', src)
text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
open(sys.argv[2], "w").write(codecs.decode(text, "unicode_escape"))
PY
echo testpassword >"$SECRETS/pass"
"$PY" -c 'import json, sys; print(json.dumps(list(bytes.fromhex(sys.argv[1]))))' \
	9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a \
	>"$SECRETS/solana.json"
for spec in "ed.hex --alg ed25519" "p256.pem" "keystore.json --passphrase-file $SECRETS/pass" "solana.json"; do
	# shellcheck disable=SC2086 # split on purpose
	run "$SPOD" keys import --key-file "$SECRETS"/$spec --expect-pcr0 "$PCR0" --root dev
	keep
done
KEYS=$(keys_json)
[[ $(json_get 'len(d)' <<<"$KEYS") == 7 ]] || fail "keys: $KEYS"
sign_check_all "$KEYS"
keep
run "$SPOD" keys list
keep
run "$SPOD" --json audit tail --limit 100000
keep
run "$SPOD" audit tail --limit 100000
keep
run "$SPOD" audit verify
keep
printf '%s\n' "$KEYS" >"$T_DIR/keys.json"

# Under AddressSanitizer a core of spod-host is tens of gigabytes of shadow and allocator
# reservations (gcore writes 11 GB in 30 s), so the sanitizer build searches everything but
# the core; the memory itself is searched by the ordinary build.
if nm "$SPOD_HOST" 2>/dev/null | grep ' __asan_init$' >/dev/null; then # no -q: nm must not die of SIGPIPE (pipefail)
	log "AddressSanitizer build: no core of spod-host (the ordinary build searches one)"
	CORE=""
else
	log "a core of the running spod-host"
	timeout -k 5 120 gcore -o "$T_DIR/host-core" "$HOST_PID" >"$T_DIR/gcore.log" 2>&1 ||
		fail "gcore failed: $(tail -5 "$T_DIR/gcore.log")"
	CORE=$T_DIR/host-core.$HOST_PID
	[[ -s $CORE ]] || fail "no core file"
	pod_alive || fail "spod-host did not survive gcore"
	log "core: $(stat -c %s "$CORE") bytes"
fi
run "$SPOD" sign "$(json_get '[k["id"] for k in d if k["alg"] == "p256"][0]' <<<"$KEYS")" --digest "$(random_hex 32)"
[[ -e $T_DIR/spod.db-wal && -e $T_DIR/spod.db-shm ]] || fail "the database has no -wal/-shm while the host runs"

log "search"
run "$PY" - "$T_DIR" "$SECRETS" "$CORE" "$SPOD_SRC/tests/interop/shamir_gf256.py" <<'PY'
import base64, glob, json, mmap, os, subprocess, sys
from cryptography.hazmat.primitives import serialization

tdir, secrets_dir, core, shamir = sys.argv[1:5]
shares = sorted(glob.glob(os.path.join(secrets_dir, "shares", "share-*.json")))
assert len(shares) == 3, shares

# --- the secrets, each as bytes
secrets = {}
share_hex = {p: json.load(open(p))["share"] for p in shares}
for i, p in enumerate(shares, 1):
    secrets[f"share {i}"] = bytes.fromhex(share_hex[p])
seal = subprocess.run([sys.executable, shamir, "combine", shares[0], shares[2]],
                      check=True, capture_output=True, text=True).stdout.strip()
assert len(seal) == 64, seal
secrets["seal key"] = bytes.fromhex(seal)
assert subprocess.run([sys.executable, shamir, "combine", shares[1], shares[2]], check=True,
                      capture_output=True, text=True).stdout.strip() == seal, "subsets disagree"
secrets["imported ed25519 (hex file)"] = bytes.fromhex(open(os.path.join(secrets_dir, "ed.hex")).read())
pem = serialization.load_pem_private_key(open(os.path.join(secrets_dir, "p256.pem"), "rb").read(), None)
secrets["imported p256 (PEM file)"] = pem.private_numbers().private_value.to_bytes(32, "big")
secrets["imported secp256k1 (keystore)"] = bytes.fromhex(
    "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d")
secrets["imported ed25519 (Solana keypair)"] = bytes(json.load(open(os.path.join(secrets_dir, "solana.json")))[:32])
secrets["keystore passphrase"] = b"testpassword"


def forms(b):
    out = {"raw": b, "hex": b.hex().encode(), "HEX": b.hex().upper().encode(),
           "base64": base64.b64encode(b), "base64url": base64.urlsafe_b64encode(b).rstrip(b"=")}
    if len(b) == 32:
        out["raw first half"], out["raw second half"] = b[:16], b[16:]
    return out


def hits(path, needles):
    """(name, form, offset) of every needle found in the file at path."""
    found = []
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return found
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            for name, b in needles.items():
                for form, n in forms(b).items():
                    off = m.find(n)
                    if off >= 0:
                        found.append((name, form, off))
    return found


# --- positive controls: the search finds what is there
name = "imported ed25519 (hex file)"
assert hits(os.path.join(secrets_dir, "ed.hex"), {name: secrets[name]}), "control: key not found in its file"
for i, p in enumerate(shares, 1):
    assert hits(p, {f"share {i}": secrets[f"share {i}"]}), f"control: share {i} not found in {p}"
pubs = {k["id"]: bytes.fromhex(k["public_key"]) for k in json.load(open(os.path.join(tdir, "keys.json")))}
if core:
    in_core = [kid for kid, pub in pubs.items() if hits(core, {kid: pub})]
    assert len(in_core) == len(pubs), f"control: only {len(in_core)} of {len(pubs)} public keys in the core"

# --- the search: every file but the secrets themselves
files = []
for root, dirs, names in os.walk(tdir):
    if os.path.abspath(root).startswith(os.path.abspath(secrets_dir)):
        continue
    files += [os.path.join(root, n) for n in names if os.path.isfile(os.path.join(root, n))]
for need in ("spod.db", "spod.db-wal", "spod.db-shm", "host.log", "enclave.1.log", "cli-output.log") \
        + ((os.path.basename(core),) if core else ()):
    assert os.path.join(tdir, need) in files, f"{need} is not searched"
leaks = []
total = 0
for path in sorted(files):
    total += os.path.getsize(path)
    leaks += [f"{name} ({form}) in {os.path.relpath(path, tdir)} at offset {off}"
              for name, form, off in hits(path, secrets)]
if leaks:
    print("LEAKS:\n  " + "\n  ".join(leaks))
    sys.exit(1)
print(f"{len(secrets)} secrets in {len(forms(bytes(32)))} forms: none in {len(files)} files "
      f"({total} bytes{', the host core included' if core else ''}); controls found")
PY
log "$OUT"
pod_alive || fail "a daemon died"
log "ok"
