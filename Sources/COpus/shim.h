#include <opus.h>

/* opus_encoder_ctl and opus_decoder_ctl are variadic: Swift cannot call them, so each request
   we use gets a fixed-signature wrapper. */
static inline int carillon_opus_set_bitrate(OpusEncoder *e, opus_int32 bps) {
    return opus_encoder_ctl(e, OPUS_SET_BITRATE(bps));
}
static inline int carillon_opus_set_complexity(OpusEncoder *e, opus_int32 c) {
    return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(c));
}
static inline int carillon_opus_set_signal_voice(OpusEncoder *e) {
    return opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}
static inline int carillon_opus_set_inband_fec(OpusEncoder *e, opus_int32 on) {
    return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(on));
}
static inline int carillon_opus_set_packet_loss_perc(OpusEncoder *e, opus_int32 p) {
    return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(p));
}
