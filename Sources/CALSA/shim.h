#ifndef CARILLON_CALSA_SHIM_H
#define CARILLON_CALSA_SHIM_H
#include <alsa/asoundlib.h>

/* ALSA's default error handler prints to stderr from inside library calls; the daemon reports
   errors itself (with context), so it installs this quiet handler. The handler type is variadic,
   which Swift cannot express, hence the shim. */
static void carillon_alsa_quiet_handler(const char *file, int line, const char *function, int err,
                                        const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static inline int carillon_alsa_silence_errors(void) {
    return snd_lib_error_set_handler(carillon_alsa_quiet_handler);
}

#endif
