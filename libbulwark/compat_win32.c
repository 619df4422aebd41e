/* SPDX-License-Identifier: MIT */
/* The out-of-line parts of compat.h for Windows (built only there): what needs <windows.h>,
 * kept out of the header so no other file sees that header's macros. */
#include "compat.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <windows.h>

#include <ntsecapi.h> /* SystemFunction036 (RtlGenRandom) */

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
        for (const char *c = mode; *c && n + 2 < sizeof(m); c++)
                m[n++] = *c == 'e' ? 'N' : *c;
        if (!strpbrk(mode, "bt"))
                m[n++] = 'b';
        m[n] = 0;
        return fopen(strcmp(path, "/dev/null") == 0 ? "NUL" : path, m);
}

struct passwd *bw_compat_getpwuid(uid_t uid) {
        static struct passwd pw;
        (void) uid;
        pw.pw_name = getenv("USERNAME");
        pw.pw_dir = getenv("USERPROFILE");
        return pw.pw_name && pw.pw_dir ? &pw : NULL;
}

char *bw_compat_mkdtemp(char *tmpl) {
        static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        size_t len = strlen(tmpl);
        if (len < 6 || strcmp(tmpl + len - 6, "XXXXXX") != 0) {
                errno = EINVAL;
                return NULL;
        }
        for (int attempt = 0; attempt < 100; attempt++) {
                unsigned char r[6];
                /* RtlGenRandom (advapi32), which libsodium's randombytes uses too */
                if (!SystemFunction036(r, sizeof(r))) {
                        errno = EIO;
                        return NULL;
                }
                for (size_t i = 0; i < 6; i++)
                        tmpl[len - 6 + i] = chars[r[i] % (sizeof(chars) - 1)];
                if (_mkdir(tmpl) == 0)
                        return tmpl;
                if (errno != EEXIST)
                        return NULL;
        }
        errno = EEXIST;
        return NULL;
}

static int nftw_walk(char *path, size_t len, size_t cap, int level,
                     int (*fn)(const char *, const struct stat *, int, struct FTW *), int flags) {
        struct stat st;
        struct FTW ftw = {.level = level};
        const char *slash = strrchr(path, '/'), *bslash = strrchr(path, '\\');
        const char *base = slash > bslash ? slash : bslash;
        ftw.base = base ? (int) (base - path + 1) : 0;
        if (stat(path, &st) < 0)
                return fn(path, &st, FTW_NS, &ftw);
        DWORD attributes = GetFileAttributesA(path);
        bool reparse = attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT);
        if (!S_ISDIR(st.st_mode) || reparse)
                return fn(path, &st, reparse ? FTW_SL : FTW_F, &ftw);
        int r;
        if (!(flags & FTW_DEPTH) && (r = fn(path, &st, FTW_D, &ftw)) != 0)
                return r;
        DIR *d = opendir(path);
        if (!d)
                return fn(path, &st, FTW_DNR, &ftw);
        struct dirent *de;
        r = 0;
        while (r == 0 && (de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                size_t n = strlen(de->d_name);
                if (len + 1 + n + 1 > cap) {
                        errno = ENAMETOOLONG;
                        r = -1;
                        break;
                }
                path[len] = '/';
                memcpy(path + len + 1, de->d_name, n + 1);
                r = nftw_walk(path, len + 1 + n, cap, level + 1, fn, flags);
                path[len] = 0;
        }
        closedir(d);
        if (r == 0 && (flags & FTW_DEPTH))
                r = fn(path, &st, FTW_DP, &ftw);
        return r;
}

int bw_compat_nftw(const char *dir, int (*fn)(const char *, const struct stat *, int, struct FTW *), int fds,
                   int flags) {
        (void) fds;
        char path[4096];
        size_t len = strlen(dir);
        if (len + 1 > sizeof(path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(path, dir, len + 1);
        return nftw_walk(path, len, sizeof(path), 0, fn, flags);
}
