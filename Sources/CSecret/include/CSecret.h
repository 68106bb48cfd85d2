#ifndef CSECRET_H
#define CSECRET_H

/*
 * libsecret (the Secret Service client) behind dlopen. Nothing links libsecret, glib, gobject or gio: CSecret.c
 * takes their types and prototypes from their own headers and calls through pointers resolved with dlsym. This
 * header needs none of theirs, so the Swift modules that import it need no glib flags. Call csecret_load() first;
 * it returns NULL on success.
 *
 * Every blocking function here talks to the D-Bus session bus and may block for as long as the Secret Service
 * takes to answer (libsecret's own D-Bus timeout is 25 s). Run them on a thread of their own and bound them with
 * a deadline; csecret_cancellable_cancel() makes an abandoned call return soon.
 *
 * None of them ever prompts, unlocks, creates a collection or starts a Secret Service through D-Bus activation:
 * when nothing owns org.freedesktop.secrets they return CSECRET_NO_SERVICE without asking libsecret. They do
 * connect to the session bus through GDBus, which, with neither DBUS_SESSION_BUS_ADDRESS nor
 * $XDG_RUNTIME_DIR/bus, autolaunches a new bus through X11: check for a bus before calling them.
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a blocking call found. Whenever a status other than CSECRET_OK is returned, *error may hold a message. */
typedef enum {
    CSECRET_OK = 0,
    /* No session bus could be reached (g_bus_get_sync failed). */
    CSECRET_NO_BUS = 1,
    /* The session bus works, but nothing owns org.freedesktop.secrets. */
    CSECRET_NO_SERVICE = 2,
    /* The Secret Service has no collection behind the alias "default". */
    CSECRET_NO_DEFAULT_COLLECTION = 3,
    /* The default collection is locked, or only locked items matched. */
    CSECRET_LOCKED = 4,
    /* The arguments were rejected before anything was sent (unknown attribute, invalid UTF-8, no key). */
    CSECRET_INVALID = 5,
    /* libsecret reported an error (its GError message is in *error), or the library is not loaded. */
    CSECRET_FAILED = 6,
} csecret_status;

/* A GCancellable. */
typedef struct csecret_cancellable csecret_cancellable;

/* One attribute passed in; the strings stay the caller's. */
typedef struct {
    const char *_Nonnull name;
    const char *_Nonnull value;
} csecret_attribute;

/* The attributes of one item, owned by the list that holds it. */
typedef struct {
    size_t count;
    char *_Nonnull *_Nullable names;
    char *_Nonnull *_Nullable values;
} csecret_attribute_set;

/* Items found by csecret_search(); free with csecret_free_items(). */
typedef struct {
    size_t count;
    csecret_attribute_set *_Nullable items;
} csecret_item_list;

/*
 * Loads glib, gobject and gio once per process (RTLD_NOW | RTLD_LOCAL) and resolves the functions a lookup uses;
 * the calls that need libsecret itself (csecret_default_collection_state, csecret_store, csecret_clear,
 * csecret_search) load it on first use and report CSECRET_FAILED with the loader's message when it is missing.
 * Thread-safe. Returns NULL on success, else a message (from dlerror) that stays valid for the process.
 */
const char *_Nullable csecret_load(void);

/* 1 when any of the keyring libraries (gio or libsecret) is mapped into this process (/proc/self/maps), else 0. */
int csecret_library_is_mapped(void);

/* Loads glib alone (what csecret_sha256 needs). Returns NULL on success, else the loader's message. */
const char *_Nullable csecret_load_glib(void);

/* SHA-256 of data into digest (32 bytes) with GLib's GChecksum, loading glib alone if needed. Returns 1 on success,
   0 if glib cannot be loaded. */
int csecret_sha256(const unsigned char *_Nonnull data, size_t count, unsigned char *_Nonnull digest);

/* Our schema's name, and its attribute names (NULL-terminated). Neither needs the library. */
const char *_Nonnull csecret_schema_name(void);
const char *_Nullable const *_Nonnull csecret_schema_attribute_names(void);

/* A new GCancellable; NULL before a successful csecret_load(). Thread-safe to cancel from any thread. */
csecret_cancellable *_Nullable csecret_cancellable_new(void);
void csecret_cancellable_cancel(csecret_cancellable *_Nullable cancellable);
void csecret_cancellable_free(csecret_cancellable *_Nullable cancellable);

/*
 * Whether the default collection (alias "default") exists and is unlocked: CSECRET_OK when it is, else
 * CSECRET_LOCKED, CSECRET_NO_DEFAULT_COLLECTION, CSECRET_NO_SERVICE, CSECRET_NO_BUS or CSECRET_FAILED.
 * Reads the collection's Locked property only.
 */
csecret_status csecret_default_collection_state(csecret_cancellable *_Nullable cancellable,
                                                char *_Nullable *_Nonnull error);

/*
 * Stores `secret` (any bytes) under our schema in the default collection, which must exist and be unlocked
 * (else CSECRET_NO_DEFAULT_COLLECTION or CSECRET_LOCKED, and nothing is written). The attributes must include
 * "key"; unlocked items with the same key are deleted first, so a key names at most one unlocked item.
 */
csecret_status csecret_store(const csecret_attribute *_Nullable attributes, size_t count,
                             const char *_Nonnull label, const unsigned char *_Nullable secret, size_t length,
                             csecret_cancellable *_Nullable cancellable, char *_Nullable *_Nonnull error);

/*
 * Finds an item of our schema matching `attributes` (at least one), unlocked items first. CSECRET_OK with
 * *secret set (free with csecret_free_secret) when found, CSECRET_OK with *secret NULL when nothing matched,
 * CSECRET_LOCKED when only locked items matched (their secrets are not read, nothing is unlocked).
 */
csecret_status csecret_lookup(const csecret_attribute *_Nullable attributes, size_t count,
                              unsigned char *_Nullable *_Nonnull secret,
                              size_t *_Nonnull length, csecret_cancellable *_Nullable cancellable,
                              char *_Nullable *_Nonnull error);

/*
 * Deletes the unlocked items of our schema matching `attributes` (all of them when count is 0) and sets
 * *removed to their number. CSECRET_LOCKED when locked matching items were left in place.
 */
csecret_status csecret_clear(const csecret_attribute *_Nullable attributes, size_t count,
                             size_t *_Nonnull removed, csecret_cancellable *_Nullable cancellable,
                             char *_Nullable *_Nonnull error);

/*
 * The attributes (never the secrets) of the items of our schema matching `attributes` (all of them when count
 * is 0), locked ones included, as the Secret Service reports them. Free *items with csecret_free_items().
 */
csecret_status csecret_search(const csecret_attribute *_Nullable attributes, size_t count,
                              csecret_item_list *_Nullable *_Nonnull items,
                              csecret_cancellable *_Nullable cancellable, char *_Nullable *_Nonnull error);

/* Free what the functions above return. csecret_free_secret overwrites the bytes first. */
void csecret_free_string(char *_Nullable string);
void csecret_free_secret(unsigned char *_Nullable secret, size_t length);
void csecret_free_items(csecret_item_list *_Nullable items);

#ifdef __cplusplus
}
#endif

#endif
