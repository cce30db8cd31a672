// Checks Ethereum transactions signed by spod with ethers v6, an implementation independent of
// spod's decoder and signer (tests/integration/interop_js.sh runs it):
//   node check_eth.js --address 0xEIP55 --public 04HEX FILE
// FILE has one transaction a line: "NAME KIND UNSIGNED_HEX SIGNED_HEX", KIND the enum
// spod_tx_kind of tests/data/ethereum/ethers.txt (1 legacy ... 5 EIP-7702), UNSIGNED what spod
// was given and SIGNED what `spod sign-tx` printed. For each, ethers parses the signed
// transaction (Transaction.from) and must find: the type of KIND, a signature with low S,
// the signer recovered from it equal to the key (its public key and address), and the
// unsigned fields equal to the input (unsignedSerialized is the input, byte for byte).
// Prints "ok NAME ..." per transaction; exits 1 at the first mismatch.
"use strict";

const fs = require("fs");
const ethers = require("ethers");
const { Transaction, SigningKey, computeAddress, getAddress, hexlify } = ethers;

// secp256k1's group order, for the low-S check (EIP-2).
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function fail(msg) {
  console.error(`check_eth: ${msg}`);
  process.exit(1);
}

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--address" || argv[i] === "--public") out[argv[i].slice(2)] = argv[++i];
    else out.file = argv[i];
  }
  if (!out.address || !out.public || !out.file) {
    fail("usage: node check_eth.js --address 0xADDRESS --public 04HEX FILE");
  }
  return out;
}

function check(line, want) {
  const [name, kind, unsigned, signed] = line.split(" ");
  if (!signed) fail(`bad line: ${line}`);
  let tx;
  try {
    tx = Transaction.from("0x" + signed.replace(/^0x/, ""));
  } catch (e) {
    fail(`${name}: ethers cannot parse the signed transaction: ${e.message}`);
  }
  if (tx.type !== Number(kind) - 1) fail(`${name}: type ${tx.type}, want ${Number(kind) - 1}`);
  if (!tx.isSigned()) fail(`${name}: ethers finds no signature`);
  const s = BigInt(tx.signature.s);
  if (s === 0n || s > N / 2n) fail(`${name}: S is not low: ${tx.signature.s}`);
  const recovered = SigningKey.recoverPublicKey(tx.unsignedHash, tx.signature);
  if (recovered.toLowerCase() !== want.public) {
    fail(`${name}: recovered public key ${recovered}, want ${want.public}`);
  }
  if (tx.from !== want.address) fail(`${name}: from ${tx.from}, want ${want.address}`);
  const back = hexlify(tx.unsignedSerialized).slice(2);
  if (back !== unsigned.replace(/^0x/, "").toLowerCase()) {
    fail(`${name}: the unsigned fields changed:\n  in  ${unsigned}\n  out ${back}`);
  }
  console.log(`ok ${name} type=${tx.type} chain_id=${tx.chainId} nonce=${tx.nonce} from=${tx.from}`);
}

function main() {
  const a = args(process.argv.slice(2));
  const pub = "0x" + a.public.replace(/^0x/, "").toLowerCase();
  const address = computeAddress(pub);
  // spod's EIP-55 address must be ethers' own, checksum included.
  if (address !== a.address || getAddress(a.address.toLowerCase()) !== a.address) {
    fail(`spod's address ${a.address} is not ethers' ${address} for ${pub}`);
  }
  const lines = fs.readFileSync(a.file, "utf8").split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) fail(`no transactions in ${a.file}`);
  for (const line of lines) check(line, { public: pub, address });
  console.log(`check_eth: ${lines.length} transactions verified with ethers ${ethers.version} on Node ${process.version}`);
}

main();
