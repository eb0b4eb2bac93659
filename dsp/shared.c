/* Shared read-only tables and objects (shared.h): a mutex-guarded list with
 * reference counts. A process holds a handful of entries (a few per sample
 * rate, one per distinct model). */
#include "shared.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
	struct entry *next;
	const char *kind;
	/* Tables: the numbers and size that name them. */
	double params[HEIST_SHARED_MAX_PARAMS];
	uint32_t n_params;
	size_t floats;
	/* Objects: a private copy of the key bytes (NULL for tables). */
	void *key;
	size_t key_size;
	unsigned refs;
	void *obj; /* the table's block, or the object */
	heist_shared_destroy destroy;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry *head;

static int same_key(const entry *e, const char *kind, const double *params, uint32_t n_params,
                    size_t floats)
{
	if (e->key || strcmp(e->kind, kind) || e->n_params != n_params || e->floats != floats) {
		return 0;
	}
	for (uint32_t i = 0; i < n_params; ++i) {
		if (!(e->params[i] == params[i])) {
			return 0;
		}
	}
	return 1;
}

static void free_table(void *block)
{
	free(block);
}

/* [any, under lock] Puts e (its kind's fields set) at the head of the list
 * with one reference and returns obj; where e or obj is missing (no memory,
 * or the object could not be made), frees e and spare and returns NULL. */
static void *add_entry(entry *e, const char *kind, void *obj, heist_shared_destroy destroy,
                       void *spare)
{
	if (!e || !obj) {
		free(e);
		free(spare);
		return NULL;
	}
	e->kind = kind;
	e->refs = 1;
	e->obj = obj;
	e->destroy = destroy;
	e->next = head;
	head = e;
	return obj;
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
			out = e->obj;
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
		const int made = e && b && init(b, floats, ctx);
		if (made) {
			memcpy(e->params, params, n_params * sizeof(double));
			e->n_params = n_params;
			e->floats = floats;
		}
		out = add_entry(e, kind, made ? b : NULL, free_table, b);
	}
	pthread_mutex_unlock(&lock);
	return out;
}

void *heist_shared_object(const char *kind, const void *key, size_t key_size,
                          heist_shared_make make, heist_shared_destroy destroy, void *ctx)
{
	if (!kind || !key || key_size == 0 || !make || !destroy) {
		return NULL;
	}
	void *out = NULL;
	pthread_mutex_lock(&lock);
	for (entry *e = head; e; e = e->next) {
		/* The whole key is compared: equal contents, never only equal hashes. */
		if (e->key && e->key_size == key_size && !strcmp(e->kind, kind) &&
		    !memcmp(e->key, key, key_size)) {
			e->refs++;
			out = e->obj;
			break;
		}
	}
	if (!out) {
		entry *e = calloc(1, sizeof *e);
		void *k = malloc(key_size);
		if (e && k) {
			memcpy(k, key, key_size);
			*e = (entry){.key = k, .key_size = key_size};
		}
		out = add_entry(e, kind, e && k ? make(key, key_size, ctx) : NULL, destroy, k);
	}
	pthread_mutex_unlock(&lock);
	return out;
}

int heist_shared_release(const void *obj)
{
	if (!obj) {
		return 0;
	}
	int found = 0;
	entry *dead = NULL;
	pthread_mutex_lock(&lock);
	for (entry **p = &head; *p; p = &(*p)->next) {
		entry *e = *p;
		if (e->obj == obj) {
			found = 1;
			if (--e->refs == 0) {
				*p = e->next;
				dead = e;
			}
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	/* Destroyed outside the lock: a destructor may take other locks. */
	if (dead) {
		dead->destroy(dead->obj);
		free(dead->key);
		free(dead);
	}
	return found;
}

void heist_shared_put(const float *table)
{
	(void)heist_shared_release(table);
}

size_t heist_shared_count(const char *kind, unsigned *refs)
{
	size_t n = 0;
	unsigned r = 0;
	pthread_mutex_lock(&lock);
	for (const entry *e = head; e; e = e->next) {
		if (kind && !strcmp(e->kind, kind)) {
			n++;
			r += e->refs;
		}
	}
	pthread_mutex_unlock(&lock);
	if (refs) {
		*refs = r;
	}
	return n;
}
