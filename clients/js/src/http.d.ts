/** Options every signer takes: spod-host's HTTP base URL, a bearer token and a key id. */
export interface SpodOptions {
  /** spod-host's HTTP API base URL, e.g. "http://127.0.0.1:8790". */
  url: string;
  /** A bearer token of the pod (`spod token create`) with the `sign` op (and `list`). */
  token: string;
  /** The key's id, 32 hex digits. */
  keyId: string;
  /** A fetch implementation; the global fetch by default (Node 18+, browsers). */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout in milliseconds (default 30000; 0 for none). */
  timeoutMs?: number;
}

/** A non-2xx answer of spod-host: `{"error": {code, message, rule?, reason?}}`. */
export declare class SpodHttpError extends Error {
  readonly name: 'SpodHttpError';
  /** The HTTP status, e.g. 403. */
  readonly status: number;
  /** The API's error code, e.g. "POLICY_DENIED", "UNAUTHENTICATED", "KEY_NOT_FOUND". */
  readonly code: string;
  /** POLICY_DENIED only: the id of the rule that refused. */
  readonly rule?: string;
  /** POLICY_DENIED only: the rule's reason. */
  readonly reason?: string;
}
