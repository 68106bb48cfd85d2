#define CURL_DISABLE_TYPECHECK 1
#include "CCurl.h"

#include "CLazyLibrary.h"

#include <dlfcn.h>
#include <pthread.h>

/* __typeof__ of the header's own declarations keeps every pointer exactly typed, variadic ones included. */
static __typeof__(curl_global_init) *p_global_init;
static __typeof__(curl_easy_init) *p_easy_init;
static __typeof__(curl_easy_setopt) *p_easy_setopt;
static __typeof__(curl_easy_perform) *p_easy_perform;
static __typeof__(curl_easy_getinfo) *p_easy_getinfo;
static __typeof__(curl_easy_cleanup) *p_easy_cleanup;
static __typeof__(curl_easy_strerror) *p_easy_strerror;
static __typeof__(curl_slist_append) *p_slist_append;
static __typeof__(curl_slist_free_all) *p_slist_free_all;
static __typeof__(curl_version_info) *p_version_info;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct lazy_library library = LAZY_LIBRARY_INIT("libcurl.so.4");
static int loaded;

#define RESOLVE(pointer, name) do { if (!lazy_library_resolve(&library, name, (void **)&(pointer))) return; } while (0)

static void load(void) {
    if (!lazy_library_open(&library, RTLD_NOW | RTLD_LOCAL)) {
        return;
    }
    RESOLVE(p_global_init, "curl_global_init");
    RESOLVE(p_easy_init, "curl_easy_init");
    RESOLVE(p_easy_setopt, "curl_easy_setopt");
    RESOLVE(p_easy_perform, "curl_easy_perform");
    RESOLVE(p_easy_getinfo, "curl_easy_getinfo");
    RESOLVE(p_easy_cleanup, "curl_easy_cleanup");
    RESOLVE(p_easy_strerror, "curl_easy_strerror");
    RESOLVE(p_slist_append, "curl_slist_append");
    RESOLVE(p_slist_free_all, "curl_slist_free_all");
    RESOLVE(p_version_info, "curl_version_info");
    /* curl_global_init is not thread-safe before 7.84: running it inside pthread_once makes it so. */
    CURLcode code = p_global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        lazy_library_fail(&library, "curl_global_init failed", p_easy_strerror(code));
        return;
    }
    /* The library stays loaded for the life of the process: libcurl cannot be unloaded safely. */
    loaded = 1;
}

const char *ccurl_load(void) {
    pthread_once(&load_once, load);
    const char *error = lazy_library_error(&library);
    return loaded ? NULL : (error ? error : "cannot load libcurl.so.4");
}

int ccurl_library_is_mapped(void) {
    return lazy_library_is_mapped("/libcurl");
}

/* pthread_once publishes the pointers: read them only after it has run. */
static int ready(void) {
    pthread_once(&load_once, load);
    return loaded;
}

const char *ccurl_version(void) {
    if (!ready()) {
        return NULL;
    }
    const curl_version_info_data *info = p_version_info(CURLVERSION_NOW);
    return info ? info->version : NULL;
}

CURL *ccurl_easy_init(void) {
    return ready() ? p_easy_init() : NULL;
}

void ccurl_easy_cleanup(CURL *handle) {
    if (handle != NULL && ready()) {
        p_easy_cleanup(handle);
    }
}

CURLcode ccurl_easy_perform(CURL *handle) {
    return ready() ? p_easy_perform(handle) : CURLE_FAILED_INIT;
}

const char *ccurl_easy_strerror(CURLcode code) {
    const char *text = ready() ? p_easy_strerror(code) : NULL;
    return text ? text : "libcurl is not loaded";
}

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return ready() ? p_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return ready() ? p_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return ready() ? p_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return ready() ? p_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *list) {
    return ready() ? p_easy_setopt(handle, option, list) : CURLE_FAILED_INIT;
}

CURLcode ccurl_setopt_write_function(CURL *handle, ccurl_data_callback callback) {
    return ready() ? p_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback) : CURLE_FAILED_INIT;
}

CURLcode ccurl_setopt_header_function(CURL *handle, ccurl_data_callback callback) {
    return ready() ? p_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback) : CURLE_FAILED_INIT;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
CURLcode ccurl_restrict_protocols_to_http(CURL *handle) {
    if (!ready()) {
        return CURLE_FAILED_INIT;
    }
    CURLcode code = p_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    if (code == CURLE_OK) {
        code = p_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
    if (code == CURLE_UNKNOWN_OPTION) {
        /* libcurl before 7.85 knows only the bitmask options. */
        long mask = CURLPROTO_HTTP | CURLPROTO_HTTPS;
        code = p_easy_setopt(handle, CURLOPT_PROTOCOLS, mask);
        if (code == CURLE_OK) {
            code = p_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS, mask);
        }
    }
    return code;
}
#pragma GCC diagnostic pop

CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return ready() ? p_easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}

CURLcode ccurl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return ready() ? p_easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}

struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *string) {
    return ready() ? p_slist_append(list, string) : NULL;
}

void ccurl_slist_free_all(struct curl_slist *list) {
    if (list != NULL && ready()) {
        p_slist_free_all(list);
    }
}
