// SPDX-License-Identifier: GPL-2.0
/*
 * backend.c as the harnesses link it: its messages (one per bad request)
 * go to fuzz_stderr, /dev/null unless FUZZ_VERBOSE is set.
 */
#include <stdio.h>

#include "fuzz.h"

#undef stderr
#define stderr fuzz_stderr

#include "backend.c"
