#ifndef CFILESYSTEM_H
#define CFILESYSTEM_H

#include <sys/vfs.h>

/*
 * The type of the file system that holds the open file `fd` (statfs's f_type, a magic number such as 0xEF53 for
 * ext4), or -1 when it cannot be known. Glibc's Swift module does not export <sys/vfs.h>.
 */
static inline long long file_system_type(int fd) {
    struct statfs status;
    if (fstatfs(fd, &status) != 0) return -1;
    return (long long)status.f_type;
}

#endif
