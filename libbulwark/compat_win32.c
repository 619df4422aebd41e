/* SPDX-License-Identifier: MIT */
/* The out-of-line parts of compat.h for Windows (built only there): what needs <windows.h>,
 * kept out of the header so no other file sees that header's macros. */
#include "compat.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <windows.h>

#include <aclapi.h>
#include <ntsecapi.h> /* SystemFunction036 (RtlGenRandom) */
#include <sddl.h>

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
        /* a directory is held without delete sharing: it cannot be renamed or removed while open,
         * so the names openat() resolves below its final path stay below it */
        DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | ((flags & O_DIRECTORY) ? 0 : FILE_SHARE_DELETE);
        if (flags & O_DIRECTORY) {
                access = GENERIC_READ;
                attributes |= FILE_FLAG_BACKUP_SEMANTICS;
        }
        if (flags & O_NOFOLLOW)
                attributes |= FILE_FLAG_OPEN_REPARSE_POINT;
        HANDLE h = CreateFileA(path, access, share, &sa, disposition, attributes, NULL);
        if (h != INVALID_HANDLE_VALUE && (flags & (O_DIRECTORY | O_NOFOLLOW))) {
                BY_HANDLE_FILE_INFORMATION fi;
                int bad = !GetFileInformationByHandle(h, &fi)                                            ? EIO
                          : (flags & O_NOFOLLOW) && (fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ? ELOOP
                          : (flags & O_DIRECTORY) && !(fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)   ? ENOTDIR
                                                                                                         : 0;
                if (bad) {
                        CloseHandle(h);
                        errno = bad;
                        return -1;
                }
        }
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

/* ---- admin constraints: who may write them ---- */

/* Rights that change a file or a directory's contents, or who may: any of them granted to an
 * untrusted SID makes the file untrusted. FILE_WRITE_DATA is also "add a file" in a directory,
 * FILE_APPEND_DATA "add a subdirectory". */
#define UNTRUSTED_WRITE                                                                                                \
        (FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | FILE_DELETE_CHILD | DELETE |     \
         WRITE_DAC | WRITE_OWNER | GENERIC_WRITE | GENERIC_ALL)

static bool sid_is_well_known(PSID sid, WELL_KNOWN_SID_TYPE type) {
        return IsWellKnownSid(sid, type) != FALSE;
}

/* TrustedInstaller, the owner of Windows' own files: S-1-5-80-956008885-3418522649-1831038044-
 * 1853292631-2271478464 (the service SID of "TrustedInstaller"). */
static bool sid_is_trusted_installer(PSID sid) {
        static const DWORD sub[] = {80, 956008885, 3418522649, 1831038044, 1853292631, 2271478464};
        SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
        if (!IsValidSid(sid) || *GetSidSubAuthorityCount(sid) != 6 ||
            memcmp(GetSidIdentifierAuthority(sid), &nt, sizeof(nt)) != 0)
                return false;
        for (DWORD i = 0; i < 6; i++)
                if (*GetSidSubAuthority(sid, i) != sub[i])
                        return false;
        return true;
}

static bool sid_trusted(PSID sid, PSID caller) {
        return sid_is_well_known(sid, WinBuiltinAdministratorsSid) || sid_is_well_known(sid, WinLocalSystemSid) ||
               sid_is_trusted_installer(sid) || (caller && EqualSid(sid, caller));
}

static void sid_text(PSID sid, char *buf, size_t size) {
        char *s = NULL;
        if (ConvertSidToStringSidA(sid, &s)) {
                snprintf(buf, size, "%s", s);
                LocalFree(s);
        } else
                snprintf(buf, size, "an unreadable SID");
}

/* The caller's user SID (malloc()ed), for an --admin-dir the caller names. */
static PSID caller_sid(void) {
        HANDLE token;
        if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
                return NULL;
        DWORD size = 0;
        GetTokenInformation(token, TokenUser, NULL, 0, &size);
        TOKEN_USER *user = size ? malloc(size) : NULL;
        PSID sid = NULL;
        if (user && GetTokenInformation(token, TokenUser, user, size, &size)) {
                DWORD len = GetLengthSid(user->User.Sid);
                sid = malloc(len);
                if (sid && !CopySid(len, sid, user->User.Sid)) {
                        free(sid);
                        sid = NULL;
                }
        }
        free(user);
        CloseHandle(token);
        return sid;
}

/* 0 if the owner and DACL of h let only trusted SIDs write; -EPERM with why filled otherwise. */
static int check_writers(HANDLE h, PSID caller, char *why, size_t why_size) {
        PSID owner = NULL;
        PACL dacl = NULL;
        PSECURITY_DESCRIPTOR sd = NULL;
        DWORD e = GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
                                  NULL, &dacl, NULL, &sd);
        if (e != ERROR_SUCCESS) {
                errno = errno_from_win32(e);
                snprintf(why, why_size, "its security descriptor cannot be read");
                return -errno;
        }
        int r = 0;
        char text[128];
        if (!owner || !sid_trusted(owner, caller)) {
                sid_text(owner, text, sizeof(text));
                snprintf(why, why_size, "it is owned by %s", owner ? text : "nobody");
                r = -EPERM;
        } else if (!dacl) {
                snprintf(why, why_size, "it has no DACL: everyone may write it");
                r = -EPERM;
        } else {
                for (DWORD i = 0; i < dacl->AceCount && r == 0; i++) {
                        ACE_HEADER *ace;
                        if (!GetAce(dacl, i, (void **) &ace)) {
                                snprintf(why, why_size, "its DACL cannot be read");
                                r = -EPERM;
                                break;
                        }
                        if (ace->AceType != ACCESS_ALLOWED_ACE_TYPE || (ace->AceFlags & INHERIT_ONLY_ACE))
                                continue; /* denies only take away; inherit-only ACEs are for children */
                        ACCESS_ALLOWED_ACE *allow = (ACCESS_ALLOWED_ACE *) ace;
                        PSID sid = (PSID) &allow->SidStart;
                        if ((allow->Mask & UNTRUSTED_WRITE) && !sid_trusted(sid, caller)) {
                                sid_text(sid, text, sizeof(text));
                                snprintf(why, why_size, "its DACL lets %s write it: access mask 0x%lx", text,
                                         (unsigned long) allow->Mask);
                                r = -EPERM;
                        }
                }
        }
        LocalFree(sd);
        return r;
}

int bw_compat_open_admin(const char *path, bool dir, bool caller_may_own, char *why, size_t why_size) {
        why[0] = 0;
        /* The directory is held without FILE_SHARE_DELETE while it is read: it cannot be renamed or
         * removed, and a file cannot be swapped for another, between the check and the read. */
        DWORD share = dir ? FILE_SHARE_READ : FILE_SHARE_READ | FILE_SHARE_WRITE;
        HANDLE h = CreateFileA(path, GENERIC_READ | READ_CONTROL, share, NULL, OPEN_EXISTING,
                               FILE_FLAG_OPEN_REPARSE_POINT | (dir ? FILE_FLAG_BACKUP_SEMANTICS : 0), NULL);
        if (h == INVALID_HANDLE_VALUE) {
                DWORD e = GetLastError();
                DWORD a = GetFileAttributesA(path);
                if (!dir && a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY))
                        return -EISDIR;
                return -errno_from_win32(e);
        }
        BY_HANDLE_FILE_INFORMATION info;
        int r = 0;
        if (!GetFileInformationByHandle(h, &info))
                r = -errno_from_win32(GetLastError());
        else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
                r = -ELOOP; /* a symbolic link or junction: not followed */
        else if (dir != !!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
                r = dir ? -ENOTDIR : -EISDIR;
        if (r == 0) {
                PSID caller = caller_may_own ? caller_sid() : NULL;
                if (caller_may_own && !caller) {
                        snprintf(why, why_size, "the caller's SID cannot be read");
                        r = -EPERM;
                } else
                        r = check_writers(h, caller, why, why_size);
                free(caller);
        }
        if (r < 0) {
                CloseHandle(h);
                return r;
        }
        int fd = _open_osfhandle((intptr_t) h, _O_RDONLY);
        if (fd < 0) {
                CloseHandle(h);
                return -EMFILE;
        }
        return fd;
}

/* dir/name for the *at() calls: the final path of the directory fd holds (or name itself for
 * AT_FDCWD or an absolute name). malloc()ed, NULL with errno set. */
static char *at_path(int dirfd, const char *name) {
        if (dirfd == AT_FDCWD || name[0] == '/' || name[0] == '\\' || (name[0] && name[1] == ':'))
                return _strdup(name);
        HANDLE h = (HANDLE) _get_osfhandle(dirfd);
        char dir[MAX_PATH * 4];
        DWORD n = h == INVALID_HANDLE_VALUE ? 0 : GetFinalPathNameByHandleA(h, dir, sizeof(dir), FILE_NAME_NORMALIZED);
        if (n == 0 || n >= sizeof(dir)) {
                errno = n ? ENAMETOOLONG : EBADF;
                return NULL;
        }
        size_t len = strlen(dir) + 1 + strlen(name) + 1;
        char *p = malloc(len);
        if (!p) {
                errno = ENOMEM;
                return NULL;
        }
        snprintf(p, len, "%s\\%s", dir, name);
        for (char *c = p; *c; c++)
                if (*c == '/')
                        *c = '\\';
        return p;
}

int bw_compat_openat(int dirfd, const char *name, int flags, ...) {
        int mode = 0;
        if (flags & O_CREAT) {
                va_list ap;
                va_start(ap, flags);
                mode = va_arg(ap, int);
                va_end(ap);
        }
        char *p = at_path(dirfd, name);
        if (!p)
                return -1;
        int fd = bw_compat_open(p, flags, mode);
        int e = errno;
        free(p);
        errno = e;
        return fd;
}

int bw_compat_mkdirat(int dirfd, const char *name, int mode) {
        (void) mode; /* the directory inherits its parent's entries */
        char *p = at_path(dirfd, name);
        if (!p)
                return -1;
        int r = _mkdir(p);
        int e = errno;
        free(p);
        errno = e;
        return r;
}

int bw_compat_unlinkat(int dirfd, const char *name, int flags) {
        char *p = at_path(dirfd, name);
        if (!p)
                return -1;
        BOOL ok = (flags & AT_REMOVEDIR) ? RemoveDirectoryA(p) : DeleteFileA(p);
        DWORD e = ok ? 0 : GetLastError();
        free(p);
        if (!ok) {
                errno = e == ERROR_DIR_NOT_EMPTY ? ENOTEMPTY : errno_from_win32(e);
                return -1;
        }
        return 0;
}

int bw_compat_renameat(int from_dirfd, const char *from, int to_dirfd, const char *to) {
        char *a = at_path(from_dirfd, from), *b = a ? at_path(to_dirfd, to) : NULL;
        int r = a && b ? bw_compat_rename(a, b) : -1;
        int e = errno;
        free(a);
        free(b);
        errno = e;
        return r;
}

DIR *bw_compat_fdopendir(int fd) {
        /* the runtime's opendir takes a Win32 path: the final path without its \\?\ prefix */
        HANDLE h = (HANDLE) _get_osfhandle(fd);
        char p[MAX_PATH * 4];
        DWORD n = h == INVALID_HANDLE_VALUE ? 0 : GetFinalPathNameByHandleA(h, p, sizeof(p), FILE_NAME_NORMALIZED);
        if (n == 0 || n >= sizeof(p)) {
                errno = n ? ENAMETOOLONG : EBADF;
                return NULL;
        }
        const char *dir = strncmp(p, "\\\\?\\", 4) == 0 && p[4] && p[5] == ':' ? p + 4 : p;
        DIR *d = opendir(dir);
        if (d)
                close(fd);
        return d;
}

ssize_t bw_compat_pread(int fd, void *buf, size_t n, off_t offset) {
        if (_lseeki64(fd, offset, SEEK_SET) < 0)
                return -1;
        return read(fd, buf, (unsigned) (n > INT_MAX ? INT_MAX : n));
}

/* open_memstream: the streams handed out, and where their bytes go at fclose */
struct memstream {
        FILE *f;
        char **ret;
        size_t *ret_size;
};
static struct memstream memstreams[16];
static CRITICAL_SECTION memstreams_lock;
static INIT_ONCE memstreams_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK memstreams_init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
        (void) once;
        (void) param;
        (void) ctx;
        InitializeCriticalSection(&memstreams_lock);
        return TRUE;
}

FILE *bw_compat_open_memstream(char **ret, size_t *ret_size) {
        InitOnceExecuteOnce(&memstreams_once, memstreams_init, NULL, NULL);
        char dir[MAX_PATH], path[MAX_PATH];
        if (!GetTempPathA(sizeof(dir), dir) || !GetTempFileNameA(dir, "bw", 0, path)) {
                errno = errno_from_win32(GetLastError());
                return NULL;
        }
        HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                               FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
        if (h == INVALID_HANDLE_VALUE) {
                errno = errno_from_win32(GetLastError());
                DeleteFileA(path);
                return NULL;
        }
        int fd = _open_osfhandle((intptr_t) h, _O_RDWR | _O_NOINHERIT);
        FILE *f = fd < 0 ? NULL : _fdopen(fd, "w+b");
        if (!f) {
                if (fd >= 0)
                        _close(fd);
                else
                        CloseHandle(h);
                errno = ENOMEM;
                return NULL;
        }
        EnterCriticalSection(&memstreams_lock);
        size_t i = 0;
        while (i < sizeof(memstreams) / sizeof(memstreams[0]) && memstreams[i].f)
                i++;
        bool ok = i < sizeof(memstreams) / sizeof(memstreams[0]);
        if (ok)
                memstreams[i] = (struct memstream){f, ret, ret_size};
        LeaveCriticalSection(&memstreams_lock);
        if (!ok) {
                fclose(f);
                errno = EMFILE;
                return NULL;
        }
        *ret = NULL;
        *ret_size = 0;
        return f;
}

#undef fclose
int bw_compat_fclose(FILE *f) {
        struct memstream m = {0};
        if (InitOnceExecuteOnce(&memstreams_once, memstreams_init, NULL, NULL)) {
                EnterCriticalSection(&memstreams_lock);
                for (size_t i = 0; f && i < sizeof(memstreams) / sizeof(memstreams[0]); i++)
                        if (memstreams[i].f == f) {
                                m = memstreams[i];
                                memstreams[i] = (struct memstream){0};
                        }
                LeaveCriticalSection(&memstreams_lock);
        }
        if (!m.f)
                return fclose(f);
        int r = fflush(f);
        long long size = _fseeki64(f, 0, SEEK_END) == 0 ? _ftelli64(f) : -1;
        char *buf = size >= 0 ? malloc((size_t) size + 1) : NULL;
        if (buf) {
                rewind(f);
                size_t got = fread(buf, 1, (size_t) size, f);
                buf[got] = 0;
                *m.ret = buf;
                *m.ret_size = got;
        } else
                r = EOF;
        return fclose(f) == 0 ? r : EOF;
}

#undef strerror
char *bw_compat_strerror(int e) {
        const char *m;
        switch (e) {
        case ENOTSUP:
                m = "Operation not supported";
                break;
        case EOPNOTSUPP:
                m = "Operation not supported on this object";
                break;
        case ELOOP:
                m = "Too many levels of symbolic links";
                break;
        case ETIMEDOUT:
                m = "Connection timed out";
                break;
        case ENOKEY:
                m = "Required key not available";
                break;
        case EKEYREJECTED:
                m = "Key was rejected by service";
                break;
        case EBADFD:
                m = "File descriptor in bad state";
                break;
        case ESTALE:
                m = "Stale file handle";
                break;
        default:
                return strerror(e);
        }
        return (char *) (uintptr_t) m; /* POSIX's type; nobody writes to it */
}
