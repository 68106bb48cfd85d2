#ifndef CLAZYLIBRARY_H
#define CLAZYLIBRARY_H

/*
 * The plumbing shared by the C loaders that dlopen a system library on first use
 * (CCurl, CXML2, CCrypto, CSecret). Links nothing: dlopen and dlsym are glibc's.
 * Not thread-safe by itself: each loader calls it from inside its own pthread_once.
 */

#ifdef __cplusplus
extern "C" {
#endif

/* One library: the file to dlopen, its handle once open, and the first error met. */
struct lazy_library {
    const char *_Nonnull soname;
    void *_Nullable handle;
    const char *_Nullable error;
    char error_buffer[512];
};

#define LAZY_LIBRARY_INIT(soname_) { .soname = (soname_), .handle = NULL, .error = NULL, .error_buffer = { 0 } }

/* dlopen(soname, flags). Returns 1 on success; else 0 and the error "cannot load SONAME: dlerror". */
int lazy_library_open(struct lazy_library *_Nonnull library, int flags);

/* dlsym into *out. Returns 1 on success; else 0 and the error "SONAME lacks SYMBOL: dlerror". */
int lazy_library_resolve(struct lazy_library *_Nonnull library, const char *_Nonnull symbol, void *_Nullable *_Nonnull out);

/* Records the error "what: detail" (or "what" when detail is NULL). */
void lazy_library_fail(struct lazy_library *_Nonnull library, const char *_Nonnull what, const char *_Nullable detail);

/* The recorded error, or NULL. Stays valid as long as the struct does. */
const char *_Nullable lazy_library_error(const struct lazy_library *_Nonnull library);

/* 1 when a line of /proc/self/maps contains needle (e.g. "/libcurl"), else 0. */
int lazy_library_is_mapped(const char *_Nonnull needle);

#ifdef __cplusplus
}
#endif

#endif
