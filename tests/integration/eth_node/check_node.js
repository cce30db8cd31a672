// node check_node.js URL TOKEN.json EOA_KEY: the self-test of the development node
// (tests/integration/eth_node.sh), with ethers through the node's own unlocked accounts:
// - an EIP-1559 transfer of ether from account #0 to account #2, mined, balance checked;
// - Token (TOKEN.json, from compile.js) deployed by account #0, 1000 tokens minted to it;
//   a transfer to #1, an approve of #2 and a transferFrom by #2, with balances, allowance
//   and the Transfer event checked;
// - Prague: the funded EOA of EOA_KEY delegates itself to the token's address with an
//   EIP-7702 (type 4) transaction it signs itself; its code must become 0xef0100 || address
//   and a call to it must run the token's code.
// Prints "ok NAME" per check; exit 1 with a message on the first failure.
'use strict';
const fs = require('fs');
const { ethers } = require('ethers');

const [url, tokenFile, eoaKey] = process.argv.slice(2);
if (!url || !tokenFile || !eoaKey) {
  console.error('usage: node check_node.js URL TOKEN.json EOA_KEY');
  process.exit(2);
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function main() {
  const provider = new ethers.JsonRpcProvider(url, undefined, {
    staticNetwork: true,
    cacheTimeout: -1, // no 250 ms cache: balances are read right after each transaction
  });
  const net = await provider.getNetwork();
  check(net.chainId === 31337n, `chain id ${net.chainId}`);
  const [a0, a1, a2] = await Promise.all([0, 1, 2].map((i) => provider.getSigner(i)));

  const value = ethers.parseEther('1.5');
  const before = await provider.getBalance(a2.address);
  const tx = await a0.sendTransaction({ to: a2.address, value });
  const rcpt = await tx.wait();
  check(rcpt.status === 1 && tx.type === 2, `ether transfer: status ${rcpt.status} type ${tx.type}`);
  check((await provider.getBalance(a2.address)) === before + value, 'ether balance');
  console.log('ok eip1559-transfer');

  const { abi, bytecode } = JSON.parse(fs.readFileSync(tokenFile, 'utf8'));
  const supply = ethers.parseUnits('1000', 18);
  const token = await new ethers.ContractFactory(abi, bytecode, a0).deploy('Test', 'TST', supply);
  await token.waitForDeployment();
  const tokenAddr = await token.getAddress();
  check((await provider.getCode(tokenAddr)).length > 2, 'no code at the token address');
  check((await token.name()) === 'Test' && (await token.symbol()) === 'TST', 'name/symbol');
  check((await token.decimals()) === 18n && (await token.totalSupply()) === supply, 'decimals/supply');
  check((await token.balanceOf(a0.address)) === supply, 'deployer balance');
  console.log(`ok deploy ${tokenAddr}`);

  const amount = ethers.parseUnits('250', 18);
  const r1 = await (await token.transfer(a1.address, amount)).wait();
  const ev = r1.logs.map((l) => token.interface.parseLog(l)).find((e) => e && e.name === 'Transfer');
  check(ev && ev.args.from === a0.address && ev.args.to === a1.address && ev.args.value === amount,
    'Transfer event');
  check((await token.balanceOf(a1.address)) === amount, 'recipient balance');
  check((await token.balanceOf(a0.address)) === supply - amount, 'sender balance');
  await (await token.approve(a2.address, amount)).wait();
  check((await token.allowance(a0.address, a2.address)) === amount, 'allowance');
  await (await token.connect(a2).transferFrom(a0.address, a1.address, 100n)).wait();
  check((await token.allowance(a0.address, a2.address)) === amount - 100n, 'allowance after');
  check((await token.balanceOf(a1.address)) === amount + 100n, 'balance after transferFrom');
  // a transfer beyond the balance reverts with the contract's reason
  let reverted = '';
  try {
    await token.connect(a2).transfer(a1.address, 1n);
  } catch (e) {
    reverted = e.reason || e.shortMessage || String(e);
  }
  check(/exceeds balance/.test(reverted), `overdraft: ${reverted || 'did not revert'}`);
  console.log('ok erc20');

  const eoa = new ethers.Wallet(eoaKey, provider);
  check((await provider.getBalance(eoa.address)) > 0n, `${eoa.address} is not funded`);
  const nonce = await provider.getTransactionCount(eoa.address);
  // self-sponsored: the authorization is checked after the sender's nonce went up by one
  const auth = await eoa.authorize({ address: tokenAddr, nonce: nonce + 1, chainId: net.chainId });
  check(ethers.verifyAuthorization(auth, auth.signature) === eoa.address, 'authorization signer');
  // the transaction calls the EOA itself, so it runs the token's code in the EOA's storage:
  // totalSupply() there is 0 (an empty call would revert: the token has no fallback)
  const data = token.interface.encodeFunctionData('totalSupply');
  const t4 = await eoa.sendTransaction({ type: 4, to: eoa.address, data, authorizationList: [auth] });
  const r4 = await t4.wait();
  check(r4.status === 1 && t4.type === 4, `type-4 transaction: status ${r4.status} type ${t4.type}`);
  const code = await provider.getCode(eoa.address);
  check(code === '0xef0100' + tokenAddr.slice(2).toLowerCase(), `delegated code ${code}`);
  const asToken = new ethers.Contract(eoa.address, abi, provider);
  check((await asToken.totalSupply()) === 0n, 'the delegated EOA does not run the token code');
  console.log(`ok eip7702 ${eoa.address} -> ${code}`);
}

main().catch((e) => {
  console.error(`check_node: ${e.stack || e}`);
  process.exit(1);
});
