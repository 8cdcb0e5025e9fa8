/* util: string <-> number conversions with Redis's strictness, glob
 * matching, CRC64, clocks and randomness. */
#ifndef KEEL_UTIL_H
#define KEEL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define LL_STR_SIZE 21 /* "-9223372036854775808" + NUL */
#define D_STR_SIZE 128

/* Strict: no spaces, no '+', no leading zeros (except "0"), no overflow.
 * Returns 1 on success, 0 otherwise. */
int util_str2ll(const char *s, size_t len, long long *out);
int util_str2ull(const char *s, size_t len, unsigned long long *out);
/* strtold-based: rejects empty input, leading/trailing spaces and NaN; "inf" accepted. */
int util_str2ld(const char *s, size_t len, long double *out);
int util_str2d(const char *s, size_t len, double *out);
int util_ll2str(char *dst, size_t size, long long v); /* length written */
int util_ull2str(char *dst, size_t size, unsigned long long v);
/* Doubles as Redis prints them: "inf", "-inf", integers without ".0" when exact, else %.17g. */
int util_d2str(char *dst, size_t size, double v);
/* Long doubles as INCRBYFLOAT prints them: %.17Lf with trailing zeros (and '.') removed. */
int util_ld2str(char *dst, size_t size, long double v);
/* "1gb", "512mb", "100k" -> bytes. Returns 1 on success. */
int util_memtoull(const char *s, unsigned long long *out);

/* Redis glob: * ? [abc] [^a] [a-z] and \ escapes. Returns 1 on match. */
int util_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase);
/* Whether `pat` matches only one fixed string (no special characters). */
int util_glob_is_literal(const char *pat, size_t plen);

uint64_t util_crc64(uint64_t crc, const void *p, size_t len); /* Jones polynomial, as RDB */

int64_t util_ustime(void);                   /* wall clock, microseconds */
int64_t util_mstime(void);                   /* wall clock, milliseconds */
uint64_t util_monotonic_us(void);            /* CLOCK_MONOTONIC, microseconds */
void util_random_bytes(void *p, size_t len); /* /dev/urandom, with a fallback */
void util_random_hex(char *dst, size_t len); /* len hex chars + NUL (dst has len+1) */

#endif
