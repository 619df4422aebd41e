/* SPDX-License-Identifier: MIT */
/* The out-of-line parts of compat.h for Windows (built only there): what needs <windows.h>,
 * kept out of the header so no other file sees that header's macros. */
#include "compat.h"

#include <stdarg.h>
#include <windows.h>

/* errno for the Win32 errors CreateFile and MoveFileEx report most: the rest is EIO. */
static int errno_from_win32(DWORD e) {
        switch (e) {
        case ERROR_FILE_NOT_FOUND:
        case ERROR_PATH_NOT_FOUND:
        case ERROR_INVALID_NAME:
        case ERROR_INVALID_DRIVE:
                return ENOENT;
        case ERROR_ACCESS_DENIED:
        case ERROR_SHARING_VIOLATION:
        case ERROR_LOCK_VIOLATION:
                return EACCES;
        case ERROR_NOT_SAME_DEVICE:
                return EXDEV;
        case ERROR_ALREADY_EXISTS:
        case ERROR_FILE_EXISTS:
                return EEXIST;
        case ERROR_DISK_FULL:
                return ENOSPC;
        case ERROR_FILENAME_EXCED_RANGE:
                return ENAMETOOLONG;
        default:
                return EIO;
        }
}

#undef open
int bw_compat_open(const char *path, int flags, ...) {
        int mode = 0;
        if (flags & O_CREAT) {
                va_list ap;
                va_start(ap, flags);
                mode = va_arg(ap, int);
                va_end(ap);
        }
        DWORD access = (flags & O_RDWR)     ? GENERIC_READ | GENERIC_WRITE
                       : (flags & O_WRONLY) ? GENERIC_WRITE
                                            : GENERIC_READ;
        DWORD disposition = (flags & O_CREAT) && (flags & O_EXCL)    ? CREATE_NEW
                            : (flags & O_CREAT) && (flags & O_TRUNC) ? CREATE_ALWAYS
                            : (flags & O_CREAT)                      ? OPEN_ALWAYS
                            : (flags & O_TRUNC)                      ? TRUNCATE_EXISTING
                                                                     : OPEN_EXISTING;
        /* as the C runtime does: a file created without write permission is read-only */
        DWORD attributes = (flags & O_CREAT) && !(mode & _S_IWRITE) ? FILE_ATTRIBUTE_READONLY : FILE_ATTRIBUTE_NORMAL;
        SECURITY_ATTRIBUTES sa = {.nLength = sizeof(sa), .bInheritHandle = !(flags & _O_NOINHERIT)};
        HANDLE h = CreateFileA(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa, disposition,
                               attributes, NULL);
        if (h == INVALID_HANDLE_VALUE) {
                DWORD e = GetLastError();
                DWORD a = GetFileAttributesA(path);
                errno = e == ERROR_ACCESS_DENIED && a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY)
                                ? EISDIR
                                : errno_from_win32(e);
                return -1;
        }
        int fd = _open_osfhandle((intptr_t) h, flags & (_O_APPEND | _O_RDONLY | _O_TEXT | _O_NOINHERIT));
        if (fd < 0) {
                CloseHandle(h);
                errno = EMFILE;
        }
        return fd;
}

int bw_compat_rename(const char *from, const char *to) {
        /* WRITE_THROUGH: the move is on disk when this returns, as rename after fsync is on Linux */
        if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
                return 0;
        errno = errno_from_win32(GetLastError());
        return -1;
}

char *bw_compat_realpath(const char *path, char *resolved) {
        char full[MAX_PATH];
        if (!_fullpath(full, path, sizeof(full))) {
                errno = ENAMETOOLONG;
                return NULL;
        }
        if (_access(full, 0) < 0)
                return NULL; /* errno set: realpath names existing files only */
        if (!resolved)
                return _strdup(full);
        memcpy(resolved, full, strlen(full) + 1);
        return resolved;
}

#undef fopen
FILE *bw_compat_fopen(const char *path, const char *mode) {
        char m[16];
        size_t n = 0;
        for (const char *c = mode; *c && n + 1 < sizeof(m); c++)
                m[n++] = *c == 'e' ? 'N' : *c;
        m[n] = 0;
        return fopen(path, m);
}

struct passwd *bw_compat_getpwuid(uid_t uid) {
        static struct passwd pw;
        (void) uid;
        pw.pw_name = getenv("USERNAME");
        pw.pw_dir = getenv("USERPROFILE");
        return pw.pw_name && pw.pw_dir ? &pw : NULL;
}
