/* Heist style model: the .hsm file format and its parser.
 *
 * .hsm version 1 — little-endian throughout, no padding between fields.
 *
 *   offset  size        field
 *   0       8           magic "HEISTHSM"
 *   8       4   u32     version (= 1)
 *   12      4   u32     flags: 0, or HSM_FLAG_SECTIONS (sections follow the
 *                       tensors); any other bit is refused
 *   16      4   u32     total file size in bytes (including the CRC)
 *   20      4   f32     frame_rate          frames per second, [50, 1000]
 *   24      4   f32     sample_rate         rate the model was trained at, [8000, 192000]
 *   28      4   u32     n_styles      S     [1, 256]
 *   32      4   u32     embed_dim     E     [1, 64]
 *   36      4   u32     gru_hidden    H     [1, 1024]
 *   40      4   u32     dense_hidden  D     [1, 1024]
 *   44      4   u32     n_harmonics   NH    [1, 256]
 *   48      4   u32     n_noise       NN    [2, 256]
 *   52      4   f32     pitch_center  (MIDI note)   feature: (midi - center) / scale
 *   56      4   f32     pitch_scale   (> 0)
 *   60      4   f32     loud_center   (dB)          feature: (dB - center) / scale
 *   64      4   f32     loud_scale    (> 0)
 *   68      64          model name, UTF-8, NUL-padded, NUL-terminated within 64
 *   132     S * 88      style table, per style:
 *                         48 bytes name (UTF-8, NUL-padded, NUL-terminated)
 *                         10 x f32: pitch_lo, pitch_hi, pitch_median (MIDI),
 *                                   loud_lo, loud_hi, loud_median (dB),
 *                                   reserved[4] (0)
 *   ...     tensors, f32, in this order (row-major, [rows][cols]):
 *             embedding   [S][E]
 *             gru_w_ih    [3H][I]     I = 3 + E; gate order r, z, n (PyTorch)
 *             gru_w_hh    [3H][H]
 *             gru_b_ih    [3H]
 *             gru_b_hh    [3H]
 *             dense1_w    [D][H + I]  input is concat(h, x)
 *             dense1_b    [D]
 *             dense2_w    [O][D]      O = 1 + NH + NN
 *             dense2_b    [O]
 *   ...     sections (only with HSM_FLAG_SECTIONS), one after another up to the
 *           CRC, each: 4 bytes tag, u32 section version, u32 payload size
 *           (a multiple of 4), payload. A tag this build does not know is
 *           skipped; a known one is parsed and checked in full.
 *   end-4   4   u32     CRC-32 (IEEE 802.3, as zlib's crc32) of all bytes before it
 *
 * Section "PROF" version 1, the styles' profiles measured from their data
 * (train/style_profile.py), payload:
 *   u32 n_styles (= S), u32 n_bands NB [1, HSM_PROFILE_MAX_BANDS],
 *   f32 edges[NB + 1]: the band extension's bands above the model's Nyquist,
 *       Hz, strictly increasing, within [1000, 96000],
 *   per style, NB + 9 f32:
 *     band_db[NB]       energy of each band per Hz over the total energy
 *                       (all frequencies), dB re 1/Hz, [-160, 0]
 *     vibrato_hz        [0, 20]       vibrato_cents     [0, 300] (peak)
 *     attack_s          [0.001, 2]    attack_depth_db   [0, 80]
 *                       (loudness starts depth dB under the note's and
 *                       approaches it with time constant attack_s)
 *     release_db_s      [1, 10000]    (first 20 dB of the release)
 *     release_tail_db_s [1, 10000]    (the rest)
 *     loud_p5 <= loud_p50 <= loud_p95 within [-120, 20]: loudness (dB) of
 *                       the sounding frames, percentiles
 *     band_pitch        [0, 127] the pitch (MIDI) band_db was measured at
 *     band_pitch_db_oct [-48, 48] band_db's change per octave of pitch
 *
 * Section "SPEQ" version 1, the styles' spectral correction (the "formant
 * stage", train/style_eq.py: the network's long-term spectral envelope
 * against its instrument's), payload:
 *   u32 n_styles (= S), u32 n_bands NB [2, HSM_SPEQ_MAX_BANDS],
 *   u32 n_pitches NP [1, HSM_SPEQ_MAX_PITCHES],
 *   f32 centres[NB]: Hz, strictly increasing within [10, 96000],
 *   per style: f32 pitch[NP] (MIDI, strictly increasing within [0, 127]),
 *              f32 gain_db[NP][NB] within +-HSM_SPEQ_MAX_DB: the gain at
 *              each centre for a note at each pitch (dsp/speq.h applies it).
 *
 * The network, per frame (must match train/heist_model.py exactly):
 *   x  = [ (midi(f0) - pitch_center) / pitch_scale,
 *          (loudness_db - loud_center) / loud_scale,
 *          confidence,
 *          (1 - morph) * embedding[a] + morph * embedding[b] ]
 *   r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h  = (1 - z) * n + z * h
 *   y1 = relu(dense1_w [h, x] + dense1_b)
 *   y  = dense2_w y1 + dense2_b
 *   amplitude = exp_sigmoid(y[0])
 *   harmonics = exp_sigmoid(y[1 .. NH])        (then band-limited and normalised)
 *   noise     = exp_sigmoid(y[1+NH .. NH+NN])  (magnitudes of NN bands spaced
 *                                               linearly from 0 to sample_rate/2)
 *   exp_sigmoid(v) = 2 * sigmoid(v)^ln(10) + 1e-7
 */
#ifndef HEIST_MODEL_H
#define HEIST_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "heist.h"

#define HSM_MAGIC "HEISTHSM"
#define HSM_VERSION 1u
#define HSM_HEADER_SIZE 132u
#define HSM_STYLE_SIZE 88u
#define HSM_NAME_SIZE 64u
#define HSM_STYLE_NAME_SIZE 48u
#define HSM_MAX_FILE_SIZE (64u * 1024u * 1024u)
#define HSM_FLAG_SECTIONS 1u
#define HSM_SECTION_HEADER_SIZE 12u
#define HSM_PROFILE_TAG "PROF"
#define HSM_PROFILE_VERSION 1u
#define HSM_PROFILE_MAX_BANDS 8u
#define HSM_PROFILE_EXPR_FLOATS 11u
#define HSM_SPEQ_TAG "SPEQ"
#define HSM_SPEQ_VERSION 1u
#define HSM_SPEQ_MAX_BANDS 64u
#define HSM_SPEQ_MAX_PITCHES 4u
#define HSM_SPEQ_MAX_DB 18.0f

typedef struct {
	char name[HSM_STYLE_NAME_SIZE];
	float pitch_lo, pitch_hi, pitch_median; /* MIDI note numbers */
	float loud_lo, loud_hi, loud_median;    /* dB */
} heist_style;

/* A style's profile (section PROF): band extension levels and expression. */
typedef struct {
	float band_db[HSM_PROFILE_MAX_BANDS];
	float vibrato_hz, vibrato_cents;
	float attack_s, attack_depth_db;
	float release_db_s, release_tail_db_s;
	float loud_p5, loud_p50, loud_p95;
	float band_pitch, band_pitch_db_oct;
} heist_style_profile;

struct heist_model {
	char name[HSM_NAME_SIZE];
	float frame_rate, sample_rate;
	uint32_t n_styles, embed_dim, gru_hidden, dense_hidden;
	uint32_t n_harmonics, n_noise;
	uint32_t n_inputs;  /* 3 + embed_dim */
	uint32_t n_outputs; /* 1 + n_harmonics + n_noise */
	float pitch_center, pitch_scale, loud_center, loud_scale;
	heist_style *styles; /* [n_styles] */
	/* Section PROF, or n_ext_bands = 0 and profiles = NULL without it. */
	uint32_t n_ext_bands;
	float ext_edges[HSM_PROFILE_MAX_BANDS + 1]; /* Hz */
	heist_style_profile *profiles;              /* [n_styles] */
	/* Section SPEQ, or speq_bands = 0 and the pointers NULL without it. */
	uint32_t speq_bands, speq_pitches;
	float speq_centres[HSM_SPEQ_MAX_BANDS]; /* Hz */
	float *speq_pitch;                      /* [n_styles][speq_pitches], MIDI */
	float *speq_db;                         /* [n_styles][speq_pitches][speq_bands] */
	/* Where each noise band (band b at b * speq_noise_hz) lies among the
	 * centres, found once at parse (heist_speq_walk): the centre at or
	 * below it and how far towards the next (-1: the curve is flat there).
	 * Valid for speq_walked (= n_noise) bands on speq_centres[speq_bands]
	 * as parsed; speq_walked = 0 without SPEQ. Nothing changes a parsed
	 * model's centres but a test putting its own in their place, and
	 * that sets speq_walked = 0: the tables no longer hold. */
	uint32_t speq_walked;
	float speq_noise_hz;
	uint8_t speq_noise_at[256];
	float speq_noise_u[256];
	/* Tensors, each 64-byte aligned, layouts as in the file. */
	float *embedding, *gru_w_ih, *gru_w_hh, *gru_b_ih, *gru_b_hh;
	float *dense1_w, *dense1_b, *dense2_w, *dense2_b;
	void *block; /* single allocation holding everything above */
	/* The same weights re-laid out for the inference kernels (net.c), built
	 * once at parse time and shared by every network running this model. */
	struct heist_net_weights *packed;
};

/* [main] Parse and validate a model from memory. On failure returns NULL and
 * writes a one-line reason into err (if err != NULL). Never reads outside
 * [data, data + size). */
heist_model *heist_model_parse(const void *data, size_t size, char *err, size_t err_size);

/* [main] Read a file and parse it; errors name the file. */
heist_model *heist_model_load(const char *path, char *err, size_t err_size);

/* [main] The model in a file, shared read-only with every other caller in
 * the process that acquired a file of the same contents (compared byte for
 * byte, whatever the path): one copy of the weights however many instances
 * play it. Release it with heist_model_free(); the last release frees it.
 * Never modify a shared model. Errors as heist_model_load(). */
heist_model *heist_model_acquire(const char *path, char *err, size_t err_size);

/* The shared registry's kind for models (heist_shared_count() in tests). */
#define HEIST_MODEL_SHARED_KIND "model"

/* [main] Free a model, or release one from heist_model_acquire(). NULL is
 * fine. */
void heist_model_free(heist_model *m);

/* [any] CRC-32 (IEEE, reflected, as zlib). */
uint32_t heist_crc32(const void *data, size_t size);

#endif
