#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <spawn.h>
#include <time.h>
#include <unistd.h>
#include "CLinux.h"

int carillon_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int carillon_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
int carillon_malloc_arena_max(int count) { return mallopt(M_ARENA_MAX, count); }
int carillon_malloc_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
int carillon_malloc_trim(void) { return malloc_trim(0); }
int carillon_thread_idle_priority(void) {
    struct sched_param param = {0};
    return sched_setscheduler(0, SCHED_IDLE, &param) == 0 ? 0 : errno;
}

unsigned long long carillon_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

int carillon_timerfd_arm_wall(int fd, long long seconds, long nanoseconds) {
    struct itimerspec spec = {0};
    spec.it_value.tv_sec = (time_t)seconds;
    spec.it_value.tv_nsec = nanoseconds;
    return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, NULL);
}
