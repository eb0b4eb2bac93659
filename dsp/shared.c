/* Shared read-only tables (shared.h): a mutex-guarded list with reference
 * counts. A process holds a handful of entries (a few per sample rate). */
#include "shared.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
	struct entry *next;
	const char *kind;
	double params[HEIST_SHARED_MAX_PARAMS];
	uint32_t n_params;
	size_t floats;
	unsigned refs;
	float *block;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry *head;

static int same_key(const entry *e, const char *kind, const double *params, uint32_t n_params,
                    size_t floats)
{
	if (strcmp(e->kind, kind) || e->n_params != n_params || e->floats != floats) {
		return 0;
	}
	for (uint32_t i = 0; i < n_params; ++i) {
		if (!(e->params[i] == params[i])) {
			return 0;
		}
	}
	return 1;
}

float *heist_shared_get(const char *kind, const double *params, uint32_t n_params, size_t floats,
                        heist_shared_init init, const void *ctx)
{
	if (!kind || n_params > HEIST_SHARED_MAX_PARAMS || floats == 0 || !init) {
		return NULL;
	}
	float *out = NULL;
	pthread_mutex_lock(&lock);
	for (entry *e = head; e; e = e->next) {
		if (same_key(e, kind, params, n_params, floats)) {
			e->refs++;
			out = e->block;
			break;
		}
	}
	if (!out) {
		entry *e = calloc(1, sizeof *e);
		const size_t bytes = (floats * sizeof(float) + 63u) / 64u * 64u;
		float *b = aligned_alloc(64, bytes);
		if (e && b) {
			memset(b, 0, bytes);
		}
		if (e && b && init(b, floats, ctx)) {
			e->kind = kind;
			memcpy(e->params, params, n_params * sizeof(double));
			e->n_params = n_params;
			e->floats = floats;
			e->refs = 1;
			e->block = b;
			e->next = head;
			head = e;
			out = b;
		} else {
			free(e);
			free(b);
		}
	}
	pthread_mutex_unlock(&lock);
	return out;
}

void heist_shared_put(const float *table)
{
	if (!table) {
		return;
	}
	pthread_mutex_lock(&lock);
	for (entry **p = &head; *p; p = &(*p)->next) {
		entry *e = *p;
		if (e->block == table) {
			if (--e->refs == 0) {
				*p = e->next;
				free(e->block);
				free(e);
			}
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}
