/* Where a pod keeps its sockets and (later) its state when nothing else is configured. */
#ifndef SPOD_COMMON_PATHS_H
#define SPOD_COMMON_PATHS_H

#include <stddef.h>

/*
 * The data directory: $SPOD_DATA_DIR if set, else $XDG_RUNTIME_DIR/spod, else
 * /tmp/spod-<uid>. Writes a NUL-terminated path to out. Returns SPOD_OK or SPOD_E_TOO_LARGE.
 */
int spod_data_dir(char *out, size_t cap) __attribute__((warn_unused_result, nonnull));

/*
 * Creates the data directory (mode 0700) if missing and checks it is a directory owned by
 * this user and not accessible to others. Returns SPOD_OK or SPOD_E_IO.
 */
int spod_data_dir_ensure(const char *dir) __attribute__((warn_unused_result, nonnull));

/* Default URIs inside the data directory: "unix://<dir>/spod.sock" and ".../enclave.sock". */
int spod_default_host_uri(char *out, size_t cap) __attribute__((warn_unused_result, nonnull));
int spod_default_enclave_uri(char *out, size_t cap) __attribute__((warn_unused_result, nonnull));

#endif
