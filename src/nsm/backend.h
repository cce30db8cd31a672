/*
 * What every NSM backend provides: struct spod_nsm is the first member of each backend's
 * own struct, and its ops table does the work. nsm.c checks the arguments common to all
 * backends (the NSM's field limits) before dispatching, so backends see valid input.
 */
#ifndef SPOD_NSM_BACKEND_H
#define SPOD_NSM_BACKEND_H

#include "nsm/nsm.h"

struct spod_nsm_ops {
	enum spod_nsm_kind kind;
	int (*attest)(struct spod_nsm *n, uint8_t *doc, size_t cap, size_t *doc_len,
	              struct spod_bytes user_data, struct spod_bytes nonce,
	              struct spod_bytes public_key);
	int (*describe_pcr)(struct spod_nsm *n, uint8_t out[SPOD_ATTEST_PCR_BYTES], int *locked,
	                    uint16_t index);
	/* Fills out[0..*got) with 1..len bytes. */
	int (*get_random)(struct spod_nsm *n, uint8_t *out, size_t len, size_t *got);
	void (*close)(struct spod_nsm *n);
};

struct spod_nsm {
	const struct spod_nsm_ops *ops;
};

#endif
