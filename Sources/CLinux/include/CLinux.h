#ifndef CARILLON_CLINUX_H
#define CARILLON_CLINUX_H
/* Linux interfaces Glibc's Swift module leaves out.
   This header must not define _GNU_SOURCE: it would change how glibc's headers declare shared
   types (fd_set's fields), and a clean build then refuses to import this module beside another
   that includes them without it (COpenSSL). The functions that need _GNU_SOURCE are defined in
   shim.c, which defines it for itself. */
#include <sys/timerfd.h>
#include <spawn.h>

/* Nanoseconds on CLOCK_MONOTONIC, and a timerfd armed at an absolute CLOCK_REALTIME instant that
   wakes early when the clock is set: in C, so that no Swift file names `struct timespec`, whose
   members Swift resolves to whichever C module of the build declared it first. */
unsigned long long carillon_monotonic_ns(void);
int carillon_timerfd_arm_wall(int fd, long long seconds, long nanoseconds);

/* pipe2 with O_CLOEXEC. */
int carillon_pipe_cloexec(int fds[2]);
/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34). */
int carillon_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);
/* mallopt's parameters are macros of malloc.h, which the Glibc module leaves out. */
int carillon_malloc_arena_max(int count);
int carillon_malloc_mmap_threshold(int bytes);
int carillon_malloc_trim(void);
/* The calling thread to SCHED_IDLE (sched.h's SCHED_IDLE needs _GNU_SOURCE); 0 or an errno. */
int carillon_thread_idle_priority(void);
#endif
