/* SPDX-License-Identifier: MIT */
/*
 * The command's standard streams, kept away from the host objects behind them.
 *
 * An inherited descriptor is also a name: /proc/self/fd/1 lets the command chmod, chown, set
 * xattrs on or (through the descriptor itself) truncate whatever the caller redirected into, a
 * log outside every writable root included; a terminal descriptor lets it chmod the caller's
 * terminal. So, per stream, before the sandbox starts:
 *   - anonymous pipes and sockets (an agent's usual stdio) pass through: their inodes belong to
 *     no file system a person uses, and a pipe cannot be truncated; nothing is copied, nothing
 *     costs more;
 *   - character devices that are not terminals (/dev/null) pass through;
 *   - everything else (a regular file, a named FIFO, a terminal that is not the interactive
 *     pair) reaches the command through a pipe that the runner copies to or from the original;
 *   - an interactive run (stdin and stdout both a terminal) gets a pseudo-terminal of its own,
 *     made in the sandbox's private devpts: the sandbox's init copies between it and the
 *     caller's terminal, which the runner puts in raw mode meanwhile (as sudo's use_pty does),
 *     so `tty` names a terminal, the command's line discipline makes its ^C, and the command
 *     holds no descriptor of the caller's terminal at all (nothing to inject into or chmod).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

enum bw_stream_kind { BW_STREAM_PASS = 0, BW_STREAM_RELAY, BW_STREAM_TTY };

/*
 * What the command writes to the caller's terminal, without the escape sequences a terminal acts
 * on beyond drawing: OSC (ESC ]: OSC 52 sets or reads the clipboard, which the user may paste into
 * a shell outside the sandbox; hyperlinks, notifications, iTerm2's and kitty's file transfers,
 * colour and font queries), DCS (ESC P: status-string and terminfo queries whose answers arrive as
 * typed input, tmux passthrough, which hands any of these to the outer terminal), APC, PM and SOS
 * (kitty graphics and the like), C1 controls (8-bit, raw or UTF-8 encoded, which some terminals
 * take for the same introducers) and CSI ... t (window operations: move, resize, iconify, report
 * the title). CSI sequences otherwise (colours, cursor movement, modes: what full-screen programs
 * use) and the other ESC sequences pass. A stream: a sequence split across writes is recognised
 * the same; a dropped string ends at BEL, ST, CAN or SUB, as in the terminal. Cheap: one pass,
 * no allocation.
 */
#define BW_TERM_CSI_MAX 64
struct bw_term_filter {
        unsigned char state;
        unsigned char prev; /* a dropped string's last byte (ESC starts ST); else a UTF-8 lead */
        unsigned char utf8; /* continuation bytes still expected */
        size_t csi_len;
        char csi[BW_TERM_CSI_MAX];
};
/* Filter n bytes of in into out, which holds n + BW_TERM_CSI_MAX bytes; returns what to write. */
size_t bw_term_filter(struct bw_term_filter *f, const char *in, size_t n, char *out);

struct bw_stdio {
        enum bw_stream_kind kind[3];
        int saved[3]; /* the runner's own copies of the caller's descriptors (RELAY) */
        int relay[3]; /* the runner's end of each RELAY stream's pipe */
        /* per output stream relayed to a terminal (filter_on): its escape sequences filtered */
        bool filter_on[3];
        struct bw_term_filter filter[3];
        bool interactive;
        bool raw; /* the caller's terminal is in raw mode (restore it) */
        struct termios termios;
};

/* Before the sandbox starts: classify 0..2 and put the command's pipe ends in their place.
 * Returns 0 or a negative errno. */
int bw_stdio_prepare(struct bw_stdio *io);
/* In the runner, once the sandbox's init has its own copies: take 0..2 back, raw mode for an
 * interactive run. */
void bw_stdio_after_start(struct bw_stdio *io);
/* Copy the RELAY streams until the command's side is closed and report_fd has given its
 * report_size bytes (or EOF). A report for which interim (when given) returns true is not the
 * last: it was handled (a stop of the command) and the copying goes on to the next. Returns what
 * read() of the last report returned. */
ssize_t bw_stdio_pump(struct bw_stdio *io, int report_fd, void *report, size_t report_size,
                      bool (*interim)(const void *report, void *userdata), void *userdata);
/* The caller's terminal as it was; descriptors closed. Safe to call twice. */
void bw_stdio_restore(struct bw_stdio *io);
/* Job control of an interactive run, in the runner (or a session's client): the command stopped
 * with signal sig, so the caller's terminal goes back to how the caller had it and this process
 * stops with the same signal (the shell sees its job stopped); once continued (fg), the terminal
 * is raw again. Returns when the command may be continued. */
void bw_stdio_suspend(struct bw_stdio *io, int sig);

/* ---- inside the sandbox (init) ---- */

/* A pseudo-terminal of the private devpts, with the caller's terminal settings t and size ws. */
int bw_pty_open(const struct termios *t, const struct winsize *ws, int *ret_master, int *ret_slave);
/* In the process that copies (init, a session's command monitor): a session of its own with the
 * slave as its controlling terminal, so that the command, in a process group of its own in that
 * session, is not orphaned and the terminal's job control signals (^Z) stop it. */
int bw_pty_lead(int slave);
/* In the command's process: its own process group, the terminal's foreground one, and the slave
 * on 0, 1 and (when it was the caller's terminal too) 2. */
void bw_pty_attach(int slave, bool stderr_too);
/* SIGWINCH in init: the caller's window size onto the pty (async-signal-safe). */
void bw_pty_resize(int master);

/* init's loop while the command runs: copy the caller's terminal (0 and 1) <-> the pty; reap
 * through waitpid(-1) whenever sigchld_fd is readable. Returns BW_PTY_ENDED when cmd has ended
 * (its wait status in *ret_status) and the pty's output is drained, BW_PTY_STOPPED when it has
 * stopped (its status in *ret_status): the caller says so to the runner and calls again, and
 * the caller's terminal is not read until the runner writes 'c' to control_fd (it is the
 * caller's shell's again meanwhile); then the command's process group is continued. Negative
 * errno on failure. */
enum { BW_PTY_ENDED = 0, BW_PTY_STOPPED = 1 };
struct bw_pty {
        int master, sigchld_fd, control_fd;
        pid_t cmd;
        bool paused;
        struct bw_term_filter filter; /* the command's output on its way to the caller's terminal */
        /* when control_fd is readable (NULL: one byte, 'c'); negative: the control is gone */
        int (*control)(struct bw_pty *p, void *userdata);
        void *control_userdata;
};
int bw_pty_relay(struct bw_pty *p, int *ret_status);
