/* Peak level meter for the input_level / output_level monitor ports.
 *
 * Ballistics: instant attack (the block's absolute peak), release at
 * HEIST_METER_FALL_DB_PER_S decibels per second, floored at
 * HEIST_METER_FLOOR_DB and capped at HEIST_METER_CEIL_DB (the ports' range in
 * ttl/heist.ttl.in). One log10 per run() call; NaN samples are ignored. */
#ifndef HEIST_LEVEL_METER_H
#define HEIST_LEVEL_METER_H

#include <math.h>
#include <stdint.h>

#define HEIST_METER_FLOOR_DB (-90.0f)
#define HEIST_METER_CEIL_DB 12.0f
#define HEIST_METER_FALL_DB_PER_S 20.0f

typedef struct {
	float db;              /* current reading */
	float fall_per_sample; /* dB */
} heist_level_meter;

/* [main] */
static inline void heist_level_meter_init(heist_level_meter *m, double rate)
{
	m->db = HEIST_METER_FLOOR_DB;
	m->fall_per_sample = (float)(HEIST_METER_FALL_DB_PER_S / rate);
}

/* [audio] Feed a block (buf may be NULL: reads as silence); returns the new
 * reading in dBFS. */
static inline float heist_level_meter_run(heist_level_meter *m, const float *buf, uint32_t n)
{
	float peak = 0.0f;
	for (uint32_t i = 0; buf && i < n; ++i) {
		const float a = fabsf(buf[i]);
		peak = a > peak ? a : peak; /* false for NaN: ignored */
	}
	const float fell = m->db - m->fall_per_sample * (float)n;
	float db = peak > 0.0f ? 20.0f * log10f(peak) : HEIST_METER_FLOOR_DB;
	db = db > fell ? db : fell;
	db = db < HEIST_METER_FLOOR_DB ? HEIST_METER_FLOOR_DB : db;
	db = db > HEIST_METER_CEIL_DB ? HEIST_METER_CEIL_DB : db;
	m->db = db;
	return db;
}

#endif
