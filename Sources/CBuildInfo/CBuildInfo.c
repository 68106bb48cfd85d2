#include "CBuildInfo.h"

#include <stddef.h>

/* commit.h is written by the Makefile (never committed); a plain `swift build` has none. */
#if __has_include("commit.h")
#include "commit.h"
#endif

#ifndef AWS_ELEVATE_COMMIT
#define AWS_ELEVATE_COMMIT NULL
#endif

const char *build_info_commit(void) { return AWS_ELEVATE_COMMIT; }
