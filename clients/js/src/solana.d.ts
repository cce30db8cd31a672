import type { PublicKey, Transaction, VersionedTransaction } from '@solana/web3.js';
import type { SpodOptions } from './http';

/**
 * The wallet-adapter signer shape for @solana/web3.js 1.x, whose Ed25519 key stays in a
 * spod pod: POST /v1/solana/sign-transaction and /v1/solana/sign-message.
 */
export declare class SpodSolanaSigner {
  /** `publicKey` is the key's public key when known already; otherwise use create(). */
  constructor(options: SpodOptions & { publicKey: PublicKey | string | Uint8Array });
  /** Reads the key's public key from the pod (GET /v1/keys/{id}). */
  static create(options: SpodOptions): Promise<SpodSolanaSigner>;
  readonly publicKey: PublicKey;
  /** The key's id (lowercase). */
  readonly keyId: string;
  /** Fills the key's signature slot in place and returns the same transaction. */
  signTransaction<T extends Transaction | VersionedTransaction>(transaction: T): Promise<T>;
  signAllTransactions<T extends Transaction | VersionedTransaction>(transactions: T[]): Promise<T[]>;
  /** Ed25519 over the bytes themselves; the 64-byte signature. */
  signMessage(message: Uint8Array): Promise<Uint8Array>;
}
