'use strict';
// The pod the tests talk to, from tests/integration/clients_js.sh: SPOD_URL (spod-host's
// HTTP address), SPOD_TOKEN, and the ids (and CLI-computed addresses) of its keys.
function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run tests/integration/clients_js.sh`);
  return v;
}

module.exports = {
  url: env('SPOD_URL'),
  token: env('SPOD_TOKEN'),
  ethKey: env('SPOD_ETH_KEY'),
  ethAddress: env('SPOD_ETH_ADDRESS'),
  denyKey: env('SPOD_DENY_KEY'),
  denyRule: env('SPOD_DENY_RULE'),
  solKey: env('SPOD_SOL_KEY'),
  solAddress: env('SPOD_SOL_ADDRESS'),
};

// Typed data with a nested struct, an address, a uint256 and bytes (EIP-712's Mail, grown).
module.exports.typed = {
  domain: {
    name: 'Ether Mail',
    version: '1',
    chainId: 1,
    verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC',
  },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
      { name: 'amount', type: 'uint256' },
      { name: 'memo', type: 'bytes' },
    ],
  },
  primaryType: 'Mail',
  message: {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
    contents: 'Hello, Bob!',
    amount: 1000000000000000000n,
    memo: '0xdeadbeef',
  },
};
