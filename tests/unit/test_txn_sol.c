/*
 * Solana decoding (src/txn/sol.c, sol_programs.c): every transaction @solana/web3.js built in
 * tests/data/solana/web3js.txt is summarised as the generator meant it and signed into the
 * exact bytes web3.js produced; hand-made malformed messages hit each validation error once
 * with its exact code. Inputs are copied into exact-size heap buffers so ASan catches any
 * read past them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/base64.h"
#include "common/hex.h"
#include "spod/err.h"
#include "txn/sol.h"
#include "txn/summary.h"

#define VECTORS       SPOD_TEST_DATA "/solana/web3js.txt"
#define VECTORS_COUNT 17 /* lines in web3js.txt: a regenerated file with more must say so here */
#define MAX_FIELDS    16

static const uint8_t zero32[32];

static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	assert_non_null(d);
	if (len)
		memcpy(d, p, len);
	return d;
}

/* Standard padded base64 into a fresh exact-size buffer. */
static uint8_t *b64_decode(const char *s, size_t *out_len)
{
	size_t n = strlen(s), o = 0;
	assert_true(n % 4 == 0);
	uint8_t *out = malloc(n / 4 * 3 + 1);
	assert_non_null(out);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int j = 0; j < 4; j++)
			v[j] = s[i + j] == '=' ? 0 : spod_b64_value(s[i + j], SPOD_B64_STD);
		for (int j = 0; j < 4; j++)
			assert_true(v[j] >= 0);
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		out[o++] = (uint8_t)(w >> 16);
		if (s[i + 2] != '=')
			out[o++] = (uint8_t)(w >> 8);
		if (s[i + 3] != '=')
			out[o++] = (uint8_t)w;
	}
	uint8_t *exact = dup_exact(out, o);
	free(out);
	*out_len = o;
	return exact;
}

static void assert_view_hex(struct spod_view v, const char *hex, size_t hex_len)
{
	if (hex_len == 1 && hex[0] == '-') {
		assert_int_equal(v.len, 0);
		assert_null(v.ptr);
		return;
	}
	uint8_t want[32];
	assert_int_equal(hex_len, 64);
	assert_int_equal(spod_hex_decode_exact(want, 32, hex, hex_len), SPOD_OK);
	assert_int_equal(v.len, 32);
	assert_memory_equal(v.ptr, want, 32);
}

static struct spod_u256 u256_of(const char *dec)
{
	struct spod_u256 a;
	char *end;
	unsigned long long v = strtoull(dec, &end, 10);
	assert_true(*end == '\0' || *end == ':' || *end == ';' || *end == ' ');
	memset(&a, 0, sizeof(a));
	for (unsigned i = 0; i < 8; i++)
		a.be[31 - i] = (uint8_t)(v >> (8 * i));
	return a;
}

/* The value of key=... among fields, NUL-terminated (fields are split in place). */
static const char *field(char **fields, size_t n, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 2; i < n; i++)
		if (strncmp(fields[i], key, k) == 0 && fields[i][k] == '=')
			return fields[i] + k + 1;
	fail_msg("vector %s has no %s", fields[0], key);
	return NULL;
}

static void check_transfers(const struct spod_tx_summary *s, char *list)
{
	size_t n = 0;
	if (strcmp(list, "-") != 0) {
		for (char *t = strtok(list, ";"); t != NULL; t = strtok(NULL, ";"), n++) {
			char *part[5] = {NULL};
			size_t k = 0;
			for (char *p = t; p != NULL && k < 5; k++) {
				part[k] = p;
				p = strchr(p, ':');
				if (p != NULL)
					*p++ = '\0';
			}
			assert_int_equal(k, 5);
			assert_true(n < s->n_transfers);
			const struct spod_tx_transfer *tr = &s->transfers[n];
			assert_int_equal(tr->asset, strcmp(part[0], "native") == 0
			                                ? SPOD_ASSET_NATIVE
			                                : SPOD_ASSET_TOKEN);
			assert_int_equal(tr->decimals, atoi(part[1]));
			assert_view_hex(tr->token, part[2], strlen(part[2]));
			assert_view_hex(tr->to, part[3], strlen(part[3]));
			struct spod_u256 want = u256_of(part[4]);
			assert_memory_equal(tr->amount.be, want.be, 32);
		}
	}
	assert_int_equal(s->n_transfers, n);
}

static void check_programs(const struct spod_tx_summary *s, const char *list)
{
	size_t n = 0;
	if (strcmp(list, "-") != 0) {
		for (const char *p = list;; p += 65) {
			assert_true(n < s->n_programs);
			assert_view_hex(s->programs[n++], p, 64);
			if (p[64] != ',')
				break;
		}
	}
	assert_int_equal(s->n_programs, n);
}

/* The summary's fields that a Solana message never sets stay empty. */
static void check_solana_only(const struct spod_tx_summary *s)
{
	assert_int_equal(s->chain, SPOD_CHAIN_SOLANA);
	assert_int_equal(s->chain_id, 0);
	assert_int_equal(s->to.len, 0);
	assert_int_equal(s->selector.len, 0);
	assert_int_equal(s->data.len, 0);
	assert_int_equal(s->domain_name.len + s->domain_version.len + s->domain_contract.len, 0);
	assert_int_equal(s->n_delegates, 0);
	assert_memory_equal(s->value.be, zero32, 32);
	assert_memory_equal(s->digest, zero32, 32);
}

static void check_vector(char **f, size_t nf)
{
	size_t tx_len, signed_len, sigs_off, n_sigs, msg_off, msg_len;
	uint8_t *tx = b64_decode(f[1], &tx_len);
	struct spod_tx_summary s;

	assert_int_equal(spod_txn_sol_split(tx, tx_len, &sigs_off, &n_sigs, &msg_off, &msg_len),
	                 SPOD_OK);
	assert_true(n_sigs >= 1 && msg_off == sigs_off + 64 * n_sigs &&
	            msg_off + msg_len == tx_len);
	for (size_t i = 0; i < 64 * n_sigs; i++)
		assert_int_equal(tx[sigs_off + i], 0); /* web3.js leaves unsigned slots zero */

	uint8_t *msg = dup_exact(tx + msg_off, msg_len);
	assert_int_equal(spod_txn_sol_summarize(msg, msg_len, &s), SPOD_OK);
	check_solana_only(&s);
	assert_int_equal(s.kind, atoi(field(f, nf, "kind")));
	assert_int_equal(s.flags, (uint32_t)atoi(field(f, nf, "flags")));
	const char *from = field(f, nf, "from");
	assert_view_hex(s.from, from, strlen(from));
	assert_ptr_equal(s.from.ptr, msg + (s.kind == SPOD_TX_SOL_V0 ? 5 : 4));
	assert_ptr_equal(s.message.ptr, msg);
	assert_int_equal(s.message.len, msg_len);
	check_programs(&s, field(f, nf, "programs"));
	check_transfers(&s, (char *)field(f, nf, "transfers"));

	/* Sign as web3.js did: each seed's key into the slot the message gives it. */
	const char *seeds = field(f, nf, "seeds");
	const char *want_b64 = field(f, nf, "signed");
	uint8_t *cur = dup_exact(tx, tx_len);
	size_t n_signed = 0;
	if (strcmp(seeds, "-") != 0) {
		for (const char *p = seeds;; p += 65) {
			uint8_t seed[32], pk[32], sk[64], sig[64];
			size_t slot, out_len;
			assert_int_equal(spod_hex_decode_exact(seed, 32, p, 64), SPOD_OK);
			assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
			assert_int_equal(spod_txn_sol_signer_slot(msg, msg_len, pk, &slot),
			                 SPOD_OK);
			assert_true(slot < n_sigs);
			assert_int_equal(crypto_sign_detached(sig, NULL, msg, msg_len, sk), 0);
			uint8_t *next = malloc(tx_len);
			assert_non_null(next);
			assert_int_equal(spod_txn_sol_write_signed(cur, tx_len, slot, sig, next,
			                                           tx_len, &out_len),
			                 SPOD_OK);
			assert_int_equal(out_len, tx_len);
			free(cur);
			cur = next;
			n_signed++;
			if (p[64] != ',')
				break;
		}
	}
	if (n_signed == 0) {
		assert_string_equal(want_b64, "-");
	} else {
		uint8_t *want = b64_decode(want_b64, &signed_len);
		assert_int_equal(signed_len, tx_len);
		assert_memory_equal(cur, want, tx_len);
		/* The signed transaction decodes to the same message. */
		size_t so2, ns2, mo2, ml2;
		assert_int_equal(spod_txn_sol_split(want, signed_len, &so2, &ns2, &mo2, &ml2),
		                 SPOD_OK);
		assert_true(so2 == sigs_off && ns2 == n_sigs && mo2 == msg_off && ml2 == msg_len);
		assert_memory_equal(want + mo2, msg, msg_len);
		free(want);
	}
	free(cur);
	free(msg);
	free(tx);
}

static void test_web3js_vectors(void **state)
{
	(void)state;
	FILE *fp = fopen(VECTORS, "r");
	assert_non_null(fp);
	static char line[16384];
	size_t n = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);
		assert_true(len > 0 && line[len - 1] == '\n'); /* no line longer than the buffer */
		line[len - 1] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *f[MAX_FIELDS];
		size_t nf = 0;
		for (char *p = strtok(line, " "); p != NULL && nf < MAX_FIELDS;
		     p = strtok(NULL, " "))
			f[nf++] = p;
		assert_true(nf >= 9);
		print_message("vector %s\n", f[0]);
		check_vector(f, nf);
		n++;
	}
	fclose(fp);
	assert_int_equal(n, VECTORS_COUNT);
}

/* A message under construction. */
struct msgbuf {
	uint8_t b[2048];
	size_t len;
};

static void put(struct msgbuf *m, const void *p, size_t n)
{
	assert_true(n <= sizeof(m->b) - m->len);
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void put8(struct msgbuf *m, uint8_t v)
{
	put(m, &v, 1);
}

static void put_cu16(struct msgbuf *m, size_t v)
{
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		put8(m, b | (v ? 0x80 : 0));
	} while (v);
}

static void put_key(struct msgbuf *m, uint8_t fill)
{
	uint8_t k[32];
	memset(k, fill, 32);
	put(m, k, 32);
}

static void put_le(struct msgbuf *m, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		put8(m, (uint8_t)(v >> (8 * i)));
}

/* A System transfer instruction: program index prog, accounts [from, to]. */
static void put_transfer(struct msgbuf *m, uint8_t prog, uint8_t from, uint8_t to, uint64_t l)
{
	put8(m, prog);
	put_cu16(m, 2);
	put8(m, from);
	put8(m, to);
	put_cu16(m, 12);
	put_le(m, 2, 4);
	put_le(m, l, 8);
}

/*
 * The reference message: legacy (or v0 with prefix), header 1/0/1, accounts [payer 0x01,
 * recipient 0x10, System], one transfer of 5 lamports; v0 ends with an empty lookup list.
 */
static void reference(struct msgbuf *m, int v0)
{
	m->len = 0;
	if (v0)
		put8(m, 0x80);
	put8(m, 1);
	put8(m, 0);
	put8(m, 1);
	put_cu16(m, 3);
	put_key(m, 0x01);
	put_key(m, 0x10);
	put_key(m, 0x00);
	put_key(m, 0x42); /* blockhash */
	put_cu16(m, 1);
	put_transfer(m, 2, 0, 1, 5);
	if (v0)
		put_cu16(m, 0);
}

/* Offsets inside the legacy reference message. */
#define REF_N_KEYS   3
#define REF_N_IX     (4 + 96 + 32)
#define REF_IX       (REF_N_IX + 1)
#define REF_IX_ACC0  (REF_IX + 2)
#define REF_IX_DLEN  (REF_IX + 4)
#define REF_IX_DATA  (REF_IX + 5)
#define REF_LEGACY_N (REF_IX_DATA + 12)

/* summarize on an exact-size copy: the code, and a zeroed summary on failure. */
static int summarize_copy(const uint8_t *p, size_t len, struct spod_tx_summary *s)
{
	uint8_t *c = dup_exact(p, len);
	memset(s, 0xa5, sizeof(*s));
	int rc = spod_txn_sol_summarize(c, len, s);
	if (rc != SPOD_OK) {
		static struct spod_tx_summary zero;
		assert_memory_equal(s, &zero, sizeof(*s));
	}
	free(c);
	return rc;
}

static int summarize_rc(const struct msgbuf *m)
{
	struct spod_tx_summary s;
	return summarize_copy(m->b, m->len, &s);
}

static void test_reference(void **state)
{
	(void)state;
	struct msgbuf m;
	struct spod_tx_summary s;
	for (int v0 = 0; v0 <= 1; v0++) {
		reference(&m, v0);
		assert_int_equal(m.len, REF_LEGACY_N + (size_t)(v0 ? 2 : 0));
		assert_int_equal(summarize_copy(m.b, m.len, &s), SPOD_OK);
		assert_int_equal(s.kind, v0 ? SPOD_TX_SOL_V0 : SPOD_TX_SOL_LEGACY);
		assert_int_equal(s.flags, 0);
		assert_int_equal(s.n_transfers, 1);
		assert_int_equal(s.transfers[0].amount.be[31], 5);
		assert_int_equal(s.n_programs, 1);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	struct msgbuf m;
	for (int v0 = 0; v0 <= 1; v0++) {
		reference(&m, v0);
		/* Every strict prefix (the header cut short among them) is SPOD_E_TRUNCATED. */
		for (size_t n = 0; n < m.len; n++) {
			struct spod_tx_summary s;
			assert_int_equal(summarize_copy(m.b, n, &s), SPOD_E_TRUNCATED);
		}
	}
}

static void test_header(void **state)
{
	(void)state;
	struct msgbuf m;
	reference(&m, 0);
	m.b[0] = 0; /* no required signature: no fee payer */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 0);
	m.b[1] = 1; /* the fee payer read-only */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 0);
	m.b[2] = 3; /* 1 signer + 3 read-only unsigned > 3 accounts */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 0);
	m.b[2] = 2; /* exactly the accounts: accepted */
	assert_int_equal(summarize_rc(&m), SPOD_OK);
	reference(&m, 0);
	memset(m.b + 4 + 32, 0x01, 32); /* the recipient is the payer again */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 1);
	m.b[0] = 0x81; /* message version 1 does not exist */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
}

static void test_index_range(void **state)
{
	(void)state;
	struct msgbuf m;
	reference(&m, 0);
	m.b[REF_IX_ACC0 + 1] = 3; /* account index = number of accounts */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 0);
	m.b[REF_IX] = 3; /* program index out of range */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 0);
	m.b[REF_IX] = 0; /* the fee payer as program */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 0);
	m.b[REF_IX] = 1; /* any other static account is a program id, here unknown */
	struct spod_tx_summary s;
	assert_int_equal(summarize_copy(m.b, m.len, &s), SPOD_OK);
	assert_int_equal(s.flags, SPOD_TXF_UNKNOWN_PROGRAM);
	assert_int_equal(s.n_transfers, 0);
}

static void test_trailing(void **state)
{
	(void)state;
	struct msgbuf m;
	for (int v0 = 0; v0 <= 1; v0++) {
		reference(&m, v0);
		put8(&m, 0);
		assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	}
}

static void test_compact_u16(void **state)
{
	(void)state;
	struct msgbuf m, r;
	reference(&r, 0);
	/* The account count 3 as 0x83 0x00: non-minimal. */
	m.len = 0;
	put(&m, r.b, REF_N_KEYS);
	put8(&m, 0x83);
	put8(&m, 0x00);
	put(&m, r.b + REF_N_KEYS + 1, r.len - REF_N_KEYS - 1);
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	/* Three bytes, the last one above 0x03: more than 16 bits. */
	m.len = 0;
	put(&m, r.b, REF_N_KEYS);
	put8(&m, 0x83);
	put8(&m, 0x80);
	put8(&m, 0x04);
	put(&m, r.b + REF_N_KEYS + 1, r.len - REF_N_KEYS - 1);
	assert_int_equal(summarize_rc(&m), SPOD_E_TOO_LARGE);
	/* 0xff 0xff 0x03 is 65535, well-formed: too few bytes follow. */
	m.len = 0;
	put(&m, r.b, REF_N_KEYS);
	put8(&m, 0xff);
	put8(&m, 0xff);
	put8(&m, 0x03);
	put(&m, r.b + REF_N_KEYS + 1, r.len - REF_N_KEYS - 1);
	assert_int_equal(summarize_rc(&m), SPOD_E_TRUNCATED);
	/* In the data length: 12 as 0x8c 0x00. */
	m.len = 0;
	put(&m, r.b, REF_IX_DLEN);
	put8(&m, 0x8c);
	put8(&m, 0x00);
	put(&m, r.b + REF_IX_DLEN + 1, r.len - REF_IX_DLEN - 1);
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
}

/* A transaction of n_slots zero slots, the count written as given, then msg. */
static uint8_t *make_tx(const uint8_t *count, size_t count_len, size_t n_slots,
                        const struct msgbuf *msg, size_t *len)
{
	struct msgbuf t;
	t.len = 0;
	put(&t, count, count_len);
	for (size_t i = 0; i < n_slots; i++) {
		uint8_t z[64] = {0};
		put(&t, z, 64);
	}
	put(&t, msg->b, msg->len);
	*len = t.len;
	return dup_exact(t.b, t.len);
}

static int split_rc(const uint8_t *count, size_t count_len, size_t n_slots,
                    const struct msgbuf *msg)
{
	size_t len, a, b, c, d;
	uint8_t *tx = make_tx(count, count_len, n_slots, msg, &len);
	int rc = spod_txn_sol_split(tx, len, &a, &b, &c, &d);
	if (rc != SPOD_OK)
		assert_true(a == 0 && b == 0 && c == 0 && d == 0);
	free(tx);
	return rc;
}

static void test_split(void **state)
{
	(void)state;
	struct msgbuf m, empty = {.len = 0};
	reference(&m, 0);
	assert_int_equal(split_rc((const uint8_t[]){1}, 1, 1, &m), SPOD_OK);
	/* Slot count differs from num_required_signatures. */
	assert_int_equal(split_rc((const uint8_t[]){2}, 1, 2, &m), SPOD_E_BAD_FIELD);
	assert_int_equal(split_rc((const uint8_t[]){0}, 1, 0, &m), SPOD_E_BAD_FIELD);
	/* No slot for a message that requires none (summarize refuses that message too). */
	m.b[0] = 0;
	assert_int_equal(split_rc((const uint8_t[]){0}, 1, 0, &m), SPOD_E_BAD_FIELD);
	m.b[0] = 1;
	/* The count says 2, one slot present: the message header is read as a slot. */
	assert_int_equal(split_rc((const uint8_t[]){2}, 1, 1, &empty), SPOD_E_TRUNCATED);
	/* No header after the slots. */
	assert_int_equal(split_rc((const uint8_t[]){1}, 1, 1, &empty), SPOD_E_TRUNCATED);
	/* The count non-minimal or too large. */
	assert_int_equal(split_rc((const uint8_t[]){0x81, 0x00}, 2, 1, &m), SPOD_E_BAD_FIELD);
	assert_int_equal(split_rc((const uint8_t[]){0x81, 0x80, 0x80}, 3, 1, &m), SPOD_E_TOO_LARGE);
	assert_int_equal(split_rc((const uint8_t[]){0}, 0, 0, &empty), SPOD_E_TRUNCATED);
	/* v0: the header after the prefix gives the count. */
	reference(&m, 1);
	assert_int_equal(split_rc((const uint8_t[]){1}, 1, 1, &m), SPOD_OK);
	m.len = 2; /* prefix and num_required only */
	assert_int_equal(split_rc((const uint8_t[]){1}, 1, 1, &m), SPOD_E_TRUNCATED);

	/* Over the packet limit. */
	uint8_t *big = calloc(1, SPOD_SOL_TX_MAX_BYTES + 1);
	size_t a, b, c, d;
	assert_non_null(big);
	assert_int_equal(spod_txn_sol_split(big, SPOD_SOL_TX_MAX_BYTES + 1, &a, &b, &c, &d),
	                 SPOD_E_TOO_LARGE);
	struct spod_tx_summary s;
	assert_int_equal(summarize_copy(big, SPOD_SOL_MSG_MAX_BYTES + 1, &s), SPOD_E_TOO_LARGE);
	free(big);
}

/* A legacy message: payer 0x01, n recipients, System; n transfers of i+1 lamports. */
static void many_transfers(struct msgbuf *m, size_t n)
{
	m->len = 0;
	put8(m, 1);
	put8(m, 0);
	put8(m, 1);
	put_cu16(m, n + 2);
	put_key(m, 0x01);
	for (size_t i = 0; i < n; i++)
		put_key(m, (uint8_t)(0x40 + i));
	put_key(m, 0x00);
	put_key(m, 0x42);
	put_cu16(m, n);
	for (size_t i = 0; i < n; i++)
		put_transfer(m, (uint8_t)(n + 1), 0, (uint8_t)(i + 1), i + 1);
}

static void test_caps(void **state)
{
	(void)state;
	struct msgbuf m;
	struct spod_tx_summary s;
	many_transfers(&m, SPOD_TX_MAX_TRANSFERS);
	assert_int_equal(summarize_copy(m.b, m.len, &s), SPOD_OK);
	assert_int_equal(s.n_transfers, SPOD_TX_MAX_TRANSFERS);
	assert_int_equal(s.transfers[15].amount.be[31], 16);
	many_transfers(&m, SPOD_TX_MAX_TRANSFERS + 1);
	assert_true(m.len <= SPOD_SOL_MSG_MAX_BYTES);
	assert_int_equal(summarize_rc(&m), SPOD_E_TOO_LARGE);

	/* Distinct programs: payer, 31 unknown programs with empty instructions. */
	m.len = 0;
	put8(&m, 1);
	put8(&m, 0);
	put8(&m, 0);
	put_cu16(&m, 32);
	for (size_t i = 0; i < 32; i++)
		put_key(&m, (uint8_t)(0x01 + i));
	put_key(&m, 0x42);
	put_cu16(&m, 31);
	for (size_t i = 0; i < 31; i++) {
		put8(&m, (uint8_t)(i + 1));
		put_cu16(&m, 0);
		put_cu16(&m, 0);
	}
	assert_int_equal(summarize_copy(m.b, m.len, &s), SPOD_OK);
	assert_int_equal(s.n_programs, 31);
	assert_int_equal(s.flags, SPOD_TXF_UNKNOWN_PROGRAM);
}

/* v0 message: payer 0x01, System; one table of n_w writable + n_r read-only indexes. */
static void v0_lookup(struct msgbuf *m, uint8_t prog, uint8_t to, size_t n_w, size_t n_r)
{
	m->len = 0;
	put8(m, 0x80);
	put8(m, 1);
	put8(m, 0);
	put8(m, 1);
	put_cu16(m, 2);
	put_key(m, 0x01);
	put_key(m, 0x00);
	put_key(m, 0x42);
	put_cu16(m, 1);
	put_transfer(m, prog, 0, to, 9);
	put_cu16(m, 1);
	put_key(m, 0x30);
	put_cu16(m, n_w);
	for (size_t i = 0; i < n_w; i++)
		put8(m, (uint8_t)i);
	put_cu16(m, n_r);
	for (size_t i = 0; i < n_r; i++)
		put8(m, (uint8_t)i);
}

static void test_lookups(void **state)
{
	(void)state;
	struct msgbuf m;
	struct spod_tx_summary s;
	v0_lookup(&m, 1, 2, 1, 1); /* recipient: the table's writable account */
	assert_int_equal(summarize_copy(m.b, m.len, &s), SPOD_OK);
	assert_int_equal(s.flags, SPOD_TXF_LOOKUP_TABLES);
	assert_int_equal(s.n_transfers, 1);
	assert_int_equal(s.transfers[0].to.len, 0);
	assert_null(s.transfers[0].to.ptr);
	v0_lookup(&m, 1, 3, 1, 1); /* the read-only one: last valid index */
	assert_int_equal(summarize_rc(&m), SPOD_OK);
	v0_lookup(&m, 1, 4, 1, 1); /* past the loaded accounts */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	v0_lookup(&m, 2, 0, 1, 1); /* the program from a lookup table */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	v0_lookup(&m, 1, 0, 0, 0); /* a lookup with no index */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	v0_lookup(&m, 1, 2, 254, 0); /* 2 static + 254 loaded = 256 accounts */
	assert_int_equal(summarize_rc(&m), SPOD_OK);
	v0_lookup(&m, 1, 2, 254, 1); /* 257 */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
}

static void test_recognised_lengths(void **state)
{
	(void)state;
	struct msgbuf m;
	reference(&m, 0);
	m.b[REF_IX_DLEN] = 11; /* Transfer with 11 bytes of data: one left over */
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	reference(&m, 0);
	m.len = REF_IX_ACC0 - 1;
	put_cu16(&m, 1); /* Transfer naming only the source */
	put8(&m, 0);
	put_cu16(&m, 12);
	put_le(&m, 2, 4);
	put_le(&m, 5, 8);
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	/* TransferWithSeed whose seed length is past MAX_SEED_LEN. */
	reference(&m, 0);
	m.len = REF_IX;
	put8(&m, 2);
	put_cu16(&m, 3);
	put8(&m, 0);
	put8(&m, 0);
	put8(&m, 1);
	put_cu16(&m, 4 + 8 + 8 + 33 + 32);
	put_le(&m, 11, 4);
	put_le(&m, 7, 8);
	put_le(&m, 33, 8);
	for (int i = 0; i < 33 + 32; i++)
		put8(&m, 'a');
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	/* The same with a 33-byte seed declared as 32: one byte too many. */
	m.b[REF_IX + 6 + 12] = 32;
	assert_int_equal(summarize_rc(&m), SPOD_E_BAD_FIELD);
	/* And with the data trimmed to match: a recognised transfer to account 1. */
	m.b[REF_IX + 5] = 4 + 8 + 8 + 32 + 32;
	m.len--;
	struct spod_tx_summary s;
	assert_int_equal(summarize_copy(m.b, m.len, &s), SPOD_OK);
	assert_int_equal(s.n_transfers, 1);
	assert_int_equal(s.transfers[0].amount.be[31], 7);
	assert_ptr_equal(s.transfers[0].to.ptr, s.from.ptr + 32);
}

static void test_signer_slot_and_write(void **state)
{
	(void)state;
	struct msgbuf m;
	uint8_t key[32], sig[64];
	size_t slot, len, out_len;
	reference(&m, 0);
	memset(key, 0x01, 32);
	assert_int_equal(spod_txn_sol_signer_slot(m.b, m.len, key, &slot), SPOD_OK);
	assert_int_equal(slot, 0);
	memset(key, 0x10, 32); /* an account, not a signer */
	assert_int_equal(spod_txn_sol_signer_slot(m.b, m.len, key, &slot), SPOD_E_BAD_ARG);
	m.b[m.len++] = 0; /* a malformed message names no slot */
	memset(key, 0x01, 32);
	assert_int_equal(spod_txn_sol_signer_slot(m.b, m.len, key, &slot), SPOD_E_BAD_FIELD);

	reference(&m, 0);
	uint8_t *tx = make_tx((const uint8_t[]){1}, 1, 1, &m, &len);
	uint8_t *out = malloc(len);
	assert_non_null(out);
	memset(sig, 0x5a, 64);
	assert_int_equal(spod_txn_sol_write_signed(tx, len, 1, sig, out, len, &out_len),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(out_len, 0);
	assert_int_equal(spod_txn_sol_write_signed(tx, len, 0, sig, out, len - 1, &out_len),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(spod_txn_sol_write_signed(tx, len - 1, 0, sig, out, len, &out_len),
	                 SPOD_E_TRUNCATED);
	assert_int_equal(spod_txn_sol_write_signed(tx, len, 0, sig, out, len, &out_len), SPOD_OK);
	assert_int_equal(out_len, len);
	assert_memory_equal(out + 1, sig, 64);
	assert_memory_equal(out + 65, tx + 65, len - 65);
	/* In place. */
	assert_int_equal(spod_txn_sol_write_signed(tx, len, 0, sig, tx, len, &out_len), SPOD_OK);
	assert_memory_equal(out, tx, len);
	free(out);
	free(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_web3js_vectors),
	    cmocka_unit_test(test_reference),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_header),
	    cmocka_unit_test(test_index_range),
	    cmocka_unit_test(test_trailing),
	    cmocka_unit_test(test_compact_u16),
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_recognised_lengths),
	    cmocka_unit_test(test_signer_slot_and_write),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
