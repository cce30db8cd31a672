'use strict';
// The one HTTP client of the three signers: JSON over spod-host's API (docs/openapi.yaml)
// with a bearer token. It uses the global fetch (Node 18+, browsers) unless the options
// give another one. Every non-2xx answer becomes a SpodHttpError that carries the API's
// error code and, for a policy refusal (403 POLICY_DENIED), the rule's id and reason.

const KEY_ID = /^[0-9a-fA-F]{32}$/;

class SpodHttpError extends Error {
  constructor(status, detail, method, path) {
    const d = detail || {};
    let msg = `spod-host ${method} ${path}: ${status} ${d.code || 'HTTP_ERROR'}: ${d.message || ''}`;
    // the pod's message names the rule already ('denied by rule "cap"'); say it anyway
    // when it does not, so that a log line alone tells which rule refused
    if (d.rule && !msg.includes(`"${d.rule}"`)) {
      msg += ` (rule "${d.rule}"${d.reason ? `: ${d.reason}` : ''})`;
    }
    super(msg);
    this.name = 'SpodHttpError';
    this.status = status;
    this.code = d.code || 'HTTP_ERROR';
    this.rule = d.rule;
    this.reason = d.reason;
  }
}

// Checks and normalises the options every signer takes: { url, token, keyId?, fetch?,
// timeoutMs? }. keyId is required unless `keyOptional` (the Solana signer may name none).
function checkOptions(opts, keyOptional) {
  if (opts == null || typeof opts !== 'object') throw new TypeError('spod: options object required');
  const { url, token, keyId } = opts;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new TypeError('spod: `url` must be spod-host\'s http(s) base URL');
  }
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('spod: `token` required');
  if (keyId != null || !keyOptional) {
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
      throw new TypeError('spod: `keyId` must be a key id, 32 hex digits');
    }
  }
  const fetchFn = opts.fetch || globalThis.fetch;
  if (typeof fetchFn !== 'function') {
    throw new TypeError('spod: no fetch: use Node 18+ or pass `fetch` in the options');
  }
  return {
    url: url.replace(/\/+$/, ''),
    token,
    keyId: keyId == null ? undefined : keyId.toLowerCase(),
    fetch: fetchFn,
    timeoutMs: opts.timeoutMs == null ? 30000 : opts.timeoutMs,
  };
}

// request(conn, method, path, body?): the answer's JSON, or throws SpodHttpError.
async function request(conn, method, path, body) {
  const headers = { authorization: `Bearer ${conn.token}`, accept: 'application/json' };
  const init = { method, headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (conn.timeoutMs > 0 && typeof AbortSignal !== 'undefined' && AbortSignal.timeout) {
    init.signal = AbortSignal.timeout(conn.timeoutMs);
  }
  const res = await conn.fetch(conn.url + path, init);
  const text = await res.text();
  let json;
  try {
    json = text.length ? JSON.parse(text) : undefined;
  } catch (e) {
    json = undefined;
  }
  if (!res.ok) {
    const detail = json && json.error ? json.error : { message: text.slice(0, 200) };
    throw new SpodHttpError(res.status, detail, method, path);
  }
  if (json === undefined || typeof json !== 'object') {
    throw new SpodHttpError(res.status, { code: 'PROTOCOL', message: 'the answer is not JSON' }, method, path);
  }
  return json;
}

function keyPath(conn, suffix) {
  return `/v1/keys/${conn.keyId}${suffix || ''}`;
}

// Bytes <-> base64 without assuming Buffer (browsers) or atob (old runtimes).
function toBase64(bytes) {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text) {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

// base58 (Bitcoin alphabet, as Solana writes signatures) to bytes.
function fromBase58(text) {
  let n = 0n;
  for (const c of text) {
    const d = B58.indexOf(c);
    if (d < 0) throw new Error(`spod: not base58: ${text}`);
    n = n * 58n + BigInt(d);
  }
  const bytes = [];
  while (n > 0n) {
    bytes.push(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const c of text) {
    if (c !== '1') break;
    bytes.push(0);
  }
  return Uint8Array.from(bytes.reverse());
}

module.exports = { SpodHttpError, checkOptions, request, keyPath, toBase64, fromBase64, fromBase58 };
