/* Events: what the daemon stored, as typed JSON (one schema per kind, in
 * docs/JSONRPC.md), and the short text a notification says of it. */
#ifndef VN_EVENTS_H
#define VN_EVENTS_H

#include "client.h"

#include <jansson.h>

/* What a person should be told of one event, and when. */
typedef struct vn_event_note {
    bool notify;     /* it should reach a person now (or after quiet hours) */
    bool concern;    /* concern level: waits out quiet hours; crisis and SOS never do */
    char kind[32];   /* the event's kind ("message", "alert", ...) */
    char text[320];  /* short; message content only when asked for */
    char dedupe[80]; /* one alert raised twice (notice and report) notifies once; "" */
} vn_event_note;

/* The event for s (a new reference; NULL when out of memory), and in
 * *note what to notify; with_content lets message text into note->text. */
json_t *vn_event_of(vn_client *c, const vn_stored *s, bool with_content, vn_event_note *note);

#endif
