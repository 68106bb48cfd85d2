#ifndef CCRYPTO_H
#define CCRYPTO_H

/*
 * OpenSSL's libcrypto behind dlopen: the OpenSSL headers supply the types and constants only.
 * Nothing here links libcrypto, so a process maps it only once ccrypto_load() runs (the first crypto call):
 * a run that needs no cryptography (static or environment keys) never pays for loading it.
 * Call the OpenSSL functions of the headers directly and the link fails: use the ccrypto_* wrappers below,
 * after ccrypto_load() returned NULL.
 */

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Loads libcrypto.so.3 once per process (RTLD_NOW | RTLD_LOCAL), resolves every function below and initialises
 * it without reading openssl.cnf (OPENSSL_INIT_NO_LOAD_CONFIG). Thread-safe. Returns NULL on success, else a
 * message (from dlerror) that stays valid for the process.
 */
const char *_Nullable ccrypto_load(void);

/* 1 when a libcrypto is mapped into this process (/proc/self/maps), else 0. */
int ccrypto_library_is_mapped(void);

/*
 * 1 when this libcrypto has the direct SHA-256 and AES-256-GCM implementations (OpenSSL's own code reached without
 * the provider layer, which costs ~0.8 ms to set up on first use), else 0. Loads the library.
 */
int ccrypto_direct_available(void);

/* The wrappers return 0 (or NULL) when the library is not loaded; the free functions then do nothing. */
/* SHA-256 of data; direct != 0 uses the direct implementation when there is one, else EVP_Digest. */
int ccrypto_digest_sha256(const void *_Nonnull data, size_t count, unsigned char *_Nonnull digest,
                          unsigned int *_Nonnull length, int direct);
/* SHA-1 of data through EVP_Digest: only for names others derive with it (the AWS SSO token cache's file names). */
int ccrypto_digest_sha1(const void *_Nonnull data, size_t count, unsigned char *_Nonnull digest,
                        unsigned int *_Nonnull length);

EVP_MAC *_Nullable ccrypto_mac_fetch(const char *_Nonnull algorithm);
void ccrypto_mac_free(EVP_MAC *_Nullable mac);
EVP_MAC_CTX *_Nullable ccrypto_mac_ctx_new(EVP_MAC *_Nonnull mac);
void ccrypto_mac_ctx_free(EVP_MAC_CTX *_Nullable context);
/* EVP_MAC_init with the one parameter this project needs: the digest name (for HMAC). */
int ccrypto_mac_init_digest(EVP_MAC_CTX *_Nonnull context, const unsigned char *_Nonnull key, size_t keyCount,
                            const char *_Nonnull digest);
int ccrypto_mac_update(EVP_MAC_CTX *_Nonnull context, const unsigned char *_Nonnull data, size_t count);
int ccrypto_mac_final(EVP_MAC_CTX *_Nonnull context, unsigned char *_Nonnull output, size_t *_Nonnull length,
                      size_t capacity);

EVP_CIPHER *_Nullable ccrypto_cipher_fetch(const char *_Nonnull algorithm);
void ccrypto_cipher_free(EVP_CIPHER *_Nullable cipher);
/* The direct AES-256-GCM (a legacy EVP_CIPHER the process keeps: never free it), or NULL when there is none. */
const EVP_CIPHER *_Nullable ccrypto_direct_aes_256_gcm(void);
EVP_CIPHER_CTX *_Nullable ccrypto_cipher_ctx_new(void);
void ccrypto_cipher_ctx_free(EVP_CIPHER_CTX *_Nullable context);
int ccrypto_cipher_ctx_ctrl(EVP_CIPHER_CTX *_Nonnull context, int type, int argument, void *_Nullable pointer);
int ccrypto_encrypt_init(EVP_CIPHER_CTX *_Nonnull context, const EVP_CIPHER *_Nonnull cipher,
                         const unsigned char *_Nonnull key, const unsigned char *_Nonnull iv);
int ccrypto_decrypt_init(EVP_CIPHER_CTX *_Nonnull context, const EVP_CIPHER *_Nonnull cipher,
                         const unsigned char *_Nonnull key, const unsigned char *_Nonnull iv);
int ccrypto_encrypt_update(EVP_CIPHER_CTX *_Nonnull context, unsigned char *_Nullable output, int *_Nonnull written,
                           const unsigned char *_Nonnull input, int count);
int ccrypto_decrypt_update(EVP_CIPHER_CTX *_Nonnull context, unsigned char *_Nullable output, int *_Nonnull written,
                           const unsigned char *_Nonnull input, int count);
int ccrypto_encrypt_final(EVP_CIPHER_CTX *_Nonnull context, unsigned char *_Nonnull output, int *_Nonnull written);
int ccrypto_decrypt_final(EVP_CIPHER_CTX *_Nonnull context, unsigned char *_Nonnull output, int *_Nonnull written);

int ccrypto_rand_bytes(unsigned char *_Nonnull buffer, int count);

/* CRYPTO_memcmp: 0 when the count bytes are equal, in a time that depends on count only; -1 when not loaded. */
int ccrypto_memcmp(const void *_Nonnull left, const void *_Nonnull right, size_t count);

/* 0 when the queue is empty or the library is not loaded. */
unsigned long ccrypto_err_get_error(void);
void ccrypto_err_error_string_n(unsigned long code, char *_Nonnull buffer, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
