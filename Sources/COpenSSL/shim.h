#ifndef AWS_ELEVATE_COPENSSL_SHIM_H
#define AWS_ELEVATE_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/kdf.h>
#endif
