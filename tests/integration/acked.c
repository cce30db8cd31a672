/*
 * Integration helper for tests/integration/audit_crash.sh: which signatures did the pod
 * acknowledge before it died?
 *
 *   it_acked URI KEY_ID OUT_FILE MAX_SECONDS [STOP_FILE]
 *       Keeps up to 64 raw-mode sign requests for the Ed25519 key KEY_ID in flight (each
 *       message distinct) until the connection fails, MAX_SECONDS pass or STOP_FILE exists
 *       (tests/integration/audit_retention.sh signs for as long as its prune takes). For every
 *       signature received, verified against the key, it appends the hex SHA-256 of the
 *       message — the digest spod-host's audit log records — as one line to OUT_FILE,
 *       written through at once, so the file lists exactly the acknowledged signatures.
 *       Answers UNAVAILABLE (e.g. withheld because the audit log could not be written) are
 *       counted and reported.
 *       Takes its token from $SPOD_TOKEN.
 *
 * Exit status 0 when at least one signature was acknowledged and every answer was either a
 * valid signature or a clean failure of the connection; 1 otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/hash.h"
#include "crypto/sign.h"
#include "spod/client.h"

#define WINDOW 64u
#define RING   1024u
#define MSG    24u

struct slot {
	uint64_t rid;
	int pending;
	uint8_t msg[MSG];
};

struct ctx {
	struct slot ring[RING];
	struct spod_key_info key;
	FILE *out;
	uint64_t acked, bad, unavailable;
	size_t in_flight;
};

static void on_done(void *arg, uint64_t rid, int status, const struct spod_signature *sig)
{
	struct ctx *cx = arg;
	struct slot *s = &cx->ring[rid % RING];
	uint8_t digest[32];

	if (!s->pending || s->rid != rid) {
		cx->bad++;
		return;
	}
	s->pending = 0;
	cx->in_flight--;
	if (status == SPOD_E_UNAVAILABLE)
		cx->unavailable++;
	if (status != SPOD_OK)
		return; /* an error answer acknowledges nothing */
	if (spod_verify(cx->key.alg, cx->key.pub, cx->key.pub_len, SPOD_MODE_RAW, s->msg, MSG,
	                sig->sig, sig->sig_len) != SPOD_OK) {
		cx->bad++;
		return;
	}
	spod_sha256(digest, s->msg, MSG);
	for (size_t i = 0; i < sizeof(digest); i++)
		fprintf(cx->out, "%02x", digest[i]);
	fputc('\n', cx->out);
	fflush(cx->out);
	cx->acked++;
}

int main(int argc, char **argv)
{
	static struct ctx cx;
	struct spod_client *c = NULL;
	uint8_t id[SPOD_KEY_ID_BYTES];
	time_t end;
	uint64_t n = 0;
	int rc;

	if ((argc != 5 && argc != 6) || spod_key_id_parse(id, argv[2]) < 0) {
		fprintf(stderr, "usage: it_acked URI KEY_ID OUT_FILE MAX_SECONDS [STOP_FILE]\n");
		return 2;
	}
	cx.out = fopen(argv[3], "w");
	if (cx.out == NULL)
		return 1;
	end = time(NULL) + atoi(argv[4]);
	rc = spod_client_open(&c, argv[1], getenv("SPOD_TOKEN"), 10000);
	if (rc == SPOD_OK)
		rc = spod_client_public(c, &cx.key, id);
	if (rc != SPOD_OK || cx.key.alg != SPOD_ALG_ED25519) {
		fprintf(stderr, "it_acked: connect / key: %s\n", spod_err_name(rc));
		return 1;
	}
	while (time(NULL) < end && (argc == 5 || access(argv[5], F_OK) != 0)) {
		size_t got;

		while (cx.in_flight < WINDOW) {
			uint8_t msg[MSG];
			uint64_t rid;

			memset(msg, 0xa5, sizeof(msg));
			memcpy(msg, &n, sizeof(n));
			memcpy(msg + 8, &end, sizeof(end));
			rc = spod_client_submit_sign(c, &rid, id, SPOD_MODE_RAW, msg, MSG);
			if (rc != SPOD_OK)
				break;
			if (cx.ring[rid % RING].pending) {
				fprintf(stderr, "it_acked: ring overflow\n");
				return 1;
			}
			cx.ring[rid % RING] = (struct slot){.rid = rid, .pending = 1};
			memcpy(cx.ring[rid % RING].msg, msg, MSG);
			cx.in_flight++;
			n++;
		}
		rc = spod_client_flush(c);
		if (rc == SPOD_OK)
			rc = spod_client_poll(c, 50, on_done, &cx, &got);
		if (rc != SPOD_OK)
			break; /* the pod went away: what was acknowledged is in the file */
	}
	fclose(cx.out);
	spod_client_close(c);
	printf("it_acked: %" PRIu64 " submitted, %" PRIu64 " acknowledged, %" PRIu64
	       " unavailable, %" PRIu64 " bad\n",
	       n, cx.acked, cx.unavailable, cx.bad);
	return cx.acked > 0 && cx.bad == 0 ? 0 : 1;
}
