#ifndef CARILLON_CLINUX_SHIM_H
#define CARILLON_CLINUX_SHIM_H
/* Linux interfaces Glibc's Swift module leaves out. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/timerfd.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>
#include <malloc.h>

/* pipe2 and posix_spawn_file_actions_addclosefrom_np (glibc 2.34) need _GNU_SOURCE, which the
   Glibc module was not built with. */
static inline int carillon_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
static inline int carillon_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
/* mallopt's parameters are macros of malloc.h, which the Glibc module leaves out. */
static inline int carillon_malloc_arena_max(int count) { return mallopt(M_ARENA_MAX, count); }
static inline int carillon_malloc_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
static inline int carillon_malloc_trim(void) { return malloc_trim(0); }
#endif
