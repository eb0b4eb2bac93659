/* Instance memory (mem.h). Each block is preceded by a 64-byte header that
 * says how large it is and which chunk holds it (NULL: a plain block). A
 * chunk hands out its space front to back; only the newest chunk takes new
 * blocks, and a chunk whose blocks are all freed is released. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "mem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK_BYTES ((size_t)2 << 20)
#define HEADER 64u

#if defined(__SANITIZE_ADDRESS__)
#define MEM_CHUNKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_CHUNKS 0
#endif
#endif
#ifndef MEM_CHUNKS
#define MEM_CHUNKS 1
#endif

typedef struct chunk {
	size_t used; /* bytes from the chunk's start, this header included */
	size_t live; /* blocks not yet freed */
	struct chunk *prev, *next;
} chunk;

typedef struct {
	size_t bytes; /* the block's size, rounded to 64 */
	chunk *owner; /* NULL: a plain aligned_alloc() block (header included) */
} block_header;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static chunk *newest; /* takes new blocks; older ones are in the list behind it */
static size_t in_use;

/* A CHUNK_BYTES block aligned to its size. glibc's aligned_alloc maps
 * size + alignment for it and keeps the whole mapping: 4 MiB of address
 * space and of its heap accounting per 2 MiB chunk. Where mmap is there, map
 * twice the size and unmap what lies outside the aligned middle. */
static void *chunk_map(void)
{
#if defined(MAP_ANONYMOUS)
	uint8_t *m =
	    mmap(NULL, 2 * CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		return NULL;
	}
	const uintptr_t a = ((uintptr_t)m + CHUNK_BYTES - 1) & ~(uintptr_t)(CHUNK_BYTES - 1);
	uint8_t *c = (uint8_t *)a;
	if (c > m) {
		munmap(m, (size_t)(c - m));
	}
	if (c + CHUNK_BYTES < m + 2 * CHUNK_BYTES) {
		munmap(c + CHUNK_BYTES, (size_t)(m + 2 * CHUNK_BYTES - (c + CHUNK_BYTES)));
	}
	return c;
#else
	return aligned_alloc(CHUNK_BYTES, CHUNK_BYTES);
#endif
}

static void chunk_unmap(void *c)
{
#if defined(MAP_ANONYMOUS)
	munmap(c, CHUNK_BYTES);
#else
	free(c);
#endif
}

static chunk *chunk_new(void)
{
	chunk *c = chunk_map();
	if (!c) {
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	(void)madvise(c, CHUNK_BYTES, MADV_HUGEPAGE);
#endif
	c->used = HEADER;
	c->live = 0;
	c->prev = NULL;
	c->next = newest;
	if (newest) {
		newest->prev = c;
	}
	newest = c;
	return c;
}

static void chunk_release(chunk *c)
{
	if (c->prev) {
		c->prev->next = c->next;
	}
	if (c->next) {
		c->next->prev = c->prev;
	}
	if (newest == c) {
		newest = c->next;
	}
	chunk_unmap(c);
}

void *heist_mem_alloc(size_t bytes)
{
	if (bytes > SIZE_MAX / 2) {
		return NULL;
	}
	bytes = (bytes + 63u) / 64u * 64u;
	uint8_t *p = NULL;
	chunk *owner = NULL;
	pthread_mutex_lock(&lock);
	if (MEM_CHUNKS && bytes + HEADER <= CHUNK_BYTES / 4) {
		if (!newest || newest->used + HEADER + bytes > CHUNK_BYTES) {
			chunk_new();
		}
		if (newest && newest->used + HEADER + bytes <= CHUNK_BYTES) {
			owner = newest;
			p = (uint8_t *)owner + owner->used;
			owner->used += HEADER + bytes;
			owner->live++;
		}
	} else {
		p = aligned_alloc(64, HEADER + bytes);
	}
	if (p) {
		in_use += bytes;
	}
	pthread_mutex_unlock(&lock);
	if (!p) {
		return NULL;
	}
	block_header *h = (block_header *)(void *)p;
	h->bytes = bytes;
	h->owner = owner;
	/* Zeroed here, so every page is touched now and never first on the
	 * audio thread. */
	memset(p + HEADER, 0, bytes);
	return p + HEADER;
}

void *heist_mem_calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size) {
		return NULL;
	}
	return heist_mem_alloc(count * size);
}

void heist_mem_free(void *p)
{
	if (!p) {
		return;
	}
	uint8_t *base = (uint8_t *)p - HEADER;
	const block_header *h = (const block_header *)(void *)base;
	chunk *c = h->owner;
	pthread_mutex_lock(&lock);
	in_use -= h->bytes;
	if (!c) {
		free(base);
	} else if (--c->live == 0) {
		chunk_release(c);
	}
	pthread_mutex_unlock(&lock);
}

size_t heist_mem_in_use(void)
{
	pthread_mutex_lock(&lock);
	const size_t n = in_use;
	pthread_mutex_unlock(&lock);
	return n;
}
