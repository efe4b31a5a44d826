/* The lines the announcements of the server are shown as: people leaving
 * or removed from a case, a new casemanager, a case closed or reopened
 * (server/announce.c sends them). Pure text, no client state. */
#ifndef VN_ANNOUNCE_CLIENT_H
#define VN_ANNOUNCE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "vangnet.pb-c.h"

/* How an account is shown: a local contact name, or NULL for the id
 * itself. out (size bytes) may hold the name; the return is what to print. */
typedef const char *(*vn_announce_label_fn)(void *ud, const char *account, char *out, size_t size);

/* If n is an announcement, writes its line ("KIND: a sentence", as notice.c writes the others)
 * into text and returns true; false (text untouched) for any other kind. */
bool vn_announce_text(const Vn__Notice *n, char *text, size_t size);
/* The same, showing accounts through label (may be NULL: whole ids). */
bool vn_announce_text_labelled(const Vn__Notice *n, vn_announce_label_fn label, void *ud,
                               char *text, size_t size);

#endif
