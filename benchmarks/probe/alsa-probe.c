// alsa-probe: an LD_PRELOAD shim that carillon-bench puts under both daemons it measures.
//
// 1. It timestamps the first sound written to ALSA. At each snd_pcm_writei the application makes,
//    it looks for the first sample louder than a threshold after at least 20 ms of quiet, and
//    appends "onset MONOTONIC_NS REALTIME_NS FRAME QUEUED_US" to $CARILLON_PROBE_LOG, FRAME
//    counting from the PCM's opening. The timestamp is taken when the call returns: the samples are
//    written. QUEUED_US is what the emulated device (2.) held ahead of the onset then, in µs: it is
//    heard that much later. -1 when the probe does not pace (the daemon knows its own queue).
// 2. With $CARILLON_PROBE_PACE=1 it gives a PCM that never blocks (`null`, `file` over `null`) the
//    clock of a real device: a writer more than one ALSA buffer ahead of real time is held back
//    (a short write, then a sleep until a period is free) as a blocking write to a card would be,
//    and snd_pcm_drop empties the emulated buffer. A writer that paces itself is never held back.
//
// 3. It follows snd_pcm_rewind and snd_pcm_forward, so FRAME stays the frame's offset in the
//    capture when the application takes back what it queued (carillond does, to mix a trigger in).
//
// Only calls from the application into libasound are seen; ALSA's own plugins call each other
// internally. One playback PCM per process is assumed (both daemons are set up with one).
#define _GNU_SOURCE
#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static snd_pcm_t *current;
static unsigned rate = 48000, channels = 2;
static snd_pcm_uframes_t buffer_frames = 2400, period_frames = 240;
static snd_pcm_format_t format = SND_PCM_FORMAT_S16_LE;
static int64_t total;      // frames written since the PCM was opened
static int64_t quiet_run;  // consecutive quiet frames at the end of the last write
static int64_t queued_at;  // emulated device: frames written since `clock_start`...
static uint64_t clock_start;  // ...and the monotonic time its clock started; 0 = not running
static int log_fd = -2;
static int threshold = 1000;
static int pace = -1;

static uint64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void setup(void) {
    if (pace >= 0) return;
    const char *p = getenv("CARILLON_PROBE_PACE");
    pace = p && *p == '1';
    const char *t = getenv("CARILLON_PROBE_THRESHOLD");
    if (t) threshold = atoi(t);
    const char *path = getenv("CARILLON_PROBE_LOG");
    log_fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
}

// A new PCM (or the same one reopened): counts and the emulated clock start over.
static void adopt(snd_pcm_t *pcm) {
    if (pcm == current) return;
    current = pcm;
    total = 0;
    quiet_run = INT64_MAX / 2;
    clock_start = 0;
}

int snd_pcm_hw_params(snd_pcm_t *pcm, snd_pcm_hw_params_t *params) {
    static int (*real)(snd_pcm_t *, snd_pcm_hw_params_t *);
    if (!real) real = dlsym(RTLD_NEXT, "snd_pcm_hw_params");
    int err = real(pcm, params);
    if (err == 0 && snd_pcm_stream(pcm) == SND_PCM_STREAM_PLAYBACK) {
        pthread_mutex_lock(&lock);
        current = NULL;
        adopt(pcm);
        snd_pcm_hw_params_get_rate(params, &rate, NULL);
        snd_pcm_hw_params_get_channels(params, &channels);
        snd_pcm_hw_params_get_buffer_size(params, &buffer_frames);
        snd_pcm_hw_params_get_period_size(params, &period_frames, NULL);
        snd_pcm_hw_params_get_format(params, &format);
        pthread_mutex_unlock(&lock);
    }
    return err;
}

static void empty_buffer(snd_pcm_t *pcm) {
    pthread_mutex_lock(&lock);
    if (pcm == current) clock_start = 0;
    pthread_mutex_unlock(&lock);
}

int snd_pcm_drop(snd_pcm_t *pcm) {
    static int (*real)(snd_pcm_t *);
    if (!real) real = dlsym(RTLD_NEXT, "snd_pcm_drop");
    empty_buffer(pcm);
    return real(pcm);
}

int snd_pcm_prepare(snd_pcm_t *pcm) {
    static int (*real)(snd_pcm_t *);
    if (!real) real = dlsym(RTLD_NEXT, "snd_pcm_prepare");
    empty_buffer(pcm);
    return real(pcm);
}

// Frames the emulated device may take now. Without room it sleeps, as a blocking write to a card
// does, until a period is free (avail_min's default), or what is left of the write if less.
static snd_pcm_uframes_t room_for(snd_pcm_uframes_t wanted) {
    for (;;) {
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        if (clock_start == 0) {
            clock_start = now;
            queued_at = 0;
        }
        int64_t played = (int64_t)((now - clock_start) * rate / 1000000000u);
        if (played > queued_at) {  // ran dry: a real device would underrun and restart
            clock_start = now;
            queued_at = 0;
            played = 0;
        }
        int64_t room = (int64_t)buffer_frames - (queued_at - played);
        if (room > 0) return wanted < (snd_pcm_uframes_t)room ? wanted : (snd_pcm_uframes_t)room;
        int64_t step = (int64_t)period_frames;
        if (step > (int64_t)wanted) step = (int64_t)wanted;
        uint64_t due = clock_start + (uint64_t)(queued_at - (int64_t)buffer_frames + step) * 1000000000u / rate;
        pthread_mutex_unlock(&lock);
        struct timespec ts = {.tv_sec = due / 1000000000u, .tv_nsec = due % 1000000000u};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        pthread_mutex_lock(&lock);
    }
}

// The index of the first loud frame after 20 ms of quiet in `buffer`, or -1; updates the quiet run.
static int64_t onset_in(const void *buffer, snd_pcm_uframes_t frames) {
    int64_t found = -1;
    int64_t arm = rate / 50;
    for (snd_pcm_uframes_t f = 0; f < frames; f++) {
        int loud = 0;
        for (unsigned c = 0; c < channels && !loud; c++) {
            size_t i = f * channels + c;
            int v;
            switch (format) {
            case SND_PCM_FORMAT_S16_LE: v = ((const int16_t *)buffer)[i]; break;
            case SND_PCM_FORMAT_S32_LE: v = ((const int32_t *)buffer)[i] >> 16; break;
            case SND_PCM_FORMAT_FLOAT_LE: v = (int)(((const float *)buffer)[i] * 32768); break;
            default: return -1;
            }
            loud = v > threshold || v < -threshold;
        }
        if (!loud) {
            quiet_run++;
        } else {
            if (found < 0 && quiet_run >= arm) found = (int64_t)f;
            quiet_run = 0;
        }
    }
    return found;
}

snd_pcm_sframes_t snd_pcm_writei(snd_pcm_t *pcm, const void *buffer, snd_pcm_uframes_t size) {
    static snd_pcm_sframes_t (*real)(snd_pcm_t *, const void *, snd_pcm_uframes_t);
    if (!real) real = dlsym(RTLD_NEXT, "snd_pcm_writei");
    pthread_mutex_lock(&lock);
    setup();
    adopt(pcm);
    if (pace) size = room_for(size);
    pthread_mutex_unlock(&lock);

    snd_pcm_sframes_t n = real(pcm, buffer, size);
    uint64_t mono = now_ns(CLOCK_MONOTONIC);
    uint64_t wall = now_ns(CLOCK_REALTIME);
    if (n <= 0) return n;

    pthread_mutex_lock(&lock);
    int64_t onset = onset_in(buffer, (snd_pcm_uframes_t)n);
    if (onset >= 0 && log_fd >= 0) {
        long long ahead = -1;
        if (pace && clock_start != 0) {
            int64_t played = (int64_t)((mono - clock_start) * rate / 1000000000u);
            int64_t frames = queued_at + onset - played;
            ahead = frames > 0 ? (long long)(frames * 1000000 / rate) : 0;
        }
        char line[128];
        int len = snprintf(line, sizeof line, "onset %llu %llu %lld %lld\n", (unsigned long long)mono,
                           (unsigned long long)wall, (long long)(total + onset), ahead);
        if (write(log_fd, line, (size_t)len) < 0) { /* nothing to do: the bench notices the gap */ }
    }
    total += n;
    if (pace) queued_at += n;
    pthread_mutex_unlock(&lock);
    return n;
}

// Frames taken back are written again: the stream's count, the emulated queue and the quiet run
// before the rewind point go back with them (a quiet run shorter than the frames taken back
// included loud ones: unknown before them, so no onset is armed until 20 ms of quiet again).
snd_pcm_sframes_t snd_pcm_rewind(snd_pcm_t *pcm, snd_pcm_uframes_t frames) {
    static snd_pcm_sframes_t (*real)(snd_pcm_t *, snd_pcm_uframes_t);
    if (!real) real = dlsym(RTLD_NEXT, "snd_pcm_rewind");
    snd_pcm_sframes_t n = real(pcm, frames);
    if (n <= 0) return n;
    pthread_mutex_lock(&lock);
    if (pcm == current) {
        total -= n;
        if (pace) queued_at -= n;
        quiet_run = quiet_run >= n ? quiet_run - n : 0;
    }
    pthread_mutex_unlock(&lock);
    return n;
}

// Frames moved over after a rewind play as they were written: counted again, as quiet (the
// application forwards over a part period it chose not to write again).
snd_pcm_sframes_t snd_pcm_forward(snd_pcm_t *pcm, snd_pcm_uframes_t frames) {
    static snd_pcm_sframes_t (*real)(snd_pcm_t *, snd_pcm_uframes_t);
    if (!real) real = dlsym(RTLD_NEXT, "snd_pcm_forward");
    snd_pcm_sframes_t n = real(pcm, frames);
    if (n <= 0) return n;
    pthread_mutex_lock(&lock);
    if (pcm == current) {
        total += n;
        if (pace) queued_at += n;
    }
    pthread_mutex_unlock(&lock);
    return n;
}
