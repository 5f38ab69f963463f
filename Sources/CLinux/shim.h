#ifndef CARILLON_CLINUX_SHIM_H
#define CARILLON_CLINUX_SHIM_H
/* Linux interfaces Glibc's Swift module leaves out. */
#include <sys/timerfd.h>
#endif
