'use strict';
// @spod/clients: each signer loads its library (ethers, viem, @solana/web3.js, all optional
// peer dependencies) only when it is first used, so an application needs only its own.
// The subpaths @spod/clients/ethers, /viem and /solana load one each.

const { SpodHttpError } = require('./src/http');

module.exports = {
  SpodHttpError,
  get SpodSigner() {
    return require('./src/ethers').SpodSigner;
  },
  get spodViemAccount() {
    return require('./src/viem').spodViemAccount;
  },
  get SpodSolanaSigner() {
    return require('./src/solana').SpodSolanaSigner;
  },
};
