/* vn_config: the settings file of `vangnetd run --config FILE`
 * (/etc/vangnet/vangnetd.conf): `key = value` lines, `#` or `;` comments,
 * no sections. Read with Debian's libinih. It only finds each key's value
 * and line; main.c checks the values with the same rules as the command
 * line, so a bad value is named with its file and line. */
#ifndef VN_CONFIG_H
#define VN_CONFIG_H

#include <stddef.h>

#include "vn/err.h"

typedef struct vn_config vn_config;

/* Reads path, accepting only the nkeys names of keys (read during the
 * load only; values are then looked up by index). An unknown key, a key given twice, a section or a
 * line that is not `key = value` fails with msg naming the file, the line and the key. */
vn_err vn_config_load(vn_config **out, const char *path, const char *const *keys, size_t nkeys,
                      char *msg, size_t msgsize);
/* The value of keys[i] (owned by the config), or NULL if the file does not
 * set it; *line is its line number. */
const char *vn_config_value(const vn_config *self, size_t i, unsigned *line);
/* The path it was read from. */
const char *vn_config_path(const vn_config *self);
void vn_config_close(vn_config **self_p);

#endif
