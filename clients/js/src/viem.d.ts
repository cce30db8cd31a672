import type { LocalAccount } from 'viem';
import type { SpodOptions } from './http';

/** A viem custom account (`toAccount`, source "custom") with the pod key's id. */
export type SpodViemAccount = LocalAccount<'custom'> & { keyId: string };

/**
 * A viem account whose secp256k1 key stays in a spod pod: signMessage, signTransaction and
 * signTypedData go to spod-host's HTTP API (the same routes as SpodSigner). Resolves once
 * the key's public key (hence the address) has been read from the pod.
 */
export declare function spodViemAccount(options: SpodOptions): Promise<SpodViemAccount>;
