'use strict';
// SpodSolanaSigner (@solana/web3.js 1.98) against a real pod.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const {
  Keypair,
  PublicKey,
  SystemProgram,
  Transaction,
  TransactionMessage,
  VersionedTransaction,
  LAMPORTS_PER_SOL,
} = require('@solana/web3.js');
const { SpodSolanaSigner } = require('..');
const E = require('./env');

const opts = { url: E.url, token: E.token, keyId: E.solKey };
const blockhash = () => new PublicKey(crypto.randomBytes(32)).toBase58();

// Node's Ed25519 verification with a raw 32-byte public key.
function ed25519Verify(publicKey, message, signature) {
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey.toBuffer()]);
  const key = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
  return crypto.verify(null, Buffer.from(message), key, Buffer.from(signature));
}

test('create: the public key is the key\'s Solana address', async () => {
  const signer = await SpodSolanaSigner.create(opts);
  assert.strictEqual(signer.publicKey.toBase58(), E.solAddress);
});

test('signTransaction: a System transfer paid by the pod key verifies', async () => {
  const signer = await SpodSolanaSigner.create(opts);
  const tx = new Transaction({ feePayer: signer.publicKey, recentBlockhash: blockhash() }).add(
    SystemProgram.transfer({ fromPubkey: signer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: LAMPORTS_PER_SOL / 10 }),
  );
  const signed = await signer.signTransaction(tx);
  assert.strictEqual(signed, tx);
  assert.strictEqual(tx.verifySignatures(), true);
  assert.ok(ed25519Verify(signer.publicKey, tx.serializeMessage(), tx.signature));
  // the wire form round-trips through web3.js with the signature
  assert.strictEqual(Transaction.from(tx.serialize()).verifySignatures(), true);
});

test('signTransaction: a second signer\'s slot is kept (partial signing)', async () => {
  const signer = await SpodSolanaSigner.create(opts);
  const other = Keypair.generate();
  const tx = new Transaction({ feePayer: other.publicKey, recentBlockhash: blockhash() }).add(
    SystemProgram.transfer({ fromPubkey: signer.publicKey, toPubkey: other.publicKey, lamports: 5000 }),
  );
  tx.partialSign(other);
  await signer.signTransaction(tx);
  assert.strictEqual(tx.verifySignatures(), true);
});

test('signAllTransactions: v0 transactions verify', async () => {
  const signer = await SpodSolanaSigner.create(opts);
  const txs = [1, 2].map((n) => {
    const message = new TransactionMessage({
      payerKey: signer.publicKey,
      recentBlockhash: blockhash(),
      instructions: [SystemProgram.transfer({ fromPubkey: signer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: n })],
    }).compileToV0Message();
    return new VersionedTransaction(message);
  });
  const signed = await signer.signAllTransactions(txs);
  assert.strictEqual(signed.length, 2);
  for (const tx of signed) {
    assert.ok(ed25519Verify(signer.publicKey, tx.message.serialize(), tx.signatures[0]));
  }
});

test('signMessage verifies with Node\'s Ed25519', async () => {
  const signer = await SpodSolanaSigner.create(opts);
  const message = new TextEncoder().encode('Sign in to example.com with Solana');
  const sig = await signer.signMessage(message);
  assert.strictEqual(sig.length, 64);
  assert.ok(ed25519Verify(signer.publicKey, message, sig));
  const flipped = Uint8Array.from(sig);
  flipped[0] ^= 1;
  assert.ok(!ed25519Verify(signer.publicKey, message, flipped));
});

test('signMessage: bytes that are a Solana message are refused', async () => {
  const signer = await SpodSolanaSigner.create(opts);
  const tx = new Transaction({ feePayer: signer.publicKey, recentBlockhash: blockhash() }).add(
    SystemProgram.transfer({ fromPubkey: signer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }),
  );
  await assert.rejects(signer.signMessage(tx.serializeMessage()), (err) => err.status === 400 && /transaction/.test(err.message));
});
