'use strict';
// SpodSigner (ethers v6) against a real pod.
const test = require('node:test');
const assert = require('node:assert');
const { Transaction, verifyMessage, verifyTypedData, JsonRpcProvider, Wallet, parseEther } = require('ethers');
const { SpodSigner, SpodHttpError } = require('..');
const E = require('./env');

const opts = { url: E.url, token: E.token, keyId: E.ethKey };

test('getAddress is the key\'s address (the CLI\'s EIP-55 one)', async () => {
  const signer = new SpodSigner(opts);
  assert.strictEqual(await signer.getAddress(), E.ethAddress);
});

test('signMessage verifies with ethers.verifyMessage, text and bytes', async () => {
  const signer = new SpodSigner(opts);
  const sig = await signer.signMessage('hello from @spod/clients');
  assert.match(sig, /^0x[0-9a-f]{130}$/);
  assert.strictEqual(verifyMessage('hello from @spod/clients', sig), E.ethAddress);
  const bytes = Uint8Array.from([0, 1, 2, 0xff]);
  assert.strictEqual(verifyMessage(bytes, await signer.signMessage(bytes)), E.ethAddress);
  // the same signature as a local key would give is not checkable (another key); RFC 6979
  // makes the pod's deterministic: the same message signs the same
  assert.strictEqual(await signer.signMessage('hello from @spod/clients'), sig);
});

test('signTypedData verifies with ethers.verifyTypedData', async () => {
  const signer = new SpodSigner(opts);
  const { domain, types, message } = E.typed;
  const sig = await signer.signTypedData(domain, types, message);
  assert.strictEqual(verifyTypedData(domain, types, message, sig), E.ethAddress);
});

test('signTransaction: an EIP-1559 transaction parses, from is the key', async () => {
  const signer = new SpodSigner(opts);
  const tx = {
    type: 2,
    chainId: 1,
    nonce: 7,
    to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
    value: parseEther('0.5'),
    gasLimit: 21000,
    maxFeePerGas: 100000000000n,
    maxPriorityFeePerGas: 2000000000n,
    from: E.ethAddress,
  };
  const signed = await signer.signTransaction(tx);
  const parsed = Transaction.from(signed);
  assert.strictEqual(parsed.from, E.ethAddress);
  assert.strictEqual(parsed.type, 2);
  assert.strictEqual(parsed.to, '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC');
  assert.strictEqual(parsed.value, parseEther('0.5'));
  assert.strictEqual(parsed.nonce, 7);
  // a legacy EIP-155 one too
  const legacy = Transaction.from(
    await signer.signTransaction({ type: 0, chainId: 5, nonce: 1, to: tx.to, value: 1n, gasLimit: 21000, gasPrice: 1000000000n }),
  );
  assert.strictEqual(legacy.from, E.ethAddress);
  assert.strictEqual(legacy.chainId, 5n);
});

test('signTransaction refuses a from that is not the key, before asking the pod', async () => {
  const signer = new SpodSigner(opts);
  const other = Wallet.createRandom().address;
  await assert.rejects(signer.signTransaction({ to: other, from: other, chainId: 1, gasLimit: 21000, gasPrice: 1n }), /not the key's address/);
});

test('connect(provider) keeps the key and takes the provider', async () => {
  const provider = new JsonRpcProvider('http://127.0.0.1:9', 1, { staticNetwork: true });
  const signer = new SpodSigner(opts).connect(provider);
  assert.strictEqual(signer.provider, provider);
  assert.strictEqual(await signer.getAddress(), E.ethAddress);
  assert.strictEqual(signer.keyId, E.ethKey.toLowerCase());
  provider.destroy();
});

test('a policy refusal rejects with an Error naming the rule', async () => {
  const signer = new SpodSigner({ ...opts, keyId: E.denyKey });
  await assert.rejects(signer.signMessage('not for this key'), (err) => {
    assert.ok(err instanceof Error);
    assert.ok(err instanceof SpodHttpError);
    assert.strictEqual(err.status, 403);
    assert.strictEqual(err.code, 'POLICY_DENIED');
    assert.strictEqual(err.rule, E.denyRule);
    assert.ok(err.message.includes(E.denyRule), err.message);
    return true;
  });
});

test('a bad token is 401 UNAUTHENTICATED', async () => {
  const signer = new SpodSigner({ ...opts, token: 'spod_not-a-token' });
  await assert.rejects(signer.getAddress(), (err) => err.status === 401 && err.code === 'UNAUTHENTICATED');
});
