/*
 * Request tracing for the benchmark (bench build only: cmake -DSPOD_TRACE=ON, docs/bench).
 *
 * Each process that opens a trace (spod-bench's libspod, spod-host, spod-enclave) appends
 * CLOCK_MONOTONIC timestamps of a request's stages to a ring that lives in a shared file
 * mapping, $SPOD_TRACE_DIR/<name>.trace, opened before any sandbox: nothing is written at
 * exit, and spod-bench reads the other processes' rings while they run. The processes share
 * one machine, so their timestamps are comparable. Events carry the request id as the
 * process sees it (a client's id in libspod and spod-host, the host's own id towards the
 * enclave in spod-enclave); spod-host's H_ADMIT event links the two (aux = the enclave id).
 *
 * Without SPOD_TRACE every SPOD_TRACE_* macro is empty and this file declares nothing else:
 * a normal build has no trace code and no trace symbol (bench/trace.sh checks with nm).
 */
#ifndef SPOD_COMMON_TRACE_H
#define SPOD_COMMON_TRACE_H

#include <stdint.h>

/* The stages of one synchronous sign, in the order they happen. */
enum spod_trace_stage {
	SPOD_TR_C_SEND = 1, /* libspod: request written, about to send */
	SPOD_TR_H_RECV,     /* spod-host: woken for the client's bytes */
	SPOD_TR_H_ADMIT,    /* spod-host: token, scopes, key looked up; aux = enclave request id */
	SPOD_TR_H_ESEND,    /* spod-host: its send to the enclave returned */
	SPOD_TR_E_RECV,     /* spod-enclave: woken for the host's bytes */
	SPOD_TR_E_SIGNED,   /* spod-enclave: decoded and signed, answer encoded */
	SPOD_TR_E_SEND,     /* spod-enclave: its send to the host returned */
	SPOD_TR_H_ARECV,    /* spod-host: woken for the enclave's answer */
	SPOD_TR_H_AUDIT,    /* spod-host: the audit record committed, answer released */
	SPOD_TR_H_CSEND,    /* spod-host: its send to the client returned */
	SPOD_TR_C_RECV,     /* libspod: answer received and decoded */
	SPOD_TR_STAGES
};

/* One event as stored in the ring file (native byte order; read by the same machine). */
struct spod_trace_event {
	uint64_t ns;     /* CLOCK_MONOTONIC */
	uint64_t rid;    /* request id as this process sees it */
	uint64_t aux;    /* stage-specific (H_ADMIT: the enclave request id) */
	uint64_t allocs; /* heap allocations so far in this process (0 without the shim) */
	uint32_t stage;
	uint32_t pad;
};

/* The ring file: this header, then cap events; event i is at slot i % cap. */
#define SPOD_TRACE_MAGIC 0x31435254444f5053ull /* "SPODTRC1" */
#define SPOD_TRACE_CAP   (1u << 19)
struct spod_trace_file {
	uint64_t magic;
	uint64_t cap;
	uint64_t head; /* events written so far (atomic; the next one goes to head % cap) */
	uint64_t pid;
	uint64_t counting; /* 1: events carry allocation counts (alloc_count.so preloaded) */
};

#ifdef SPOD_TRACE
/* Maps $SPOD_TRACE_DIR/<name>.trace (created, truncated); no SPOD_TRACE_DIR: tracing off.
 * Also finds the allocation counter of bench/alloc_count.so if it is preloaded. */
void spod_trace_open(const char *name);
/* Appends one event stamped now (or at ns). */
void spod_trace_mark(unsigned stage, uint64_t rid, uint64_t aux);
void spod_trace_mark_at(unsigned stage, uint64_t rid, uint64_t aux, uint64_t ns);
/* Remembers now as the time this process was woken (read back by SPOD_TRACE_AT_WAKE). */
void spod_trace_wake(void);
uint64_t spod_trace_wake_ns(void);
/* A stage whose time is known only after a later send: queued, then stamped with the
 * time of the next spod_trace_stamp of that stage. */
void spod_trace_defer(unsigned stage, uint64_t rid, uint64_t aux);
void spod_trace_stamp(unsigned stage);
/* Heap allocations so far (0 when bench/alloc_count.so is not preloaded). */
uint64_t spod_trace_allocs(void);

#define SPOD_TRACE_OPEN(name)             spod_trace_open(name)
#define SPOD_TRACE_MARK(stage, rid, aux)  spod_trace_mark(stage, rid, aux)
#define SPOD_TRACE_WAKE()                 spod_trace_wake()
#define SPOD_TRACE_AT_WAKE(stage, rid, a) spod_trace_mark_at(stage, rid, a, spod_trace_wake_ns())
#define SPOD_TRACE_DEFER(stage, rid, aux) spod_trace_defer(stage, rid, aux)
#define SPOD_TRACE_STAMP(stage)           spod_trace_stamp(stage)
#else
#define SPOD_TRACE_OPEN(name)             ((void)0)
#define SPOD_TRACE_MARK(stage, rid, aux)  ((void)0)
#define SPOD_TRACE_WAKE()                 ((void)0)
#define SPOD_TRACE_AT_WAKE(stage, rid, a) ((void)0)
#define SPOD_TRACE_DEFER(stage, rid, aux) ((void)0)
#define SPOD_TRACE_STAMP(stage)           ((void)0)
#endif

#endif
