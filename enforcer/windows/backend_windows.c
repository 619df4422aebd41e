/* SPDX-License-Identifier: MIT */
/*
 * bw_backend_windows: enforcer/backend.h on Windows (bulwark.exe), over win_ops.h's real table.
 * This file holds what calls Win32 itself; the operations over win_ops.h are in
 * backend_windows_ops.c (bw_winbe_*, native too).
 *
 * What is here: privilege (an elevated token), paths, the caller, the state directory under
 * %ProgramData%\bulwark (opened as a directory handle the compat.h *at() calls resolve below;
 * writable by administrators only, or refused) and its lock (LockFileEx), the DACL of a file of the
 * state directory (secrets/NAME), the audit log, where the runner is, and what doctor can say
 * about this host. The accounts, the firewall rules, the plan's entries and the runner's DACL act
 * through win_ops.h (backend_windows_ops.c).
 *
 * NOT VERIFIED ON WINDOWS: built by the cross build and run under Wine only
 * (tests/windows/README.md).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "backend.h"
#include "backend_windows.h"
#include "util.h"
#include "win_backend.h"
#include "win_path.h"
#include "win_ops_real.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aclapi.h>
#include <sddl.h>

bool bw_winbe_elevated(void) {
        HANDLE t;
        TOKEN_ELEVATION e = {0};
        DWORD n = 0;
        if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
                return false;
        BOOL ok = GetTokenInformation(t, TokenElevation, &e, sizeof(e), &n);
        CloseHandle(t);
        return ok && e.TokenIsElevated;
}

/* Elevated: the machine's installation. Not elevated: the per-user one (main_windows.c chose its
 * state directory, bw_winbe_use_per_user), which the caller owns and so may change and read
 * whole: privileged for it (backend.h). */
static bool win_privileged(void) {
        return bw_winbe_per_user() || bw_winbe_elevated();
}

static bool win_per_user(void) {
        return bw_winbe_per_user();
}

/* -- paths -- */

/* A directory as the user named it, as Windows stores it (bw_win_path_canonical through the real
 * operations: its own case, long names): the installation is named after it, so C:\Users\ANN\Repo
 * and C:\Users\ann\repo are one installation. A junction, symbolic link or 8.3 name on the way
 * is refused, as a symlinked workspace is on Linux. */
static int win_plan_path(const char *native, char **ret, const char **why) {
        char full[MAX_PATH * 3], *typed = NULL;
        *ret = NULL;
        if (!realpath(native, full)) {
                *why = "cannot find that directory";
                return -ENOENT;
        }
        int r = bw_win_path_to_plan(full, &typed, why);
        if (r < 0)
                return r;
        struct bw_win_ops real;
        bw_win_ops_real(&real);
        r = bw_win_path_canonical(&real, typed, false, ret, why);
        free(typed);
        return r;
}

/* %TEMP% (GetTempPath) in plan form; "/tmp" if it has none, which then names nothing here. */
static const char *win_tmpdir(void) {
        static char plan[MAX_PATH * 3];
        if (!plan[0]) {
                char tmp[MAX_PATH + 1], *p = NULL;
                const char *why = NULL;
                DWORD n = GetTempPathA(sizeof(tmp), tmp);
                if (n > 3 && n < sizeof(tmp) && tmp[n - 1] == '\\')
                        tmp[n - 1] = 0; /* the trailing separator */
                if (n > 0 && n < sizeof(tmp) && bw_win_path_to_plan(tmp, &p, &why) == 0)
                        snprintf(plan, sizeof(plan), "%s", p);
                else
                        snprintf(plan, sizeof(plan), "/tmp");
                free(p);
        }
        return plan;
}

static int win_user_lookup(const char *name, uint32_t id, struct bw_user_info *ret) {
        const char *me = getenv("USERNAME"), *home = getenv("USERPROFILE");
        uint32_t rid = 0;
        if (name && !(me && bw_streq(name, me)))
                return -ENOENT; /* another user's profile directory is not looked up yet */
        if (!me || !home || bw_winbe_account_rid(me, &rid, NULL, 0) <= 0)
                return -ENOENT;
        if (!name && id != BW_USER_CALLER && id != rid)
                return -ENOENT;
        char *plan_home = NULL;
        const char *why = NULL;
        if (bw_win_path_to_plan(home, &plan_home, &why) < 0)
                return -ENOENT; /* a profile on a network share: not a home bulwark can bind */
        ret->id = rid;
        snprintf(ret->name, sizeof(ret->name), "%s", me);
        snprintf(ret->home, sizeof(ret->home), "%s", plan_home);
        free(plan_home);
        return 0;
}

static int win_acl_supported(const char *dir) {
        wchar_t w[MAX_PATH];
        if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, w, MAX_PATH) <= 0)
                return -ENAMETOOLONG;
        HANDLE h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS, NULL);
        if (h == INVALID_HANDLE_VALUE)
                return GetLastError() == ERROR_ACCESS_DENIED ? -EACCES : -ENOENT;
        DWORD flags = 0;
        BOOL ok = GetVolumeInformationByHandleW(h, NULL, 0, NULL, NULL, &flags, NULL, 0);
        CloseHandle(h);
        if (!ok)
                return -EIO;
        return (flags & FILE_PERSISTENT_ACLS) ? 0 : -EOPNOTSUPP;
}

/* -- the runner binary -- */

static int win_runner_locate(const char *override, char *out, size_t size) {
        if (override) {
                snprintf(out, size, "%s", override);
                return 0;
        }
        wchar_t self[MAX_PATH];
        char path[MAX_PATH * 3];
        DWORD n = GetModuleFileNameW(NULL, self, MAX_PATH);
        if (n == 0 || n >= MAX_PATH ||
            WideCharToMultiByte(CP_UTF8, 0, self, -1, path, (int) sizeof(path), NULL, NULL) <= 0)
                return -ENAMETOOLONG;
        char *slash = strrchr(path, '\\');
        if (!slash)
                return -EINVAL;
        slash[1] = 0;
        if ((size_t) snprintf(out, size, "%sbulwark-runner.exe", path) >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* -- host probe -- */

static int win_host_probe(const char *runner_override, char *const *dirs, size_t n_dirs, struct bw_host_report *ret) {
        *ret = (struct bw_host_report){0};
        /* the version Windows reports to a program without a manifest may be capped: said as such */
        OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof(v)};
        typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOW *);
        HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
        rtl_get_version_fn get =
                ntdll ? (rtl_get_version_fn) (void (*)(void)) GetProcAddress(ntdll, "RtlGetVersion") : NULL;
        char version[64] = "unknown";
        if (get && get(&v) == 0)
                snprintf(version, sizeof(version), "%lu.%lu build %lu", (unsigned long) v.dwMajorVersion,
                         (unsigned long) v.dwMinorVersion, (unsigned long) v.dwBuildNumber);
        bool wine = ntdll && GetProcAddress(ntdll, "wine_get_version") != NULL;
        bool elevated = bw_winbe_elevated();
        char runner[MAX_PATH * 3] = "";
        bool have_runner = win_runner_locate(runner_override, runner, sizeof(runner)) == 0 &&
                           GetFileAttributesA(runner) != INVALID_FILE_ATTRIBUTES;
        const char *enforcement =
                "UNVERIFIED: no part of the Windows sandbox (the accounts, the plan's access entries, the firewall "
                "rules, the restricted run) has been verified on a real Windows host; apply writes them, status "
                "compares them, but whether they enforce the plan is not known";
        json_t *j = json_object(), *acls = json_array();
        json_object_set_new(j, "os", json_string("windows"));
        json_object_set_new(j, "windows_version", json_string(version));
        json_object_set_new(j, "wine", json_boolean(wine));
        json_object_set_new(j, "elevated", json_boolean(elevated));
        json_object_set_new(j, "enforcement", json_string(enforcement));
        json_object_set_new(j, "runner", json_pack("{s:s,s:b}", "path", runner, "present", have_runner));
        json_object_set_new(j, "firewall",
                            json_string("not probed (doctor does not read the firewall; apply and status do)"));
        json_object_set_new(j, "restricted_token", json_string("not probed: the write-restricted run is unverified"));
        bw_host_report_line(ret, "enforcement:", "%s", enforcement);
        bw_host_report_line(ret, "Windows:", "%s%s", version,
                            wine ? " (under Wine: no security effect here is real; nothing can be verified)" : "");
        bw_host_report_line(ret, "elevated:", "%s",
                            elevated ? "yes (apply makes the machine's installation)"
                                     : "no: apply makes a per-user installation (%LOCALAPPDATA%\\bulwark): no sandbox "
                                       "accounts, no firewall rule (network off is advisory only), nothing kept from "
                                       "being read; run it from an elevated prompt for those");
        bw_host_report_line(ret, "runner:", "%s%s", runner[0] ? runner : "(not located)",
                            have_runner ? "" : " is missing: bulwark run cannot start a sandbox");
        bw_host_report_line(ret,
                            "firewall:", "not probed (doctor does not read the firewall rules; apply and status do)");
        bw_host_report_line(
                ret, "restricted run:",
                "not probed: whether a write-restricted token keeps a run out of everything but its roots is "
                "unverified on this host (tests/windows/README.md, the runbook)");
        for (size_t i = 0; i < n_dirs; i++) {
                int e = win_acl_supported(dirs[i]);
                json_array_append_new(acls, json_pack("{s:s,s:b}", "path", dirs[i], "supported", e == 0));
                bw_host_report_line(ret, "ACLs:", "%s: %s", dirs[i],
                                    e == 0 ? "the file system keeps access entries (NTFS or ReFS)"
                                    : e == -EOPNOTSUPP
                                            ? "this file system keeps no access entries (FAT or exFAT): refused"
                                    : e == -ENOENT ? "does not exist"
                                                   : strerror(-e));
        }
        json_object_set_new(j, "acls", acls);
        ret->json = j;
        return 0;
}

/* -- audit sink -- */

/* dir\audit.log, appended and flushed to disk. The Event Log is not written yet. */
static int win_audit_write(const char *dir, const char *line, const char *summary) {
        (void) summary;
        if (_mkdir(dir) < 0 && errno != EEXIST)
                return -errno;
        char path[MAX_PATH * 3];
        if ((size_t) snprintf(path, sizeof(path), "%s\\audit.log", dir) >= sizeof(path))
                return -ENAMETOOLONG;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        size_t n = strlen(line);
        int e = write(fd, line, (unsigned) n) == (int) n && write(fd, "\n", 1) == 1 && fsync(fd) == 0 ? 0 : -EIO;
        close(fd);
        return e;
}

/* -- state store -- */

/* Is the directory writable by administrators and SYSTEM only (its owner one of them)? */
static int admin_only(const char *dir, char *why, size_t why_size) {
        int fd = bw_compat_open_admin(dir, true, false, why, why_size);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

/* Make a directory of administrators' own: owner Administrators, a protected DACL (SYSTEM and
 * Administrators full control, Users read and execute), inherited by what is made in it. What
 * %ProgramData% would pass on is not enough: its Users entry (create files and folders) is
 * inherited by subdirectories. 0, or negative errno (-EEXIST: there already, left as it is). */
#define ADMIN_DIR_SDDL L"O:BAG:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"
/* secrets/: the same without the Users entry. The sandbox users' passwords are DPAPI blobs for
 * the machine (CRYPTPROTECT_LOCAL_MACHINE), which any local user could decrypt: only who cannot
 * read the file is kept from them. */
#define SECRETS_DIR_SDDL L"O:BAG:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
static int make_admin_dir(const char *path, const wchar_t *sddl) {
        wchar_t w[MAX_PATH];
        PSECURITY_DESCRIPTOR sd = NULL;
        if (MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH) <= 0)
                return -ENAMETOOLONG;
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL))
                return -ENOMEM;
        SECURITY_ATTRIBUTES sa = {.nLength = sizeof(sa), .lpSecurityDescriptor = sd};
        BOOL ok = CreateDirectoryW(w, &sa);
        DWORD e = ok ? 0 : GetLastError();
        LocalFree(sd);
        return ok                          ? 0
               : e == ERROR_ALREADY_EXISTS ? -EEXIST
               : e == ERROR_ACCESS_DENIED  ? -EACCES
               : e == ERROR_PATH_NOT_FOUND ? -ENOENT
                                           : -EIO;
}

/* dir\rel gets the DACL of sd (secrets/NAME: the password's reader). The path is beneath the
 * state directory, which only administrators may change, so naming it again is not a race
 * another user can win. */
static int win_file_sd(const char *dir, const char *rel, const uint8_t *sd, size_t sd_n, char *err, size_t err_size) {
        char path[MAX_PATH * 3];
        wchar_t w[MAX_PATH];
        if ((size_t) snprintf(path, sizeof(path), "%s\\%s", dir, rel) >= sizeof(path))
                return -ENAMETOOLONG;
        for (char *p = path; *p; p++)
                if (*p == '/')
                        *p = '\\';
        if (MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH) <= 0)
                return -ENAMETOOLONG;
        PSECURITY_DESCRIPTOR psd = (PSECURITY_DESCRIPTOR) (uintptr_t) sd;
        BOOL present = FALSE, defaulted = FALSE;
        PACL dacl = NULL;
        SECURITY_DESCRIPTOR_CONTROL control = 0;
        DWORD rev = 0;
        if (sd_n < 20 || !IsValidSecurityDescriptor(psd) ||
            !GetSecurityDescriptorDacl(psd, &present, &dacl, &defaulted) || !present ||
            !GetSecurityDescriptorControl(psd, &control, &rev)) {
                snprintf(err, err_size, "the descriptor for %s is not valid", path);
                return -EINVAL;
        }
        SECURITY_INFORMATION si =
                DACL_SECURITY_INFORMATION | ((control & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                           : UNPROTECTED_DACL_SECURITY_INFORMATION);
        DWORD e = SetNamedSecurityInfoW(w, SE_FILE_OBJECT, si, NULL, NULL, dacl, NULL);
        if (e != ERROR_SUCCESS) {
                snprintf(err, err_size, "cannot set the DACL of %s: Windows error %lu", path, (unsigned long) e);
                return e == ERROR_ACCESS_DENIED ? -EACCES : -EIO;
        }
        return 0;
}

static char state_dir[MAX_PATH * 3]; /* the last state_open's: the read grants' worker opens it */
static int win_state_lock(int state_fd, unsigned timeout_s, void (*waiting)(void *ctx), void *ctx);
static void win_state_unlock(int lock);

/* -- the read grants' worker: a thread of this process --
 *
 * apply queues the grants (backend_windows_ops.c) and the thread does them in batches, each with
 * the state lock held: it cannot start before apply releases the lock, and revert, which holds
 * it, never meets a batch half done. The process waits for the thread before it exits (atexit),
 * so apply's output is complete when the write side is in force and the process ends when the
 * grants are done; if it is killed, the progress says so to status and the next apply resumes. */

static HANDLE grants_thread;
static char grants_id[17];

static DWORD WINAPI grants_main(LPVOID arg) {
        (void) arg;
        char err[512];
        for (;;) {
                int fd = state_dir[0] ? open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
                if (fd < 0)
                        return 1;
                int lock = win_state_lock(fd, 24 * 3600, NULL, NULL);
                int r = lock >= 0 ? bw_winbe_read_grants_batch(grants_id, 0, err, sizeof(err)) : lock;
                win_state_unlock(lock);
                close(fd);
                if (r <= 0)
                        return r < 0;
        }
}

static void grants_wait(void) {
        if (grants_thread) {
                WaitForSingleObject(grants_thread, INFINITE);
                CloseHandle(grants_thread);
                grants_thread = NULL;
        }
}

static void grants_start(const char *id) {
        if (grants_thread) {
                if (WaitForSingleObject(grants_thread, 0) == WAIT_TIMEOUT)
                        return; /* at work: it reads the progress again at its next batch */
                CloseHandle(grants_thread);
        }
        snprintf(grants_id, sizeof(grants_id), "%s", id);
        grants_thread = CreateThread(NULL, 0, grants_main, NULL, 0, NULL);
        static bool registered;
        if (grants_thread && !registered)
                registered = atexit(grants_wait) == 0;
}

static bool grants_alive(uint32_t pid) {
        if (pid == GetCurrentProcessId())
                return grants_thread && WaitForSingleObject(grants_thread, 0) == WAIT_TIMEOUT;
        HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
        if (!h)
                return false;
        bool alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
        CloseHandle(h);
        return alive;
}

static uint32_t grants_pid(void) {
        return GetCurrentProcessId();
}

static const struct bw_winbe_grants_host grants_host = {
        .start = grants_start, .alive = grants_alive, .pid = grants_pid};

const struct bw_winbe_grants_host *bw_winbe_thread_grants_host(const char *dir) {
        snprintf(state_dir, sizeof(state_dir), "%s", dir);
        return &grants_host;
}

void bw_winbe_grants_wait(void) {
        grants_wait();
}

/* The per-user state directory (%LOCALAPPDATA%\bulwark, or --state-dir): made with the user's
 * descriptor (bw_win_user_state_sd), then checked as it is, through a handle
 * (bw_win_user_dir_verify): the caller's own, and no one else may change it. A sandboxed run
 * cannot write there (its restricting SIDs are not in the DACL). */
static int user_state_open(const char *dir, bool create, char *err, size_t err_size) {
        char why[512] = "", sub[MAX_PATH * 3];
        if (create) {
                struct bw_win_sid me;
                uint8_t *sd = NULL;
                size_t sd_n = 0;
                int e = bw_win_caller_sid(&me);
                if (e == 0 && (e = bw_win_user_state_sd(&me, &sd, &sd_n)) == 0) {
                        e = bw_win_make_dir_sd(dir, sd);
                        snprintf(sub, sizeof(sub), "%s\\installs", dir);
                        if (e == 0 || e == -EEXIST)
                                e = bw_win_make_dir_sd(sub, NULL); /* inherits the protected DACL above */
                }
                free(sd);
                if (e < 0 && e != -EEXIST) {
                        snprintf(err, err_size, "cannot create the per-user state directory %s: %s", dir, strerror(-e));
                        return e;
                }
        }
        int e = bw_win_user_dir_verify(dir, why, sizeof(why));
        if (e == 0 && create) {
                /* There already (the runner's denybin\ makes %LOCALAPPDATA%\bulwark with what its
                 * parent passes on, the user's DELETE included): once it passed the check, apply and
                 * revert give it bulwark's own protected DACL (the same one again changes nothing). */
                struct bw_win_sid me;
                uint8_t *sd = NULL;
                size_t sd_n = 0;
                if ((e = bw_win_caller_sid(&me)) == 0 && (e = bw_win_user_state_sd(&me, &sd, &sd_n)) == 0)
                        e = bw_win_set_dir_dacl(dir, sd);
                free(sd);
                if (e < 0) {
                        snprintf(err, err_size, "cannot give the per-user state directory %s its DACL: %s", dir,
                                 strerror(-e));
                        return e;
                }
        }
        if (e == -ENOENT)
                return e;
        if (e < 0) {
                snprintf(err, err_size,
                         "the per-user state directory %s must be yours and writable by you, SYSTEM and "
                         "Administrators only: %s",
                         dir, why);
                return -EPERM;
        }
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                e = -errno;
                snprintf(err, err_size, "cannot open the state directory %s: %s", dir, strerror(errno));
                return e;
        }
        bw_winbe_use_state(dir);
        snprintf(state_dir, sizeof(state_dir), "%s", dir);
        bw_winbe_use_file_sd(win_file_sd);
        bw_winbe_use_grants_host(&grants_host);
        return fd;
}

static int win_state_open(const char *dir, bool create, char *err, size_t err_size) {
        char why[512] = "", sub[MAX_PATH * 3];
        if (bw_winbe_per_user())
                return user_state_open(dir, create, err, err_size);
        if (create) {
                int e = make_admin_dir(dir, ADMIN_DIR_SDDL);
                if (e < 0 && e != -EEXIST) {
                        snprintf(err, err_size, "cannot create the state directory %s: %s", dir, strerror(-e));
                        return e;
                }
                snprintf(sub, sizeof(sub), "%s\\installs", dir);
                e = make_admin_dir(sub, ADMIN_DIR_SDDL);
                if (e < 0 && e != -EEXIST) {
                        snprintf(err, err_size, "cannot create %s: %s", sub, strerror(-e));
                        return e;
                }
                snprintf(sub, sizeof(sub), "%s\\secrets", dir);
                e = make_admin_dir(sub, SECRETS_DIR_SDDL);
                if (e < 0 && e != -EEXIST) {
                        snprintf(err, err_size, "cannot create %s: %s", sub, strerror(-e));
                        return e;
                }
        }
        if (GetFileAttributesA(dir) == INVALID_FILE_ATTRIBUTES)
                return -ENOENT;
        int e = admin_only(dir, why, sizeof(why));
        if (e < 0) {
                snprintf(err, err_size, "the state directory %s must be writable by administrators only: %s", dir,
                         why[0] ? why : strerror(-e));
                return e == -ENOENT ? -ENOENT : -EPERM;
        }
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                e = -errno;
                snprintf(err, err_size, "cannot open the state directory %s: %s", dir, strerror(errno));
                return e;
        }
        bw_winbe_use_state(dir); /* where account_create keeps the sandbox users' passwords */
        snprintf(state_dir, sizeof(state_dir), "%s", dir);
        bw_winbe_use_file_sd(win_file_sd);
        bw_winbe_use_grants_host(&grants_host);
        if (create)
                bw_winbe_grants_cleanup(); /* apply and revert (and who else writes) */
        return fd;
}

static int win_state_lock(int state_fd, unsigned timeout_s, void (*waiting)(void *ctx), void *ctx) {
        int fd = openat(state_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return errno == ELOOP ? -EBADFD : -errno;
        HANDLE h = (HANDLE) _get_osfhandle(fd);
        ULONGLONG until = GetTickCount64() + (ULONGLONG) timeout_s * 1000;
        bool said = false;
        for (;;) {
                OVERLAPPED ov = {0};
                if (LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov))
                        return fd;
                DWORD e = GetLastError();
                if (e != ERROR_LOCK_VIOLATION && e != ERROR_IO_PENDING) {
                        close(fd);
                        return -EIO;
                }
                if (GetTickCount64() >= until) {
                        close(fd);
                        return -ETIMEDOUT;
                }
                if (!said && waiting) {
                        waiting(ctx);
                        said = true;
                }
                Sleep(100);
        }
}

static void win_state_unlock(int lock) {
        if (lock >= 0)
                close(lock); /* closing the handle releases the lock */
}

const struct bw_backend bw_backend_windows = {
        .name = "windows",
        .write_groups = false,
        .per_object_acls = false,
        .unverified = "no part of the Windows backend has been verified on a real Windows host: "
                      "tests/windows/README.md, the runbook",
        .words = &bw_winbe_words,
        .privileged = win_privileged,
        .per_user = win_per_user,
        .plan_path = win_plan_path,
        .tmpdir = win_tmpdir,
        .account_name = bw_winbe_account_name,
        .accounts_lookup = bw_winbe_accounts_lookup,
        .group_id = bw_winbe_group_id,
        .user_id = bw_winbe_user_id,
        .user_lookup = win_user_lookup,
        .account_create = bw_winbe_account_create,
        .group_create = bw_winbe_group_create,
        .account_missing_groups = bw_winbe_account_missing_groups,
        .account_fix_members = bw_winbe_account_fix_members,
        .account_remove = bw_winbe_account_remove,
        .account_leave_group = bw_winbe_account_leave_group,
        .fw_inspect = bw_winbe_fw_inspect,
        .fw_save = bw_winbe_fw_save,
        .fw_apply = bw_winbe_fw_apply,
        .fw_restore = bw_winbe_fw_restore,
        .fw_remove = bw_winbe_fw_remove,
        .tree_converge = bw_winbe_tree_converge,
        .targets_converge = bw_winbe_targets_converge,
        .acl_restore = bw_winbe_acl_restore,
        .traverse_grant = bw_winbe_traverse_grant,
        .shared_sticky = bw_winbe_shared_sticky,
        .acl_supported = win_acl_supported,
        .runner_locate = win_runner_locate,
        .runner_inspect = bw_winbe_runner_inspect,
        .runner_converge = bw_winbe_runner_converge,
        .runner_restore = bw_winbe_runner_restore,
        .install_progress = bw_winbe_install_progress,
        .host_probe = win_host_probe,
        .audit_write = win_audit_write,
        .state_open = win_state_open,
        .state_lock = win_state_lock,
        .state_unlock = win_state_unlock,
};
