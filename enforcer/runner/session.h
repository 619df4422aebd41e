/* SPDX-License-Identifier: MIT */
/*
 * Warm sandboxes: a session keeps one sandbox (namespaces, mounts, covers, identity) ready for a
 * workspace and its exact boundary, and runs each command in it as a child of its own pid and
 * mount namespace, with no_new_privs, Landlock and seccomp applied per command.
 *
 *   bulwark-runner --session start   builds the sandbox as a cold run would, then keeps its init
 *                                    serving on a socket (in $XDG_RUNTIME_DIR/bulwark/sessions,
 *                                    or the cache: a 0700 directory of the caller's, hidden from
 *                                    every sandbox); the runner that started it waits in the
 *                                    background and removes the socket when the session ends.
 *   bulwark-runner [...] -- CMD      finds the session for its workspace and mode, checks the
 *                                    boundary it was built for is exactly this run's (a digest
 *                                    of every root, carve-out, cover, limit and layer), and hands
 *                                    over argv, the environment, the working directory and its
 *                                    stdio (SCM_RIGHTS); a terminal (interactive run) is copied
 *                                    to and from one of the session's devpts, with its size,
 *                                    SIGWINCH, ^C and ^Z/fg passed through. A session built for
 *                                    another boundary is stopped and one for this run's built in
 *                                    its place, and the command runs there; without a session the
 *                                    run is cold, unless BULWARK_SESSION=auto (then it starts
 *                                    one, shown by `--session list`); BULWARK_SESSION=off: cold.
 *
 * The per-run checks (the tree guard's walk before and its check after) stay with the client:
 * they run for every command. Only the user who started it can use a session: the socket is
 * theirs and private, and a client from inside the session's pid namespace (a command) is
 * refused. A session ends after BW_SESSION_IDLE seconds without a command, with
 * `--session stop`, when the boundary changes, or when its socket is no longer its own (removed:
 * the runtime directory goes with the login session; replaced), looked at every two seconds.
 * Its files (NAME.sock, .info, .log) are changed under NAME.lock: a session that ends removes its
 * socket only while it is still its own.
 */
#pragma once

#include <stdint.h>
#include <sys/ioctl.h>
#include <termios.h>

#define BW_SESSION_MAGIC 0x32535742u /* "BWS2" */
#define BW_SESSION_MAX_BLOB (4u << 20)
#define BW_SESSION_IDLE 900
#define BW_SESSION_MISMATCH 1

enum bw_session_kind { BW_SESSION_RUN = 1, BW_SESSION_STOP = 2, BW_SESSION_INFO = 3 };

/* client -> server, with SCM_RIGHTS of the command's fds 0, 1, 2 (RUN); then blob_size bytes:
 * argv strings, envp strings, the working directory, each NUL-terminated. BW_SESSION_TTY: 0 and 1
 * are the caller's terminal (interactive), with these settings and size: the command gets a
 * terminal of the session's devpts, which the session copies to and from it;
 * BW_SESSION_TTY_STDERR: 2 is that terminal too. */
#define BW_SESSION_TTY 0x1u
#define BW_SESSION_TTY_STDERR 0x2u
struct bw_session_request {
        uint32_t magic, kind;
        uint8_t digest[32];
        uint32_t argc, envc, blob_size, flags;
        struct termios termios;
        struct winsize winsize;
};
/* server -> client: accepted (code 0) or not (BW_SESSION_MISMATCH); INFO: value = the session's pid */
struct bw_session_reply {
        uint32_t magic;
        int32_t code, value, reserved;
};
/* client -> server while the command runs: a signal to pass on, or BW_SESSION_RESUME: the client
 * was stopped with its command and goes on, so does the command */
#define BW_SESSION_RESUME 0
/* client -> server, a command without a terminal: the client was stopped (^Z on the caller's
 * terminal): stop every process of the command (RESUME continues them) */
#define BW_SESSION_SUSPEND (-1)
struct bw_session_signal {
        uint32_t magic;
        int32_t sig;
};
/* server -> client: the command's wait status; a stopped one (WIFSTOPPED: an interactive
 * command's ^Z) comes before the last, which says how it ended */
struct bw_session_status {
        uint32_t magic;
        int32_t wait_status;
};

/* A client's connection to the session at socket_path, made before its request is ready (the
 * session hands it to the command's monitor meanwhile): bw_sandbox_attach uses it when it is for
 * the same socket, else makes its own. Nothing when no session listens there. drop: close it
 * unused (the monitor ends). */
void bw_session_connect_early(const char *socket_path);
void bw_session_drop_early(void);
