#ifndef CPROCESSENTRY_H
#define CPROCESSENTRY_H

/*
 * The command line as the process entry received it. glibc passes (argc, argv, envp) to the constructors of
 * the executable, so the arguments are known without /proc (the Swift runtime reads /proc/self/cmdline on
 * Linux and sees nothing in a root where /proc is not mounted).
 */

#ifdef __cplusplus
extern "C" {
#endif

/* The number of arguments, argv[0] included; 0 when the entry did not pass them. */
int process_entry_argc(void);

/* The arguments, argc entries then NULL; NULL when the entry did not pass them. */
char *_Nullable *_Nullable process_entry_argv(void);

#ifdef __cplusplus
}
#endif

#endif
