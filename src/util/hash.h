/* SPDX-License-Identifier: MIT */
/* A fast non-cryptographic 64-bit hash.  Stack keys are hashed once per
 * frame of every goroutine, so this sits on the hottest path of `stacks`. */
#ifndef GODIAG_HASH_H
#define GODIAG_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t gd_hash_mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)(a ^ 0x9e3779b97f4a7c15ULL) * (b ^ 0xe7037ed1a0b428dbULL);
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t gd_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0xa0761d6478bd642fULL);
	while (len >= 16) {
		uint64_t a, b;
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		h = gd_hash_mix(h ^ a, b ^ 0x8ebc6af09c88c6e3ULL);
		p += 16;
		len -= 16;
	}
	if (len >= 8) {
		uint64_t a;
		memcpy(&a, p, 8);
		h = gd_hash_mix(h, a);
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t a = 0;
		memcpy(&a, p, len);
		h = gd_hash_mix(h ^ 0x589965cc75374cc3ULL, a);
	}
	return h;
}

#endif
