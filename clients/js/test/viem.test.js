'use strict';
// spodViemAccount (viem's toAccount) against a real pod.
const test = require('node:test');
const assert = require('node:assert');
const { verifyMessage, verifyTypedData, recoverTransactionAddress, parseTransaction, parseEther } = require('viem');
const { spodViemAccount } = require('..');
const E = require('./env');

const opts = { url: E.url, token: E.token, keyId: E.ethKey };

test('the account is the key\'s address, a custom local account', async () => {
  const account = await spodViemAccount(opts);
  assert.strictEqual(account.address, E.ethAddress);
  assert.strictEqual(account.type, 'local');
  assert.strictEqual(account.source, 'custom');
});

test('signMessage verifies with viem\'s verifyMessage, text and raw', async () => {
  const account = await spodViemAccount(opts);
  const sig = await account.signMessage({ message: 'hello viem' });
  assert.ok(await verifyMessage({ address: E.ethAddress, message: 'hello viem', signature: sig }));
  const raw = await account.signMessage({ message: { raw: '0x00ff10' } });
  assert.ok(await verifyMessage({ address: E.ethAddress, message: { raw: '0x00ff10' }, signature: raw }));
  const bytes = await account.signMessage({ message: { raw: Uint8Array.from([0, 0xff, 0x10]) } });
  assert.strictEqual(bytes, raw);
});

test('signTransaction: EIP-1559 and legacy recover to the key', async () => {
  const account = await spodViemAccount(opts);
  const signed = await account.signTransaction({
    type: 'eip1559',
    chainId: 1,
    nonce: 3,
    to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
    value: parseEther('0.25'),
    gas: 21000n,
    maxFeePerGas: 100000000000n,
    maxPriorityFeePerGas: 2000000000n,
  });
  assert.strictEqual(await recoverTransactionAddress({ serializedTransaction: signed }), E.ethAddress);
  const p = parseTransaction(signed);
  assert.strictEqual(p.nonce, 3);
  assert.strictEqual(p.value, parseEther('0.25'));
  const legacy = await account.signTransaction({
    type: 'legacy',
    chainId: 137,
    nonce: 0,
    to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
    value: 1n,
    gas: 21000n,
    gasPrice: 30000000000n,
  });
  assert.strictEqual(await recoverTransactionAddress({ serializedTransaction: legacy }), E.ethAddress);
  assert.strictEqual(parseTransaction(legacy).chainId, 137);
});

test('signTypedData verifies with viem\'s verifyTypedData', async () => {
  const account = await spodViemAccount(opts);
  const sig = await account.signTypedData(E.typed);
  assert.ok(await verifyTypedData({ ...E.typed, address: E.ethAddress, signature: sig }));
});

test('a policy refusal rejects with an Error naming the rule', async () => {
  const account = await spodViemAccount({ ...opts, keyId: E.denyKey });
  await assert.rejects(account.signMessage({ message: 'no' }), (err) => err.code === 'POLICY_DENIED' && err.message.includes(E.denyRule));
});
