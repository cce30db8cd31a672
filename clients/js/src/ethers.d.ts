import type {
  AbstractSigner,
  Provider,
  TransactionRequest,
  TypedDataDomain,
  TypedDataField,
} from 'ethers';
import type { SpodOptions } from './http';

/**
 * An ethers v6 Signer whose secp256k1 key stays in a spod pod; every signature is made by
 * spod-host's HTTP API (so the key's policy and the audit log apply) and checked to
 * recover to the key's address before it is returned.
 */
export declare class SpodSigner extends AbstractSigner {
  constructor(options: SpodOptions, provider?: null | Provider);
  /** The key's id (lowercase). */
  readonly keyId: string;
  connect(provider: null | Provider): SpodSigner;
  /** The key's EIP-55 address, from GET /v1/keys/{id} (asked once). */
  getAddress(): Promise<string>;
  /** POST /v1/keys/{id}/sign-transaction; the signed serialized transaction (0x hex). */
  signTransaction(tx: TransactionRequest): Promise<string>;
  /** POST /v1/keys/{id}/sign-message (EIP-191); a string is signed as its UTF-8 bytes. */
  signMessage(message: string | Uint8Array): Promise<string>;
  /** POST /v1/keys/{id}/sign-typed-data (EIP-712, eth_signTypedData_v4 JSON). */
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, Array<TypedDataField>>,
    value: Record<string, any>,
  ): Promise<string>;
}
