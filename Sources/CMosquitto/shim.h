#include <mosquitto.h>

/* MQTT_PROTOCOL_V311 is a macro: give Swift a plain function, so the version stays the header's. */
static inline int carillon_mqtt_protocol_v311(void) { return MQTT_PROTOCOL_V311; }
