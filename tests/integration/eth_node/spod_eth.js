// node spod_eth.js: ethers v6's JsonRpcProvider and JsonRpcSigner pointed at spod-host's
// JSON-RPC signer (POST /eth, here on the port of its own, eth-listen), with a real Hardhat
// node as spod's eth-downstream (tests/integration/eth_send.sh sets it all up and passes it in
// the environment):
//   SPOD_ETH_URL   http://127.0.0.1:PORT/         SPOD_TOKEN  a token with sign and list
//   ETH_NODE_URL   the node itself                 TOKEN_ARTIFACT  Token.sol compiled (compile.js)
//   SPOD_ADDRESS   a key without a policy          SPOD_POLICY_ADDRESS  a key whose policy
//   DENY_TO, DENY_RULE, DENY_REASON                 denies sends to DENY_TO with that rule
// The signer sends an EIP-1559 transfer, deploys the ERC-20 and transfers some of it, all
// filled (nonce, fees, gas, chain id) and sent by spod, mined by the node and checked by
// balances read from the node directly; signs typed data and a message that ethers verifies;
// sends an EIP-7702 set-code transaction; and sees a policy refusal as a JSON-RPC error
// with the rule's reason. Prints "ok N" with the number of checks passed.
'use strict';
const assert = require('node:assert/strict');
const fs = require('fs');
const { ethers } = require('ethers');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
let checks = 0;
const check = (what, cond, detail) => {
  assert.ok(cond, `${what}${detail !== undefined ? `: ${detail}` : ''}`);
  checks++;
  console.log(`  ok ${what}`);
};

async function main() {
  const req = new ethers.FetchRequest(env('SPOD_ETH_URL'));
  req.setHeader('Authorization', `Bearer ${env('SPOD_TOKEN')}`);
  req.timeout = 30000;
  // batchMaxCount left at ethers' default (100): ethers sends JSON-RPC batches to spod
  // (cacheTimeout -1: ethers would otherwise answer a repeated call from a 250 ms cache)
  const spod = new ethers.JsonRpcProvider(req, undefined, { pollingInterval: 100, cacheTimeout: -1 });
  const node = new ethers.JsonRpcProvider(env('ETH_NODE_URL'), undefined,
    { staticNetwork: true, cacheTimeout: -1 });
  const from = ethers.getAddress(env('SPOD_ADDRESS'));
  const guarded = ethers.getAddress(env('SPOD_POLICY_ADDRESS'));

  // chain id and accounts: eth_chainId goes to the node, eth_accounts is spod's own
  const net = await spod.getNetwork();
  check('eth_chainId through spod', net.chainId === 31337n, net.chainId);
  const accounts = (await spod.send('eth_accounts', [])).map((a) => ethers.getAddress(a));
  check('eth_accounts lists the token keys', accounts.includes(from) && accounts.includes(guarded),
    accounts.join(','));

  // fund both keys (hardhat_setBalance, a method spod passes on)
  for (const a of [from, guarded])
    await spod.send('hardhat_setBalance', [a, ethers.toQuantity(ethers.parseEther('100'))]);
  check('funded through the proxy', (await node.getBalance(from)) === ethers.parseEther('100'));

  const signer = await spod.getSigner(from);
  check('JsonRpcSigner address', (await signer.getAddress()) === from);

  // 1. an EIP-1559 transfer, everything filled by spod from the node
  const payee = ethers.Wallet.createRandom().address;
  const tx1 = await signer.sendTransaction({ to: payee, value: ethers.parseEther('1.5') });
  const r1 = await tx1.wait();
  check('transfer mined', r1.status === 1, r1.status);
  const mined1 = await node.getTransaction(tx1.hash);
  check('transfer is EIP-1559 from the key', mined1.type === 2 && mined1.from === from,
    `${mined1.type} ${mined1.from}`);
  check('transfer chain id', mined1.chainId === 31337n, mined1.chainId);
  check('payee balance', (await node.getBalance(payee)) === ethers.parseEther('1.5'));

  // 2. a contract deployment (the ERC-20 compiled by the test with npm solc)
  const art = JSON.parse(fs.readFileSync(env('TOKEN_ARTIFACT'), 'utf8'));
  const supply = 1000000n * 10n ** 18n;
  const factory = new ethers.ContractFactory(art.abi, art.bytecode, signer);
  const erc20 = await factory.deploy('Spod Test', 'SPT', supply);
  await erc20.waitForDeployment();
  const tokenAddr = await erc20.getAddress();
  check('contract deployed', (await node.getCode(tokenAddr)).length > 2);
  const onNode = new ethers.Contract(tokenAddr, art.abi, node);
  check('deployer holds the supply', (await onNode.balanceOf(from)) === supply);

  // 3. an ERC-20 transfer
  const amount = 1234n * 10n ** 18n;
  const tx3 = await erc20.transfer(payee, amount);
  const r3 = await tx3.wait();
  check('ERC-20 transfer mined', r3.status === 1);
  check('ERC-20 balances', (await onNode.balanceOf(payee)) === amount &&
    (await onNode.balanceOf(from)) === supply - amount);
  check('nonce moved by three', (await node.getTransactionCount(from)) === 3);

  // 4. eth_signTypedData_v4 and personal_sign, verified by ethers
  const domain = { name: 'Spod', version: '1', chainId: 31337, verifyingContract: tokenAddr };
  const types = { Mail: [{ name: 'to', type: 'address' }, { name: 'contents', type: 'string' }] };
  const value = { to: payee, contents: 'hello from the enclave' };
  const tsig = await signer.signTypedData(domain, types, value);
  check('verifyTypedData', ethers.verifyTypedData(domain, types, value, tsig) === from);
  const msig = await signer.signMessage('spod says hi');
  check('verifyMessage', ethers.verifyMessage('spod says hi', msig) === from);

  // 5. eth_signTransaction: a signed legacy transaction ethers parses back to the key
  const raw = await spod.send('eth_signTransaction', [{ from, to: payee, value: '0x1', gasPrice: '0x3b9aca00' }]);
  const parsed = ethers.Transaction.from(raw);
  const estimate = await node.estimateGas({ from, to: payee, value: 1n });
  check('eth_signTransaction filled and signed', parsed.from === from && parsed.chainId === 31337n &&
    parsed.nonce === 3 && parsed.gasLimit === estimate && parsed.type === 0,
    `${parsed.from} ${parsed.chainId} ${parsed.nonce} ${parsed.gasLimit} ${parsed.type}`);

  // 6. EIP-7702: an authority (a plain wallet) delegates to the token contract; the key
  // sends the set-code transaction and pays for it (calling totalSupply() through the
  // delegated account: the token has no fallback for empty calldata)
  const authority = ethers.Wallet.createRandom();
  const auth = await authority.authorize({ address: tokenAddr, nonce: 0, chainId: 31337 });
  const tx6 = await signer.sendTransaction({ type: 4, to: authority.address, authorizationList: [auth],
    data: erc20.interface.encodeFunctionData('totalSupply') });
  const r6 = await tx6.wait();
  check('set-code transaction mined', r6.status === 1 && (await node.getTransaction(tx6.hash)).type === 4);
  const code = await node.getCode(authority.address);
  check('delegation designator', code.toLowerCase() === `0xef0100${tokenAddr.slice(2).toLowerCase()}`, code);

  // 7. the key with a policy: an allowed send, then a refused one as a JSON-RPC error
  const gsigner = await spod.getSigner(guarded);
  const ok = await gsigner.sendTransaction({ to: payee, value: 1n });
  check('allowed by the policy', (await ok.wait()).status === 1);
  const denyTo = ethers.getAddress(env('DENY_TO'));
  let refused = null;
  try {
    await gsigner.sendTransaction({ to: denyTo, value: 1n, gasLimit: 21000n });
  } catch (e) {
    refused = e;
  }
  check('refused by the policy', refused !== null);
  const rpcErr = refused.error || (refused.info && refused.info.error) || {};
  check('refusal is a JSON-RPC error with the rule', rpcErr.code === -32000 &&
    rpcErr.data && rpcErr.data.code === 'POLICY_DENIED' && rpcErr.data.rule === env('DENY_RULE') &&
    rpcErr.data.reason === env('DENY_REASON'), JSON.stringify(rpcErr));
  check('refusal message names rule and reason',
    String(rpcErr.message).includes(`denied by rule "${env('DENY_RULE')}": ${env('DENY_REASON')}`),
    rpcErr.message);
  check('nothing was sent to the denied address', (await node.getBalance(denyTo)) === 0n);

  // 8. the node's error while spod fills the gas (eth_estimateGas of a transfer of more than
  // the key holds reverts) comes back as the node gave it, and nothing is signed or sent
  const before = await node.getTransactionCount(from);
  let reverted = null;
  try {
    const data = erc20.interface.encodeFunctionData('transfer', [payee, supply * 2n]);
    await spod.send('eth_sendTransaction', [{ from, to: tokenAddr, data }]);
  } catch (e) {
    reverted = e;
  }
  const detail = reverted && JSON.stringify(reverted.error || reverted.message);
  check('the node error is passed on', reverted !== null && /revert/i.test(detail), detail);
  check('nothing sent after the node refused', (await node.getTransactionCount(from)) === before);
  spod.destroy();
  node.destroy();
  console.log(`ok ${checks}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
