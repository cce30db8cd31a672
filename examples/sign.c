/*
 * libspod example: connect to a pod, make an Ed25519 key, sign one message synchronously,
 * 100 messages pipelined, and 3 in one batch, then delete the key.
 *
 *   sign [URI]            URI defaults to $SPOD_URI (unix://, tcp:// or vsock://)
 *
 * SPOD_TOKEN is the API token the connection authenticates with (spod-host requires one;
 * `spod token create --scope 'ops=sign,generate,delete,list,attest;keys=*'` makes one).
 *
 * With SPOD_EXPECT_PCR0=HEX (48 bytes), the pod must first prove with a fresh attestation
 * document that it runs that enclave and holds the new key; SPOD_ATTEST_ROOT=FILE (PEM or
 * DER) pins a root other than the AWS Nitro Enclaves root, such as `spod attest dev-root`.
 *
 * Build against the installed library: cc sign.c $(pkg-config --cflags --libs spod)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spod/client.h>

#define TIMEOUT_MS     10000
#define PIPELINE_COUNT 100
#define BATCH_COUNT    3
#define ROOT_MAX_BYTES (64u * 1024u)
/* Oldest attestation document accepted, in seconds. */
#define ATTEST_MAX_AGE_S 300u

/* What the completion callback has seen of the pipelined requests. */
struct pipeline_tally {
	size_t ok;
	size_t failed;
	int first_error;
};

static int fail(const struct spod_client *c, const char *what, int rc)
{
	const char *pod = c != NULL ? spod_client_last_error(c) : "";

	fprintf(stderr, "sign: %s: %s [%s]%s%s\n", what, spod_strerror(rc), spod_err_name(rc),
	        pod[0] != '\0' ? "; the pod said: " : "", pod);
	if (rc == SPOD_E_UNAUTHENTICATED && getenv("SPOD_TOKEN") == NULL)
		fprintf(stderr, "sign: SPOD_TOKEN is not set: spod-host needs an API token, e.g. "
		                "from spod token create --scope "
		                "'ops=sign,generate,delete,list,attest;keys=*'\n");
	return 1;
}

static void print_hex(const char *label, const uint8_t *p, size_t len)
{
	printf("%s ", label);
	for (size_t i = 0; i < len; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static int nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes text as hex into out[0..cap); returns the byte count, or 0 if it is not hex. */
static size_t hex_decode(uint8_t *out, size_t cap, const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n % 2 != 0 || n / 2 > cap)
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

/* Reads path into buf[0..cap); returns the length, or 0 on any error (reported). */
static size_t read_file(uint8_t *buf, size_t cap, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		return 0;
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f) || n == cap || n == 0) {
		fprintf(stderr, "sign: %s: unreadable, empty or over %zu bytes\n", path, cap - 1);
		n = 0;
	}
	fclose(f);
	return n;
}

/*
 * Verifies that the pod runs the enclave whose PCR0 is pcr0_hex and that key lives in it.
 * Returns 0 when it does, 1 otherwise (reported).
 */
static int check_pod(struct spod_client *c, const char *pcr0_hex, const struct spod_key_info *key)
{
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES], root[ROOT_MAX_BYTES];
	uint8_t pcr0[SPOD_ATTEST_PCR_MAX_BYTES];
	struct spod_attest_pcr_expect expect = {0, pcr0, 0};
	struct spod_attest_policy pol = {0};
	struct spod_attest_result res;
	const char *root_path = getenv("SPOD_ATTEST_ROOT");
	int rc;

	expect.len = hex_decode(pcr0, sizeof(pcr0), pcr0_hex);
	if (expect.len == 0) {
		fprintf(stderr, "sign: SPOD_EXPECT_PCR0 is not hex of at most %u bytes\n",
		        SPOD_ATTEST_PCR_MAX_BYTES);
		return 1;
	}
	if (root_path != NULL && root_path[0] != '\0') {
		pol.root.len = read_file(root, sizeof(root), root_path);
		if (pol.root.len == 0)
			return 1;
		pol.root.ptr = root;
	}
	pol.pcrs = &expect;
	pol.npcrs = 1;
	pol.max_age_s = ATTEST_MAX_AGE_S;
	pol.key_id = key->id;
	pol.key_alg = key->alg;
	pol.key_pub = (struct spod_bytes){key->pub, key->pub_len};

	rc = spod_client_check_pod(c, &res, doc, sizeof(doc), &pol, key->id);
	if (rc == SPOD_E_BAD_SIGNATURE || (rc != SPOD_OK && res.status != SPOD_ATTEST_OK)) {
		fprintf(stderr, "sign: the pod failed its attestation check [%s]: %s\n",
		        spod_attest_status_name(res.status), res.message);
		return 1;
	}
	if (rc != SPOD_OK)
		return fail(c, "attestation", rc);
	printf("attestation verified: PCR0 matches, key bound, module %.*s\n",
	       (int)res.doc.module_id.len, (const char *)res.doc.module_id.ptr);
	return 0;
}

static void on_signed(void *arg, uint64_t request_id, int status, const struct spod_signature *sig)
{
	struct pipeline_tally *t = arg;

	(void)request_id;
	if (status == SPOD_OK && sig->sig_len == 64) {
		t->ok++;
		return;
	}
	t->failed++;
	if (t->first_error == SPOD_OK)
		t->first_error = status != SPOD_OK ? status : SPOD_E_PROTOCOL;
}

/* Signs PIPELINE_COUNT messages with many requests in flight on the one connection. */
static int sign_pipelined(struct spod_client *c, const uint8_t key_id[SPOD_KEY_ID_BYTES])
{
	char msg[PIPELINE_COUNT][32];
	struct pipeline_tally tally = {0, 0, SPOD_OK};
	size_t submitted = 0, done;
	int rc;

	while (submitted < PIPELINE_COUNT || spod_client_in_flight(c) > 0) {
		while (submitted < PIPELINE_COUNT) {
			uint64_t rid;
			int len = snprintf(msg[submitted], sizeof(msg[submitted]),
			                   "pipelined message %zu", submitted);

			rc = spod_client_submit_sign(c, &rid, key_id, SPOD_MODE_RAW,
			                             (const uint8_t *)msg[submitted], (size_t)len);
			if (rc == SPOD_E_BUSY)
				break; /* the send buffer is full: send, and collect answers */
			if (rc != SPOD_OK)
				return fail(c, "submit", rc);
			submitted++;
		}
		if ((rc = spod_client_flush(c)) != SPOD_OK)
			return fail(c, "flush", rc);
		if ((rc = spod_client_poll(c, TIMEOUT_MS, on_signed, &tally, &done)) != SPOD_OK)
			return fail(c, "poll", rc);
		if (done == 0 && spod_client_in_flight(c) > 0) {
			fprintf(stderr, "sign: no answer within %d ms\n", TIMEOUT_MS);
			return 1;
		}
	}
	if (tally.failed > 0)
		return fail(c, "pipelined sign", tally.first_error);
	printf("pipelined: %zu signatures\n", tally.ok);
	return 0;
}

static int sign_batch(struct spod_client *c, const uint8_t key_id[SPOD_KEY_ID_BYTES])
{
	static const char *const msgs[BATCH_COUNT] = {"first", "second", "third"};
	struct spod_sign_item items[BATCH_COUNT];
	struct spod_signature sigs[BATCH_COUNT];
	int status[BATCH_COUNT];
	int rc;

	for (size_t i = 0; i < BATCH_COUNT; i++)
		items[i] = (struct spod_sign_item){key_id, SPOD_MODE_RAW, (const uint8_t *)msgs[i],
		                                   strlen(msgs[i])};
	if ((rc = spod_client_sign_batch(c, sigs, status, items, BATCH_COUNT)) != SPOD_OK)
		return fail(c, "sign batch", rc);
	for (size_t i = 0; i < BATCH_COUNT; i++) {
		char label[32];

		if (status[i] != SPOD_OK)
			return fail(c, msgs[i], status[i]);
		snprintf(label, sizeof(label), "batch[%zu]", i);
		print_hex(label, sigs[i].sig, sigs[i].sig_len);
	}
	printf("batch: %d signatures\n", BATCH_COUNT);
	return 0;
}

int main(int argc, char **argv)
{
	static const char message[] = "hello from libspod";
	const char *uri = argc > 1 ? argv[1] : getenv("SPOD_URI");
	const char *pcr0 = getenv("SPOD_EXPECT_PCR0");
	struct spod_client *c = NULL;
	struct spod_pod_info info;
	struct spod_key_info key;
	struct spod_signature sig;
	char id[2 * SPOD_KEY_ID_BYTES + 1];
	int rc, status = 1;

	if (argc > 2 || uri == NULL || uri[0] == '\0') {
		fprintf(stderr, "usage: %s [URI]   (or set SPOD_URI)\n", argv[0]);
		return 2;
	}
	if ((rc = spod_client_open(&c, uri, getenv("SPOD_TOKEN"), TIMEOUT_MS)) != SPOD_OK) {
		char what[300];

		snprintf(what, sizeof(what), "cannot connect to %s", uri);
		return fail(NULL, what, rc);
	}
	if ((rc = spod_client_info(c, &info)) != SPOD_OK) {
		fail(c, "info", rc);
		goto out;
	}
	printf("connected to %s: spod %s, protocol %u, %u/%u keys\n", uri, info.version,
	       info.proto_version, info.key_count, info.key_capacity);

	if ((rc = spod_client_generate(c, &key, SPOD_ALG_ED25519)) != SPOD_OK) {
		fail(c, "generate", rc);
		goto out;
	}
	spod_key_id_text(id, key.id);
	printf("key %s %s\n", id, spod_alg_name(key.alg));
	print_hex("public", key.pub, key.pub_len);

	if (pcr0 != NULL && pcr0[0] != '\0' && check_pod(c, pcr0, &key) != 0)
		goto delete;

	rc = spod_client_sign(c, &sig, key.id, SPOD_MODE_RAW, (const uint8_t *)message,
	                      strlen(message));
	if (rc != SPOD_OK) {
		fail(c, "sign", rc);
		goto delete;
	}
	print_hex("signature", sig.sig, sig.sig_len);

	if (sign_pipelined(c, key.id) != 0 || sign_batch(c, key.id) != 0)
		goto delete;
	status = 0;
	delete : if ((rc = spod_client_delete(c, key.id)) != SPOD_OK)
	{
		fail(c, "delete", rc);
		status = 1;
	}
	else
	{
		printf("key %s deleted\n", id);
	}
out:
	spod_client_close(c);
	return status;
}
