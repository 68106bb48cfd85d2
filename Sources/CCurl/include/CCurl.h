#ifndef CCURL_H
#define CCURL_H

/*
 * libcurl behind dlopen: <curl/curl.h> supplies the types and constants only.
 * Nothing here links libcurl, so a process maps it only once ccurl_load() runs.
 * Call the curl_* functions of the header directly and the link fails: use the
 * ccurl_* wrappers, after ccurl_load() returned NULL.
 */

#include <curl/curl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A write or header callback (CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION). */
typedef size_t (*ccurl_data_callback)(char *_Nullable data, size_t size, size_t count, void *_Nullable userdata);

/*
 * Loads libcurl.so.4 once per process (RTLD_NOW | RTLD_LOCAL), resolves every
 * function below and runs curl_global_init. Thread-safe. Returns NULL on
 * success, else a message (from dlerror) that stays valid for the process.
 */
const char *_Nullable ccurl_load(void);

/* 1 when a libcurl of any flavour is mapped into this process (/proc/self/maps), else 0. */
int ccurl_library_is_mapped(void);

/* The loaded library's version ("7.88.1"), or NULL before a successful ccurl_load(). */
const char *_Nullable ccurl_version(void);

/* The wrappers return CURLE_FAILED_INIT (or NULL) when the library is not loaded. */
CURL *_Nullable ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *_Nullable handle);
CURLcode ccurl_easy_perform(CURL *_Nonnull handle);
const char *_Nonnull ccurl_easy_strerror(CURLcode code);

CURLcode ccurl_setopt_long(CURL *_Nonnull handle, CURLoption option, long value);
CURLcode ccurl_setopt_off_t(CURL *_Nonnull handle, CURLoption option, curl_off_t value);
CURLcode ccurl_setopt_string(CURL *_Nonnull handle, CURLoption option, const char *_Nullable value);
CURLcode ccurl_setopt_pointer(CURL *_Nonnull handle, CURLoption option, void *_Nullable value);
CURLcode ccurl_setopt_slist(CURL *_Nonnull handle, CURLoption option, struct curl_slist *_Nullable list);
CURLcode ccurl_setopt_write_function(CURL *_Nonnull handle, ccurl_data_callback _Nullable callback);
CURLcode ccurl_setopt_header_function(CURL *_Nonnull handle, ccurl_data_callback _Nullable callback);

/* Limits the transfer and any redirect to http and https, on old and new libcurl alike. */
CURLcode ccurl_restrict_protocols_to_http(CURL *_Nonnull handle);

CURLcode ccurl_getinfo_long(CURL *_Nonnull handle, CURLINFO info, long *_Nonnull value);
CURLcode ccurl_getinfo_off_t(CURL *_Nonnull handle, CURLINFO info, curl_off_t *_Nonnull value);

/* NULL when out of memory (the list passed in is then left intact) or not loaded. */
struct curl_slist *_Nullable ccurl_slist_append(struct curl_slist *_Nullable list, const char *_Nonnull string);
void ccurl_slist_free_all(struct curl_slist *_Nullable list);

#ifdef __cplusplus
}
#endif

#endif
