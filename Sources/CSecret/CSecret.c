#include "CSecret.h"

#include "CLazyLibrary.h"

/*
 * The types and prototypes come from the installed headers of glib, gio and libsecret (their pkg-config flags are
 * passed by Package.swift), so that a change in their ABI fails the build. Nothing links the libraries: every function
 * is called through a pointer of the prototype's own type, resolved with dlsym. Never call a g_* or secret_*
 * function (or a macro that expands to one, such as G_VARIANT_TYPE or G_OBJECT) by name: the link would fail.
 */
#include <gio/gio.h>
#include <libsecret/secret.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The functions, as pointers of their headers' types. ---- */

/* glib */
static __typeof__(g_free) *p_free;
static __typeof__(g_checksum_new) *p_checksum_new;
static __typeof__(g_checksum_update) *p_checksum_update;
static __typeof__(g_checksum_get_digest) *p_checksum_get_digest;
static __typeof__(g_checksum_free) *p_checksum_free;
static __typeof__(g_error_free) *p_error_free;
static __typeof__(g_utf8_validate) *p_utf8_validate;
static __typeof__(g_str_hash) *p_str_hash;
static __typeof__(g_str_equal) *p_str_equal;
static __typeof__(g_hash_table_new) *p_hash_table_new;
static __typeof__(g_hash_table_insert) *p_hash_table_insert;
static __typeof__(g_hash_table_lookup) *p_hash_table_lookup;
static __typeof__(g_hash_table_get_keys) *p_hash_table_get_keys;
static __typeof__(g_hash_table_unref) *p_hash_table_unref;
static __typeof__(g_list_free) *p_list_free;
static __typeof__(g_list_free_full) *p_list_free_full;
static __typeof__(g_variant_new_string) *p_variant_new_string;
static __typeof__(g_variant_new_tuple) *p_variant_new_tuple;
static __typeof__(g_variant_get_child_value) *p_variant_get_child_value;
static __typeof__(g_variant_get_boolean) *p_variant_get_boolean;
static __typeof__(g_variant_unref) *p_variant_unref;
static __typeof__(g_variant_new_dict_entry) *p_variant_new_dict_entry;
static __typeof__(g_variant_new_array) *p_variant_new_array;
static __typeof__(g_variant_new_variant) *p_variant_new_variant;
static __typeof__(g_variant_new_objv) *p_variant_new_objv;
static __typeof__(g_variant_n_children) *p_variant_n_children;
static __typeof__(g_variant_get_string) *p_variant_get_string;
static __typeof__(g_variant_get_fixed_array) *p_variant_get_fixed_array;
/* gobject */
static __typeof__(g_object_unref) *p_object_unref;
/* gio */
static __typeof__(g_cancellable_new) *p_cancellable_new;
static __typeof__(g_cancellable_cancel) *p_cancellable_cancel;
static __typeof__(g_bus_get_sync) *p_bus_get_sync;
static __typeof__(g_dbus_connection_set_exit_on_close) *p_dbus_connection_set_exit_on_close;
static __typeof__(g_dbus_connection_call_sync) *p_dbus_connection_call_sync;
static __typeof__(g_dbus_connection_call) *p_dbus_connection_call;
static __typeof__(g_dbus_error_get_remote_error) *p_dbus_error_get_remote_error;
/* libsecret */
static __typeof__(secret_service_get_sync) *p_service_get_sync;
static __typeof__(secret_service_search_sync) *p_service_search_sync;
static __typeof__(secret_collection_for_alias_sync) *p_collection_for_alias_sync;
static __typeof__(secret_collection_get_locked) *p_collection_get_locked;
static __typeof__(secret_item_create_sync) *p_item_create_sync;
static __typeof__(secret_item_delete_sync) *p_item_delete_sync;
static __typeof__(secret_item_get_locked) *p_item_get_locked;
static __typeof__(secret_item_get_attributes) *p_item_get_attributes;
static __typeof__(secret_value_new) *p_value_new;
static __typeof__(secret_value_unref) *p_value_unref;

/* ---- Our schema. Every attribute is a string; libsecret refuses (with a g_critical) names not listed here. ---- */

static const char *const attribute_names[] = {
    "key", "version", "profile", "role_arn", "source_profile", "role_session_name", "mfa_serial",
    "region", "account", "expires", "created", NULL,
};

static const SecretSchema schema = {
    .name = "io.github.aws-elevate.Session",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {
        {"key", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"version", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"profile", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"role_arn", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"source_profile", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"role_session_name", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"mfa_serial", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"region", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"account", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"expires", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"created", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {NULL, 0},
    },
};

const char *csecret_schema_name(void) {
    return schema.name;
}

const char *const *csecret_schema_attribute_names(void) {
    return attribute_names;
}

/* ---- Loading. ---- */

static pthread_once_t glib_once = PTHREAD_ONCE_INIT;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pthread_once_t secret_once = PTHREAD_ONCE_INIT;
static struct lazy_library glib = LAZY_LIBRARY_INIT("libglib-2.0.so.0");
static struct lazy_library gobject = LAZY_LIBRARY_INIT("libgobject-2.0.so.0");
static struct lazy_library gio = LAZY_LIBRARY_INIT("libgio-2.0.so.0");
static struct lazy_library secret = LAZY_LIBRARY_INIT("libsecret-1.so.0");
static int glib_loaded;
static int loaded;
static int secret_loaded;

#define RESOLVE(library, pointer, name) \
    do { if (!lazy_library_resolve(&(library), name, (void **)&(pointer))) return; } while (0)

static const int flags = RTLD_NOW | RTLD_LOCAL;

/*
 * Three stages, each loaded on first need. glib alone serves csecret_sha256. The D-Bus stack (glib, gobject, gio)
 * is all a lookup needs: it speaks the Secret Service protocol itself.
 * libsecret, which brings libgcrypt and libgpg-error, is opened only by the calls that use it (load_secret), so a
 * cache hit maps ~0.5 MiB less. Its DT_NEEDED glib, gobject and gio are the sonames opened here, so it shares them.
 * The libraries stay loaded for the life of the process (glib cannot be unloaded).
 */
/* glib alone: its SHA-256 (csecret_sha256) needs nothing else, and loads in ~0.2 ms. */
static void load_glib(void) {
    if (!lazy_library_open(&glib, flags)) {
        return;
    }
    RESOLVE(glib, p_free, "g_free");
    RESOLVE(glib, p_error_free, "g_error_free");
    RESOLVE(glib, p_utf8_validate, "g_utf8_validate");
    RESOLVE(glib, p_str_hash, "g_str_hash");
    RESOLVE(glib, p_str_equal, "g_str_equal");
    RESOLVE(glib, p_hash_table_new, "g_hash_table_new");
    RESOLVE(glib, p_hash_table_insert, "g_hash_table_insert");
    RESOLVE(glib, p_hash_table_lookup, "g_hash_table_lookup");
    RESOLVE(glib, p_hash_table_get_keys, "g_hash_table_get_keys");
    RESOLVE(glib, p_hash_table_unref, "g_hash_table_unref");
    RESOLVE(glib, p_list_free, "g_list_free");
    RESOLVE(glib, p_list_free_full, "g_list_free_full");
    RESOLVE(glib, p_variant_new_string, "g_variant_new_string");
    RESOLVE(glib, p_variant_new_tuple, "g_variant_new_tuple");
    RESOLVE(glib, p_variant_get_child_value, "g_variant_get_child_value");
    RESOLVE(glib, p_variant_get_boolean, "g_variant_get_boolean");
    RESOLVE(glib, p_variant_unref, "g_variant_unref");
    RESOLVE(glib, p_variant_new_dict_entry, "g_variant_new_dict_entry");
    RESOLVE(glib, p_variant_new_array, "g_variant_new_array");
    RESOLVE(glib, p_variant_new_variant, "g_variant_new_variant");
    RESOLVE(glib, p_variant_new_objv, "g_variant_new_objv");
    RESOLVE(glib, p_variant_n_children, "g_variant_n_children");
    RESOLVE(glib, p_variant_get_string, "g_variant_get_string");
    RESOLVE(glib, p_variant_get_fixed_array, "g_variant_get_fixed_array");
    RESOLVE(glib, p_checksum_new, "g_checksum_new");
    RESOLVE(glib, p_checksum_update, "g_checksum_update");
    RESOLVE(glib, p_checksum_get_digest, "g_checksum_get_digest");
    RESOLVE(glib, p_checksum_free, "g_checksum_free");
    glib_loaded = 1;
}

static void load(void) {
    pthread_once(&glib_once, load_glib);
    if (!glib_loaded || !lazy_library_open(&gobject, flags) || !lazy_library_open(&gio, flags)) {
        return;
    }
    RESOLVE(gobject, p_object_unref, "g_object_unref");
    RESOLVE(gio, p_cancellable_new, "g_cancellable_new");
    RESOLVE(gio, p_cancellable_cancel, "g_cancellable_cancel");
    RESOLVE(gio, p_bus_get_sync, "g_bus_get_sync");
    RESOLVE(gio, p_dbus_connection_set_exit_on_close, "g_dbus_connection_set_exit_on_close");
    RESOLVE(gio, p_dbus_connection_call, "g_dbus_connection_call");
    RESOLVE(gio, p_dbus_error_get_remote_error, "g_dbus_error_get_remote_error");
    RESOLVE(gio, p_dbus_connection_call_sync, "g_dbus_connection_call_sync");
    loaded = 1;
}

static void load_secret(void) {
    pthread_once(&load_once, load);
    if (!loaded || !lazy_library_open(&secret, flags)) {
        return;
    }
    RESOLVE(secret, p_service_get_sync, "secret_service_get_sync");
    RESOLVE(secret, p_service_search_sync, "secret_service_search_sync");
    RESOLVE(secret, p_collection_for_alias_sync, "secret_collection_for_alias_sync");
    RESOLVE(secret, p_collection_get_locked, "secret_collection_get_locked");
    RESOLVE(secret, p_item_create_sync, "secret_item_create_sync");
    RESOLVE(secret, p_item_delete_sync, "secret_item_delete_sync");
    RESOLVE(secret, p_item_get_locked, "secret_item_get_locked");
    RESOLVE(secret, p_item_get_attributes, "secret_item_get_attributes");
    RESOLVE(secret, p_value_new, "secret_value_new");
    RESOLVE(secret, p_value_unref, "secret_value_unref");
    secret_loaded = 1;
}

/* The first error met while loading, else NULL. */
static const char *load_error(void) {
    const struct lazy_library *libraries[] = { &glib, &gobject, &gio, &secret };
    for (size_t index = 0; index < sizeof libraries / sizeof libraries[0]; index++) {
        const char *error = lazy_library_error(libraries[index]);
        if (error != NULL) {
            return error;
        }
    }
    return NULL;
}

/* Runs one loading stage once; NULL when it succeeded, else the first loader error (or `fallback`). */
static const char *load_stage(pthread_once_t *once, void (*stage)(void), const int *done, const char *fallback) {
    pthread_once(once, stage);
    if (*done) {
        return NULL;
    }
    const char *error = load_error();
    return error != NULL ? error : fallback;
}

const char *csecret_load(void) {
    return load_stage(&load_once, load, &loaded, "cannot load libgio-2.0.so.0");
}

int csecret_library_is_mapped(void) {
    return lazy_library_is_mapped("/libgio-2.0.so") || lazy_library_is_mapped("/libsecret-1.so");
}

/* pthread_once publishes the pointers: read them only after it has run. */
static int ready(void) {
    pthread_once(&load_once, load);
    return loaded;
}

/* ready(), and libsecret too. */
static int ready_secret(void) {
    pthread_once(&secret_once, load_secret);
    return secret_loaded;
}

const char *csecret_load_glib(void) {
    return load_stage(&glib_once, load_glib, &glib_loaded, "cannot load libglib-2.0.so.0");
}

int csecret_sha256(const unsigned char *data, size_t count, unsigned char *digest) {
    if (csecret_load_glib() != NULL || count > (size_t)G_MAXSSIZE) {
        return 0;
    }
    GChecksum *checksum = p_checksum_new(G_CHECKSUM_SHA256);
    if (checksum == NULL) {
        return 0;
    }
    p_checksum_update(checksum, data, (gssize)count);
    gsize length = 32;
    p_checksum_get_digest(checksum, digest, &length);
    p_checksum_free(checksum);
    return length == 32;
}

/* ---- Cancellation. ---- */

csecret_cancellable *csecret_cancellable_new(void) {
    return ready() ? (csecret_cancellable *)p_cancellable_new() : NULL;
}

void csecret_cancellable_cancel(csecret_cancellable *cancellable) {
    if (cancellable != NULL && ready()) {
        p_cancellable_cancel((GCancellable *)cancellable);
    }
}

void csecret_cancellable_free(csecret_cancellable *cancellable) {
    if (cancellable != NULL && ready()) {
        p_object_unref(cancellable);
    }
}

/* ---- Helpers. ---- */

static csecret_status set_error(char **error, const char *message) {
    *error = strdup(message);
    return CSECRET_INVALID;
}

/* Moves a GError's message into *error (our malloc) and frees the GError. */
static csecret_status take_gerror(char **error, GError *gerror, const char *fallback) {
    if (*error == NULL) {
        const char *message = gerror && gerror->message ? gerror->message : fallback;
        *error = strdup(message);
    }
    if (gerror != NULL) {
        p_error_free(gerror);
    }
    return CSECRET_FAILED;
}

static csecret_status not_loaded(char **error) {
    const char *reason = load_error();
    *error = strdup(reason != NULL ? reason : "libsecret is not loaded");
    return CSECRET_FAILED;
}

static int is_schema_attribute(const char *name) {
    for (size_t i = 0; attribute_names[i] != NULL; i++) {
        if (strcmp(attribute_names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * Checks what libsecret would otherwise refuse with a g_critical (and no GError), and builds the table it takes.
 * The table borrows the strings.
 */
static csecret_status attribute_table(const csecret_attribute *attributes, size_t count, GHashTable **table,
                                      char **error) {
    for (size_t i = 0; i < count; i++) {
        if (attributes[i].name == NULL || attributes[i].value == NULL) {
            return set_error(error, "an attribute has no name or no value");
        }
        if (!is_schema_attribute(attributes[i].name)) {
            char message[256];
            snprintf(message, sizeof message, "attribute '%.100s' is not in the schema", attributes[i].name);
            return set_error(error, message);
        }
        if (!p_utf8_validate(attributes[i].value, -1, NULL)) {
            char message[256];
            snprintf(message, sizeof message, "the value of attribute '%.100s' is not valid UTF-8", attributes[i].name);
            return set_error(error, message);
        }
    }
    *table = p_hash_table_new(p_str_hash, p_str_equal);
    for (size_t i = 0; i < count; i++) {
        p_hash_table_insert(*table, (gpointer)attributes[i].name, (gpointer)attributes[i].value);
    }
    return CSECRET_OK;
}

/*
 * The Secret Service proxy, but only when something already owns org.freedesktop.secrets: libsecret's proxy
 * would otherwise ask the bus to activate a keyring daemon, which on a headless machine starts one with a
 * locked or missing login keyring (and leaves it running).
 */
static csecret_status connect_service(GCancellable *cancellable, SecretService **service, char **error) {
    GError *gerror = NULL;
    GDBusConnection *bus = p_bus_get_sync(G_BUS_TYPE_SESSION, cancellable, &gerror);
    if (bus == NULL) {
        take_gerror(error, gerror, "cannot connect to the session bus");
        return CSECRET_NO_BUS;
    }
    /* The shared connection raises SIGTERM in this process when the bus goes away, unless told not to. */
    p_dbus_connection_set_exit_on_close(bus, 0);
    GVariant *name = p_variant_new_string("org.freedesktop.secrets");
    GVariant *reply = p_dbus_connection_call_sync(
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
        p_variant_new_tuple(&name, 1), (const GVariantType *)"(b)", G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
        cancellable, &gerror);
    if (reply == NULL) {
        p_object_unref(bus);
        take_gerror(error, gerror, "NameHasOwner failed");
        return CSECRET_NO_BUS;
    }
    GVariant *owned = p_variant_get_child_value(reply, 0);
    gboolean has_owner = p_variant_get_boolean(owned);
    p_variant_unref(owned);
    p_variant_unref(reply);
    if (!has_owner) {
        p_object_unref(bus);
        *error = strdup("no Secret Service (org.freedesktop.secrets) on the session bus");
        return CSECRET_NO_SERVICE;
    }
    /* The shared connection is dropped once its last reference goes: hold it until libsecret has taken its own,
       or libsecret would open (and authenticate) a second connection. */
    *service = p_service_get_sync(SECRET_SERVICE_NONE, cancellable, &gerror);
    p_object_unref(bus);
    if (*service == NULL) {
        return take_gerror(error, gerror, "secret_service_get_sync failed");
    }
    return CSECRET_OK;
}

/* The default collection, when it exists and is unlocked (else NULL, with the status saying why). */
static csecret_status default_collection(SecretService *service, GCancellable *cancellable,
                                         SecretCollection **collection, char **error) {
    GError *gerror = NULL;
    *collection = p_collection_for_alias_sync(service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE,
                                              cancellable, &gerror);
    if (*collection == NULL) {
        if (gerror != NULL) {
            return take_gerror(error, gerror, "cannot read the default collection");
        }
        *error = strdup("the Secret Service has no default collection");
        return CSECRET_NO_DEFAULT_COLLECTION;
    }
    if (p_collection_get_locked(*collection)) {
        p_object_unref(*collection);
        *collection = NULL;
        *error = strdup("the default collection is locked");
        return CSECRET_LOCKED;
    }
    return CSECRET_OK;
}

/* ---- Operations. ---- */

csecret_status csecret_default_collection_state(csecret_cancellable *cancellable, char **error) {
    *error = NULL;
    if (!ready_secret()) {
        return not_loaded(error);
    }
    SecretService *service = NULL;
    csecret_status status = connect_service((GCancellable *)cancellable, &service, error);
    if (status != CSECRET_OK) {
        return status;
    }
    SecretCollection *collection = NULL;
    status = default_collection(service, (GCancellable *)cancellable, &collection, error);
    if (collection != NULL) {
        p_object_unref(collection);
    }
    p_object_unref(service);
    return status;
}

/* Deletes the unlocked items in `items`; counts the locked ones left. Stops at the first error. */
static csecret_status delete_unlocked(GList *items, GCancellable *cancellable, size_t *removed, size_t *locked,
                                      char **error) {
    for (GList *node = items; node != NULL; node = node->next) {
        SecretItem *item = node->data;
        if (p_item_get_locked(item)) {
            (*locked)++;
            continue;
        }
        GError *gerror = NULL;
        if (!p_item_delete_sync(item, cancellable, &gerror)) {
            return take_gerror(error, gerror, "cannot delete an item");
        }
        (*removed)++;
    }
    return CSECRET_OK;
}

csecret_status csecret_store(const csecret_attribute *attributes, size_t count, const char *label,
                             const unsigned char *secret, size_t length, csecret_cancellable *cancellable,
                             char **error) {
    *error = NULL;
    if (!ready_secret()) {
        return not_loaded(error);
    }
    if (label == NULL || !p_utf8_validate(label, -1, NULL)) {
        return set_error(error, "the label is not valid UTF-8");
    }
    if (length > (size_t)INT32_MAX) {
        return set_error(error, "the secret is too large");
    }
    const char *key = NULL;
    for (size_t i = 0; i < count; i++) {
        if (attributes[i].name != NULL && strcmp(attributes[i].name, "key") == 0) {
            key = attributes[i].value;
        }
    }
    if (key == NULL) {
        return set_error(error, "the attributes lack 'key'");
    }
    GHashTable *table = NULL;
    csecret_status status = attribute_table(attributes, count, &table, error);
    if (status != CSECRET_OK) {
        return status;
    }
    GCancellable *cancel = (GCancellable *)cancellable;
    SecretService *service = NULL;
    SecretCollection *collection = NULL;
    status = connect_service(cancel, &service, error);
    if (status == CSECRET_OK) {
        status = default_collection(service, cancel, &collection, error);
    }
    if (status == CSECRET_OK) {
        /* A key names one unlocked item: delete the old one first, so that no stale copy can win a lookup. */
        GHashTable *by_key = p_hash_table_new(p_str_hash, p_str_equal);
        p_hash_table_insert(by_key, "key", (gpointer)key);
        GError *gerror = NULL;
        GList *old = p_service_search_sync(service, &schema, by_key, SECRET_SEARCH_ALL, cancel, &gerror);
        p_hash_table_unref(by_key);
        if (gerror != NULL) {
            status = take_gerror(error, gerror, "cannot search the keyring");
        } else {
            size_t removed = 0, locked = 0;
            status = delete_unlocked(old, cancel, &removed, &locked, error);
        }
        p_list_free_full(old, p_object_unref);
    }
    if (status == CSECRET_OK) {
        static const unsigned char empty = 0;
        SecretValue *value = p_value_new((const gchar *)(secret ? secret : &empty), (gssize)length,
                                         "application/octet-stream");
        GError *gerror = NULL;
        SecretItem *item = p_item_create_sync(collection, &schema, table, label, value, SECRET_ITEM_CREATE_NONE,
                                              cancel, &gerror);
        p_value_unref(value);
        if (item == NULL) {
            status = take_gerror(error, gerror, "cannot create the item");
        } else {
            p_object_unref(item);
            if (gerror != NULL) {
                p_error_free(gerror);
            }
        }
    }
    if (collection != NULL) {
        p_object_unref(collection);
    }
    if (service != NULL) {
        p_object_unref(service);
    }
    p_hash_table_unref(table);
    return status;
}

/* One Secret Service method call on `bus`, never starting a service (the caller checked nothing owns the name). */
static GVariant *service_call(GDBusConnection *bus, const char *path, const char *interface, const char *method,
                              GVariant *parameters, const char *reply_type, GCancellable *cancellable,
                              GError **gerror) {
    return p_dbus_connection_call_sync(bus, "org.freedesktop.secrets", path, interface, method, parameters,
                                       (const GVariantType *)reply_type, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                                       cancellable, gerror);
}

/* Whether a failed call means that nothing owns org.freedesktop.secrets. */
static int is_no_service(const GError *gerror) {
    if (gerror == NULL) {
        return 0;
    }
    gchar *name = p_dbus_error_get_remote_error(gerror);
    int result = name != NULL && (strcmp(name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0 ||
                                  strcmp(name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0);
    p_free(name);
    return result;
}

/*
 * The lookup speaks the Secret Service protocol directly on one connection, in three round trips: SearchItems,
 * OpenSession ("plain") and GetSecrets. libsecret's search costs about ten (a NameHasOwner check, proxies for the
 * service and the item with their GetAll and match rules, StartServiceByName) and an encrypted session whose key
 * exchange buys nothing on a local bus, where only the same user or root can observe the traffic.
 * Every call carries NO_AUTO_START, so that no keyring daemon is ever activated (a missing service fails the
 * search at once), and SearchItems never unlocks: locked items are reported, never prompted for.
 */
csecret_status csecret_lookup(const csecret_attribute *attributes, size_t count, unsigned char **secret,
                              size_t *length, csecret_cancellable *cancellable, char **error) {
    *error = NULL;
    *secret = NULL;
    *length = 0;
    if (!ready()) {
        return not_loaded(error);
    }
    if (count == 0) {
        return set_error(error, "a lookup needs at least one attribute");
    }
    GHashTable *table = NULL;
    csecret_status status = attribute_table(attributes, count, &table, error);
    if (status != CSECRET_OK) {
        return status;
    }
    p_hash_table_unref(table);
    GCancellable *cancel = (GCancellable *)cancellable;
    GError *gerror = NULL;
    GDBusConnection *bus = p_bus_get_sync(G_BUS_TYPE_SESSION, cancel, &gerror);
    if (bus == NULL) {
        take_gerror(error, gerror, "cannot connect to the session bus");
        return CSECRET_NO_BUS;
    }
    p_dbus_connection_set_exit_on_close(bus, 0);

    /* The attributes, and the schema name as libsecret matches it ("xdg:schema"). */
    GVariant **entries = malloc((count + 1) * sizeof *entries);
    if (entries == NULL) {
        p_object_unref(bus);
        return set_error(error, "out of memory");
    }
    for (size_t i = 0; i < count; i++) {
        entries[i] = p_variant_new_dict_entry(p_variant_new_string(attributes[i].name),
                                              p_variant_new_string(attributes[i].value));
    }
    entries[count] = p_variant_new_dict_entry(p_variant_new_string("xdg:schema"), p_variant_new_string(schema.name));
    GVariant *dictionary = p_variant_new_array((const GVariantType *)"{ss}", entries, count + 1);
    free(entries);
    GVariant *search = service_call(bus, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service",
                                    "SearchItems", p_variant_new_tuple(&dictionary, 1), "(aoao)", cancel, &gerror);
    if (search == NULL) {
        int no_service = is_no_service(gerror);
        if (no_service) {
            p_error_free(gerror);
            *error = strdup("no Secret Service (org.freedesktop.secrets) on the session bus");
            p_object_unref(bus);
            return CSECRET_NO_SERVICE;
        }
        status = take_gerror(error, gerror, "cannot search the keyring");
        p_object_unref(bus);
        return status;
    }
    GVariant *unlocked = p_variant_get_child_value(search, 0);
    GVariant *locked = p_variant_get_child_value(search, 1);
    size_t unlocked_count = p_variant_n_children(unlocked);
    size_t locked_count = p_variant_n_children(locked);
    GVariant *item = unlocked_count > 0 ? p_variant_get_child_value(unlocked, 0) : NULL;
    p_variant_unref(locked);
    p_variant_unref(unlocked);
    p_variant_unref(search);
    if (item == NULL) {
        p_object_unref(bus);
        return locked_count > 0 ? CSECRET_LOCKED : CSECRET_OK;
    }

    GVariant *open_arguments[2] = {p_variant_new_string("plain"), p_variant_new_variant(p_variant_new_string(""))};
    GVariant *opened = service_call(bus, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service",
                                    "OpenSession", p_variant_new_tuple(open_arguments, 2), "(vo)", cancel, &gerror);
    if (opened == NULL) {
        p_variant_unref(item);
        status = take_gerror(error, gerror, "cannot open a Secret Service session");
        p_object_unref(bus);
        return status;
    }
    GVariant *session = p_variant_get_child_value(opened, 1);
    p_variant_unref(opened);
    const gchar *item_path = p_variant_get_string(item, NULL);
    GVariant *get_arguments[2] = {p_variant_new_objv(&item_path, 1), session};
    GVariant *secrets = service_call(bus, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service",
                                     "GetSecrets", p_variant_new_tuple(get_arguments, 2), "(a{o(oayays)})", cancel,
                                     &gerror);
    p_variant_unref(item);
    /* Close the session without waiting for the answer (sent with NO_REPLY_EXPECTED). */
    p_dbus_connection_call(bus, "org.freedesktop.secrets", p_variant_get_string(session, NULL),
                           "org.freedesktop.Secret.Session", "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                           -1, NULL, NULL, NULL);
    p_variant_unref(session);
    if (secrets == NULL) {
        status = take_gerror(error, gerror, "cannot read the secret");
        p_object_unref(bus);
        return status;
    }
    GVariant *map = p_variant_get_child_value(secrets, 0);
    if (p_variant_n_children(map) == 0) {
        /* The item was locked between the search and the read. */
        status = CSECRET_LOCKED;
    } else {
        GVariant *pair = p_variant_get_child_value(map, 0);
        GVariant *value_struct = p_variant_get_child_value(pair, 1);
        GVariant *value = p_variant_get_child_value(value_struct, 2);
        gsize size = 0;
        const unsigned char *bytes = p_variant_get_fixed_array(value, &size, 1);
        /* One byte more, so that an empty secret is still a non-NULL result. */
        *secret = malloc(size + 1);
        if (*secret == NULL) {
            status = CSECRET_FAILED;
            *error = strdup("out of memory");
        } else {
            if (size > 0) {
                memcpy(*secret, bytes, size);
            }
            *length = size;
        }
        p_variant_unref(value);
        p_variant_unref(value_struct);
        p_variant_unref(pair);
    }
    p_variant_unref(map);
    p_variant_unref(secrets);
    p_object_unref(bus);
    return status;
}

/* Connects and searches our items matching `attributes`. On CSECRET_OK the caller owns `*service` and `*found`. */
static csecret_status search_ours(const csecret_attribute *attributes, size_t count, GCancellable *cancel,
                                  SecretService **service, GList **found, char **error) {
    *service = NULL;
    *found = NULL;
    if (!ready_secret()) {
        return not_loaded(error);
    }
    GHashTable *table = NULL;
    csecret_status status = attribute_table(attributes, count, &table, error);
    if (status != CSECRET_OK) {
        return status;
    }
    status = connect_service(cancel, service, error);
    if (status == CSECRET_OK) {
        GError *gerror = NULL;
        *found = p_service_search_sync(*service, &schema, table, SECRET_SEARCH_ALL, cancel, &gerror);
        if (gerror != NULL) {
            status = take_gerror(error, gerror, "cannot search the keyring");
            p_list_free_full(*found, p_object_unref);
            *found = NULL;
            p_object_unref(*service);
            *service = NULL;
        }
    }
    p_hash_table_unref(table);
    return status;
}

csecret_status csecret_clear(const csecret_attribute *attributes, size_t count, size_t *removed,
                             csecret_cancellable *cancellable, char **error) {
    *error = NULL;
    *removed = 0;
    GCancellable *cancel = (GCancellable *)cancellable;
    SecretService *service = NULL;
    GList *found = NULL;
    csecret_status status = search_ours(attributes, count, cancel, &service, &found, error);
    if (status != CSECRET_OK) {
        return status;
    }
    size_t locked = 0;
    status = delete_unlocked(found, cancel, removed, &locked, error);
    if (status == CSECRET_OK && locked > 0) {
        *error = strdup("matching items are in a locked collection");
        status = CSECRET_LOCKED;
    }
    p_list_free_full(found, p_object_unref);
    p_object_unref(service);
    return status;
}

/* Copies an item's attribute table into our own memory. */
static int copy_attributes(GHashTable *table, csecret_attribute_set *set) {
    GList *keys = p_hash_table_get_keys(table);
    size_t count = 0;
    for (GList *node = keys; node != NULL; node = node->next) {
        count++;
    }
    set->count = 0;
    set->names = calloc(count ? count : 1, sizeof(char *));
    set->values = calloc(count ? count : 1, sizeof(char *));
    int ok = set->names != NULL && set->values != NULL;
    for (GList *node = keys; ok && node != NULL; node = node->next) {
        const char *value = p_hash_table_lookup(table, node->data);
        char *name_copy = strdup(node->data);
        char *value_copy = strdup(value ? value : "");
        if (name_copy == NULL || value_copy == NULL) {
            free(name_copy);
            free(value_copy);
            ok = 0;
            break;
        }
        set->names[set->count] = name_copy;
        set->values[set->count] = value_copy;
        set->count++;
    }
    p_list_free(keys);
    return ok;
}

csecret_status csecret_search(const csecret_attribute *attributes, size_t count, csecret_item_list **items,
                              csecret_cancellable *cancellable, char **error) {
    *error = NULL;
    *items = NULL;
    SecretService *service = NULL;
    GList *found = NULL;
    csecret_status status = search_ours(attributes, count, (GCancellable *)cancellable, &service, &found, error);
    if (status != CSECRET_OK) {
        return status;
    }
    size_t total = 0;
    for (GList *node = found; node != NULL; node = node->next) {
        total++;
    }
    csecret_item_list *list = calloc(1, sizeof *list);
    if (list != NULL) {
        list->items = calloc(total ? total : 1, sizeof(csecret_attribute_set));
    }
    if (list == NULL || list->items == NULL) {
        free(list);
        list = NULL;
        status = CSECRET_FAILED;
        *error = strdup("out of memory");
    }
    for (GList *node = found; list != NULL && node != NULL; node = node->next) {
        GHashTable *item_attributes = p_item_get_attributes(node->data);
        if (item_attributes == NULL) {
            continue;
        }
        int ok = copy_attributes(item_attributes, &list->items[list->count]);
        list->count++;
        p_hash_table_unref(item_attributes);
        if (!ok) {
            csecret_free_items(list);
            list = NULL;
            status = CSECRET_FAILED;
            *error = strdup("out of memory");
        }
    }
    *items = list;
    p_list_free_full(found, p_object_unref);
    p_object_unref(service);
    return status;
}

/* ---- Freeing. ---- */

void csecret_free_string(char *string) {
    free(string);
}

void csecret_free_secret(unsigned char *secret, size_t length) {
    if (secret != NULL) {
        explicit_bzero(secret, length);
        free(secret);
    }
}

void csecret_free_items(csecret_item_list *items) {
    if (items == NULL) {
        return;
    }
    for (size_t i = 0; i < items->count; i++) {
        csecret_attribute_set *set = &items->items[i];
        for (size_t j = 0; j < set->count; j++) {
            free(set->names[j]);
            free(set->values[j]);
        }
        free(set->names);
        free(set->values);
    }
    free(items->items);
    free(items);
}
