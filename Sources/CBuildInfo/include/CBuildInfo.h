#ifndef CBUILDINFO_H
#define CBUILDINFO_H

#ifdef __cplusplus
extern "C" {
#endif

/* The commit the binary was built from (12 hex digits, "-dirty" when the tree had changes), or NULL when the
   build was not made through the Makefile, which writes commit.h beside this file's source. */
const char *_Nullable build_info_commit(void);

#ifdef __cplusplus
}
#endif

#endif
