/* Test-only .hsm writer: builds a valid model file with random weights in
 * memory, with its own byte writing and CRC so that it checks the parser
 * rather than sharing its code. Never shipped. Its bytes equal those of
 * train/export.py's writer for the same model (test hsm_writer_export). */
#ifndef HSM_WRITER_H
#define HSM_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t n_styles, embed_dim, gru_hidden, dense_hidden, n_harmonics, n_noise;
	uint32_t seed;
} hsm_dims;

/* Offsets of the tensor area and of each tensor (in bytes), in file order:
 * embedding, gru_w_ih, gru_w_hh, gru_b_ih, gru_b_hh, dense1_w, dense1_b,
 * dense2_w, dense2_b. */
#define HSM_N_TENSORS 9
typedef struct {
	size_t offset[HSM_N_TENSORS];
	size_t count[HSM_N_TENSORS]; /* floats */
	size_t tensor_area;          /* offset of the first tensor */
	size_t size;                 /* whole file, CRC included */
} hsm_layout;

hsm_layout hsm_layout_of(const hsm_dims *d);

/* A malloc'ed valid file; *size receives its length. Weights are uniform in
 * +-1/sqrt(fan_in) (as PyTorch initialises), the embedding in +-1, biases
 * likewise scaled; names are "test-model" and "style0".."styleN". */
uint8_t *hsm_write_random(const hsm_dims *d, size_t *size);

void hsm_put_u32(uint8_t *p, uint32_t v);
void hsm_put_f32(uint8_t *p, float v);
uint32_t hsm_get_u32(const uint8_t *p);
float hsm_get_f32(const uint8_t *p);

/* Round the weight matrices (not biases or embedding) of a file made for d
 * to binary16 values, as train/export.py does by default; fixes the CRC. */
void hsm_round_half(uint8_t *data, const hsm_dims *d);

/* A malloc'ed copy of a file without sections (from hsm_write_random, for
 * n_styles styles) with a PROF section of n_bands bands added after the
 * tensors (flags and size set, CRC fixed): plausible values in every field,
 * varying with the style. *size is updated. The section's payload starts
 * at hsm_profile_payload(old size). */
uint8_t *hsm_add_profile(const uint8_t *data, size_t *size, uint32_t n_styles, uint32_t n_bands);
#define hsm_profile_payload(old_size) ((old_size)-4u + 12u)

/* A malloc'ed copy of a file (with or without sections) with a SPEQ
 * section of n_bands centres and n_pitches pitch anchors added before the
 * CRC (flags and size set, CRC fixed): centres 100 Hz .. 10 kHz, anchors
 * 48 + 12 i (+ s % 3), gains 6 sin(0.7 i + s) dB. *size is updated; the
 * payload starts at hsm_profile_payload(old size) as well. */
uint8_t *hsm_add_speq(const uint8_t *data, size_t *size, uint32_t n_styles, uint32_t n_bands,
                      uint32_t n_pitches);

/* Recompute the trailing CRC after editing a file. */
void hsm_fix_crc(uint8_t *data, size_t size);

#endif
