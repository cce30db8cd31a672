/*
 * Share files (src/cli/share_file.h): a golden file written independently, the writer's
 * text, file modes and refusal to overwrite, and every malformed member the reader refuses.
 *
 * The golden file is share 2 of `tests/interop/shamir_gf256.py vector 2 3 spod-share-file`,
 * its seal key id and commitments computed with Python's hashlib, written by
 * json.dumps(doc, indent=2) (plus a final newline): the writer's layout is the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "cli/share_file.h"
#include "crypto/shamir.h"
#include "crypto/share.h"
#include "spod/err.h"

#define ID_HEX    "cc78d1a0f55c974acd1737300df66bbc"
#define SHARE_HEX "08b8c207e9517b7a50abe73c9372f828fcba714870a6ad1f7bf8b41ad90a04db"
#define C1_HEX    "987b262a93a0de9784258edc749ddc64e2b25ee97c077c0ee937135b3d9bb5c0"
#define C2_HEX    "80bb06bf1bf58b1b85fea48529325cb0f631e1d60490fbc5e978092c2b8f66cc"
#define C3_HEX    "6618fe97ee2b83548a2a4bf5c264408cd80483a1f35e2a4b18b61417c6203738"

static const char golden[] = "{\n"
                             "  \"format\": \"spod-custodian-share\",\n"
                             "  \"version\": 1,\n"
                             "  \"seal_key_id\": \"" ID_HEX "\",\n"
                             "  \"threshold\": 2,\n"
                             "  \"shares\": 3,\n"
                             "  \"index\": 2,\n"
                             "  \"share\": \"" SHARE_HEX "\",\n"
                             "  \"commitments\": [\n"
                             "    \"" C1_HEX "\",\n"
                             "    \"" C2_HEX "\",\n"
                             "    \"" C3_HEX "\"\n"
                             "  ]\n"
                             "}\n";

static int parse_text(const char *text, size_t len, const char **why)
{
	struct spod_share_file f;
	int rc;

	memset(&f, 0x5a, sizeof f);
	rc = spod_share_file_parse(&f, (const uint8_t *)text, len, why);
	if (rc == SPOD_OK)
		spod_share_file_free(&f);
	else
		assert_null(f.payload); /* zero-filled */
	assert_null(f.payload);
	return rc;
}

/* golden with the first `from` replaced by `to`, then parsed. */
static int parse_edit(const char *from, const char *to, const char **why)
{
	char buf[8192];
	const char *at = strstr(golden, from);
	int n;

	assert_non_null(at);
	n = snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - golden), golden, to,
	             at + strlen(from));
	assert_true(n > 0 && (size_t)n < sizeof buf);
	return parse_text(buf, (size_t)n, why);
}

static void test_golden(void **state)
{
	struct spod_share_file f;
	char text[SPOD_SHARE_FILE_TEXT_MAX_BYTES];
	uint8_t id[16], share[32];
	const char *why = "x";
	size_t len;

	(void)state;
	assert_int_equal(spod_share_file_parse(&f, (const uint8_t *)golden, strlen(golden), &why),
	                 SPOD_OK);
	assert_null(why);
	assert_int_equal(f.payload_len, 52 + 3 * 32);
	assert_int_equal(f.view.k, 2);
	assert_int_equal(f.view.n, 3);
	assert_int_equal(f.view.index, 2);
	assert_int_equal(sodium_hex2bin(id, 16, ID_HEX, 32, NULL, NULL, NULL), 0);
	assert_int_equal(sodium_hex2bin(share, 32, SHARE_HEX, 64, NULL, NULL, NULL), 0);
	assert_memory_equal(f.view.seal_key_id, id, 16);
	assert_memory_equal(f.view.share, share, 32);
	/* payload -> text is the golden file again, byte for byte */
	assert_int_equal(
	    spod_share_file_format(text, sizeof text, &len, f.payload, f.payload_len, &why),
	    SPOD_OK);
	assert_int_equal(len, strlen(golden));
	assert_string_equal(text, golden);
	assert_int_equal(spod_share_file_format(text, len, &len, f.payload, f.payload_len, &why),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(len, 0);
	spod_share_file_free(&f);
	assert_null(f.payload);
	spod_share_file_free(&f);
	/* jansson's own allocator is back: it works after a parse */
	json_t *j = json_pack("{s:[i,s]}", "a", 1, "b");
	assert_non_null(j);
	json_decref(j);
}

static void test_layout_variants(void **state)
{
	const char *why;
	char compact[2048];

	(void)state;
	/* any whitespace, any member order, upper-case hex */
	snprintf(compact, sizeof compact,
	         "{\"commitments\":[\"%s\",\"%s\",\"%s\"],\"share\":\"%s\",\"index\":2,"
	         "\"shares\":3,\"threshold\":2,\"seal_key_id\":\"%s\",\"version\":1,"
	         "\"format\":\"spod-custodian-share\"}",
	         C1_HEX, C2_HEX, C3_HEX, SHARE_HEX, ID_HEX);
	assert_int_equal(parse_text(compact, strlen(compact), &why), SPOD_OK);
	assert_int_equal(parse_edit(SHARE_HEX,
	                            "08B8C207E9517B7A50ABE73C9372F828FCBA714870A6AD1F7B"
	                            "F8B41AD90A04DB",
	                            &why),
	                 SPOD_OK);
	/* as long as 16 KiB, padded with whitespace; one byte more is too large */
	static char big[SPOD_SHARE_FILE_MAX_BYTES + 1];
	memset(big, ' ', sizeof big);
	memcpy(big, golden, strlen(golden));
	assert_int_equal(parse_text(big, SPOD_SHARE_FILE_MAX_BYTES, &why), SPOD_OK);
	assert_int_equal(parse_text(big, sizeof big, &why), SPOD_E_TOO_LARGE);
	assert_string_equal(why, "share file larger than 16 KiB");
}

static void expect(const char *from, const char *to, const char *msg)
{
	const char *why = NULL;

	assert_int_equal(parse_edit(from, to, &why), SPOD_E_BAD_SHARE);
	if (msg != NULL)
		assert_string_equal(why, msg);
}

static void test_refusals(void **state)
{
	(void)state;
	expect("\"format\": \"spod-custodian-share\",", "",
	       "not a spod custodian share file (no \"format\" member)");
	expect("spod-custodian-share", "spod-custodian-sharex",
	       "not a spod custodian share file (\"format\" is not \"spod-custodian-share\")");
	expect("\"version\": 1", "\"version\": 2",
	       "share file: \"version\" is not 1, the only version this spod reads");
	expect("\"version\": 1", "\"version\": 1.0", NULL);
	expect("\"version\": 1", "\"version\": \"1\"", NULL);
	expect("\"version\": 1,", "",
	       "share file: \"version\" is not 1, the only version this spod reads");
	expect("\"index\": 2,", "\"index\": 2, \"comment\": \"x\",",
	       "share file: a member other than format, version, seal_key_id, threshold, shares, "
	       "index, share, commitments");
	expect("\"index\": 2,", "\"index\": 2, \"index\": 2,",
	       "share file: not a JSON object (malformed, or too complex)");
	expect("\"threshold\": 2,", "", "share file: \"threshold\" is missing");
	expect("\"share\": \"" SHARE_HEX "\",", "", "share file: \"share\" is missing");
	/* ranges */
	expect("\"shares\": 3", "\"shares\": 0",
	       "share file: \"shares\" is not an integer from 1 to 32");
	expect("\"shares\": 3", "\"shares\": 33", NULL);
	expect("\"shares\": 3", "\"shares\": -3", NULL);
	expect("\"shares\": 3", "\"shares\": 4294967299", NULL);
	expect("\"threshold\": 2", "\"threshold\": 0",
	       "share file: \"threshold\" is not an integer from 1 to \"shares\"");
	expect("\"threshold\": 2", "\"threshold\": 4", NULL);
	expect("\"index\": 2", "\"index\": 0",
	       "share file: \"index\" is not an integer from 1 to \"shares\"");
	expect("\"index\": 2", "\"index\": 4", NULL);
	expect("\"index\": 2", "\"index\": true", NULL);
	expect("\"index\": 2", "\"index\": null", NULL);
	/* hex members: length, digits, type */
	expect(ID_HEX, ID_HEX "00", "share file: \"seal_key_id\" is not a string of 32 hex digits");
	expect(ID_HEX, "cc78d1a0f55c974acd1737300df66b", NULL);
	expect(ID_HEX, "zz78d1a0f55c974acd1737300df66bbc", NULL);
	expect(ID_HEX, "0xcc78d1a0f55c974acd1737300df66b", NULL);
	expect("\"" SHARE_HEX "\"", "\"" SHARE_HEX "0\"",
	       "share file: \"share\" is not a string of 64 hex digits");
	expect("\"" SHARE_HEX "\"", "\"08b8\"", NULL);
	expect("\"" SHARE_HEX "\"", "[8]", NULL);
	expect("\"" SHARE_HEX "\"",
	       "\"08b8c207e9517b7a50abe73c9372f828fcba714870a6ad1f7bf8b41ad90a04d \"", NULL);
	expect("\"" C3_HEX "\"", "\"" C3_HEX "\", \"" C3_HEX "\"",
	       "share file: \"commitments\" is not an array of \"shares\" strings");
	expect(",\n    \"" C3_HEX "\"", "", NULL);
	expect("\"" C2_HEX "\"", "7", "share file: a commitment is not a string of 64 hex digits");
	expect(C1_HEX, "987b", NULL);
	/* a share that does not match its commitment, and a commitment that does not match */
	expect(SHARE_HEX, "18b8c207e9517b7a50abe73c9372f828fcba714870a6ad1f7bf8b41ad90a04db",
	       "share 2 does not match its commitment");
	expect(C2_HEX, "90bb06bf1bf58b1b85fea48529325cb0f631e1d60490fbc5e978092c2b8f66cc",
	       "share 2 does not match its commitment");
	expect("\"index\": 2", "\"index\": 3", "share 3 does not match its commitment");
	/* not an object, or more than one */
	expect("{", "[", "share file: not a JSON object (malformed, or too complex)");
	expect("]\n}\n", "]\n}\n{}", "share file: not a JSON object (malformed, or too complex)");
	expect("]\n}\n", "]\n", NULL);
}

static void test_not_json(void **state)
{
	const char *why;
	static char deep[SPOD_SHARE_FILE_MAX_BYTES];

	(void)state;
	assert_int_equal(parse_text("", 0, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_text(NULL, 0, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_text("{}", 2, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_text("{\"format\": 1}", 13, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_text("\"spod\"", 6, &why), SPOD_E_BAD_SHARE);
	/* 16 KiB of small values or deep nesting: refused, never a crash */
	for (size_t i = 0; i < sizeof deep; i += 2)
		memcpy(deep + i, "[0", 2);
	assert_int_equal(parse_text(deep, sizeof deep, &why), SPOD_E_BAD_SHARE);
	/*
	 * fuzz_share's crash: a member nested deep enough to fill the locked arena. jansson 2.14
	 * aborts if an allocation fails in its lexer, so the arena spills to the heap instead.
	 */
	for (size_t levels = 100; levels < 600; levels++) {
		memcpy(deep, "{\"format\": ", 11);
		memset(deep + 11, '[', levels);
		/* a word longer than the lexer's 16-byte buffer, then a non-letter: the lexer
		 * grows its buffer as the arena runs out, and ungets the ']' */
		memset(deep + 11 + levels, 'U', 130);
		deep[11 + levels + 130] = ']';
		assert_int_equal(parse_text(deep, 11 + levels + 131, &why), SPOD_E_BAD_SHARE);
		assert_string_equal(why,
		                    "share file: not a JSON object (malformed, or too complex)");
	}
	memset(deep + 11, '[', 1500); /* under jansson's depth limit of 2048 */
	memset(deep + 1511, ']', 1500);
	memcpy(deep + 3011, "}", 1);
	assert_int_equal(parse_text(deep, 3012, &why), SPOD_E_BAD_SHARE);
	deep[0] = '{';
	memcpy(deep + 1, "\"a\":[", 5);
	for (size_t i = 6; i + 2 <= sizeof deep; i += 2)
		memcpy(deep + i, "0,", 2);
	assert_int_equal(parse_text(deep, sizeof deep, &why), SPOD_E_BAD_SHARE);
}

/* share 2's payload, from the golden file */
static void golden_payload(uint8_t *p, size_t *len)
{
	struct spod_share_file f;
	const char *why;

	assert_int_equal(spod_share_file_parse(&f, (const uint8_t *)golden, strlen(golden), &why),
	                 SPOD_OK);
	memcpy(p, f.payload, f.payload_len);
	*len = f.payload_len;
	spod_share_file_free(&f);
}

static void test_write_read(void **state)
{
	char dir[] = "/tmp/spod-test-share-file.XXXXXX", path[256], buf[4096];
	uint8_t payload[SPOD_SHARE_PAYLOAD_MAX_BYTES];
	struct spod_share_file f;
	struct stat st;
	const char *why;
	size_t len;
	int dfd, fd;
	ssize_t got;

	(void)state;
	golden_payload(payload, &len);
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);

	mode_t old = umask(0); /* the mode is 0600 whatever the umask */
	assert_int_equal(spod_share_file_write(dfd, "share-2.json", payload, len, &why), SPOD_OK);
	umask(old);
	snprintf(path, sizeof path, "%s/share-2.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fd = open(path, O_RDONLY);
	got = read(fd, buf, sizeof buf);
	close(fd);
	assert_int_equal(got, strlen(golden));
	assert_memory_equal(buf, golden, strlen(golden));

	assert_int_equal(spod_share_file_read(&f, path, &why), SPOD_OK);
	assert_int_equal(f.payload_len, len);
	assert_memory_equal(f.payload, payload, len);
	spod_share_file_free(&f);

	/* never overwritten, not even through a symbolic link */
	assert_int_equal(spod_share_file_write(dfd, "share-2.json", payload, len, &why),
	                 SPOD_E_BAD_ARG);
	assert_string_equal(why, "the file exists already (share files are never overwritten)");
	assert_int_equal(symlinkat("elsewhere", dfd, "link.json"), 0);
	assert_int_equal(spod_share_file_write(dfd, "link.json", payload, len, &why),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(faccessat(dfd, "elsewhere", F_OK, 0), -1);
	/* a payload that does not parse is not written */
	payload[20] ^= 1;
	assert_int_equal(spod_share_file_write(dfd, "bad.json", payload, len, &why),
	                 SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share 2 does not match its commitment");
	assert_int_equal(faccessat(dfd, "bad.json", F_OK, 0), -1);
	assert_int_equal(spod_share_file_write(dfd, "nodir/x.json", payload, 0, &why),
	                 SPOD_E_BAD_SHARE);
	payload[20] ^= 1;
	assert_int_equal(spod_share_file_write(dfd, "nodir/x.json", payload, len, &why),
	                 SPOD_E_BAD_ARG);

	/* reading: missing file, a directory, a file over 16 KiB */
	assert_int_equal(spod_share_file_read(&f, "/nonexistent/share.json", &why), SPOD_E_BAD_ARG);
	assert_int_equal(spod_share_file_read(&f, dir, &why), SPOD_E_BAD_ARG);
	assert_string_equal(why, "not a regular file");
	snprintf(path, sizeof path, "%s/big.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(ftruncate(fd, SPOD_SHARE_FILE_MAX_BYTES + 1), 0);
	close(fd);
	assert_int_equal(spod_share_file_read(&f, path, &why), SPOD_E_TOO_LARGE);
	close(dfd);
	snprintf(buf, sizeof buf, "rm -rf %s", dir);
	assert_int_equal(system(buf), 0);
}

static void test_inspect(void **state)
{
	struct spod_share_file_info info;
	char text[sizeof golden];
	const char *why;

	(void)state;
	assert_int_equal(
	    spod_share_file_inspect(&info, (const uint8_t *)golden, strlen(golden), &why), SPOD_OK);
	assert_int_equal(info.threshold, 2);
	assert_int_equal(info.shares, 3);
	assert_int_equal(info.index, 2);
	assert_int_equal(info.share_matches, 1);
	/* a changed share is reported, not refused; a malformed file is refused */
	memcpy(text, golden, sizeof golden);
	*strstr(text, SHARE_HEX) = '1';
	assert_int_equal(spod_share_file_inspect(&info, (const uint8_t *)text, strlen(text), &why),
	                 SPOD_OK);
	assert_int_equal(info.index, 2);
	assert_int_equal(info.share_matches, 0);
	*strstr(text, "\"index\": 2") = 'x';
	assert_int_equal(spod_share_file_inspect(&info, (const uint8_t *)text, strlen(text), &why),
	                 SPOD_E_BAD_SHARE);
	assert_int_equal(info.shares, 0);
}

/* Files for every N: written from a real split, read back, combined. */
static void test_every_size(void **state)
{
	uint8_t key[32], shares[SPOD_SHARES_MAX][32], c[SPOD_SHARES_MAX][32], id[16];
	uint8_t payload[SPOD_SHARE_PAYLOAD_MAX_BYTES];
	char text[SPOD_SHARE_FILE_TEXT_MAX_BYTES];
	struct spod_share_file f;
	const char *why;
	size_t len, tlen;

	(void)state;
	for (unsigned n = 1; n <= SPOD_SHARES_MAX; n++) {
		unsigned k = (n + 1) / 2;
		randombytes_buf(key, sizeof key);
		spod_seal_key_id(id, key);
		assert_int_equal(spod_shamir_split(&shares[0][0], key, k, n), SPOD_OK);
		for (unsigned i = 0; i < n; i++)
			spod_share_commitment(c[i], id, (uint8_t)(i + 1), (uint8_t)k, (uint8_t)n,
			                      shares[i]);
		struct spod_share_view v = {(uint8_t)k, (uint8_t)n,    (uint8_t)n,
		                            id,         shares[n - 1], &c[0][0]};
		assert_int_equal(spod_share_encode(payload, sizeof payload, &len, &v), SPOD_OK);
		assert_int_equal(
		    spod_share_file_format(text, sizeof text, &tlen, payload, len, &why), SPOD_OK);
		assert_int_equal(spod_share_file_parse(&f, (const uint8_t *)text, tlen, &why),
		                 SPOD_OK);
		assert_int_equal(f.payload_len, len);
		assert_memory_equal(f.payload, payload, len);
		spod_share_file_free(&f);
	}
	assert_true(tlen < 3000); /* 32 shares: about 2.6 KiB */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),     cmocka_unit_test(test_layout_variants),
	    cmocka_unit_test(test_refusals),   cmocka_unit_test(test_not_json),
	    cmocka_unit_test(test_write_read), cmocka_unit_test(test_inspect),
	    cmocka_unit_test(test_every_size),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
