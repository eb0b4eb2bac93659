/* Standard MIDI File reader (smf.h). */
#include "smf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMF_MAX_FILE (64u * 1024u * 1024u)
#define SMF_MAX_EVENTS (16u * 1024u * 1024u)

/* An event in ticks before the tempo map is applied. */
typedef struct {
	uint64_t tick;
	uint64_t order; /* file order, for a stable sort */
	uint32_t tempo; /* us per quarter note; 0 for a channel message */
	uint8_t msg[3];
	uint8_t size;
} raw_event;

typedef struct {
	raw_event *ev;
	size_t n, cap;
} raw_list;

static int push(raw_list *l, const raw_event *e)
{
	if (l->n == l->cap) {
		if (l->cap >= SMF_MAX_EVENTS) {
			return -1;
		}
		const size_t cap = l->cap ? 2 * l->cap : 1024;
		raw_event *p = realloc(l->ev, cap * sizeof(*p));
		if (!p) {
			return -1;
		}
		l->ev = p;
		l->cap = cap;
	}
	l->ev[l->n++] = *e;
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A variable-length quantity (at most 4 bytes) at *pos < end; -1 if cut. */
static int vlq(const uint8_t *d, size_t end, size_t *pos, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; ++i) {
		if (*pos >= end) {
			return -1;
		}
		const uint8_t b = d[(*pos)++];
		v = v << 7 | (b & 0x7Fu);
		if (!(b & 0x80u)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* A meta event or sysex whose status byte is read; *pos moves past it. Keeps
 * tempo changes (as raw events with tempo set). Returns 1 at the end of the
 * track, 0 to go on, -1 after a message. */
static int meta_or_sysex(const uint8_t *d, size_t end, size_t *pos, uint8_t status, uint64_t tick,
                         uint32_t track, raw_list *l, char *err, size_t err_size)
{
	uint8_t type = 0;
	if (status == 0xFF) {
		if (*pos >= end) {
			snprintf(err, err_size, "track %u: truncated meta event", track);
			return -1;
		}
		type = d[(*pos)++];
	}
	uint32_t len;
	if (vlq(d, end, pos, &len) || len > end - *pos) {
		snprintf(err, err_size, "track %u: truncated meta or sysex event", track);
		return -1;
	}
	if (status == 0xFF && type == 0x51 && len == 3) {
		const uint8_t *p = d + *pos;
		const uint32_t us = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		const raw_event e = {tick, l->n, us ? us : 1, {0, 0, 0}, 0};
		if (push(l, &e)) {
			snprintf(err, err_size, "too many events or out of memory");
			return -1;
		}
	}
	*pos += len;
	return status == 0xFF && type == 0x2F;
}

/* One MTrk chunk's body [pos, end). */
static int parse_track(const uint8_t *d, size_t pos, size_t end, uint32_t track, raw_list *l,
                       uint64_t *last_tick, char *err, size_t err_size)
{
	uint64_t tick = 0;
	uint8_t running = 0;
	while (pos < end) {
		uint32_t delta;
		if (vlq(d, end, &pos, &delta) || pos >= end) {
			snprintf(err, err_size, "track %u: truncated event", track);
			return -1;
		}
		tick += delta;
		uint8_t status = d[pos];
		if (status < 0x80) {
			if (!running) {
				snprintf(err, err_size, "track %u: data byte without a status",
				         track);
				return -1;
			}
			status = running; /* running status: the byte is data */
		} else {
			++pos;
		}
		if (status == 0xFF || status == 0xF0 || status == 0xF7) {
			running = 0; /* meta and sysex cancel running status */
			const int rc =
			    meta_or_sysex(d, end, &pos, status, tick, track, l, err, err_size);
			if (rc < 0) {
				return -1;
			}
			if (rc > 0) {
				break; /* end of track */
			}
			continue;
		}
		if (status >= 0xF0) {
			/* System common/real-time bytes do not belong in a file: the
			 * length of what follows is unknown, so stop here. */
			snprintf(err, err_size, "track %u: system message 0x%02X in a file", track,
			         status);
			return -1;
		}
		running = status;
		const uint8_t kind = status & 0xF0;
		const uint8_t need = kind == 0xC0 || kind == 0xD0 ? 1 : 2;
		if (end - pos < need) {
			snprintf(err, err_size, "track %u: truncated channel message", track);
			return -1;
		}
		raw_event e = {tick,
		               l->n,
		               0,
		               {status, d[pos], need == 2 ? d[pos + 1] : 0},
		               (uint8_t)(need + 1)};
		pos += need;
		if (e.msg[1] >= 0x80 || (need == 2 && e.msg[2] >= 0x80)) {
			snprintf(err, err_size, "track %u: data byte >= 0x80", track);
			return -1;
		}
		if (push(l, &e)) {
			snprintf(err, err_size, "too many events or out of memory");
			return -1;
		}
	}
	*last_tick = tick > *last_tick ? tick : *last_tick;
	return 0;
}

/* Time order; tempo changes before channel messages at the same tick (they
 * hold from their tick on), else file order. */
static int cmp_raw(const void *pa, const void *pb)
{
	const raw_event *a = pa, *b = pb;
	if (a->tick != b->tick) {
		return a->tick < b->tick ? -1 : 1;
	}
	if ((a->tempo != 0) != (b->tempo != 0)) {
		return a->tempo ? -1 : 1;
	}
	return a->order < b->order ? -1 : a->order > b->order;
}

/* [main] The header chunk: format, track count and the time division (for
 * SMPTE divisions, the fixed seconds per tick into *smpte_tick). */
static int parse_header(const uint8_t *d, size_t size, uint32_t *format, uint32_t *n_tracks,
                        uint16_t *division, double *smpte_tick, char *err, size_t err_size)
{
	if (size < 14 || memcmp(d, "MThd", 4) || be32(d + 4) < 6 || be32(d + 4) > size - 8) {
		snprintf(err, err_size, "not a Standard MIDI File (no MThd header)");
		return -1;
	}
	*format = (uint32_t)d[8] << 8 | d[9];
	*n_tracks = (uint32_t)d[10] << 8 | d[11];
	*division = (uint16_t)(d[12] << 8 | d[13]);
	if (*format > 1) {
		snprintf(err, err_size, "SMF format %u is not supported (0 and 1 are)", *format);
		return -1;
	}
	/* Seconds per tick: at a tempo for ticks per quarter note, or fixed
	 * for SMPTE frames (-fps in the high byte, ticks per frame low). */
	*smpte_tick = 0.0;
	if (*division & 0x8000u) {
		const int fps = -(int)(int8_t)(*division >> 8);
		const int tpf = *division & 0xFF;
		if ((fps != 24 && fps != 25 && fps != 29 && fps != 30) || tpf == 0) {
			snprintf(err, err_size, "bad SMPTE time division");
			return -1;
		}
		*smpte_tick = 1.0 / ((fps == 29 ? 29.97 : fps) * tpf);
	} else if (*division == 0) {
		snprintf(err, err_size, "time division 0");
		return -1;
	}
	return 0;
}

/* [main] The events of up to n_tracks MTrk chunks into l (other chunks are
 * skipped, as the standard asks); the number of tracks read into *tracks. */
static int read_tracks(const uint8_t *d, size_t size, uint32_t n_tracks, raw_list *l,
                       uint64_t *last_tick, uint32_t *tracks, char *err, size_t err_size)
{
	size_t pos = 8 + be32(d + 4);
	*tracks = 0;
	while (pos + 8 <= size && *tracks < n_tracks) {
		const uint32_t len = be32(d + pos + 4);
		if (len > size - pos - 8) {
			snprintf(err, err_size, "chunk %u runs past the end of the file", *tracks);
			return -1;
		}
		if (!memcmp(d + pos, "MTrk", 4)) {
			if (parse_track(d, pos + 8, pos + 8 + len, *tracks, l, last_tick, err,
			                err_size)) {
				return -1;
			}
			++*tracks;
		}
		pos += 8 + (size_t)len;
	}
	if (*tracks == 0) {
		snprintf(err, err_size, "no MTrk chunk");
		return -1;
	}
	return 0;
}

/* [main] The sorted events to seconds through the tempo map (seconds advance
 * at the tempo in force), tempo events dropped; the file's length too. */
static int to_seconds(const raw_list *l, uint16_t division, double smpte_tick, uint64_t last_tick,
                      heist_smf *out, char *err, size_t err_size)
{
	const double qn = division & 0x8000u ? 1.0 : (double)division;
	double sec = 0.0, spt = smpte_tick ? smpte_tick : 0.5 / qn; /* 120 bpm default */
	uint64_t at = 0;
	size_t n = 0;
	heist_smf_event *ev = malloc((l->n ? l->n : 1) * sizeof(*ev));
	if (!ev) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < l->n; ++i) {
		const raw_event *r = &l->ev[i];
		sec += (double)(r->tick - at) * spt;
		at = r->tick;
		if (r->tempo) {
			if (!smpte_tick) {
				spt = r->tempo * 1e-6 / qn;
			}
			continue;
		}
		ev[n].seconds = sec;
		memcpy(ev[n].msg, r->msg, 3);
		ev[n].size = r->size;
		++n;
	}
	sec += (double)(last_tick - at) * spt;
	out->events = ev;
	out->n_events = n;
	out->length = sec;
	return 0;
}

int heist_smf_parse(const uint8_t *d, size_t size, heist_smf *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	uint32_t format, n_tracks, tracks;
	uint16_t division;
	double smpte_tick;
	if (parse_header(d, size, &format, &n_tracks, &division, &smpte_tick, err, err_size)) {
		return -1;
	}
	raw_list l = {NULL, 0, 0};
	uint64_t last_tick = 0;
	if (read_tracks(d, size, n_tracks, &l, &last_tick, &tracks, err, err_size)) {
		free(l.ev);
		return -1;
	}
	if (l.n) {
		qsort(l.ev, l.n, sizeof(raw_event), cmp_raw);
	}
	const int rc = to_seconds(&l, division, smpte_tick, last_tick, out, err, err_size);
	free(l.ev);
	if (rc) {
		return -1;
	}
	out->format = format;
	out->n_tracks = tracks;
	return 0;
}

int heist_smf_read(const char *path, heist_smf *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, err_size, "%s: cannot open", path);
		return -1;
	}
	uint8_t *data = malloc(SMF_MAX_FILE);
	const size_t size = data ? fread(data, 1, SMF_MAX_FILE, f) : 0;
	const int too_big = data && size == SMF_MAX_FILE && fgetc(f) != EOF;
	fclose(f);
	if (!data || too_big) {
		free(data);
		snprintf(err, err_size, "%s: %s", path,
		         data ? "larger than 64 MiB" : "out of memory");
		return -1;
	}
	char why[256];
	const int rc = heist_smf_parse(data, size, out, why, sizeof(why));
	free(data);
	if (rc) {
		snprintf(err, err_size, "%s: %s", path, why);
	}
	return rc;
}

void heist_smf_free(heist_smf *smf)
{
	if (smf) {
		free(smf->events);
		smf->events = NULL;
		smf->n_events = 0;
	}
}
