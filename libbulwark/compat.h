/* SPDX-License-Identifier: MIT */
/*
 * Portability to Windows (mingw-w64, cross-compiled by scripts/windows.sh). libbulwark and the
 * compiler are written against POSIX; the few POSIX names they use that the Windows C runtime
 * lacks are supplied here, so the code itself carries no #ifdefs. On Linux this header defines
 * only BW_PRINTF_ARCHETYPE: the Linux build is unchanged.
 *
 * The POSIX headers that do not exist on Windows at all (dlfcn.h, ftw.h, pwd.h, sysexits.h, termios.h)
 * are stand-ins in libbulwark/win32/, on the include path of the Windows build only; they include
 * this header.
 */
#pragma once

#ifndef _WIN32

#define BW_PRINTF_ARCHETYPE printf

#else /* _WIN32 */

#include <direct.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The build defines __USE_MINGW_ANSI_STDIO=1: mingw's own C99 printf family (%zu, %lld, %g as
 * glibc prints them), which checks formats as gnu_printf; plain "printf" would mean Microsoft's. */
#define BW_PRINTF_ARCHETYPE gnu_printf

typedef unsigned int uid_t;
typedef unsigned int gid_t;

/* Flags that have no meaning for the Windows C runtime. O_CLOEXEC is "not inherited by children".
 * There are no FIFOs or controlling terminals; O_NOFOLLOW is used here only with O_CREAT|O_EXCL,
 * which on Windows fails on any existing name, a symbolic link included. open() and fopen()
 * below open files in binary mode: no CR LF translation, no end at a 0x1a byte. */
#define O_CLOEXEC _O_NOINHERIT
#define O_NOCTTY 0
#define O_NONBLOCK 0
/* Bits the Microsoft runtime does not use, understood by open() and openat() below (and never
 * passed to the runtime): O_NOFOLLOW refuses a final reparse point (a symbolic link or junction:
 * ELOOP), O_DIRECTORY opens a directory (a handle that keeps it from being renamed or removed
 * while the fd is open) and refuses anything else (ENOTDIR). */
#define O_NOFOLLOW 0x01000000
#define O_DIRECTORY 0x02000000

/* The *at() family, over directory fds from open(dir, O_DIRECTORY): a name is resolved below the
 * directory the handle holds (its final path: the handle keeps that path from changing), with
 * O_NOFOLLOW honoured for the last component. The state directory (%ProgramData%\bulwark) is
 * writable by administrators only, so no one who could plant a link in it is below that bar. */
#define AT_FDCWD (-100)
#define AT_REMOVEDIR 0x200
int bw_compat_openat(int dirfd, const char *name, int flags, ...);
#define openat(...) bw_compat_openat(__VA_ARGS__)
int bw_compat_mkdirat(int dirfd, const char *name, int mode);
#define mkdirat bw_compat_mkdirat
int bw_compat_unlinkat(int dirfd, const char *name, int flags);
#define unlinkat bw_compat_unlinkat
int bw_compat_renameat(int from_dirfd, const char *from, int to_dirfd, const char *to);
#define renameat bw_compat_renameat
/* The directory an fd from open(dir, O_DIRECTORY) holds, listed; the fd is closed (it is the
 * DIR's, as POSIX has it). */
DIR *bw_compat_fdopendir(int fd);
#define fdopendir bw_compat_fdopendir
/* pread: read at an offset (the runtime's position is moved; nothing here shares one). */
ssize_t bw_compat_pread(int fd, void *buf, size_t n, off_t offset);
#define pread bw_compat_pread

/* open_memstream over a temporary file that deletes itself; fclose() (below) hands its bytes to
 * *ret and *ret_size, as the POSIX one does (they are read only after fclose here). */
FILE *bw_compat_open_memstream(char **ret, size_t *ret_size);
#define open_memstream bw_compat_open_memstream
int bw_compat_fclose(FILE *f);
#define fclose bw_compat_fclose

/* strerror for the POSIX values the Microsoft runtime calls "Unknown error" (ENOTSUP, ELOOP,
 * ETIMEDOUT, EOPNOTSUPP and the ones defined above): the POSIX wording. */
char *bw_compat_strerror(int e);
#define strerror bw_compat_strerror

/* The reentrant time conversions, by their Microsoft names (arguments the other way round). */
static inline struct tm *bw_compat_gmtime_r(const time_t *t, struct tm *out) {
        return gmtime_s(out, t) == 0 ? out : NULL;
}
#define gmtime_r bw_compat_gmtime_r
static inline struct tm *bw_compat_localtime_r(const time_t *t, struct tm *out) {
        return localtime_s(out, t) == 0 ? out : NULL;
}
#define localtime_r bw_compat_localtime_r

/* errno values POSIX has and the Microsoft runtime does not; beyond its range, as ENOKEY. */
#ifndef EBADFD
#define EBADFD 2002
#endif
#ifndef ESTALE
#define ESTALE 2003
#endif
#ifndef EKEYREJECTED
#define EKEYREJECTED 2004
#endif

/* "Required key not available" (a minisign signature by another key): no Windows errno has the
 * meaning; a value beyond the runtime's range keeps it distinct. */
#ifndef ENOKEY
#define ENOKEY 2001
#endif

static inline void *bw_compat_memmem(const void *hay, size_t hay_len, const void *needle, size_t needle_len) {
        if (needle_len == 0)
                return (void *) (uintptr_t) hay;
        const unsigned char *h = hay, *end = h + hay_len;
        while (hay_len >= needle_len) {
                const unsigned char *p = memchr(h, *(const unsigned char *) needle, hay_len - needle_len + 1);
                if (!p)
                        return NULL;
                if (memcmp(p, needle, needle_len) == 0)
                        return (void *) (uintptr_t) p;
                h = p + 1;
                hay_len = (size_t) (end - h);
        }
        return NULL;
}
#define memmem bw_compat_memmem

static inline char *bw_compat_strchrnul(const char *s, int c) {
        while (*s && *s != (char) c)
                s++;
        return (char *) (uintptr_t) s;
}
#define strchrnul bw_compat_strchrnul

static inline char *bw_compat_strndup(const char *s, size_t n) {
        size_t len = strnlen(s, n);
        char *d = malloc(len + 1);
        if (d) {
                memcpy(d, s, len);
                d[len] = 0;
        }
        return d;
}
#define strndup bw_compat_strndup

/* The Microsoft runtime has no aligned_alloc (its _aligned_malloc needs _aligned_free, not free).
 * Its malloc aligns to 16 bytes on x86-64, which is all that is ever asked for here. */
static inline void *bw_compat_aligned_alloc(size_t alignment, size_t size) {
        if (alignment == 0 || (alignment & (alignment - 1)) || alignment > 16) {
                errno = EINVAL;
                return NULL;
        }
        return malloc(size);
}
#define aligned_alloc bw_compat_aligned_alloc
static inline int bw_compat_posix_memalign(void **ret, size_t alignment, size_t size) {
        void *p = bw_compat_aligned_alloc(alignment, size);
        if (!p)
                return errno;
        *ret = p;
        return 0;
}
#define posix_memalign bw_compat_posix_memalign

#define fsync _commit
#define fdatasync _commit

/* open() with POSIX sharing: an open file can be renamed or deleted (the Microsoft runtime's open()
 * locks the name until close: writing a plan atomically could not rename its temporary file). */
int bw_compat_open(const char *path, int flags, ...);
#define open(...) bw_compat_open(__VA_ARGS__)

/* rename() of the Microsoft runtime fails when the target exists: replace it, as POSIX does. */
int bw_compat_rename(const char *from, const char *to);
#define rename bw_compat_rename

/* An absolute, normalised path of an existing file (no symbolic links resolved: _fullpath). */
char *bw_compat_realpath(const char *path, char *resolved);
#define realpath bw_compat_realpath

/* fopen's "e" (close on exec) is "N" (not inherited) for the Microsoft runtime, which rejects
 * mode letters it does not know; binary ("b") unless text ("t") is asked for; /dev/null is NUL. */
FILE *bw_compat_fopen(const char *path, const char *mode);
#define fopen bw_compat_fopen

/* mkdir takes no mode (a directory's permissions come from its parent's inheritable ACEs). */
#define mkdir(path, mode) ((void) (mode), _mkdir(path))

/* A fresh directory from a template ending in XXXXXX (replaced by random characters). */
char *bw_compat_mkdtemp(char *tmpl);
#define mkdtemp bw_compat_mkdtemp

/* Symbolic links and file owners cannot be made through the C runtime: these fail, honestly. */
static inline int symlink(const char *target, const char *link) {
        (void) target;
        (void) link;
        errno = ENOSYS;
        return -1;
}
static inline int chown(const char *path, uid_t uid, gid_t gid) {
        (void) path;
        (void) uid;
        (void) gid;
        errno = ENOSYS;
        return -1;
}

/* ftw.h's nftw, enough for a walk with FTW_PHYS and FTW_DEPTH (no symbolic links are followed on
 * Windows anyway: reparse points are not descended into). */
struct FTW {
        int base;
        int level;
};
enum { FTW_F, FTW_D, FTW_DNR, FTW_NS, FTW_SL, FTW_DP, FTW_SLN };
#define FTW_PHYS 1
#define FTW_MOUNT 2
#define FTW_CHDIR 4
#define FTW_DEPTH 8
int bw_compat_nftw(const char *dir, int (*fn)(const char *, const struct stat *, int, struct FTW *), int fds,
                   int flags);
#define nftw bw_compat_nftw

/* Microsoft's qsort is not stable; the compiler calls bw_sort_stable (util.h) where order among
 * equals matters, and anything else that calls qsort gets the same sort here. */
void bw_sort_stable(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
#define qsort bw_sort_stable

/* Admin constraints (compiler/resolve.c): opens path for reading (a directory when dir) and
 * refuses a reparse point (-ELOOP: a symbolic link or junction is not followed), and an object
 * whose owner is not Administrators, SYSTEM or TrustedInstaller (or, with caller_may_own, the
 * caller) or whose DACL lets any other SID write it (-EPERM, why says who). Returns an fd; a
 * directory is held so that it cannot be renamed or removed until the fd is closed. */
int bw_compat_open_admin(const char *path, bool dir, bool caller_may_own, char *why, size_t why_size);

/* Users: the account running the program, from the environment Windows sets for it. There is no
 * uid: getuid() is a value no owner check accepts. */
struct passwd {
        char *pw_name;
        char *pw_dir;
};
struct passwd *bw_compat_getpwuid(uid_t uid);
#define getpwuid bw_compat_getpwuid
static inline uid_t getuid(void) {
        return (uid_t) -2;
}
static inline uid_t geteuid(void) {
        return (uid_t) -2;
}

/* No dynamic loading of OpenSSL's libcrypto: libsodium computes every digest. */
#define RTLD_NOW 2
#define RTLD_LOCAL 0
static inline void *dlopen(const char *file, int mode) {
        (void) file;
        (void) mode;
        return NULL;
}
static inline void *dlsym(void *handle, const char *name) {
        (void) handle;
        (void) name;
        return NULL;
}

/* Terminals: no echo control through termios (a password comes from the environment). */
typedef unsigned int tcflag_t;
struct termios {
        tcflag_t c_lflag;
};
#define ECHO 0x8u
#define TCSAFLUSH 2
static inline int tcgetattr(int fd, struct termios *t) {
        (void) fd;
        (void) t;
        errno = ENOTTY;
        return -1;
}
static inline int tcsetattr(int fd, int when, const struct termios *t) {
        (void) fd;
        (void) when;
        (void) t;
        errno = ENOTTY;
        return -1;
}

/* sysexits.h */
#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_NOUSER 67
#define EX_NOHOST 68
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_OSERR 71
#define EX_OSFILE 72
#define EX_CANTCREAT 73
#define EX_IOERR 74
#define EX_TEMPFAIL 75
#define EX_PROTOCOL 76
#define EX_NOPERM 77
#define EX_CONFIG 78

#endif /* _WIN32 */
