/* The index half of a lock-free single-producer/single-consumer ring, for the
 * tests that hand things between an audio thread and a worker (the test
 * host's worker messages, test_swap_threads' networks). The caller owns the
 * slot array; this says which slot to write or read. The producer owns head,
 * the consumer tail; release on publish, acquire on read. Header only. */
#ifndef HEIST_TEST_SPSC_H
#define HEIST_TEST_SPSC_H

#include <stdatomic.h>

typedef struct {
	atomic_uint head, tail;
} spsc_index;

/* [producer] The slot to fill next (0..capacity-1), or -1 when full. */
static inline int spsc_write_slot(spsc_index *r, unsigned capacity)
{
	const unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
	const unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	return head - tail >= capacity ? -1 : (int)(head % capacity);
}

/* [producer] Hand the slot filled after spsc_write_slot() to the consumer. */
static inline void spsc_publish(spsc_index *r)
{
	const unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/* [consumer] The oldest published slot, or -1 when empty. */
static inline int spsc_read_slot(spsc_index *r, unsigned capacity)
{
	const unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	const unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);
	return head == tail ? -1 : (int)(tail % capacity);
}

/* [consumer] Give the slot read after spsc_read_slot() back to the producer. */
static inline void spsc_release(spsc_index *r)
{
	const unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

#endif
