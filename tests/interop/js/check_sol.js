#!/usr/bin/env node
// Solana transactions built by @solana/web3.js (and @solana/spl-token) for a key of spod's,
// and checked once `spod sign-tx` has signed them (tests/integration/interop_js.sh runs it):
//
//   node check_sol.js build PUBLIC_HEX > FILE
//     one unsigned transaction a line, "NAME BASE64", serialized as web3.js does for a
//     wallet to sign (signature slots of missing signers zero): the key pays the fee or
//     moves lamports or tokens, in legacy and v0 messages, with a lookup table, and with a
//     second signer (a fresh web3.js Keypair) that has already signed its own slot.
//   node check_sol.js verify PUBLIC_HEX FILE
//     FILE has "NAME UNSIGNED_BASE64 SIGNED_BASE64" lines. Each signed transaction must hold
//     the same message bytes as the unsigned one, the key's slot signed and verifying
//     (Node's Ed25519, i.e. OpenSSL), every other slot unchanged, every signature valid;
//     legacy transactions also pass web3.js's Transaction.verifySignatures() and serialize()
//     (which verifies), and both kinds re-serialize to the same bytes.
//
// Blockhash, recipients and the second signer are random on every run; nothing is sent.
'use strict';

const crypto = require('crypto');
const web3 = require('@solana/web3.js');
const spl = require('@solana/spl-token');
const { PublicKey, Keypair, SystemProgram, ComputeBudgetProgram } = web3;

function fail(msg) {
	console.error('check_sol: ' + msg);
	process.exit(1);
}

const rnd = () => new PublicKey(crypto.randomBytes(32));
const b64 = (x) => Buffer.from(x).toString('base64');

function keyOf(hex) {
	if (!/^[0-9a-f]{64}$/i.test(hex || ''))
		fail('PUBLIC_HEX must be the 32-byte Ed25519 public key in hex');
	return new PublicKey(Buffer.from(hex, 'hex'));
}

function legacy(payer, ixs, blockhash, cosigners = []) {
	const tx = new web3.Transaction({ feePayer: payer, recentBlockhash: blockhash });
	tx.add(...ixs);
	if (cosigners.length)
		tx.partialSign(...cosigners);
	return tx.serialize({ requireAllSignatures: false, verifySignatures: false });
}

function v0(payer, ixs, blockhash, tables = [], cosigners = []) {
	const msg = new web3.TransactionMessage({
		payerKey: payer, recentBlockhash: blockhash, instructions: ixs,
	}).compileToV0Message(tables);
	const tx = new web3.VersionedTransaction(msg);
	if (cosigners.length)
		tx.sign(cosigners);
	return tx.serialize();
}

function build(P) {
	const blockhash = rnd().toBase58();
	const R = rnd(), MINT = rnd(), SRC = rnd(), DST = rnd();
	const other = Keypair.fromSeed(crypto.randomBytes(32));
	const transfer = (from, to, lamports) =>
		SystemProgram.transfer({ fromPubkey: from, toPubkey: to, lamports: BigInt(lamports) });
	const table = new web3.AddressLookupTableAccount({
		key: rnd(),
		state: { deactivationSlot: BigInt('18446744073709551615'), lastExtendedSlot: 0,
			lastExtendedSlotStartIndex: 0, authority: undefined, addresses: [rnd(), R] },
	});
	const out = [
		['legacy_transfer', legacy(P, [transfer(P, R, 1000000000)], blockhash)],
		['v0_transfer', v0(P, [transfer(P, R, 5000)], blockhash)],
		['legacy_spl_transfer_checked', legacy(P, [
			ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1000n }),
			spl.createTransferCheckedInstruction(SRC, MINT, DST, P, 123456789n, 6, [],
				spl.TOKEN_PROGRAM_ID),
		], blockhash)],
		['v0_lookup_table', v0(P, [transfer(P, R, 42)], blockhash, [table])],
		// The key pays the fee, another signer moves the lamports and has signed first.
		['legacy_two_signers', legacy(P, [transfer(other.publicKey, R, 250)], blockhash, [other])],
		// Another signer pays the fee; the key's slot is the second one.
		['v0_second_signer', v0(other.publicKey, [transfer(P, R, 251)], blockhash, [], [other])],
	];
	for (const [name, bytes] of out)
		process.stdout.write(name + ' ' + b64(bytes) + '\n');
}

// The Ed25519 public key as a Node KeyObject (SubjectPublicKeyInfo, RFC 8410).
function nodeKey(pk) {
	const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk.toBuffer()]);
	return crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

function verifyOne(P, name, unsignedB64, signedB64) {
	const u = Buffer.from(unsignedB64, 'base64');
	const s = Buffer.from(signedB64, 'base64');
	let ut, st;
	try {
		ut = web3.VersionedTransaction.deserialize(u);
		st = web3.VersionedTransaction.deserialize(s);
	} catch (e) {
		fail(`${name}: web3.js cannot read the transaction: ${e.message}`);
	}
	const n = st.message.header.numRequiredSignatures;
	if (st.signatures.length !== n || ut.signatures.length !== n)
		fail(`${name}: ${st.signatures.length} signatures for ${n} required signers`);
	// The message: the same bytes after the signatures, and what web3.js re-serializes.
	const msg = Buffer.from(st.message.serialize());
	const off = s.length - msg.length;
	if (s.length !== u.length || !s.subarray(off).equals(u.subarray(off)) ||
		!msg.equals(Buffer.from(ut.message.serialize())))
		fail(`${name}: the message bytes changed`);
	const keys = st.message.staticAccountKeys;
	const slot = keys.slice(0, n).findIndex((k) => k.equals(P));
	if (slot < 0)
		fail(`${name}: the key is not a required signer`);
	for (let i = 0; i < n; i++) {
		const before = Buffer.from(ut.signatures[i]), after = Buffer.from(st.signatures[i]);
		if (i === slot && !before.equals(Buffer.alloc(64)))
			fail(`${name}: the key's slot ${i} was not empty before signing`);
		if (i !== slot && !after.equals(before))
			fail(`${name}: slot ${i} of another signer changed`);
		if (!crypto.verify(null, msg, nodeKey(keys[i]), after))
			fail(`${name}: the signature in slot ${i} (${keys[i].toBase58()}) does not verify`);
	}
	if (st.version === 'legacy') {
		const tx = web3.Transaction.from(s);
		if (!tx.verifySignatures())
			fail(`${name}: web3.js Transaction.verifySignatures() is false`);
		if (!Buffer.from(tx.serialize()).equals(s))
			fail(`${name}: web3.js serializes the signed transaction differently`);
	}
	if (!Buffer.from(st.serialize()).equals(s))
		fail(`${name}: web3.js re-serializes the versioned transaction differently`);
	console.log(`ok ${name} version=${st.version} signers=${n} slot=${slot}`);
}

function verify(P, file) {
	const lines = require('fs').readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
	if (lines.length === 0)
		fail(`no transactions in ${file}`);
	for (const line of lines) {
		const [name, unsigned, signed] = line.split(' ');
		if (!signed)
			fail(`bad line: ${line}`);
		verifyOne(P, name, unsigned, signed);
	}
	const lock = require('./package-lock.json');
	console.log(`check_sol: ${lines.length} transactions verified with @solana/web3.js ` +
		`${lock.packages['node_modules/@solana/web3.js'].version} on Node ${process.version}`);
}

const [mode, pub, file] = process.argv.slice(2);
if (mode === 'build')
	build(keyOf(pub));
else if (mode === 'verify' && file)
	verify(keyOf(pub), file);
else
	fail('usage: node check_sol.js build PUBLIC_HEX | verify PUBLIC_HEX FILE');
