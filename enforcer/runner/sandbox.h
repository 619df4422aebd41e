/* SPDX-License-Identifier: MIT */
/*
 * The restriction pipeline that `bulwark run` puts every command through (the token spec of
 * schema/plan-format.md, made concrete). In order:
 *
 *   runner ── clone(new user, mount, pid [, net] namespaces) ──> init (pid 1 of the sandbox)
 *     maps only the caller's uid/gid        mounts: / read-only, writable roots bound writable,
 *     forwards signals, waits, passes         cache roots copy-on-write (overlayfs, a private
 *     the exit status through                 layer), carve-outs read-only over them, unreadable paths
 *                                           hidden, a private tmpdir, /dev/shm and /proc
 *                                           loopback up (offline: the namespace's only device)
 *                                           no_new_privs, Landlock, seccomp (last)
 *                                           fork ──> the command (execve)
 *
 * init stays as pid 1 so that the command gets normal signal semantics and so that when it ends
 * every process the command left behind dies with the namespace. Any failure before the
 * command's execve ends the run with exit status 125 and the reason on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Per carve-out or hidden path: found by the tree guard's walk (tree_guard.h), so its parents are
 * not pinned: a renamed parent takes the protected object along, and what the run puts at the old
 * name is caught after the run. Literal paths from the policy have their parents pinned. */
#define BW_RO_NOPIN 0x1u
/* Found in the tree just before the run: if it is gone when it is mounted, something renamed it
 * while the run started, and the run refuses rather than leave it unprotected. */
#define BW_RO_FOUND 0x2u

struct bw_sandbox_spec {
        const char *const *writable; /* writable roots (absolute, canonical); missing ones are skipped */
        size_t n_writable;
        const char *const *read_only; /* carve-outs, bound read-only over the writable roots */
        size_t n_read_only;
        const uint8_t *read_only_flags; /* per carve-out: BW_RO_* */
        const char *const *hidden;      /* unreadable paths: an empty, inaccessible object over them */
        size_t n_hidden;
        const uint8_t *hidden_flags; /* per hidden path: BW_RO_* */
        /* Cache roots: each gets a copy-on-write layer (overlayfs) over the host's directory, kept
         * in ~/.cache/bulwark/layers/<workspace digest>/<root digest>/{upper,work} of home, for
         * this workspace alone: the sandbox sees the host's copy and its own earlier writes, and
         * the host's copy never changes. Missing ones are skipped. Unelevated runs only. */
        const char *const *cache;
        size_t n_cache;
        const char *home;        /* the caller's home (where the layers are kept) */
        const char *workspace;   /* whose layers these are */
        const char *private_tmp; /* a writable root that gets a fresh tmpfs instead, or NULL */
        const char *tmp_size;    /* its size, as tmpfs's "size=" takes it ("1073741824", "10%") */
        const char *shm_size;    /* the private /dev/shm's */
        unsigned long processes; /* RLIMIT_NPROC of the command (0: leave it) */
        const char *cwd;         /* where the command starts (absolute) */
        uid_t trusted_uid;       /* besides root, whose symlinks the roots' paths may follow ((uid_t) -1: none) */
        uid_t real_uid;          /* the caller: its symlinks lead to what an unreadable rule hides */
        bool offline;
        unsigned landlock_min_abi;    /* below it: refuse (landlock_refuse_below) or go on without */
        unsigned landlock_wanted_abi; /* the plan's: what the runner negotiates up to (0: the kernel's) */
        bool landlock_refuse_below;
        bool verbose;
        bool elevated;    /* refuse rather than degrade when namespaces are unavailable */
        const char *mode; /* "elevated as bulwark-offline", "unelevated": for --verbose */
};

/*
 * Run argv[0] (searched in PATH) with envp inside the sandbox and wait for it. Returns the exit
 * status the runner should exit with (125 when the sandbox could not be set up), or -SIG when
 * the command was killed by signal SIG.
 */
int bw_sandbox_run(const struct bw_sandbox_spec *s, char *const argv[], char *const envp[]);

/*
 * Warm sessions (session.h). bw_sandbox_serve builds the sandbox of s and keeps its init serving
 * commands on listen_fd until it is stopped or idle for idle_seconds; it writes one byte to
 * ready_fd once the sandbox is up, and returns when the session has ended (0) or 125 when it
 * could not be built; still_wanted (when given) is asked every two seconds while it runs, and
 * the session is stopped once it says no. bw_sandbox_attach runs one command in the session at socket_path when it
 * was built for this exact boundary (digest): the command's status as bw_sandbox_run returns it,
 * or BW_ATTACH_NO_SESSION (nothing listens at socket_path), BW_ATTACH_UNAVAILABLE (it cannot take
 * the command) or BW_ATTACH_MISMATCH (built for another boundary): then run cold.
 */
#define BW_ATTACH_UNAVAILABLE 1000
#define BW_ATTACH_MISMATCH 1001
#define BW_ATTACH_NO_SESSION 1002
int bw_sandbox_serve(const struct bw_sandbox_spec *s, int listen_fd, const uint8_t digest[32], unsigned idle_seconds,
                     int ready_fd, bool (*still_wanted)(void));
int bw_sandbox_attach(const char *socket_path, const uint8_t digest[32], char *const argv[], char *const envp[],
                      const char *cwd);

/* Send a session request without stdio (STOP, INFO) on the connected fd, with this process's "/"
 * as the session asks of every client (sandbox.c, client_root_ok). 0 or a negative errno. */
struct bw_session_request;
int bw_session_send(int fd, const struct bw_session_request *req);

/* End this process by signal sig (no core file), so a shell sees what the command's death looked
 * like. Does not return. */
__attribute__((noreturn)) void bw_exit_like_signal(int sig);
