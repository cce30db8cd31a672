/*
 * EIP-55 mixed-case checksums of Ethereum addresses, as the JSON converters (policies, typed
 * data) check them at the edge.
 */
#ifndef SPOD_CONVERT_EIP55_H
#define SPOD_CONVERT_EIP55_H

/*
 * True when the 40 hex digits hex40 (no 0x prefix, no NUL needed) are an acceptable address:
 * all lower case, all upper case, or mixed case carrying its EIP-55 checksum. The caller has
 * checked that they are hex digits.
 */
int spod_eip55_ok(const char hex40[40]) __attribute__((nonnull));

#endif
