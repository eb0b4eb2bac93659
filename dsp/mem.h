/* Memory for engine instances: zeroed, 64-byte aligned blocks carved from
 * 2 MiB chunks that the kernel is asked to back with huge pages
 * (madvise(MADV_HUGEPAGE): honoured where transparent huge pages are
 * "always" or "madvise", Debian's default; a no-op where they are off).
 *
 * Why: a host runs its instances one after another. Each block an instance
 * processes touches a dozen or so of its pages (input ring, analysis and
 * FFT buffers, noise, network state, frame slots); with 4 KiB pages, 32
 * instances touch some 400 pages per round, far more than the first-level
 * TLB maps, and the misses cost a few percent of the whole. In 2 MiB pages
 * the same memory is a handful of TLB entries. (heist-bench, 32 instances
 * against one, README "Performance".)
 *
 * All calls are [main]-thread work (engine creation and destruction, the
 * plugin's worker), never the audio thread; a mutex guards the chunks. A
 * chunk is freed when its last block is. Requests above a quarter of a
 * chunk, and every request in AddressSanitizer builds (so that it still
 * sees each block's bounds), are plain aligned_alloc() blocks. */
#ifndef HEIST_MEM_H
#define HEIST_MEM_H

#include <stddef.h>

/* [main] bytes zeroed and 64-byte aligned; NULL when out of memory. */
void *heist_mem_alloc(size_t bytes);

/* [main] count * size bytes, as calloc (NULL on overflow). */
void *heist_mem_calloc(size_t count, size_t size);

/* [main] A block of heist_mem_alloc(); NULL is fine. */
void heist_mem_free(void *p);

/* [main] Bytes handed out and not yet freed (blocks rounded to 64 bytes):
 * what the instances use, whatever the chunks hold in reserve. */
size_t heist_mem_in_use(void);

#endif
