'use strict';
// spodViemAccount: a viem custom account (toAccount) whose key is a secp256k1 key of a
// spod pod, over the same HTTP routes as SpodSigner (src/ethers.js). Every signature is
// checked to recover to the key's address before it is returned.

const { publicKeyToAddress, toAccount } = require('viem/accounts');
const {
  getAddress,
  getTypesForEIP712Domain,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  stringToHex,
  toHex,
  verifyMessage,
  verifyTypedData,
} = require('viem');
const { checkOptions, request, keyPath } = require('./http');

// JSON for eth_signTypedData_v4: bigints as decimal strings, bytes as hex (viem has them so).
function typedDataJson(parameters) {
  const { domain = {}, types, primaryType, message } = parameters;
  const allTypes = { EIP712Domain: getTypesForEIP712Domain({ domain }), ...types };
  return JSON.parse(
    JSON.stringify({ types: allTypes, primaryType, domain, message }, (_, v) =>
      typeof v === 'bigint' ? v.toString() : v,
    ),
  );
}

// The r, s, yParity (and v = 27 + yParity, as viem's own sign() gives) of a signed tx.
function signatureOf(signed) {
  const p = parseTransaction(signed);
  let yParity = p.yParity;
  if (yParity == null) {
    const v = BigInt(p.v);
    yParity = v === 27n || v === 28n ? Number(v - 27n) : Number((v - 35n) % 2n);
  }
  return { r: p.r, s: p.s, yParity, v: 27n + BigInt(yParity) };
}

// spodViemAccount({ url, token, keyId, fetch?, timeoutMs? }): Promise of a LocalAccount
// (source "custom"). It asks the pod for the key's public key once, for the address.
async function spodViemAccount(options) {
  const conn = checkOptions(options, false);
  const key = await request(conn, 'GET', keyPath(conn));
  if (key.alg !== 'secp256k1') throw new Error(`spod: key ${conn.keyId} is ${key.alg}, not secp256k1`);
  const address = getAddress(publicKeyToAddress('0x' + key.public_key));

  const account = toAccount({
    address,
    async signMessage({ message }) {
      const hex =
        typeof message === 'string' ? stringToHex(message) : typeof message.raw === 'string' ? message.raw : toHex(message.raw);
      const res = await request(conn, 'POST', keyPath(conn, '/sign-message'), { message_hex: hex });
      if (!(await verifyMessage({ address, message, signature: res.signature }))) {
        throw new Error('spod: the message signature does not recover to the key');
      }
      return res.signature;
    },
    // As viem's privateKeyToAccount: the pod signs serializer(tx) (an EIP-4844 one without
    // its sidecars); the signature is then serialized with the whole transaction.
    async signTransaction(transaction, { serializer = serializeTransaction } = {}) {
      const signable = transaction.type === 'eip4844' ? { ...transaction, sidecars: false } : transaction;
      const unsigned = await serializer(signable);
      const res = await request(conn, 'POST', keyPath(conn, '/sign-transaction'), {
        chain: 'ethereum',
        tx: unsigned,
      });
      if ((await recoverTransactionAddress({ serializedTransaction: res.signed_tx })) !== address) {
        throw new Error('spod: the signed transaction does not recover to the key');
      }
      return await serializer(transaction, signatureOf(res.signed_tx));
    },
    async signTypedData(parameters) {
      const res = await request(conn, 'POST', keyPath(conn, '/sign-typed-data'), typedDataJson(parameters));
      if (!(await verifyTypedData({ ...parameters, address, signature: res.signature }))) {
        throw new Error('spod: the typed-data signature does not recover to the key');
      }
      return res.signature;
    },
  });
  account.keyId = conn.keyId;
  return account;
}

module.exports = { spodViemAccount };
