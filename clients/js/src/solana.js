'use strict';
// SpodSolanaSigner: the wallet-adapter signer shape ({ publicKey, signTransaction,
// signAllTransactions, signMessage }) for @solana/web3.js 1.x, whose key is an Ed25519 key
// of a spod pod. It uses spod-host's Solana routes (docs/solana.md, docs/openapi.yaml):
//   POST /v1/solana/sign-transaction {"transaction": base64, "key_id"} -> the tx, slot filled
//   POST /v1/solana/sign-message     {"message": base64, "key_id"}     -> base58 signature
// The enclave decodes the message and the key's policy decides; this class only moves
// bytes, and checks that the pod signed the very message it was sent.

const { PublicKey, Transaction, VersionedTransaction } = require('@solana/web3.js');
const { checkOptions, request, keyPath, toBase64, fromBase64, fromBase58 } = require('./http');

function isVersioned(tx) {
  return tx instanceof VersionedTransaction || (tx && 'version' in tx && tx.message && !tx.instructions);
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

class SpodSolanaSigner {
  // Use SpodSolanaSigner.create(options), which asks the pod for the key's public key;
  // the constructor takes it as `publicKey` when the caller knows it already.
  constructor(options) {
    this._conn = checkOptions(options, false);
    if (options.publicKey == null) throw new TypeError('spod: publicKey required (or use SpodSolanaSigner.create)');
    this.publicKey = new PublicKey(options.publicKey);
  }

  // create({ url, token, keyId, fetch?, timeoutMs? }): the key's public key from the pod.
  static async create(options) {
    const conn = checkOptions(options, false);
    const key = await request(conn, 'GET', keyPath(conn));
    if (key.alg !== 'ed25519') throw new Error(`spod: key ${conn.keyId} is ${key.alg}, not ed25519`);
    return new SpodSolanaSigner({ ...options, publicKey: key.solana_address || fromHex(key.public_key) });
  }

  get keyId() {
    return this._conn.keyId;
  }

  // Fills the key's signature slot of a Transaction or VersionedTransaction (in place, as
  // wallets do) and returns it. The key must be one of its required signers.
  async signTransaction(tx) {
    const versioned = isVersioned(tx);
    const bytes = versioned ? tx.serialize() : tx.serialize({ requireAllSignatures: false, verifySignatures: false });
    const res = await request(this._conn, 'POST', '/v1/solana/sign-transaction', {
      transaction: toBase64(bytes),
      key_id: this._conn.keyId,
    });
    if (res.signer !== this.publicKey.toBase58()) {
      throw new Error(`spod: signed by ${res.signer}, not ${this.publicKey.toBase58()}`);
    }
    const signature = fromBase58(res.signature);
    const back = fromBase64(res.transaction);
    if (versioned) {
      const signed = VersionedTransaction.deserialize(back);
      if (!sameBytes(signed.message.serialize(), tx.message.serialize())) {
        throw new Error('spod: the pod signed another message');
      }
      const i = tx.message.staticAccountKeys
        .slice(0, tx.message.header.numRequiredSignatures)
        .findIndex((k) => k.equals(this.publicKey));
      if (i < 0) throw new Error('spod: the key is not a required signer');
      tx.signatures[i] = signature;
    } else {
      const signed = Transaction.from(back);
      if (!sameBytes(signed.serializeMessage(), tx.serializeMessage())) {
        throw new Error('spod: the pod signed another message');
      }
      tx.addSignature(this.publicKey, Buffer.from(signature));
    }
    return tx;
  }

  async signAllTransactions(txs) {
    const out = [];
    for (const tx of txs) out.push(await this.signTransaction(tx));
    return out;
  }

  // Ed25519 over the bytes themselves (a wallet's signMessage). The pod refuses bytes that
  // are a Solana message or transaction: sign those with signTransaction.
  async signMessage(message) {
    const res = await request(this._conn, 'POST', '/v1/solana/sign-message', {
      message: toBase64(message),
      key_id: this._conn.keyId,
    });
    if (res.signer !== this.publicKey.toBase58()) {
      throw new Error(`spod: signed by ${res.signer}, not ${this.publicKey.toBase58()}`);
    }
    return fromBase58(res.signature);
  }
}

function fromHex(hex) {
  return Uint8Array.from(hex.match(/../g).map((b) => parseInt(b, 16)));
}

module.exports = { SpodSolanaSigner };
