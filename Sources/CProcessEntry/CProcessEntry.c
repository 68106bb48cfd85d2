#include "CProcessEntry.h"

#include <stddef.h>

static int saved_argc;
static char **saved_argv;

/* Runs before main; a libc that passes no arguments to constructors leaves both unset. */
__attribute__((constructor, used)) static void process_entry_save(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 0 && argv != NULL && argv[argc] == NULL) {
        saved_argc = argc;
        saved_argv = argv;
    }
}

int process_entry_argc(void) { return saved_argc; }

char **process_entry_argv(void) { return saved_argv; }
