/* What vangnetd's commands (main.c) share with the commands that live in
 * files of their own. Each returns 0 or the exit code, having said why. */
#ifndef VN_OPCMD_H
#define VN_OPCMD_H

#include "runopts.h"
#include "storekey.h"

#include "vn/err.h"
#include <stddef.h>
#include <stdint.h>

/* Explains why the store would not open, naming the files involved. */
int vn_cmd_die_store(const vn_opts *o, const char *keypath, vn_err err);
/* Reads the store key named by --store-key or systemd's credential into
 * key, and its path into path. */
int vn_cmd_load_key(const vn_opts *o, uint8_t key[VN_STOREKEY_LEN], char *path, size_t size);
/* Before a command opens the store: it must be there, whole and of a
 * format this build reads (an older one is moved forward). */
int vn_cmd_prepare_store(const vn_opts *o);

/* cmd_invite.c */
int vn_cmd_invite(vn_opts *o);
int vn_cmd_intake_code(vn_opts *o);

#endif
