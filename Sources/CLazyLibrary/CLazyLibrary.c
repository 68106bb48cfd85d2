#include "CLazyLibrary.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void lazy_library_fail(struct lazy_library *library, const char *what, const char *detail) {
    snprintf(library->error_buffer, sizeof library->error_buffer, "%s%s%s", what, detail ? ": " : "",
             detail ? detail : "");
    library->error = library->error_buffer;
}

int lazy_library_open(struct lazy_library *library, int flags) {
    dlerror();
    library->handle = dlopen(library->soname, flags);
    if (library->handle == NULL) {
        char what[160];
        snprintf(what, sizeof what, "cannot load %s", library->soname);
        lazy_library_fail(library, what, dlerror());
        return 0;
    }
    return 1;
}

int lazy_library_resolve(struct lazy_library *library, const char *symbol, void **out) {
    *out = library->handle ? dlsym(library->handle, symbol) : NULL;
    if (*out == NULL) {
        char what[256];
        snprintf(what, sizeof what, "%s lacks %s", library->soname, symbol);
        lazy_library_fail(library, what, library->handle ? dlerror() : "not loaded");
        return 0;
    }
    return 1;
}

const char *lazy_library_error(const struct lazy_library *library) {
    return library->error;
}

int lazy_library_is_mapped(const char *needle) {
    FILE *maps = fopen("/proc/self/maps", "re");
    if (maps == NULL) {
        return 0;
    }
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps) != NULL) {
        found = strstr(line, needle) != NULL;
    }
    fclose(maps);
    return found;
}
