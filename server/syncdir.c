/* One fsync of a directory, for the server's renames (syncdir.h). */
#include "syncdir.h"

#include <fcntl.h>
#include <unistd.h>

vn_err vn_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return VN_EIO;
    vn_err err = fsync(fd) == 0 ? VN_OK : VN_EIO;
    close(fd);
    return err;
}
