// Writes spod's Ethereum interop vectors (tests/data/ethereum/ethers.txt) to stdout, every
// value computed by ethers v6, an implementation independent of spod's C decoder:
//   cd tests/interop/js && npm ci && node eth_vectors.js > ../../data/ethereum/ethers.txt
// Run by hand when vectors are added; the build and the tests never run it.
//
// Format: one "field value" pair per line ("-" for an empty value), a vector per block that
// ends with "end". Fields: name, kind (enum spod_tx_kind), unsigned (the bytes spod
// decodes), key (a public test key), hash (the signing hash), signed (transactions: ethers'
// Wallet.signTransaction; authorizations and messages: r||s||v with v the y parity, or 27/28
// for EIP-191), then the decoded fields: chain_id, to, value, data, selector, flags, one
// "transfer asset decimals token to amount" line per transfer, one "delegate" per delegate.
"use strict";

const ethers = require("ethers");
const {
  Wallet, Transaction, Interface, getBytes, hexlify, toBeArray, toBeHex, encodeRlp,
  hashAuthorization, hashMessage, zeroPadValue, concat, keccak256, toUtf8Bytes,
} = ethers;

// Public test keys only: the EIP-155 example key and the first Hardhat/Anvil accounts.
const KEY_EIP155 = "0x" + "46".repeat(32);
const KEY_HH0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY_HH1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

const KIND = { 0: 1, 1: 2, 2: 3, 3: 4, 4: 5, AUTH: 6, EIP191: 7 };
const FLAG_CONTRACT_CREATE = 1;
const FLAG_UNKNOWN_CALL = 2;
const ASSET_NATIVE = 1;
const ASSET_TOKEN = 2;

const erc20 = new Interface([
  "function transfer(address to, uint256 amount)",
  "function approve(address spender, uint256 amount)",
]);

const hex = (b) => (b === null || b === undefined || getBytes(b).length === 0
  ? "-" : hexlify(b).slice(2).toLowerCase());
const u256 = (v) => toBeHex(v, 32).slice(2);

const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const ACCESS_LIST = [
  { address: USDC, storageKeys: [zeroPadValue("0x01", 32), keccak256(toUtf8Bytes("slot"))] },
  { address: BOB, storageKeys: [] },
];

// The summary spod must give, derived with ethers' own ABI decoder.
function expected(tx) {
  const lines = [];
  const data = getBytes(tx.data);
  const to = tx.to;
  let flags = 0;
  const transfers = [];
  if (tx.value > 0n) {
    transfers.push([ASSET_NATIVE, 18, "-", to ? hex(to) : "-", u256(tx.value)]);
  }
  let selector = "-";
  if (!to) {
    flags |= FLAG_CONTRACT_CREATE;
  } else if (data.length > 0) {
    if (data.length >= 4) selector = hex(data.slice(0, 4));
    const isTransfer = data.length >= 4 && hexlify(data.slice(0, 4)) === erc20.getFunction("transfer").selector;
    if (isTransfer) {
      const [rcpt, amount] = erc20.decodeFunctionData("transfer", data);
      transfers.push([ASSET_TOKEN, 255, hex(to), hex(rcpt), u256(amount)]);
    } else {
      flags |= FLAG_UNKNOWN_CALL;
    }
  }
  lines.push(`chain_id ${tx.chainId}`);
  lines.push(`to ${to ? hex(to) : "-"}`);
  lines.push(`value ${u256(tx.value)}`);
  lines.push(`data ${hex(data)}`);
  lines.push(`selector ${selector}`);
  lines.push(`flags ${flags}`);
  for (const t of transfers) lines.push(`transfer ${t.join(" ")}`);
  for (const a of tx.authorizationList || []) lines.push(`delegate ${hex(a.address)}`);
  return lines;
}

async function txVector(name, key, fields) {
  const wallet = new Wallet(key);
  const tx = Transaction.from(fields);
  const signed = await wallet.signTransaction(fields);
  // ethers parses what it signed back to the same transaction: a check on this generator.
  const back = Transaction.from(signed);
  if (back.from !== wallet.address || back.unsignedHash !== tx.unsignedHash) {
    throw new Error(`${name}: ethers does not read back its own signature`);
  }
  return [
    `name ${name}`,
    `kind ${KIND[tx.type]}`,
    `unsigned ${hex(tx.unsignedSerialized)}`,
    `key ${key.slice(2)}`,
    `hash ${hex(tx.unsignedHash)}`,
    `signed ${hex(signed)}`,
    ...expected(tx),
    "end",
  ];
}

function authVector(name, key, auth) {
  const wallet = new Wallet(key);
  const signed = wallet.authorizeSync(auth);
  const unsigned = encodeRlp([toBeArray(auth.chainId), getBytes(auth.address), toBeArray(auth.nonce)]);
  if (hashAuthorization(auth) !== keccak256(concat(["0x05", unsigned]))) {
    throw new Error(`${name}: authorization hash is not keccak(0x05 || rlp)`);
  }
  const sig = signed.signature;
  return [
    `name ${name}`,
    `kind ${KIND.AUTH}`,
    `unsigned ${hex(unsigned)}`,
    `key ${key.slice(2)}`,
    `hash ${hex(hashAuthorization(auth))}`,
    `signed ${sig.r.slice(2)}${sig.s.slice(2)}0${sig.yParity}`,
    `chain_id ${BigInt(auth.chainId)}`,
    "to -",
    `value ${u256(0)}`,
    "data -",
    "selector -",
    "flags 0",
    `delegate ${hex(auth.address)}`,
    "end",
  ];
}

function messageVector(name, key, msg) {
  const wallet = new Wallet(key);
  const bytes = getBytes(msg);
  return [
    `name ${name}`,
    `kind ${KIND.EIP191}`,
    `unsigned ${hex(bytes)}`,
    `key ${key.slice(2)}`,
    `hash ${hex(hashMessage(bytes))}`,
    `signed ${wallet.signMessageSync(bytes).slice(2)}`,
    "chain_id 0",
    "to -",
    `value ${u256(0)}`,
    `data ${hex(bytes)}`,
    "selector -",
    "flags 0",
    "end",
  ];
}

async function main() {
  const wallet0 = new Wallet(KEY_HH0);
  const auths = [
    wallet0.authorizeSync({ address: USDC, nonce: 7, chainId: 1 }),
    wallet0.authorizeSync({ address: BOB, nonce: 8, chainId: 0 }),
  ];
  const transfer = erc20.encodeFunctionData("transfer", [ALICE, 1234567890n]);
  const approve = erc20.encodeFunctionData("approve", [BOB, ethers.MaxUint256]);
  const blobHash = (n) => "0x01" + keccak256(toBeArray(n)).slice(4);

  const v = [];
  v.push(await txVector("legacy_eip155_example", KEY_EIP155, {
    type: 0, nonce: 9, gasPrice: 20000000000n, gasLimit: 21000, to: "0x" + "35".repeat(20),
    value: 10n ** 18n, data: "0x", chainId: 1,
  }));
  v.push(await txVector("legacy_pre155", KEY_HH0, {
    type: 0, nonce: 0, gasPrice: 1, gasLimit: 21000, to: ALICE, value: 1, chainId: 0,
  }));
  v.push(await txVector("legacy_create", KEY_HH1, {
    type: 0, nonce: 300, gasPrice: 7n * 10n ** 9n, gasLimit: 3000000, to: null, value: 0,
    data: "0x6080604052348015600f57600080fd5b50603f80601d6000396000f3fe", chainId: 137,
  }));
  v.push(await txVector("eip2930_erc20", KEY_HH0, {
    type: 1, nonce: 1, gasPrice: 30n * 10n ** 9n, gasLimit: 80000, to: USDC, value: 0,
    data: transfer, chainId: 1, accessList: ACCESS_LIST,
  }));
  v.push(await txVector("eip1559_native", KEY_HH0, {
    type: 2, nonce: 42, maxPriorityFeePerGas: 2n * 10n ** 9n, maxFeePerGas: 100n * 10n ** 9n,
    gasLimit: 21000, to: BOB, value: 123456789012345678901234n, chainId: 1,
  }));
  v.push(await txVector("eip1559_erc20", KEY_HH1, {
    type: 2, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 2, gasLimit: 65000, to: USDC,
    value: 0, data: transfer, chainId: 8453,
  }));
  v.push(await txVector("eip1559_erc20_with_value", KEY_HH1, {
    type: 2, nonce: 5, maxPriorityFeePerGas: 1, maxFeePerGas: 2, gasLimit: 65000, to: USDC,
    value: 1, data: transfer, chainId: 10,
  }));
  v.push(await txVector("eip1559_unknown_call", KEY_HH0, {
    type: 2, nonce: 3, maxPriorityFeePerGas: 0, maxFeePerGas: 10n ** 9n, gasLimit: 60000,
    to: USDC, value: 0, data: approve, chainId: 1, accessList: ACCESS_LIST,
  }));
  v.push(await txVector("eip1559_short_data", KEY_HH0, {
    type: 2, nonce: 4, maxPriorityFeePerGas: 1, maxFeePerGas: 1, gasLimit: 30000, to: BOB,
    value: 0, data: "0x1234", chainId: 1,
  }));
  v.push(await txVector("eip1559_create_with_value", KEY_HH1, {
    type: 2, nonce: 9, maxPriorityFeePerGas: 1, maxFeePerGas: 1, gasLimit: 500000, to: null,
    value: 5n * 10n ** 17n, data: "0x60006000f3", chainId: 11155111,
  }));
  v.push(await txVector("eip1559_max_values", KEY_HH0, {
    type: 2, nonce: Number.MAX_SAFE_INTEGER, maxPriorityFeePerGas: ethers.MaxUint256,
    maxFeePerGas: ethers.MaxUint256, gasLimit: 2n ** 64n - 1n, to: ALICE,
    value: ethers.MaxUint256, chainId: 2n ** 63n - 37n,
  }));
  v.push(await txVector("eip4844_blobs", KEY_HH0, {
    type: 3, nonce: 11, maxPriorityFeePerGas: 10n ** 9n, maxFeePerGas: 50n * 10n ** 9n,
    gasLimit: 21000, to: BOB, value: 0, data: "0x", chainId: 1, accessList: ACCESS_LIST,
    maxFeePerBlobGas: 3n * 10n ** 9n, blobVersionedHashes: [blobHash(1), blobHash(2)],
  }));
  v.push(await txVector("eip7702_delegate", KEY_HH0, {
    type: 4, nonce: 6, maxPriorityFeePerGas: 10n ** 9n, maxFeePerGas: 20n * 10n ** 9n,
    gasLimit: 100000, to: wallet0.address, value: 0, data: transfer, chainId: 1,
    authorizationList: auths,
  }));
  v.push(authVector("auth_chain1", KEY_HH0, { address: USDC, nonce: 7, chainId: 1 }));
  v.push(authVector("auth_any_chain", KEY_HH1, { address: BOB, nonce: 0, chainId: 0 }));
  v.push(authVector("auth_big_nonce", KEY_EIP155, {
    address: ALICE, nonce: 2n ** 64n - 1n, chainId: 11155111,
  }));
  v.push(messageVector("eip191_hello", KEY_HH0, toUtf8Bytes("hello spod")));
  v.push(messageVector("eip191_empty", KEY_HH1, "0x"));
  v.push(messageVector("eip191_binary_1000", KEY_EIP155,
    Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff)));

  process.stdout.write(`# generated by tests/interop/js/eth_vectors.js with ethers ${ethers.version}; do not edit\n`);
  for (const lines of v) process.stdout.write(lines.join("\n") + "\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
