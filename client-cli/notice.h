/* Notices from the server (reminders, overdue items, contracts, alerts), as
 * the one who reads them should read them: a full sentence, with the exact
 * command that works for the reader's role, local contact names instead of
 * account ids, and a short case reference (notice.c). */
#ifndef VN_NOTICE_H
#define VN_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "client.h"

/* The sentence for notice n, read by the profile of c (its role and
 * contacts), into text (truncated to size, always terminated). Begins with
 * the notice's kind and a colon, so a reader can scan a list of them. */
void vn_notice_text(vn_client *c, const Vn__Notice *n, char *text, size_t size);
/* The same without a profile (pure, for tests): role is the reader's role
 * ("" if unknown), by_name the reader's name for n->by (NULL: none, a
 * short id is shown). */
void vn_notice_render(const Vn__Notice *n, const char *role, const char *by_name, char *text,
                      size_t size);
/* The notice as the fields of a JSON object, without the braces: "kind",
 * "item", "case", "date" and the rest that are set, then "text" (the
 * sentence of vn_notice_text). */
void vn_notice_json(vn_client *c, FILE *f, const Vn__Notice *n);
/* What a received signal report or SOS (end to end, not a notice) tells
 * its reader to do, by role: a buddy takes an SOS with claim, but leaves a
 * signal to the casemanager, who acknowledges it. */
void vn_notice_signal_hint(vn_client *c, bool sos, const char *alert, char *text, size_t size);
/* The same for a given role (pure). */
void vn_notice_hint_for(const char *role, bool sos, const char *alert, char *text, size_t size);

#endif
