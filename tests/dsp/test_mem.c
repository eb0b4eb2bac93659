/* Instance memory (dsp/mem.h): blocks are zeroed, 64-byte aligned, do not
 * overlap, keep what is written to them while others come and go, are
 * counted, and large or impossible requests are handled. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mem.h"

#define N 600

int main(void)
{
	static uint8_t *p[N];
	static size_t size[N];
	const size_t base = heist_mem_in_use();
	uint32_t rng = 7;
	size_t total = 0;
	/* About 60 MiB in blocks of up to 200 KiB: many chunks, and blocks above
	 * a quarter of a chunk (512 KiB) in the mix. */
	for (int i = 0; i < N; ++i) {
		rng = rng * 1664525u + 1013904223u;
		size[i] = i % 50 == 0 ? (size_t)700 << 10 : 1 + (rng >> 8) % (200u << 10);
		p[i] = heist_mem_alloc(size[i]);
		CHECK(p[i] != NULL, "block %d of %zu bytes", i, size[i]);
		if (!p[i]) {
			return check_exit("test_mem");
		}
		CHECK((uintptr_t)p[i] % 64 == 0, "block %d not 64-byte aligned", i);
		size_t nonzero = 0;
		for (size_t k = 0; k < size[i]; ++k) {
			nonzero += p[i][k] != 0;
		}
		CHECK(nonzero == 0, "block %d: %zu bytes not zeroed", i, nonzero);
		memset(p[i], (int)(i % 251) + 1, size[i]);
		total += (size[i] + 63) / 64 * 64;
	}
	CHECK(heist_mem_in_use() - base == total, "in use %zu, expected %zu",
	      heist_mem_in_use() - base, total);
	/* Free every other block, allocate again, then check every survivor. */
	for (int i = 0; i < N; i += 2) {
		heist_mem_free(p[i]);
		total -= (size[i] + 63) / 64 * 64;
		p[i] = heist_mem_calloc(size[i], 1);
		CHECK(p[i] != NULL, "block %d again", i);
		memset(p[i], (int)(i % 251) + 1, size[i]);
		total += (size[i] + 63) / 64 * 64;
	}
	for (int i = 0; i < N; ++i) {
		size_t wrong = 0;
		for (size_t k = 0; k < size[i]; ++k) {
			wrong += p[i][k] != (uint8_t)((i % 251) + 1);
		}
		CHECK(wrong == 0, "block %d: %zu bytes overwritten by another block", i, wrong);
	}
	CHECK(heist_mem_in_use() - base == total, "in use after reuse");
	for (int i = N - 1; i >= 0; i -= 3) {
		heist_mem_free(p[i]);
		p[i] = NULL;
	}
	for (int i = 0; i < N; ++i) {
		heist_mem_free(p[i]);
	}
	CHECK(heist_mem_in_use() == base, "in use %zu after freeing all, was %zu",
	      heist_mem_in_use(), base);
	CHECK(heist_mem_calloc(SIZE_MAX / 2, 4) == NULL, "calloc overflow not refused");
	CHECK(heist_mem_alloc(SIZE_MAX - 8) == NULL, "impossible size not refused");
	heist_mem_free(NULL);
	printf("%d blocks of 1 B to 700 KiB: zeroed, aligned, disjoint, counted, freed\n", N);
	return check_exit("test_mem");
}
