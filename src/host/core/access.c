/*
 * Who may do what on spod-host's binary listeners (docs/auth.md): the store and the token
 * cache, the hello that authenticates a connection, the per-request check of the token's
 * validity, rate and scopes, and the audit facts captured from each request that is let
 * through. The bootstrap admin token is made here on first start.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "host/core/host_int.h"

uint64_t host_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t host_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the bootstrap admin token ---- */

static int count_token(void *ctx, const struct spod_store_token *t)
{
	(void)t;
	(*(size_t *)ctx)++;
	return SPOD_OK;
}

/* Writes text and a newline to path (mode 0600) through a temporary file and a rename. */
static int write_secret_file(const char *path, const char *text)
{
	char tmp[600];
	size_t len = strlen(text);
	int fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return SPOD_E_BAD_ARG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return SPOD_E_IO;
	ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len &&
	     write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		(void)unlink(tmp);
		return SPOD_E_IO;
	}
	return SPOD_OK;
}

/*
 * On first start (no token record at all) creates an admin token, writes its text to the
 * token file and stores its record with an audit record. The file is written first: a token
 * nobody can read would lock the operator out.
 */
static int bootstrap_token(struct spod_host *h)
{
	static const char scopes[] = "ops=admin;keys=*";
	struct spod_store_token t = {0};
	char text[SPOD_AUTH_TOKEN_BUF_BYTES];
	size_t n = 0;
	int rc;

	rc = spod_store_token_list(h->store, count_token, &n);
	if (rc < 0) {
		spod_error("cannot read tokens: %s", spod_store_last_error(h->store));
		return rc;
	}
	if (n > 0)
		return SPOD_OK;
	if (h->cfg.token_file == NULL) {
		spod_warn(
		    "no API token exists and no token file is configured: nobody can connect");
		return SPOD_OK;
	}
	SPOD_TRY(spod_auth_token_new(text, t.hash, t.id));
	memcpy(t.scopes, scopes, sizeof(scopes));
	t.created_ms = host_wall_ms();
	rc = write_secret_file(h->cfg.token_file, text);
	OPENSSL_cleanse(text, sizeof(text));
	if (rc < 0) {
		spod_error("cannot write the admin token to %s: %s", h->cfg.token_file,
		           strerror(errno));
		return rc;
	}
	rc = spod_store_token_insert(h->store, &t);
	if (rc == SPOD_OK)
		rc = host_journal_record(h, "token.create", NULL, t.id, NULL, SPOD_OK,
		                         "bootstrap admin token; scopes=ops=admin;keys=*");
	if (rc == SPOD_OK)
		rc = host_journal_commit(h);
	if (rc < 0) {
		spod_error("cannot store the admin token: %s", spod_store_last_error(h->store));
		(void)unlink(h->cfg.token_file);
		return rc;
	}
	spod_info("first start: admin token written to %s (mode 0600)", h->cfg.token_file);
	return SPOD_OK;
}

int host_access_open(struct spod_host *h)
{
	int rc;

	if (h->cfg.db_path == NULL)
		return SPOD_E_BAD_ARG;
	h->md_ctx = EVP_MD_CTX_new();
	if (h->md_ctx == NULL)
		return SPOD_E_NOMEM;
	SPOD_TRY(spod_store_open(&h->store, h->cfg.db_path));
	rc = spod_store_set_sync(h->store, h->cfg.audit_sync_full ? SPOD_STORE_SYNC_FULL
	                                                          : SPOD_STORE_SYNC_NORMAL);
	/* Checkpoints happen in their own thread (checkpoint.c), never inside a commit. */
	if (rc == SPOD_OK)
		rc = spod_store_set_autocheckpoint(h->store, 0);
	if (rc < 0) {
		spod_error("store: %s", spod_store_last_error(h->store));
		return rc;
	}
	SPOD_TRY(host_checkpointer_start(&h->checkpointer, h->cfg.db_path));
	return bootstrap_token(h);
}

void host_access_close(struct spod_host *h)
{
	while (h->spare_audits != NULL) {
		struct host_audit *a = h->spare_audits;
		h->spare_audits = a->next_label;
		free(a);
	}
	h->nspare_audits = 0;
	while (h->tokens != NULL) {
		struct host_token *t = h->tokens;
		h->tokens = t->next;
		free(t);
	}
	host_checkpointer_stop(h->checkpointer);
	h->checkpointer = NULL;
	spod_store_close(h->store);
	h->store = NULL;
	EVP_MD_CTX_free(h->md_ctx);
	h->md_ctx = NULL;
}

/* ---- the token cache ---- */

/* Copies a stored record's state into t. Returns SPOD_OK or UNAUTHENTICATED (bad scopes). */
static int token_load(struct host_token *t, const struct spod_store_token *rec)
{
	const char *why = NULL;
	int rc = spod_auth_scopes_parse(&t->scopes, &why, rec->scopes, strlen(rec->scopes));

	if (rc < 0) {
		spod_error("token record has unusable scopes (%s); refusing it", why);
		return SPOD_E_UNAUTHENTICATED;
	}
	t->expires_ms = rec->expires_ms;
	t->revoked = rec->revoked_ms != 0;
	t->has_labels = 0;
	for (size_t i = 0; i < t->scopes.nkeys; i++)
		if (t->scopes.keys[i].kind == SPOD_AUTH_KEY_LABEL)
			t->has_labels = 1;
	return SPOD_OK;
}

/*
 * The cached token with this hash, its state re-read from the store (a hello always sees
 * the current record). Returns SPOD_OK with *out, UNAUTHENTICATED for an unknown token,
 * or a storage error.
 */
static int token_get(struct spod_host *h, struct host_token **out,
                     const uint8_t hash[SPOD_STORE_HASH_BYTES])
{
	struct spod_store_token rec;
	struct host_token *t;
	int rc;

	*out = NULL;
	rc = spod_store_token_find_hash(h->store, &rec, hash);
	if (rc == SPOD_E_KEY_NOT_FOUND)
		return SPOD_E_UNAUTHENTICATED;
	if (rc < 0)
		return rc;
	for (t = h->tokens; t != NULL; t = t->next)
		if (spod_auth_hash_equal(t->hash, hash))
			break;
	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t == NULL)
			return SPOD_E_NOMEM;
		memcpy(t->id, rec.id, sizeof(t->id));
		memcpy(t->hash, hash, sizeof(t->hash));
		rc = token_load(t, &rec);
		if (rc < 0) {
			free(t);
			return rc;
		}
		/* Kept while the host runs, so reconnecting does not refill the bucket. */
		spod_auth_bucket_init(&t->bucket, t->scopes.rate_per_s, host_now_ns());
		t->next = h->tokens;
		h->tokens = t;
	} else {
		SPOD_TRY(token_load(t, &rec));
	}
	*out = t;
	return SPOD_OK;
}

void host_access_refresh(struct spod_host *h)
{
	for (struct host_token *t = h->tokens; t != NULL; t = t->next) {
		struct spod_store_token rec;
		int rc;

		if (t->revoked)
			continue; /* revocation is final */
		rc = spod_store_token_find_hash(h->store, &rec, t->hash);
		if (rc == SPOD_E_KEY_NOT_FOUND) {
			t->revoked = 1;
		} else if (rc < 0) {
			/* Keep the last known state; the next round tries again. */
			spod_warn("cannot re-read token records: %s",
			          spod_store_last_error(h->store));
			return;
		} else if (token_load(t, &rec) < 0) {
			t->revoked = 1;
		}
	}
}

void host_access_release(struct host_client *cl)
{
	if (cl->tok != NULL)
		cl->tok->refs--;
	cl->tok = NULL;
}

static int token_usable(const struct host_token *t)
{
	return spod_auth_token_valid(t->expires_ms, t->revoked, host_wall_ms());
}

/* ---- hello ---- */

static int do_hello(struct host_client *cl, const struct spod_frame *f, const char **what)
{
	struct spod_host *h = cl->h;
	uint8_t hash[SPOD_STORE_HASH_BYTES];
	struct spod_hello_req req;
	struct host_token *t;
	uint8_t *out;
	size_t len;
	int rc;

	*what = "hello";
	SPOD_TRY(spod_wire_hello_req(&req, f));
	if (spod_auth_token_hash(hash, req.token, req.token_len) < 0) {
		*what = "hello: not a spod API token";
		return SPOD_E_UNAUTHENTICATED;
	}
	rc = token_get(h, &t, hash);
	if (rc == SPOD_E_UNAVAILABLE || rc == SPOD_E_IO) {
		*what = "hello: token store unavailable";
		return rc;
	}
	if (rc < 0 || token_usable(t) < 0) {
		*what = "hello";
		return SPOD_E_UNAUTHENTICATED;
	}
	out = spod_conn_tx_reserve(&cl->c, ERR_FRAME_MAX);
	if (out == NULL)
		return SPOD_E_BUSY; /* cannot happen: the credit covers an error frame */
	SPOD_TRY(spod_wire_put_hello(out, ERR_FRAME_MAX, &len, f->hdr.request_id, t->id,
	                             SPOD_HELLO_AUTH, t->scopes.ops));
	spod_conn_tx_commit(&cl->c, len);
	host_client_mark_dirty(cl);
	cl->tok = t;
	t->refs++;
	host_answer_count(h, SPOD_OP_HELLO, SPOD_OK);
	return HOST_HANDLED;
}

/* ---- scopes and audit facts ---- */

#define AUDIT_SPARE_MAX 4096 /* single-item audits kept for reuse */

/*
 * The audit facts of one request, for n items. Single-item ones (every sign, generate and
 * delete) come from a free list, so the signing path does not allocate per request.
 */
static struct host_audit *audit_new(struct host_client *cl, uint8_t opcode, uint32_t n)
{
	struct spod_host *h = cl->h;
	size_t size =
	    sizeof(struct host_audit) + (size_t)(n > 1 ? n : 1) * sizeof(struct host_audit_item);
	struct host_audit *a = h->spare_audits;

	if (n <= 1 && a != NULL) {
		h->spare_audits = a->next_label;
		h->nspare_audits--;
		memset(a, 0, size);
	} else {
		a = calloc(1, size);
		if (a == NULL)
			return NULL;
	}
	a->opcode = opcode;
	a->n = n;
	memcpy(a->token_id, cl->tok->id, sizeof(a->token_id));
	return a;
}

void host_audit_free(struct spod_host *h, struct host_audit *a)
{
	if (a == NULL)
		return;
	if (a->label[0] != '\0')
		for (struct host_audit **p = &h->pending_labels; *p != NULL; p = &(*p)->next_label)
			if (*p == a) {
				*p = a->next_label;
				break;
			}
	if (a->n <= 1 && h->nspare_audits < AUDIT_SPARE_MAX) {
		a->next_label = h->spare_audits;
		h->spare_audits = a;
		h->nspare_audits++;
		return;
	}
	free(a);
}

/* Whether the token's key set holds the key, looking its current label up when needed. */
static int key_allowed(struct spod_host *h, const struct host_token *t, const uint8_t *key_id)
{
	struct spod_store_key k;
	const char *label = NULL;
	int rc;

	if (t->scopes.all_keys || (t->scopes.ops & SPOD_AUTH_OP_ADMIN))
		return SPOD_OK;
	if (t->has_labels) {
		rc = spod_store_key_get(h->store, &k, key_id);
		if (rc < 0 && rc != SPOD_E_KEY_NOT_FOUND)
			return rc;
		if (rc == SPOD_OK && k.deleted_ms == 0 && k.label[0] != '\0')
			label = k.label;
	}
	return spod_auth_key_allowed(&t->scopes, key_id, label) ? SPOD_OK : SPOD_E_FORBIDDEN;
}

/* What the audit keeps of one signing request: the digest signed, or SHA-256 of the message. */
static int sign_item(struct spod_host *h, struct host_audit_item *it, const struct spod_sign_req *r)
{
	memcpy(it->key_id, r->key_id, SPOD_KEY_ID_BYTES);
	it->mode = r->mode;
	it->len = r->data_len;
	if (r->mode == SPOD_MODE_DIGEST) {
		memcpy(it->digest, r->data, SPOD_DIGEST_BYTES);
		return SPOD_OK;
	}
	if (EVP_DigestInit_ex2(h->md_ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(h->md_ctx, r->data, r->data_len) != 1 ||
	    EVP_DigestFinal_ex(h->md_ctx, it->digest, NULL) != 1)
		return SPOD_E_CRYPTO;
	return SPOD_OK;
}

static int label_taken(struct spod_host *h, const char *label)
{
	struct spod_store_key k;
	int rc;

	for (const struct host_audit *a = h->pending_labels; a != NULL; a = a->next_label)
		if (strcmp(a->label, label) == 0)
			return SPOD_E_LABEL_TAKEN;
	rc = spod_store_key_find_label(h->store, &k, label);
	if (rc == SPOD_E_KEY_NOT_FOUND)
		return SPOD_OK;
	return rc == SPOD_OK ? SPOD_E_LABEL_TAKEN : rc;
}

static int admit_sign(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
                      const char **what)
{
	struct spod_host *h = cl->h;
	struct spod_sign_req r;
	struct spod_batch_req b;
	uint32_t n = 1;
	int rc;

	if (f->hdr.opcode == SPOD_OP_SIGN) {
		SPOD_TRY(spod_wire_sign_req(&r, f));
	} else {
		SPOD_TRY(spod_wire_batch_req(&b, f));
		n = b.count;
	}
	*audit = audit_new(cl, f->hdr.opcode, n);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (f->hdr.opcode == SPOD_OP_SIGN_BATCH)
			spod_wire_batch_item(&r, &b, i);
		rc = key_allowed(h, cl->tok, r.key_id);
		if (rc == SPOD_OK)
			rc = sign_item(h, &(*audit)->items[i], &r);
		if (rc < 0) {
			*what =
			    rc == SPOD_E_FORBIDDEN ? "sign: key outside the token's keys" : "sign";
			host_audit_free(h, *audit);
			*audit = NULL;
			return rc;
		}
	}
	return SPOD_OK;
}

static int admit_generate(struct host_client *cl, const struct spod_frame *f,
                          struct host_audit **audit, const char **what)
{
	struct spod_host *h = cl->h;
	struct spod_generate_req r;
	int rc;

	SPOD_TRY(spod_wire_generate_req(&r, f));
	*audit = audit_new(cl, f->hdr.opcode, 0);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	(*audit)->alg = r.alg;
	if (r.label_len > 0) {
		memcpy((*audit)->label, r.label, r.label_len);
		rc = label_taken(h, (*audit)->label);
		if (rc < 0) {
			*what = rc == SPOD_E_LABEL_TAKEN ? "key.generate"
			                                 : "key.generate: key store unavailable";
			host_audit_free(h, *audit);
			*audit = NULL;
			return rc;
		}
		(*audit)->next_label = h->pending_labels;
		h->pending_labels = *audit;
	}
	return SPOD_OK;
}

/* key.public, key.delete: the key must be in the token's key set. */
static int admit_key(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
                     const char **what)
{
	struct spod_key_req r;
	int rc;

	SPOD_TRY(spod_wire_key_req(&r, f));
	rc = key_allowed(cl->h, cl->tok, r.key_id);
	if (rc < 0) {
		*what = "key outside the token's keys";
		return rc;
	}
	if (f->hdr.opcode != SPOD_OP_KEY_DELETE)
		return SPOD_OK;
	*audit = audit_new(cl, f->hdr.opcode, 1);
	if (*audit == NULL)
		return SPOD_E_NOMEM;
	memcpy((*audit)->items[0].key_id, r.key_id, SPOD_KEY_ID_BYTES);
	return SPOD_OK;
}

/*
 * key.list for a token limited to some keys, answered here from the host's key records
 * (docs/auth.md): the live keys in the token's key set, in creation order. The cursor is the
 * number of those keys the earlier pages held.
 */
struct list_page {
	const struct host_token *t;
	struct spod_list_enc *enc;
	uint32_t skip, max, total;
};

static int list_one(void *ctx, const struct spod_store_key *k)
{
	struct list_page *p = ctx;

	if (!spod_auth_key_allowed(&p->t->scopes, k->id, k->label[0] ? k->label : NULL))
		return SPOD_OK;
	p->total++;
	if (p->total <= p->skip || p->enc->count == p->max)
		return SPOD_OK;
	return spod_wire_list_add(p->enc, k->id, k->alg, k->public_key, k->public_key_len, k->label,
	                          strlen(k->label));
}

static int list_scoped(struct host_client *cl, const struct spod_frame *f, const char **what)
{
	size_t cap = spod_wire_resp_max(SPOD_OP_KEY_LIST, f->frame_len), len;
	struct spod_list_enc enc;
	struct spod_list_req req;
	struct list_page p = {.t = cl->tok, .enc = &enc};
	uint32_t next;
	uint8_t *out;
	int rc;

	*what = "key.list";
	SPOD_TRY(spod_wire_list_req(&req, f));
	out = spod_conn_tx_reserve(&cl->c, cap);
	if (out == NULL)
		return SPOD_E_BUSY; /* cannot happen: the credit covers the largest page */
	SPOD_TRY(spod_wire_list_begin(&enc, out, cap, req.max));
	p.skip = req.cursor;
	p.max = req.max;
	rc = spod_store_key_list(cl->h->store, 0, list_one, &p);
	if (rc < 0) {
		*what = "key.list: key records unavailable";
		return rc;
	}
	next = p.skip + enc.count < p.total ? p.skip + enc.count : 0;
	spod_wire_list_finish(&enc, &len, f->hdr.request_id, next, p.total);
	spod_conn_tx_commit(&cl->c, len);
	host_client_mark_dirty(cl);
	host_answer_count(cl->h, SPOD_OP_KEY_LIST, SPOD_OK);
	return HOST_HANDLED;
}

static const char *op_text(uint8_t opcode)
{
	switch (opcode) {
	case SPOD_OP_SIGN:
	case SPOD_OP_SIGN_BATCH:
		return "token lacks the 'sign' op";
	case SPOD_OP_KEY_GENERATE:
		return "token lacks the 'generate' op";
	case SPOD_OP_KEY_DELETE:
		return "token lacks the 'delete' op";
	case SPOD_OP_KEY_PUBLIC:
	case SPOD_OP_KEY_LIST:
	case SPOD_OP_INFO:
		return "token lacks the 'list' op";
	case SPOD_OP_ATTEST:
		return "token lacks the 'attest' op";
	default:
		return "request";
	}
}

/* The op a key-scoped opcode needs (docs/auth.md, Operations); 0 for the others. */
static uint32_t key_scoped_op(uint8_t opcode)
{
	switch (opcode) {
	case SPOD_OP_SIGN:
	case SPOD_OP_SIGN_BATCH:
		return SPOD_AUTH_OP_SIGN;
	case SPOD_OP_KEY_DELETE:
		return SPOD_AUTH_OP_DELETE;
	case SPOD_OP_KEY_PUBLIC:
		return SPOD_AUTH_OP_LIST;
	default:
		return 0;
	}
}

int host_access_admit(struct host_client *cl, const struct spod_frame *f, struct host_audit **audit,
                      const char **what)
{
	struct host_token *t = cl->tok;
	uint8_t op = f->hdr.opcode;
	uint32_t need;
	int rc;

	*audit = NULL;
	*what = "request";
	if (t == NULL) {
		if (op == SPOD_OP_HELLO)
			return do_hello(cl, f, what);
		*what = "the first request on a connection must be hello";
		return SPOD_E_UNAUTHENTICATED;
	}
	if (op == SPOD_OP_HELLO) {
		*what = "hello: connection already authenticated";
		return SPOD_E_BAD_ARG;
	}
	if (token_usable(t) < 0) {
		*what = t->revoked ? "token revoked" : "token expired";
		return SPOD_E_UNAUTHENTICATED;
	}
	need = key_scoped_op(op);
	if (need != 0) {
		/* The op here; each key it names in admit_sign / admit_key. */
		rc = (t->scopes.ops & (need | SPOD_AUTH_OP_ADMIN)) ? SPOD_OK : SPOD_E_FORBIDDEN;
	} else {
		rc = spod_auth_check(&t->scopes, op, NULL, NULL);
	}
	if (rc < 0) {
		*what = op_text(op);
		return rc;
	}
	if (spod_auth_bucket_take(&t->bucket, host_now_ns()) < 0) {
		*what = "token over its rate";
		return SPOD_E_RATE_LIMITED;
	}
	switch (op) {
	case SPOD_OP_SIGN:
	case SPOD_OP_SIGN_BATCH:
		return admit_sign(cl, f, audit, what);
	case SPOD_OP_KEY_GENERATE:
		return admit_generate(cl, f, audit, what);
	case SPOD_OP_KEY_PUBLIC:
	case SPOD_OP_KEY_DELETE:
		return admit_key(cl, f, audit, what);
	case SPOD_OP_KEY_LIST:
		/* keys=* sees the enclave's own list; others a page of their keys, made here. */
		if (!t->scopes.all_keys && (t->scopes.ops & SPOD_AUTH_OP_ADMIN) == 0)
			return list_scoped(cl, f, what);
		return SPOD_OK;
	default:
		return SPOD_OK;
	}
}
