'use strict';
// SpodSigner: an ethers v6 Signer whose key is a secp256k1 key of a spod pod. Signing goes
// to spod-host's HTTP API (docs/openapi.yaml), so the key's policy and the audit log apply
// to every signature; the enclave decodes what it signs (docs/transactions.md).
//   GET  /v1/keys/{id}                   the public key -> the address
//   POST /v1/keys/{id}/sign-transaction  {"chain":"ethereum","tx":unsigned hex} -> signed_tx
//   POST /v1/keys/{id}/sign-message      {"message_hex"} -> EIP-191 signature
//   POST /v1/keys/{id}/sign-typed-data   eth_signTypedData_v4 JSON -> EIP-712 signature
// Every answer is checked against the key's address before it is returned.

const {
  AbstractSigner,
  Transaction,
  TypedDataEncoder,
  computeAddress,
  copyRequest,
  getAddress,
  hexlify,
  resolveAddress,
  resolveProperties,
  toUtf8Bytes,
  verifyMessage,
  verifyTypedData,
} = require('ethers');
const { checkOptions, request, keyPath } = require('./http');

class SpodSigner extends AbstractSigner {
  // options: { url, token, keyId, fetch?, timeoutMs? }; provider optional, as for a Wallet.
  constructor(options, provider) {
    super(provider || null);
    Object.defineProperty(this, '_options', { value: options });
    Object.defineProperty(this, '_conn', { value: checkOptions(options, false) });
    Object.defineProperty(this, '_address', { value: null, writable: true });
  }

  get keyId() {
    return this._conn.keyId;
  }

  connect(provider) {
    const s = new SpodSigner(this._options, provider);
    s._address = this._address;
    return s;
  }

  // The key's address (EIP-55), from its public key; asked once, then remembered.
  async getAddress() {
    if (this._address == null) {
      const key = await request(this._conn, 'GET', keyPath(this._conn));
      if (key.alg !== 'secp256k1') {
        throw new Error(`spod: key ${this._conn.keyId} is ${key.alg}, not secp256k1`);
      }
      this._address = computeAddress('0x' + key.public_key);
    }
    return this._address;
  }

  // As ethers' Wallet: resolve names, check `from`, build the Transaction; the pod signs
  // its unsigned serialization. The pod's signature is put on the Transaction built here,
  // so that what is returned is this transaction (an EIP-4844 one keeps its sidecar).
  async signTransaction(tx) {
    const address = await this.getAddress();
    tx = copyRequest(tx);
    const { to, from } = await resolveProperties({
      to: tx.to ? resolveAddress(tx.to, this.provider) : undefined,
      from: tx.from ? resolveAddress(tx.from, this.provider) : undefined,
    });
    if (to != null) tx.to = to;
    if (from != null) tx.from = from;
    if (tx.from != null) {
      if (getAddress(tx.from) !== address) {
        throw new Error(`spod: transaction from ${tx.from} is not the key's address ${address}`);
      }
      delete tx.from;
    }
    const btx = Transaction.from(tx);
    const res = await request(this._conn, 'POST', keyPath(this._conn, '/sign-transaction'), {
      chain: 'ethereum',
      tx: btx.unsignedSerialized,
    });
    const signed = Transaction.from(res.signed_tx);
    if (signed.unsignedHash !== btx.unsignedHash || signed.from !== address) {
      throw new Error('spod: the signed transaction is not the one sent, or not signed by the key');
    }
    btx.signature = signed.signature;
    return btx.serialized;
  }

  // EIP-191: a string is signed as its UTF-8 bytes, as ethers does.
  async signMessage(message) {
    const address = await this.getAddress();
    const bytes = typeof message === 'string' ? toUtf8Bytes(message) : message;
    const res = await request(this._conn, 'POST', keyPath(this._conn, '/sign-message'), {
      message_hex: hexlify(bytes),
    });
    if (verifyMessage(bytes, res.signature) !== address) {
      throw new Error('spod: the message signature does not recover to the key');
    }
    return res.signature;
  }

  // EIP-712: the enclave hashes the typed data itself, from eth_signTypedData_v4's JSON.
  async signTypedData(domain, types, value) {
    const address = await this.getAddress();
    if (this.provider) {
      const populated = await TypedDataEncoder.resolveNames(domain, types, value, async (name) => {
        const resolved = await this.provider.resolveName(name);
        if (resolved == null) throw new Error(`spod: unconfigured ENS name ${name}`);
        return resolved;
      });
      domain = populated.domain;
      value = populated.value;
    }
    const payload = TypedDataEncoder.getPayload(domain, types, value);
    const res = await request(this._conn, 'POST', keyPath(this._conn, '/sign-typed-data'), payload);
    if (verifyTypedData(domain, types, value, res.signature) !== address) {
      throw new Error('spod: the typed-data signature does not recover to the key');
    }
    return res.signature;
  }
}

module.exports = { SpodSigner };
