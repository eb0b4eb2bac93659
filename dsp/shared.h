/* Read-only tables shared by every instance in the process that asks for the
 * same one (FFT twiddles, windows, weighting curves): with many instances
 * at one rate the cache holds one copy instead of one per instance.
 *
 * A table is identified by a kind (a string literal) and up to four numbers;
 * the first request builds it, later ones get the same block, and the last
 * release frees it. The registry is guarded by a mutex: get and put are for
 * [main]-thread paths only (creation and destruction), never the audio
 * thread. The blocks are written only by init, before any other thread can
 * see them, so readers on any thread need no synchronisation.
 *
 * Objects (parsed models: model.h's heist_model_acquire) are shared the same
 * way, named by a kind and a byte string compared in full (the file's
 * contents), built by make and destroyed by destroy after the last release. */
#ifndef HEIST_SHARED_H
#define HEIST_SHARED_H

#include <stddef.h>
#include <stdint.h>

#define HEIST_SHARED_MAX_PARAMS 4

/* Fill block (floats floats, zeroed, 64-byte aligned) from ctx; 0 = failed. */
typedef int (*heist_shared_init)(float *block, size_t floats, const void *ctx);

/* [main] The table (kind, params[n_params]) of `floats` floats, built by
 * init(ctx) on first use. NULL when out of memory or init fails. Requests
 * for the same key must agree on floats and on what init writes. */
float *heist_shared_get(const char *kind, const double *params, uint32_t n_params, size_t floats,
                        heist_shared_init init, const void *ctx);

/* [main] Release a table from heist_shared_get(); NULL is fine. */
void heist_shared_put(const float *table);

/* Build an object from its key bytes; NULL = failed. */
typedef void *(*heist_shared_make)(const void *key, size_t key_size, void *ctx);
typedef void (*heist_shared_destroy)(void *obj);

/* [main] The object (kind, key[key_size]) built by make(key, key_size, ctx)
 * on first use (under the registry's lock, so concurrent first requests
 * build it once); NULL when make fails or out of memory. The registry keeps
 * a copy of the key to compare later requests with, byte for byte. */
void *heist_shared_object(const char *kind, const void *key, size_t key_size,
                          heist_shared_make make, heist_shared_destroy destroy, void *ctx);

/* [main] Release a table or object; the last release destroys it. Returns 0
 * when obj is not in the registry (then nothing happens). NULL is fine. */
int heist_shared_release(const void *obj);

/* [main] How many entries of a kind the registry holds, and (refs, may be
 * NULL) their references in all: what tests and the bench check sharing by.
 * Takes the registry's lock. */
size_t heist_shared_count(const char *kind, unsigned *refs);

#endif
