/*
 * libFuzzer target for audit export files (src/host/store/audit_file.c, docs/storage.md
 * "Export files"): the input is a whole file, read by spod_audit_file_verify through a
 * memfd. Seeds are written by make_audit_corpus.py, an independent Python writer.
 *
 * Oracle: the answer is SPOD_OK, SPOD_E_BAD_ARG (no header) or SPOD_E_BAD_SIGNATURE, always
 * with a reason when not OK. An intact file has first_bad_seq 0 and exactly last - first + 1
 * records; it reports the hash at any seq from first - 1 to last, the prev_hash and last_hash
 * at the ends, and nothing beyond them. A broken one names a seq from first_seq on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/store/store.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_intact(const char *path, const struct spod_audit_file_check *c)
{
	const struct spod_audit_segment *seg = &c->seg;
	struct spod_audit_file_check again;

	CHECK(c->first_bad_seq == 0 && c->why[0] == '\0');
	CHECK(seg->first_seq >= 1 && seg->last_seq >= seg->first_seq);
	CHECK(c->records == seg->last_seq - seg->first_seq + 1);
	CHECK(spod_audit_file_verify(&again, path, seg->first_seq - 1) == SPOD_OK);
	CHECK(again.at_found && memcmp(again.at_hash, seg->prev_hash, sizeof again.at_hash) == 0);
	CHECK(spod_audit_file_verify(&again, path, seg->last_seq) == SPOD_OK);
	CHECK(again.at_found && memcmp(again.at_hash, seg->last_hash, sizeof again.at_hash) == 0);
	if (seg->last_seq < INT64_MAX) {
		CHECK(spod_audit_file_verify(&again, path, seg->last_seq + 1) == SPOD_OK);
		CHECK(!again.at_found);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	struct spod_audit_file_check c;
	int rc;

	if (fd < 0) {
		fd = memfd_create("audit-export", MFD_CLOEXEC);
		CHECK(fd >= 0);
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
	rc = spod_audit_file_verify(&c, path, 0);
	if (rc == SPOD_OK) {
		check_intact(path, &c);
		return 0;
	}
	CHECK(rc == SPOD_E_BAD_ARG || rc == SPOD_E_BAD_SIGNATURE);
	CHECK(c.why[0] != '\0');
	if (rc == SPOD_E_BAD_SIGNATURE)
		CHECK(c.first_bad_seq >= c.seg.first_seq && c.first_bad_seq > 0);
	return 0;
}
