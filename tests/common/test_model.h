/* The model argument of the C test programs that run the shipped model:
 * `test_x MODEL.hsm`. Header-only, so check_dep need not link the DSP. */
#ifndef HEIST_TEST_MODEL_H
#define HEIST_TEST_MODEL_H

#include <stdio.h>
#include <stdlib.h>

#include "model.h"

/* [main] The model named by argv[1], or NULL after a message, with *rc the
 * exit status: 2 for a missing argument, 1 for a file that does not load. */
static inline heist_model *test_model_from_args(int argc, char **argv, const char *name, int *rc)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s MODEL.hsm\n", name);
		*rc = 2;
		return NULL;
	}
	char err[256];
	heist_model *m = heist_model_load(argv[1], err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		*rc = 1;
	}
	return m;
}

/* [main] The same for a main() with nothing to clean up yet: on failure it
 * exits with that status rather than returning. */
static inline heist_model *test_model_arg(int argc, char **argv, const char *name)
{
	int rc = 0;
	heist_model *m = test_model_from_args(argc, argv, name, &rc);
	if (!m) {
		exit(rc);
	}
	return m;
}

#endif
