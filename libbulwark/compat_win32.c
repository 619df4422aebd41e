/* SPDX-License-Identifier: MIT */
/* The out-of-line parts of compat.h for Windows (built only there): what needs <windows.h>,
 * kept out of the header so no other file sees that header's macros. */
#include "compat.h"

#include <dirent.h>
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
