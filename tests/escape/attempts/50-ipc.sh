# SPDX-License-Identifier: MIT
# Channels to ann's session and to host services that are not IP: unix sockets by path and by
# abstract name, System V shared memory, POSIX message queues, other terminals.
# Expected: the agent sockets are hidden (a private /tmp; /run/user/UID covered, and /run private
# offline; ~/.1password is a default `unreadable` path; $SSH_AUTH_SOCK's socket is covered
# wherever it is), the host's service sockets
# (a database's, docker's: ann is in group docker) are not the offline sandbox's to use, abstract
# names live in the network namespace, POSIX queues are outside Landlock's rules, and the
# session's System V objects and terminals are out of reach. Where two reasons are accepted,
# either is a sound block (hidden: ENOENT; covered, denied by mode or by Landlock: EACCES).

blocked -c ipc-agent-tmp 'No such file or directory' "$probe" unix "$agent_tmp"
blocked -c ipc-agent-run-user 'Permission denied|No such file or directory' "$probe" unix "$agent_run"
blocked -c ipc-agent-home 'Permission denied|No such file or directory' "$probe" unix "$agent_home"
blocked -c ipc-abstract 'Connection refused|Operation not permitted' "$probe" abstract bulwark-escape-agent
blocked -c ipc-docker-socket 'Permission denied|No such file or directory|Connection refused' "$probe" unix "$docker_sock"
blocked -c ipc-db-socket 'Permission denied|No such file or directory|Connection refused' "$probe" unix "$pg_sock"
blocked -c ipc-sysv-shm 'No such file or directory|Permission denied' "$probe" shm "$shm_key"
blocked -c ipc-posix-mq 'No such file or directory|Permission denied' "$probe" mq "$mq_name"
blocked -c ipc-other-terminal 'No such file or directory|Permission denied' "$probe" pty "$pty"
