/*
 * libFuzzer target for spod-host's config file parser (src/host/core/config.c, the INI
 * reader over inih, and config_values.c, every setting's value parser), fed from memory
 * through host_options_load_ini: no file is written or read per input.
 *
 * A config that loads must leave every setting inside the range config.h documents. A
 * refused one must say why in one line that names the file. And a metamorphic check: the
 * same text under an explicit "[spod-host]" section header (what the file may say) loads
 * to the same settings, or is refused too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/core/config.h"
#include "spod/err.h"
#include "spod/wire.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define NAME           "fuzz.ini"
#define TEXT_MAX_BYTES 8192u
#define SECTION        "[spod-host]\n"
#define ERR_BYTES      512u

static struct host_options a, b;
static char text2[sizeof(SECTION) + TEXT_MAX_BYTES];

static void check_ranges(const struct host_options *o)
{
	CHECK(o->action == HOST_ACTION_RUN && o->config[0] == '\0');
	CHECK(o->nlisten <= SPOD_HOST_MAX_LISTENERS);
	for (unsigned i = 0; i < o->nlisten; i++)
		CHECK(o->listen[i].kind == SPOD_URI_UNIX || o->listen[i].kind == SPOD_URI_TCP);
	CHECK(o->enclave_conns >= 1 && o->enclave_conns <= SPOD_HOST_MAX_ENCLAVE_CONNS);
	CHECK(o->max_clients >= 1 && o->max_clients <= HOST_OPT_MAX_CLIENTS);
	CHECK(o->max_unauth >= 1 && o->max_unauth_per_peer >= 1);
	CHECK(o->hello_timeout_ms >= HOST_OPT_MIN_TIMEOUT_MS &&
	      o->hello_timeout_ms <= HOST_OPT_MAX_TIMEOUT_MS);
	CHECK(o->enclave_timeout_ms >= HOST_OPT_MIN_TIMEOUT_MS &&
	      o->enclave_timeout_ms <= HOST_OPT_MAX_TIMEOUT_MS);
	CHECK(o->npcrs <= SPOD_ATTEST_MAX_PCRS);
	for (size_t i = 0; i < o->npcrs; i++) {
		CHECK(o->pcrs[i].index < SPOD_ATTEST_MAX_PCRS);
		CHECK(o->pcrs[i].value == o->pcr_values[i]);
		CHECK(o->pcrs[i].len >= 1 && o->pcrs[i].len <= SPOD_ATTEST_PCR_MAX_BYTES);
		for (size_t j = 0; j < i; j++)
			CHECK(o->pcrs[j].index != o->pcrs[i].index);
	}
	CHECK(o->root_len == 0);
	CHECK(o->audit_sync == HOST_AUDIT_SYNC_NORMAL || o->audit_sync == HOST_AUDIT_SYNC_FULL);
	CHECK(o->disk_warn_free_pct <= 99);
	CHECK(o->disk_warn_free_pct == 0 || o->disk_warn_free_bytes == 0);
	CHECK(o->seal_mode == SPOD_SEAL_EPHEMERAL || o->seal_mode == SPOD_SEAL_CUSTODIANS);
	CHECK(o->http_enabled == 0 || o->http_enabled == 1);
	CHECK(memchr(o->http_addr, '\0', sizeof o->http_addr) != NULL);
	CHECK(o->http_threads >= 1 && o->http_threads <= HOST_OPT_HTTP_MAX_THREADS);
	CHECK(o->http_max_body >= HOST_OPT_HTTP_MIN_BODY &&
	      o->http_max_body <= HOST_OPT_HTTP_MAX_BODY);
	CHECK(o->http_max_connections >= 1 && o->http_max_connections <= HOST_OPT_HTTP_MAX_CONNS);
	CHECK(o->http_max_per_address >= 1 && o->http_max_per_address <= HOST_OPT_HTTP_MAX_CONNS);
	CHECK(o->http_idle_timeout_s >= 1 && o->http_idle_timeout_s <= HOST_OPT_HTTP_MAX_IDLE_S);
	CHECK(o->http_header_timeout_ms >= HOST_OPT_HTTP_MIN_WAIT_MS &&
	      o->http_header_timeout_ms <= HOST_OPT_HTTP_MAX_WAIT_MS);
	CHECK(o->http_call_timeout_ms >= HOST_OPT_HTTP_MIN_WAIT_MS &&
	      o->http_call_timeout_ms <= HOST_OPT_HTTP_MAX_WAIT_MS);
	CHECK(memchr(o->data_dir, '\0', sizeof o->data_dir) != NULL);
	CHECK(memchr(o->db, '\0', sizeof o->db) != NULL);
	CHECK(memchr(o->token_file, '\0', sizeof o->token_file) != NULL);
	CHECK(memchr(o->tls_cert, '\0', sizeof o->tls_cert) != NULL);
	CHECK(memchr(o->tls_key, '\0', sizeof o->tls_key) != NULL);
	CHECK(memchr(o->attest_root, '\0', sizeof o->attest_root) != NULL);
}

/* Equal settings: the structs byte for byte, but for the PCR pointers into each struct. */
static int same(const struct host_options *x, const struct host_options *y)
{
	size_t lo = offsetof(struct host_options, pcrs);
	size_t hi = offsetof(struct host_options, pcr_values);

	if (memcmp(x, y, lo) != 0 ||
	    memcmp((const char *)x + hi, (const char *)y + hi, sizeof *x - hi) != 0)
		return 0;
	for (size_t i = 0; i < x->npcrs; i++)
		if (x->pcrs[i].index != y->pcrs[i].index || x->pcrs[i].len != y->pcrs[i].len)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[ERR_BYTES], err2[ERR_BYTES];
	int rc, rc2;

	if (size > TEXT_MAX_BYTES)
		return 0;
	memset(err, 0x55, sizeof err);
	rc = host_options_load_ini(&a, NAME, text, size, err, sizeof err);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
	if (rc == SPOD_OK) {
		check_ranges(&a);
	} else {
		CHECK(rc == SPOD_E_BAD_ARG);
		CHECK(err[0] != '\0' && strstr(err, NAME) != NULL && strchr(err, '\n') == NULL);
	}

	/* The explicit section: only where no line depends on being the first (a BOM) or
	 * on a line before it (an indented continuation). */
	if (size == 0 || text[0] == ' ' || text[0] == '\t' || (unsigned char)text[0] == 0xEF)
		return 0;
	memcpy(text2, SECTION, sizeof SECTION - 1);
	memcpy(text2 + sizeof SECTION - 1, text, size);
	rc2 = host_options_load_ini(&b, NAME, text2, sizeof SECTION - 1 + size, err2, sizeof err2);
	CHECK((rc == SPOD_OK) == (rc2 == SPOD_OK));
	if (rc == SPOD_OK)
		CHECK(same(&a, &b));
	return 0;
}
