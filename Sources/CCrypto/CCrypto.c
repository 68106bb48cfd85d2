/* OpenSSL 3 marks the direct (pre-provider) entry points deprecated; they stay in every libcrypto.so.3 built with
 * the deprecated API, which is the norm, and are optional here. */
#define OPENSSL_SUPPRESS_DEPRECATED
/* For RTLD_DEEPBIND. */
#define _GNU_SOURCE

#include "CCrypto.h"

#include <openssl/sha.h>

#include "CLazyLibrary.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* __typeof__ of OpenSSL's own declarations keeps every pointer exactly typed. */
static __typeof__(OPENSSL_init_crypto) *p_init_crypto;
static __typeof__(EVP_Digest) *p_digest;
static __typeof__(EVP_sha256) *p_sha256;
static __typeof__(EVP_sha1) *p_sha1;
static __typeof__(EVP_MAC_fetch) *p_mac_fetch;
static __typeof__(EVP_MAC_free) *p_mac_free;
static __typeof__(EVP_MAC_CTX_new) *p_mac_ctx_new;
static __typeof__(EVP_MAC_CTX_free) *p_mac_ctx_free;
static __typeof__(EVP_MAC_init) *p_mac_init;
static __typeof__(EVP_MAC_update) *p_mac_update;
static __typeof__(EVP_MAC_final) *p_mac_final;
static __typeof__(OSSL_PARAM_construct_utf8_string) *p_param_utf8_string;
static __typeof__(OSSL_PARAM_construct_end) *p_param_end;
static __typeof__(EVP_CIPHER_fetch) *p_cipher_fetch;
static __typeof__(EVP_CIPHER_free) *p_cipher_free;
static __typeof__(EVP_CIPHER_CTX_new) *p_cipher_ctx_new;
static __typeof__(EVP_CIPHER_CTX_free) *p_cipher_ctx_free;
static __typeof__(EVP_CIPHER_CTX_ctrl) *p_cipher_ctx_ctrl;
static __typeof__(EVP_EncryptInit_ex2) *p_encrypt_init;
static __typeof__(EVP_DecryptInit_ex2) *p_decrypt_init;
static __typeof__(EVP_EncryptUpdate) *p_encrypt_update;
static __typeof__(EVP_DecryptUpdate) *p_decrypt_update;
static __typeof__(EVP_EncryptFinal_ex) *p_encrypt_final;
static __typeof__(EVP_DecryptFinal_ex) *p_decrypt_final;
static __typeof__(RAND_bytes) *p_rand_bytes;
static __typeof__(CRYPTO_memcmp) *p_memcmp;
static __typeof__(ERR_get_error) *p_err_get_error;
static __typeof__(ERR_error_string_n) *p_err_error_string_n;
/* Optional: the direct implementations (see ccrypto_direct_available). */
static __typeof__(SHA256_Init) *p_sha256_init;
static __typeof__(SHA256_Update) *p_sha256_update;
static __typeof__(SHA256_Final) *p_sha256_final;
static __typeof__(EVP_aes_256_gcm) *p_aes_256_gcm;
static __typeof__(EVP_CIPHER_meth_dup) *p_cipher_meth_dup;
static const EVP_CIPHER *direct_aes_256_gcm;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct lazy_library library = LAZY_LIBRARY_INIT("libcrypto.so.3");
static int loaded;

#define RESOLVE(pointer, name) do { if (!lazy_library_resolve(&library, name, (void **)&(pointer))) return; } while (0)

static void load(void) {
    /* AWS_ELEVATE_TEST_LIBCRYPTO names another library: only the tests use it, to prove that a missing library fails
     * cleanly. A bare name only, searched like any library, so it opens nothing LD_LIBRARY_PATH could not already. */
    const char *name = getenv("AWS_ELEVATE_TEST_LIBCRYPTO");
    if (name != NULL && name[0] != '\0' && strchr(name, '/') == NULL) {
        library.soname = name;
    }
    /*
     * libcrypto is built BIND_NOW, so dlopen resolves its ~4,000 symbol references at once, and most of them name
     * libcrypto's own functions. RTLD_DEEPBIND looks in libcrypto (and its one dependency, libc) first instead of
     * first walking this executable's 3,000 exported symbols and libstdc++'s: 1.2M fewer instructions per cache hit.
     * Safe here because nothing crosses the boundary by symbol: we never free what libcrypto allocated or the
     * reverse, and libcrypto needs nothing from the executable.
     */
    if (!lazy_library_open(&library, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)) {
        return;
    }
    RESOLVE(p_init_crypto, "OPENSSL_init_crypto");
    RESOLVE(p_digest, "EVP_Digest");
    RESOLVE(p_sha256, "EVP_sha256");
    RESOLVE(p_sha1, "EVP_sha1");
    RESOLVE(p_mac_fetch, "EVP_MAC_fetch");
    RESOLVE(p_mac_free, "EVP_MAC_free");
    RESOLVE(p_mac_ctx_new, "EVP_MAC_CTX_new");
    RESOLVE(p_mac_ctx_free, "EVP_MAC_CTX_free");
    RESOLVE(p_mac_init, "EVP_MAC_init");
    RESOLVE(p_mac_update, "EVP_MAC_update");
    RESOLVE(p_mac_final, "EVP_MAC_final");
    RESOLVE(p_param_utf8_string, "OSSL_PARAM_construct_utf8_string");
    RESOLVE(p_param_end, "OSSL_PARAM_construct_end");
    RESOLVE(p_cipher_fetch, "EVP_CIPHER_fetch");
    RESOLVE(p_cipher_free, "EVP_CIPHER_free");
    RESOLVE(p_cipher_ctx_new, "EVP_CIPHER_CTX_new");
    RESOLVE(p_cipher_ctx_free, "EVP_CIPHER_CTX_free");
    RESOLVE(p_cipher_ctx_ctrl, "EVP_CIPHER_CTX_ctrl");
    RESOLVE(p_encrypt_init, "EVP_EncryptInit_ex2");
    RESOLVE(p_decrypt_init, "EVP_DecryptInit_ex2");
    RESOLVE(p_encrypt_update, "EVP_EncryptUpdate");
    RESOLVE(p_decrypt_update, "EVP_DecryptUpdate");
    RESOLVE(p_encrypt_final, "EVP_EncryptFinal_ex");
    RESOLVE(p_decrypt_final, "EVP_DecryptFinal_ex");
    RESOLVE(p_rand_bytes, "RAND_bytes");
    RESOLVE(p_memcmp, "CRYPTO_memcmp");
    RESOLVE(p_err_get_error, "ERR_get_error");
    RESOLVE(p_err_error_string_n, "ERR_error_string_n");
    /*
     * Initialise before any other call, so that no later implicit initialisation reads openssl.cnf: this project
     * uses the built-in default provider only and needs no engine, provider or setting from the config file.
     * NO_ATEXIT: the process frees nothing at exit (the kernel does), which saves ~0.35 ms on a cache hit.
     */
    if (p_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL) != 1) {
        lazy_library_fail(&library, "OPENSSL_init_crypto failed", NULL);
        return;
    }
    /*
     * The direct implementations are OpenSSL's own SHA-256 and AES-GCM code (the same assembly, with SHA-NI, AES-NI
     * and constant-time fallbacks, that the default provider wraps) reached without the provider layer. A cache hit
     * needs one digest and one decryption; through EVP_*_fetch they would first build the provider's name map and
     * method stores, ~6.7 million instructions (~0.8 ms) before the first byte. EVP_CIPHER_meth_dup makes a legacy
     * cipher object, which EVP_*Init takes down OpenSSL's documented legacy path. Without them (a libcrypto built
     * without the deprecated API) everything goes through the provider.
     */
    if (dlsym(library.handle, "SHA256_Init") != NULL && dlsym(library.handle, "SHA256_Update") != NULL
        && dlsym(library.handle, "SHA256_Final") != NULL) {
        p_sha256_init = (__typeof__(p_sha256_init))dlsym(library.handle, "SHA256_Init");
        p_sha256_update = (__typeof__(p_sha256_update))dlsym(library.handle, "SHA256_Update");
        p_sha256_final = (__typeof__(p_sha256_final))dlsym(library.handle, "SHA256_Final");
    }
    p_aes_256_gcm = (__typeof__(p_aes_256_gcm))dlsym(library.handle, "EVP_aes_256_gcm");
    p_cipher_meth_dup = (__typeof__(p_cipher_meth_dup))dlsym(library.handle, "EVP_CIPHER_meth_dup");
    if (p_aes_256_gcm != NULL && p_cipher_meth_dup != NULL) {
        /* Made once and never freed: it lives as long as the library, which stays loaded. */
        direct_aes_256_gcm = p_cipher_meth_dup(p_aes_256_gcm());
    }
    /* The library stays loaded for the life of the process. */
    loaded = 1;
}

const char *ccrypto_load(void) {
    pthread_once(&load_once, load);
    const char *error = lazy_library_error(&library);
    return loaded ? NULL : (error ? error : "cannot load libcrypto.so.3");
}

int ccrypto_library_is_mapped(void) {
    return lazy_library_is_mapped("/libcrypto");
}

/* pthread_once publishes the pointers: read them only after it has run. */
static int ready(void) {
    pthread_once(&load_once, load);
    return loaded;
}

int ccrypto_direct_available(void) {
    return ready() && p_sha256_init != NULL && direct_aes_256_gcm != NULL;
}

int ccrypto_digest_sha256(const void *data, size_t count, unsigned char *digest, unsigned int *length, int direct) {
    if (!ready()) {
        return 0;
    }
    if (direct && p_sha256_init != NULL) {
        SHA256_CTX context;
        if (p_sha256_init(&context) != 1 || p_sha256_update(&context, data, count) != 1
            || p_sha256_final(digest, &context) != 1) {
            return 0;
        }
        *length = SHA256_DIGEST_LENGTH;
        return 1;
    }
    return p_digest(data, count, digest, length, p_sha256(), NULL);
}

int ccrypto_digest_sha1(const void *data, size_t count, unsigned char *digest, unsigned int *length) {
    return ready() ? p_digest(data, count, digest, length, p_sha1(), NULL) : 0;
}

EVP_MAC *ccrypto_mac_fetch(const char *algorithm) {
    return ready() ? p_mac_fetch(NULL, algorithm, NULL) : NULL;
}

void ccrypto_mac_free(EVP_MAC *mac) {
    if (mac != NULL && ready()) {
        p_mac_free(mac);
    }
}

EVP_MAC_CTX *ccrypto_mac_ctx_new(EVP_MAC *mac) {
    return ready() ? p_mac_ctx_new(mac) : NULL;
}

void ccrypto_mac_ctx_free(EVP_MAC_CTX *context) {
    if (context != NULL && ready()) {
        p_mac_ctx_free(context);
    }
}

int ccrypto_mac_init_digest(EVP_MAC_CTX *context, const unsigned char *key, size_t keyCount, const char *digest) {
    if (!ready()) {
        return 0;
    }
    /* OSSL_PARAM keeps the pointers: both strings outlive the call. */
    OSSL_PARAM parameters[2] = {
        p_param_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        p_param_end(),
    };
    return p_mac_init(context, key, keyCount, parameters);
}

int ccrypto_mac_update(EVP_MAC_CTX *context, const unsigned char *data, size_t count) {
    return ready() ? p_mac_update(context, data, count) : 0;
}

int ccrypto_mac_final(EVP_MAC_CTX *context, unsigned char *output, size_t *length, size_t capacity) {
    return ready() ? p_mac_final(context, output, length, capacity) : 0;
}

EVP_CIPHER *ccrypto_cipher_fetch(const char *algorithm) {
    return ready() ? p_cipher_fetch(NULL, algorithm, NULL) : NULL;
}

const EVP_CIPHER *ccrypto_direct_aes_256_gcm(void) {
    return ready() ? direct_aes_256_gcm : NULL;
}

void ccrypto_cipher_free(EVP_CIPHER *cipher) {
    if (cipher != NULL && ready()) {
        p_cipher_free(cipher);
    }
}

EVP_CIPHER_CTX *ccrypto_cipher_ctx_new(void) {
    return ready() ? p_cipher_ctx_new() : NULL;
}

void ccrypto_cipher_ctx_free(EVP_CIPHER_CTX *context) {
    if (context != NULL && ready()) {
        p_cipher_ctx_free(context);
    }
}

int ccrypto_cipher_ctx_ctrl(EVP_CIPHER_CTX *context, int type, int argument, void *pointer) {
    return ready() ? p_cipher_ctx_ctrl(context, type, argument, pointer) : 0;
}

int ccrypto_encrypt_init(EVP_CIPHER_CTX *context, const EVP_CIPHER *cipher, const unsigned char *key,
                         const unsigned char *iv) {
    return ready() ? p_encrypt_init(context, cipher, key, iv, NULL) : 0;
}

int ccrypto_decrypt_init(EVP_CIPHER_CTX *context, const EVP_CIPHER *cipher, const unsigned char *key,
                         const unsigned char *iv) {
    return ready() ? p_decrypt_init(context, cipher, key, iv, NULL) : 0;
}

int ccrypto_encrypt_update(EVP_CIPHER_CTX *context, unsigned char *output, int *written, const unsigned char *input,
                           int count) {
    return ready() ? p_encrypt_update(context, output, written, input, count) : 0;
}

int ccrypto_decrypt_update(EVP_CIPHER_CTX *context, unsigned char *output, int *written, const unsigned char *input,
                           int count) {
    return ready() ? p_decrypt_update(context, output, written, input, count) : 0;
}

int ccrypto_encrypt_final(EVP_CIPHER_CTX *context, unsigned char *output, int *written) {
    return ready() ? p_encrypt_final(context, output, written) : 0;
}

int ccrypto_decrypt_final(EVP_CIPHER_CTX *context, unsigned char *output, int *written) {
    return ready() ? p_decrypt_final(context, output, written) : 0;
}

int ccrypto_rand_bytes(unsigned char *buffer, int count) {
    return ready() ? p_rand_bytes(buffer, count) : 0;
}

int ccrypto_memcmp(const void *left, const void *right, size_t count) {
    return ready() ? p_memcmp(left, right, count) : -1;
}

unsigned long ccrypto_err_get_error(void) {
    return ready() ? p_err_get_error() : 0;
}

void ccrypto_err_error_string_n(unsigned long code, char *buffer, size_t capacity) {
    if (capacity == 0) {
        return;
    }
    if (ready()) {
        p_err_error_string_n(code, buffer, capacity);
    } else {
        buffer[0] = '\0';
    }
}
