// Hand-written declarations of @spod/clients (plain CommonJS, no build step).
export { SpodOptions, SpodHttpError } from './src/http';
export { SpodSigner } from './src/ethers';
export { spodViemAccount, SpodViemAccount } from './src/viem';
export { SpodSolanaSigner } from './src/solana';
