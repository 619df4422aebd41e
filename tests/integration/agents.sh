#!/bin/sh
# SPDX-License-Identifier: MIT
# Agent wiring (contrib/agents): each agent's documented way of running a command, given the
# exact input the agent documents, ends in bulwark run, and the command then really runs in the
# sandbox: a write in the workspace works, a write to .git is refused, the exit status passes
# through, quoting survives (quotes, newlines, $(...), heredocs, globs). Fails closed when bulwark
# is missing. Pieces:
#   bulwark-sh       $SHELL -c stand-in (aider) and Claude Code's CLAUDE_CODE_SHELL_PREFIX
#   bulwark-hook     PreToolUse hook: Claude Code and Codex JSON on stdin, rewrite or deny
#   Claude Code      the real CLI, when installed (PATH or BULWARK_TEST_CLAUDE): its shell prefix
#                    setting wraps a hook command it runs itself (no model needed)
#   Codex            the real CLI, when installed (PATH or BULWARK_TEST_CODEX): the hook's output
#                    validates against the schema Codex ships, the managed requirements.toml
#                    is accepted and its hooks run; bulwark inside Codex's own sandbox fails closed
#   aider            NOT installable here (PyPI): a stand-in that runs commands exactly as aider's
#                    run_cmd does ($SHELL -c) checks aider-bulwark; aider itself is not run
#   CI               the shell line GitHub Actions makes of defaults.run.shell, and the script a
#                    GitLab runner makes of the script lines
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
carry_src=$src/contrib/agents
claude_cli=${BULWARK_TEST_CLAUDE:-$(command -v claude 2>/dev/null || true)}
codex_cli=${BULWARK_TEST_CODEX:-$(command -v codex 2>/dev/null || true)}
. "$(dirname "$0")/lib.sh"
# lib.sh copied contrib/agents to /run/src; a run gets a /run of its own, and the scripts must be
# where a sandboxed command sees them too (CLAUDE_CODE_SHELL_PREFIX runs hooks in the sandbox)
agents=/var/lib/agents
cp -a /run/src $agents
chmod 0755 $agents
skipped=0
skip() {
        skipped=$((skipped + 1))
        echo "skip $*"
}

if ! unshare -U true 2>/dev/null; then
        echo "SKIP agents: this kernel does not let processes create user namespaces"
        finish
        exit 77
fi

useradd -m -d /home/ann -s /bin/sh ann
chmod 700 /home/ann
uid=$(id -u ann)
mkdir -p /run/user/$uid && chown ann:ann /run/user/$uid && chmod 700 /run/user/$uid
ws=/home/ann/ws
mkdir -p $ws/.git $ws/src
printf '[core]\n\tbare = false\n' >$ws/.git/config
chown -R ann:ann /home/ann
cp $ws/.git/config /run/git-config.orig
git_untouched() { cmp -s $ws/.git/config /run/git-config.orig && [ ! -e $ws/.git/planted ]; }
chmod 0755 /run/bin

# as_ann DIR command...: as ann, from DIR, with bulwark on PATH and a runtime directory
as_ann() {
        _d=$1
        shift
        as_user ann env HOME=/home/ann XDG_RUNTIME_DIR=/run/user/$uid PATH=/run/bin:/usr/bin:/bin \
                sh -c 'cd "$1" && shift && exec "$@"' sh "$_d" "$@"
}
# the same without bulwark anywhere on PATH
as_ann_nobulwark() {
        _d=$1
        shift
        as_user ann env HOME=/home/ann XDG_RUNTIME_DIR=/run/user/$uid PATH=/usr/bin:/bin \
                sh -c 'cd "$1" && shift && exec "$@"' sh "$_d" "$@"
}

# Commands whose text a wrapper must hand over byte for byte (one per file: they hold newlines).
mkdir -p /run/tricky
cat >/run/tricky/1 <<'EOF'
echo "it's" 'a "quoted"' \$HOME "$(echo sub)" `echo tick` 'back\slash' "tab	x"
EOF
cat >/run/tricky/2 <<'EOF'
printf '%s\n' "line one" 'line
two'; echo "$((6 * 7))"
EOF
cat >/run/tricky/3 <<'EOF'
cat <<'EOT' | tr a-z A-Z
heredoc $NOT_EXPANDED `nor this`
EOT
cat <<EOT
expanded: $((1 + 2))
EOT
EOF
cat >/run/tricky/4 <<'EOF'
set -- *; echo "glob: $*"; x='semi;colon && pipe | amp &'; echo "$x"; echo 'ünïcödé ✓'
EOF
printf 'echo no-newline-at-end' >/run/tricky/5
chmod 0644 /run/tricky/*
# what plain bash prints for each, as ann in the workspace (the reference)
for t in /run/tricky/*; do
        as_ann $ws bash -c "$(cat "$t")" >"$t.want" 2>&1
done

# ---------------------------------------------------------------------------------------------
# bulwark-sh: "SHELL -c COMMAND" and a single COMMAND argument
sh_wrap=$agents/bulwark-sh
as_ann $ws $sh_wrap -c 'echo sandboxed >src/sh.out; printenv BULWARK_SANDBOX >src/sh.mode; echo "$SHELL" >src/sh.shell'
check "bulwark-sh -c: a write in the workspace works" test "$(cat $ws/src/sh.out)" = sandboxed
check "bulwark-sh -c: the command ran inside bulwark run (BULWARK_SANDBOX set)" test -s $ws/src/sh.mode
check "bulwark-sh -c: SHELL inside is the real shell, not bulwark-sh" test "$(cat $ws/src/sh.shell)" = /bin/bash
check_fails "bulwark-sh -c: a write to .git is refused" as_ann $ws $sh_wrap -c 'echo x >>.git/config'
check "bulwark-sh -c:   ...and .git is untouched" git_untouched
as_ann $ws $sh_wrap -c 'exit 7'
check "bulwark-sh -c: the exit status passes through" test $? -eq 7
as_ann $ws $sh_wrap 'exit 9'
check "bulwark-sh COMMAND (one argument): the exit status passes through" test $? -eq 9
check "bulwark-sh -c COMMAND NAME ARGS: \$0 and \$@ as sh -c gives them" test \
        "$(as_ann $ws $sh_wrap -c 'printf "%s|" "$0" "$@"' name a 'b c')" = "name|a|b c|"
for t in /run/tricky/[0-9]; do
        as_ann $ws $sh_wrap -c "$(cat "$t")" >"$t.sh" 2>&1
        check "bulwark-sh: tricky command $(basename "$t") prints what bash prints" cmp "$t.want" "$t.sh"
done
as_ann_nobulwark $ws $sh_wrap -c 'echo ran >src/unsandboxed' 2>/run/nob.err
rc=$?
check "bulwark-sh without bulwark: exit 125, says why" sh -c "[ $rc -eq 125 ] && grep -q 'NOT run' /run/nob.err"
check "bulwark-sh without bulwark:   ...and the command did not run" test ! -e $ws/src/unsandboxed
as_ann $ws $sh_wrap -l -c 'echo ran >src/login' 2>/dev/null
rc=$?
check "bulwark-sh with an option it does not know: 125, nothing run" sh -c "[ $rc -eq 125 ] && [ ! -e $ws/src/login ]"

# ---------------------------------------------------------------------------------------------
# bulwark-hook: the PreToolUse JSON each agent documents, on stdin
hook=$agents/bulwark-hook
# hook_input AGENT TOOL TOOL_INPUT_JSON: what Claude Code / Codex send (their documented fields)
hook_input() {
        python3 - "$@" <<'EOF'
import json, sys
agent, tool, tin = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
d = {"session_id": "s-1", "transcript_path": None if agent == "codex" else "/home/ann/.t.jsonl",
     "cwd": "/home/ann/ws", "hook_event_name": "PreToolUse", "tool_name": tool,
     "tool_input": tin, "tool_use_id": "toolu_01"}
if agent == "codex":
    d.update({"model": "gpt-x", "permission_mode": "bypassPermissions", "turn_id": "t-1"})
else:
    d["permission_mode"] = "default"
print(json.dumps(d))
EOF
}
# json_cmd FILE: the command of a tool input, as JSON (for hook_input)
json_cmd() {
        python3 -c 'import json,sys; print(json.dumps({"command": open(sys.argv[1]).read(), "timeout": 60000, "description": "d"}))' "$1"
}
# rewritten OUT: the rewritten command of a hook answer
rewritten() {
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hookSpecificOutput"]["updatedInput"]["command"], end="")' "$1"
}
# as_claude_runs CMD: the way Claude Code's Bash tool runs a command: its shell -c, the command
# single-quoted into `eval ... < /dev/null`, then the working directory written to a file
as_claude_runs() {
        python3 - "$1" >/run/claude-cmd <<'EOF'
import sys
c = sys.argv[1]
print("eval '" + c.replace("'", "'\"'\"'") + "' < /dev/null && pwd -P >| \"${TMPDIR:-/tmp}/claude-1-cwd\"", end="")
EOF
        chmod 0644 /run/claude-cmd
        as_ann $ws bash -c "$(cat /run/claude-cmd)"
}

for agent in claude codex; do
        hook_input $agent Bash '{"command": "echo hooked >src/'$agent'.out; exit 3", "timeout": 60000, "description": "d"}' >/run/in.json
        as_ann $ws $hook $agent </run/in.json >/run/out.json 2>/run/err
        rc=$?
        check "[$agent] hook on Bash: exit 0 and a decision" sh -c "[ $rc -eq 0 ] && [ -s /run/out.json ]"
        check "[$agent]   ...allow with updatedInput, the other fields kept" python3 -c '
import json, sys
o = json.load(open("/run/out.json"))["hookSpecificOutput"]
assert o["hookEventName"] == "PreToolUse" and o["permissionDecision"] == "allow", o
u = o["updatedInput"]
assert u["timeout"] == 60000 and u["description"] == "d", u
assert u["command"].startswith("'\''/run/bin/bulwark'\'' run -- "), u["command"]'
        cmd=$(rewritten /run/out.json)
        if [ $agent = claude ]; then as_claude_runs "$cmd"; else as_ann $ws bash -lc "$cmd"; fi
        rc=$?
        check "[$agent] the rewritten command runs: exit status 3 passes through" test $rc -eq 3
        check "[$agent]   ...it wrote in the workspace" test "$(cat $ws/src/$agent.out)" = hooked
        hook_input $agent Bash '{"command": "echo planted >.git/planted; echo x >>.git/config"}' >/run/in.json
        as_ann $ws $hook $agent </run/in.json >/run/out.json
        cmd=$(rewritten /run/out.json)
        if [ $agent = claude ]; then as_claude_runs "$cmd"; else as_ann $ws bash -lc "$cmd"; fi 2>/dev/null
        check "[$agent] the rewritten command cannot write .git" git_untouched
        hook_input $agent Bash '{"command": "printenv BULWARK_SANDBOX"}' >/run/in.json
        as_ann $ws $hook $agent </run/in.json >/run/out.json
        cmd=$(rewritten /run/out.json)
        if [ $agent = claude ]; then as_claude_runs "$cmd"; else as_ann $ws bash -lc "$cmd"; fi >/run/mode.out 2>&1
        check "[$agent] the rewritten command runs in the sandbox (BULWARK_SANDBOX)" grep -qx offline /run/mode.out
        for t in /run/tricky/[0-9]; do
                hook_input $agent Bash "$(json_cmd "$t")" >/run/in.json
                as_ann $ws $hook $agent </run/in.json >/run/out.json
                cmd=$(rewritten /run/out.json)
                if [ $agent = claude ]; then as_claude_runs "$cmd"; else as_ann $ws bash -lc "$cmd"; fi >"$t.$agent" 2>&1
                check "[$agent] tricky command $(basename "$t") through the hook prints what bash prints" cmp "$t.want" "$t.$agent"
        done
        # what the hook made of a command is left alone the second time (no run inside a run)
        hook_input $agent Bash "$(python3 -c 'import json,sys; print(json.dumps({"command": sys.argv[1]}))' "$cmd")" >/run/in.json
        as_ann $ws $hook $agent </run/in.json >/run/out.json
        check "[$agent] an already rewritten command: exit 0, no decision (not wrapped twice)" sh -c "[ $? -eq 0 ] && [ ! -s /run/out.json ]"
        # ...but a command that only starts like one is wrapped
        hook_input $agent Bash "$(python3 -c 'import json,sys; print(json.dumps({"command": sys.argv[1] + "; touch .git/planted"}))' "$cmd")" >/run/in.json
        as_ann $ws $hook $agent </run/in.json >/run/out.json
        check "[$agent] a rewritten command with more after it is wrapped again" test -s /run/out.json
        # fail closed
        as_ann_nobulwark $ws /usr/bin/python3 $hook $agent </run/in.json >/run/out.json 2>/run/err
        rc=$?
        check "[$agent] without bulwark the hook denies (exit 2, reason on stderr, no rewrite)" sh -c \
                "[ $rc -eq 2 ] && grep -q 'bulwark is not installed' /run/err && [ ! -s /run/out.json ]"
        echo 'not json {' | as_ann $ws $hook $agent >/run/out.json 2>/run/err
        check "[$agent] input that is not JSON: denied" sh -c "[ $? -eq 2 ] && [ -s /run/err ]"
        hook_input $agent Bash '{"command": ["rm", "-rf", "/"]}' | as_ann $ws $hook $agent >/run/out.json 2>/run/err
        check "[$agent] a command that is not a string: denied" sh -c "[ $? -eq 2 ] && [ -s /run/err ]"
done
hook_input claude Bash '{"command": "true"}' | as_ann $ws $hook claude --ask >/run/out.json
check "[claude] --ask: permissionDecision ask, still rewritten" python3 -c '
import json; o = json.load(open("/run/out.json"))["hookSpecificOutput"]
assert o["permissionDecision"] == "ask" and "bulwark" in o["updatedInput"]["command"]'
hook_input codex Bash '{"command": "true"}' >/run/in.json
as_ann $ws $hook codex --ask </run/in.json >/dev/null 2>&1
check "[codex] --ask is refused (Codex rejects updatedInput with ask)" test $? -eq 2

# The agents' own edit tools: a guard, since they do not run through bulwark run
ln -s .git $ws/src/gitlink
ln -s /home/ann $ws/src/homelink
chown -h ann:ann $ws/src/gitlink $ws/src/homelink
edit() { # expected-status tool path
        hook_input claude "$2" "{\"file_path\": \"$3\", \"content\": \"x\"}" | as_ann $ws $hook claude >/dev/null 2>&1
        test $? -eq "$1"
}
check "[claude] Write to src/a.c: no objection" edit 0 Write $ws/src/a.c
check "[claude] Write to .git/config: denied" edit 2 Write $ws/.git/config
check "[claude] Edit of .GIT/config (any letter case): denied" edit 2 Edit $ws/.GIT/config
check "[claude] Write to .claude/settings.json: denied" edit 2 Write $ws/.claude/settings.json
check "[claude] Write to src/.vscode/tasks.json (any depth): denied" edit 2 Write $ws/src/.vscode/tasks.json
check "[claude] Write through a symlink into .git: denied" edit 2 Write $ws/src/gitlink/config
check "[claude] Write outside the workspace (~/.bashrc): denied" edit 2 Write /home/ann/.bashrc
check "[claude] Write outside through a symlink: denied" edit 2 Write $ws/src/homelink/.profile
check "[claude] Write with ../ out of the workspace: denied" edit 2 Write $ws/src/../../x
hook_input claude NotebookEdit "{\"notebook_path\": \"$ws/.bulwark/n.ipynb\", \"new_source\": \"x\"}" | as_ann $ws $hook claude >/dev/null 2>&1
check "[claude] NotebookEdit into .bulwark: denied" test $? -eq 2
patch() { # expected-status patch-text
        hook_input codex apply_patch "$(python3 -c 'import json,sys; print(json.dumps({"command": sys.argv[1]}))' "$2")" |
                as_ann $ws $hook codex >/dev/null 2>&1
        test $? -eq "$1"
}
check "[codex] apply_patch adding src/new.txt: no objection" patch 0 "*** Begin Patch
*** Add File: src/new.txt
+hello
*** End Patch"
check "[codex] apply_patch updating .git/config: denied" patch 2 "*** Begin Patch
*** Update File: .git/config
@@
-[core]
+[core] x
*** End Patch"
check "[codex] apply_patch moving a file into .codex/: denied" patch 2 "*** Begin Patch
*** Update File: src/a.txt
*** Move to: .codex/config.toml
*** End Patch"
check "[codex] apply_patch deleting ../outside: denied" patch 2 "*** Begin Patch
*** Delete File: ../outside
*** End Patch"
check "[codex] apply_patch without a file header: denied" patch 2 "not a patch"

# ---------------------------------------------------------------------------------------------
# Claude Code itself: CLAUDE_CODE_SHELL_PREFIX (settings.shell-prefix.json) wraps every shell
# command it spawns; a SessionStart hook is one it runs before any model is asked.
if [ -n "$claude_cli" ] && [ -x "$claude_cli" ]; then
        cli_version=$(as_ann $ws "$claude_cli" --version 2>/dev/null | head -1)
        sed "s|/usr/local/libexec/bulwark/|$agents/|g" $agents/claude-code/settings.shell-prefix.json >/run/cc.json
        python3 - /run/cc.json <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["hooks"]["SessionStart"] = [{"hooks": [{"type": "command", "command":
    "printenv BULWARK_SANDBOX >src/cc-hook.mode; echo x >>.git/config || echo refused >src/cc-hook.git; exit 0"}]}]
json.dump(s, open(p, "w"))
EOF
        chmod 0644 /run/cc.json
        as_ann $ws env ANTHROPIC_API_KEY=sk-test-not-a-key "$claude_cli" -p hello --settings /run/cc.json \
                </dev/null >/run/cc.out 2>&1 &
        cc=$!
        i=0
        while [ $i -lt 600 ] && [ ! -s $ws/src/cc-hook.git ]; do
                sleep 0.1
                i=$((i + 1))
        done
        kill $cc 2>/dev/null
        wait $cc 2>/dev/null
        check "[claude $cli_version] its shell prefix runs the command it spawns in the sandbox" grep -qx offline $ws/src/cc-hook.mode
        check "[claude $cli_version]   ...where .git is read-only" sh -c \
                "grep -qx refused $ws/src/cc-hook.git && cmp -s $ws/.git/config /run/git-config.orig"
else
        skip "[claude] Claude Code CLI not installed (npm install -g @anthropic-ai/claude-code, or set BULWARK_TEST_CLAUDE): its settings were not loaded by the real CLI"
fi

# ---------------------------------------------------------------------------------------------
# Codex itself: the hook's answers against the output schema the installed Codex carries, the
# managed requirements.toml accepted with its hooks run (without a review), and bulwark inside
# Codex's own sandbox failing closed (why config.toml turns that sandbox off).
if [ -n "$codex_cli" ] && [ -x "$codex_cli" ]; then
        cli_version=$(as_ann $ws "$codex_cli" --version 2>/dev/null | tail -1)
        hook_input codex Bash '{"command": "make test"}' >/run/cx-in.json
        as_ann $ws $hook codex </run/cx-in.json >/run/cx-out.json
        real_codex=$(readlink -f "$codex_cli")
        codex_bin=$(python3 - "$real_codex" <<'EOF'
import glob, os, sys
# the npm package's launcher runs the native binary of vendor/<target>/bin/codex
p = sys.argv[1]
d = os.path.dirname(os.path.dirname(p))
c = glob.glob(os.path.join(os.path.dirname(d), "codex-linux-*", "vendor", "*", "bin", "codex")) + \
    glob.glob(os.path.join(d, "node_modules", "@openai", "codex-linux-*", "vendor", "*", "bin", "codex")) + \
    glob.glob(os.path.join(d, "vendor", "*", "bin", "codex"))
print(c[0] if c else (p if open(p, "rb").read(4) == b"\x7fELF" else ""))
EOF
)
        if [ -n "$codex_bin" ]; then
                check "[codex $cli_version] the hook's input and answer validate against the schemas in the Codex binary" \
                        python3 - "$codex_bin" /run/cx-in.json /run/cx-out.json <<'EOF'
import json, sys
import jsonschema
blob = open(sys.argv[1], "rb").read()
def schema(title):
    # the binary embeds each hook's JSON Schema, prefixed with its title
    i = blob.index(title.encode() + b"{") + len(title)
    depth = 0
    for j in range(i, len(blob)):
        c = blob[j:j + 1]
        if c == b"{": depth += 1
        elif c == b"}":
            depth -= 1
            if depth == 0:
                return json.loads(blob[i:j + 1])
    raise SystemExit("no end")
jsonschema.validate(json.load(open(sys.argv[2])), schema("pre-tool-use.command.input"))
jsonschema.validate(json.load(open(sys.argv[3])), schema("pre-tool-use.command.output"))
EOF
        else
                skip "[codex] the native Codex binary was not found beside $codex_cli: schemas not checked"
        fi
        mkdir -p /etc/codex
        sed "s|/usr/local/libexec/bulwark/|$agents/|g" $agents/codex/requirements.toml >/etc/codex/requirements.toml
        cat >>/etc/codex/requirements.toml <<EOF

[[hooks.SessionStart]]
[[hooks.SessionStart.hooks]]
type = "command"
command = "echo managed >$ws/src/cx-hook.ran"
EOF
        mkdir -p /home/ann/.codex && chown ann:ann /home/ann/.codex
        as_ann $ws env OPENAI_API_KEY=sk-test-not-a-key CODEX_HOME=/home/ann/.codex "$codex_cli" exec \
                --skip-git-repo-check hello </dev/null >/run/cx.out 2>&1 &
        cx=$!
        i=0
        while [ $i -lt 300 ] && [ ! -s $ws/src/cx-hook.ran ]; do
                sleep 0.1
                i=$((i + 1))
        done
        kill $cx 2>/dev/null
        wait $cx 2>/dev/null
        check "[codex $cli_version] requirements.toml is accepted and its (managed) hooks run without a review" \
                grep -qx managed $ws/src/cx-hook.ran
        rm -f /etc/codex/requirements.toml
        as_ann $ws env CODEX_HOME=/home/ann/.codex "$codex_cli" sandbox -c 'sandbox_mode="workspace-write"' -- \
                /run/bin/bulwark run -- sh -c 'echo ran >src/nested' >/run/cx-nested.out 2>&1
        rc=$?
        check "[codex $cli_version] bulwark run inside Codex's own sandbox: refused, the command never ran" \
                sh -c "[ $rc -ne 0 ] && [ ! -e $ws/src/nested ]"
else
        skip "[codex] Codex CLI not installed (npm install -g @openai/codex, or set BULWARK_TEST_CODEX): schemas and requirements.toml not checked by the real CLI"
fi

# ---------------------------------------------------------------------------------------------
# The agents end to end, with a stand-in for the model: a local server speaking the Messages API
# (Claude Code) and the Responses API (Codex) that asks for one tool call per turn, from a list,
# then says "done". The agent itself decides nothing here; everything after the model's answer
# is the real CLI: its hooks, its permission handling, its shell. A dropped updatedInput (the
# command then runs without bulwark) or an ignored denial fails these checks.
cat >/run/stub-model.py <<'EOF'
#!/usr/bin/python3
# stub-model.py PORT_FILE STEPS_JSON LOG: answer turn N with tool call N of STEPS_JSON
# ([{"name": TOOL, "input": {...}}]; for the Responses API a Bash step becomes the shell tool
# Codex offers), then with the text "done". LOG gets one line per tool result sent back.
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, steps, log = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]


def sse(events):
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def note(text):
    with open(log, "a") as f:
        f.write(json.dumps({"result": text}) + "\n")


def anthropic(req):
    results = [c for m in req.get("messages", []) if isinstance(m.get("content"), list)
               for c in m["content"] if c.get("type") == "tool_result"]
    offered = {t.get("name") for t in req.get("tools", [])}
    for r in results[-1:]:
        c = r.get("content")
        note(c if isinstance(c, str) else " ".join(x.get("text", "") for x in c or []))
    msg = {"id": "msg_1", "type": "message", "role": "assistant", "model": req.get("model", "m"),
           "content": [], "stop_reason": None, "stop_sequence": None,
           "usage": {"input_tokens": 1, "output_tokens": 1}}
    step = steps[len(results)] if len(results) < len(steps) else None
    if step and step["name"] in offered:
        block = {"type": "tool_use", "id": f"toolu_{len(results)}", "name": step["name"],
                 "input": {}}
        delta = {"type": "input_json_delta", "partial_json": json.dumps(step["input"])}
        stop, full = "tool_use", dict(block, input=step["input"])
    else:
        block = {"type": "text", "text": ""}
        delta = {"type": "text_delta", "text": "done"}
        stop, full = "end_turn", {"type": "text", "text": "done"}
    if not req.get("stream"):
        return "application/json", json.dumps(dict(msg, content=[full], stop_reason=stop)).encode()
    return "text/event-stream", sse([
        {"type": "message_start", "message": msg},
        {"type": "content_block_start", "index": 0, "content_block": block},
        {"type": "content_block_delta", "index": 0, "delta": delta},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
         "usage": {"output_tokens": 1}},
        {"type": "message_stop"}])


def responses(req):
    names = {t.get("name") for t in req.get("tools", []) if isinstance(t, dict)}
    results = [i for i in req.get("input", [])
               if isinstance(i, dict) and i.get("type") == "function_call_output"]
    for r in results[-1:]:
        o = r.get("output")
        note(o if isinstance(o, str) else json.dumps(o))
    step = steps[len(results)] if len(results) < len(steps) else None
    call = None
    if step and step["name"] == "Bash":
        c = step["input"]["command"]
        if "exec_command" in names:
            call = ("exec_command", {"cmd": c})
        elif "shell_command" in names:
            call = ("shell_command", {"command": c})
        elif "shell" in names:
            call = ("shell", {"command": ["bash", "-lc", c]})
    if call:
        item = {"type": "function_call", "id": "fc_1", "call_id": f"call_{len(results)}",
                "name": call[0], "arguments": json.dumps(call[1]), "status": "completed"}
    else:
        item = {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
                "content": [{"type": "output_text", "text": "done", "annotations": []}]}
    usage = {"input_tokens": 1, "input_tokens_details": None, "output_tokens": 1,
             "output_tokens_details": None, "total_tokens": 2}
    return "text/event-stream", sse([
        {"type": "response.created", "response": {"id": "resp_1"}},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"id": "resp_1", "usage": usage}}])


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            req = {}
        path = self.path.split("?")[0]
        if path.endswith("/messages"):
            self.reply(200, *anthropic(req))
        elif path.endswith("/responses"):
            self.reply(200, *responses(req))
        else:
            self.reply(404, "application/json", b"{}")

    def do_GET(self):
        self.reply(404, "application/json", b"{}")


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
EOF
chmod 0755 /run/stub-model.py
model_pid=
# start_model STEPS_JSON: the stand-in serves STEPS_JSON; its port in $model_port
start_model() {
        stop_model
        printf '%s' "$1" >/run/steps.json
        : >/run/model.log
        rm -f /run/model.port
        python3 /run/stub-model.py /run/model.port /run/steps.json /run/model.log &
        model_pid=$!
        i=0
        while [ ! -s /run/model.port ] && [ $i -lt 100 ]; do
                sleep 0.05
                i=$((i + 1))
        done
        model_port=$(cat /run/model.port)
}
stop_model() {
        if [ -n "$model_pid" ]; then
                kill "$model_pid" 2>/dev/null
                wait "$model_pid" 2>/dev/null
                model_pid=
        fi
}
# the shell step of every end-to-end run: where it ran, whether .git stays, quoting, the status
# (the write to .git is in a script: Claude Code itself asks before a command that names .git)
printf 'echo x >>.git/config\n' >$ws/src/poke.sh
chown ann:ann $ws/src/poke.sh
e2e_cmd='printenv BULWARK_SANDBOX >src/e2e.mode; sh src/poke.sh; echo "it'\''s $(echo o)k"; exit 3'
e2e_steps() { # extra steps (JSON list items, may be empty)
        python3 - "$e2e_cmd" "$1" <<'EOF'
import json, sys
steps = [{"name": "Bash", "input": {"command": sys.argv[1], "description": "e2e"}}]
steps += json.loads("[" + sys.argv[2] + "]")
print(json.dumps(steps))
EOF
}
e2e_checks() { # label
        check "[$1] the shell command the model asked for ran in the sandbox" grep -qx offline $ws/src/e2e.mode
        check "[$1]   ...could not write .git" cmp -s $ws/.git/config /run/git-config.orig
        check "[$1]   ...its quoting survived and its output came back" grep -q "it's ok" /run/model.log
        check "[$1]   ...its exit status came back" grep -qi 'exit code 3\|exited with code 3\|exit_code\\\?"\?: \?3' /run/model.log
        rm -f $ws/src/e2e.mode
}

if [ -n "$claude_cli" ] && [ -x "$claude_cli" ]; then
        cli_version=$(as_ann $ws "$claude_cli" --version 2>/dev/null | head -1 | cut -d' ' -f1)
        for variant in settings.json settings.shell-prefix.json; do
                label="claude $cli_version, $variant"
                sed "s|/usr/local/libexec/bulwark/|$agents/|g" $agents/claude-code/$variant >/run/cc.json
                chmod 0644 /run/cc.json
                start_model "$(e2e_steps "{\"name\": \"Write\", \"input\": {\"file_path\": \"$ws/.git/planted\", \"content\": \"planted\"}}")"
                as_ann $ws env ANTHROPIC_BASE_URL=http://127.0.0.1:$model_port ANTHROPIC_API_KEY=sk-test-stub \
                        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 timeout 120 "$claude_cli" -p "run it" \
                        --settings /run/cc.json ${AGENTS_DEBUG:+--debug-file /home/ann/cc-dbg.txt} </dev/null >/run/cc.out 2>&1
                rc=$?
                stop_model
                [ -z "${AGENTS_DEBUG:-}" ] || { echo "--- $label"; cat /run/model.log; tail -5 /run/cc.out; grep -i -E "settings|hook|permission|error" /home/ann/cc-dbg.txt | head -30; rm -f /home/ann/cc-dbg.txt; }
                check "[$label] claude -p finished (exit 0)" test $rc -eq 0
                e2e_checks "$label"
                check "[$label] its Write tool into .git was denied by the hook" sh -c \
                        "grep -q 'bulwark-hook: denied' /run/model.log && [ ! -e $ws/.git/planted ]"
        done
        # fail closed, for real: the hook script missing; bulwark missing under the shell prefix
        fail_steps='[{"name": "Bash", "input": {"command": "echo ran >src/unsandboxed"}},
                {"name": "Write", "input": {"file_path": "'$ws'/.git/planted", "content": "x"}}]'
        sed "s|/usr/local/libexec/bulwark/bulwark-hook|/nonexistent/bulwark-hook|g" \
                $agents/claude-code/settings.json >/run/cc.json
        start_model "$fail_steps"
        as_ann $ws env ANTHROPIC_BASE_URL=http://127.0.0.1:$model_port ANTHROPIC_API_KEY=sk-test-stub \
                CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 timeout 120 "$claude_cli" -p "run it" \
                --settings /run/cc.json </dev/null >/run/cc.out 2>&1
        stop_model
        check "[claude $cli_version, settings.json] the hook script missing: the command is blocked, not run" sh -c \
                "[ ! -e $ws/src/unsandboxed ] && [ ! -e $ws/.git/planted ] && grep -q 'hook error' /run/model.log"
        sed "s|/usr/local/libexec/bulwark/|$agents/|g" $agents/claude-code/settings.shell-prefix.json >/run/cc.json
        start_model "$fail_steps"
        as_ann_nobulwark $ws env ANTHROPIC_BASE_URL=http://127.0.0.1:$model_port ANTHROPIC_API_KEY=sk-test-stub \
                CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 timeout 120 "$claude_cli" -p "run it" \
                --settings /run/cc.json </dev/null >/run/cc.out 2>&1
        stop_model
        check "[claude $cli_version, settings.shell-prefix.json] bulwark missing: neither the command nor the edit runs" sh -c \
                "[ ! -e $ws/src/unsandboxed ] && [ ! -e $ws/.git/planted ] && grep -q 'NOT run' /run/model.log"
fi

if [ -n "$codex_cli" ] && [ -x "$codex_cli" ]; then
        cli_version=$(as_ann $ws "$codex_cli" --version 2>/dev/null | tail -1 | cut -d' ' -f2)
        # the documented setup: managed hooks (requirements.toml), Codex's sandbox off (config.toml)
        codex_config() {
                grep -v '^#' $agents/codex/config.toml
                cat <<EOF
model = "stub-model"
model_provider = "stub"
approval_policy = "never"
[model_providers.stub]
name = "stub"
base_url = "http://127.0.0.1:$model_port/v1"
wire_api = "responses"
env_key = "STUB_MODEL_KEY"
EOF
        }
        start_model "$(e2e_steps "")"
        mkdir -p /etc/codex
        sed "s|/usr/local/libexec/bulwark/|$agents/|g" $agents/codex/requirements.toml >/etc/codex/requirements.toml
        rm -rf /home/ann/.codex && mkdir -p /home/ann/.codex
        codex_config >/home/ann/.codex/config.toml
        chown -R ann:ann /home/ann/.codex
        label="codex $cli_version, requirements.toml + config.toml"
        as_ann $ws env CODEX_HOME=/home/ann/.codex STUB_MODEL_KEY=x timeout 120 "$codex_cli" exec \
                --skip-git-repo-check "run it" </dev/null >/run/cx.out 2>&1
        rc=$?
        stop_model
        check "[$label] codex exec finished (exit 0)" test $rc -eq 0
        e2e_checks "$label"
        # fail closed, for real: the hook script missing
        start_model '[{"name": "Bash", "input": {"command": "echo ran >src/unsandboxed"}}]'
        sed "s|/usr/local/libexec/bulwark/bulwark-hook|/nonexistent/bulwark-hook|g" \
                $agents/codex/requirements.toml >/etc/codex/requirements.toml
        codex_config >/home/ann/.codex/config.toml
        as_ann $ws env CODEX_HOME=/home/ann/.codex STUB_MODEL_KEY=x timeout 120 "$codex_cli" exec \
                --skip-git-repo-check "run it" </dev/null >/run/cx.out 2>&1
        stop_model
        check "[$label] the hook script missing: the command is blocked, not run" sh -c \
                "[ ! -e $ws/src/unsandboxed ] && grep -qi 'blocked' /run/model.log"
        rm -f /etc/codex/requirements.toml
        # the same hook in ~/.codex/hooks.json, never reviewed: what this Codex does with it
        sed "s|/usr/local/libexec/bulwark/|$agents/|g" $agents/codex/hooks.json >/home/ann/.codex/hooks.json
        start_model "$(e2e_steps "")"
        codex_config >/home/ann/.codex/config.toml
        chown -R ann:ann /home/ann/.codex
        as_ann $ws env CODEX_HOME=/home/ann/.codex STUB_MODEL_KEY=x timeout 120 "$codex_cli" exec \
                --skip-git-repo-check "run it" </dev/null >/run/cx.out 2>&1
        stop_model
        # not a check (Codex may change this): what the README says about such hooks, as observed
        if [ -s $ws/src/e2e.mode ]; then
                echo "note [codex $cli_version] an unreviewed hook in ~/.codex/hooks.json ran"
        elif [ -e $ws/src/e2e.mode ]; then
                echo "note [codex $cli_version] an unreviewed hook in ~/.codex/hooks.json was skipped without a word:" \
                        "the command ran WITHOUT bulwark (use requirements.toml, or review and trust it in /hooks)"
        else
                echo "note [codex $cli_version] with an unreviewed hook in ~/.codex/hooks.json the command did not run"
        fi
        cp /run/git-config.orig $ws/.git/config
        rm -f $ws/src/e2e.mode /home/ann/.codex/hooks.json
fi

# ---------------------------------------------------------------------------------------------
# aider: not installable here (PyPI is unreachable), so aider itself is NOT run. What is ours is
# tested: aider-bulwark starts a program with SHELL=bulwark-sh, and a stand-in runs commands the
# two ways aider's run_cmd does: subprocess.Popen(cmd, shell=True, executable=$SHELL) and
# pexpect.spawn($SHELL, ["-c", cmd]) (here: subprocess with that argv).
cat >/run/fake-aider <<'EOF'
#!/usr/bin/python3
# stand-in for aider's run_cmd (aider/run_cmd.py): the command runs as "$SHELL -c COMMAND"
import os, subprocess, sys
shell = os.environ.get("SHELL", "/bin/sh")
cmd = sys.argv[2]
if sys.argv[1] == "subprocess":
    p = subprocess.Popen(cmd, shell=True, executable=shell)
else:  # the pexpect path: spawn(shell, args=["-c", command])
    p = subprocess.Popen([shell, "-c", cmd])
sys.exit(p.wait())
EOF
chmod 0755 /run/fake-aider
for how in subprocess pexpect; do
        as_ann $ws env AIDER=/run/fake-aider $agents/aider/aider-bulwark $how 'printenv BULWARK_SANDBOX >src/aider.mode; exit 4'
        rc=$?
        check "[aider stand-in, $how] the command runs in the sandbox, exit status 4 back" sh -c \
                "[ $rc -eq 4 ] && grep -qx offline $ws/src/aider.mode"
        as_ann $ws env AIDER=/run/fake-aider $agents/aider/aider-bulwark $how 'echo x >>.git/config' 2>/dev/null
        check "[aider stand-in, $how] a write to .git is refused" sh -c "[ $? -ne 0 ] && cmp -s $ws/.git/config /run/git-config.orig"
        as_ann $ws env AIDER=/run/fake-aider $agents/aider/aider-bulwark $how "$(cat /run/tricky/3)" >/run/tricky/3.aider 2>&1
        check "[aider stand-in, $how] a heredoc survives" cmp /run/tricky/3.want /run/tricky/3.aider
done
as_ann_nobulwark $ws env AIDER=/run/fake-aider $agents/aider/aider-bulwark subprocess 'echo ran >src/aider-unsandboxed' 2>/run/err
rc=$?
check "[aider] aider-bulwark without bulwark: aider is not started (125)" sh -c \
        "[ $rc -eq 125 ] && [ ! -e $ws/src/aider-unsandboxed ] && grep -q 'not started' /run/err"

# ---------------------------------------------------------------------------------------------
# GitHub Actions: the runner writes the step's script to a file in $RUNNER_TEMP and runs
# defaults.run.shell with {0} replaced by its path, split on blanks (no shell in between).
gh_shell=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["jobs"]["test"]["defaults"]["run"]["shell"])' \
        $agents/ci/github-actions.yml)
mkdir -p /home/ann/work/_temp && chown -R ann:ann /home/ann/work
gh_step() { # script text: run it as the runner would; status of the step
        printf '%s\n' "$1" >/home/ann/work/_temp/step.sh
        chown ann:ann /home/ann/work/_temp/step.sh
        # shellcheck disable=SC2046 # split on blanks, as the runner does
        as_ann $ws $(printf '%s' "$gh_shell" | sed "s|{0}|/home/ann/work/_temp/step.sh|")
}
check "[github] defaults.run.shell starts with bulwark run" sh -c "case '$gh_shell' in 'bulwark run -- '*'{0}'*) ;; *) exit 1;; esac"
gh_step 'printenv BULWARK_SANDBOX >src/gh.mode
echo "built" >src/gh.out'
check "[github] a step runs in the sandbox and writes in the workspace" sh -c \
        "[ $? -eq 0 ] && grep -qx offline $ws/src/gh.mode && grep -qx built $ws/src/gh.out"
gh_step 'echo x >>.git/config' 2>/dev/null
check "[github] a step writing .git fails" sh -c "[ $? -ne 0 ] && cmp -s $ws/.git/config /run/git-config.orig"
gh_step 'false | true
echo not-reached >src/gh.after' 2>/dev/null
check "[github] -eo pipefail holds inside the sandbox: a failing pipeline stops the step" sh -c \
        "[ $? -ne 0 ] && [ ! -e $ws/src/gh.after ]"
gh_step 'exit 5'
check "[github] the step's exit status is the script's" test $? -eq 5
gh_step "$(cat /run/tricky/3)" >/run/tricky/3.gh 2>&1
check "[github] a heredoc in a step survives" cmp /run/tricky/3.want /run/tricky/3.gh
gh_step 'echo "name=value" >>/home/ann/work/_temp/github_output' 2>/dev/null
check "[github] a sandboxed step cannot write \$GITHUB_OUTPUT-style files outside the workspace" sh -c \
        "[ $? -ne 0 ] && [ ! -s /home/ann/work/_temp/github_output ]"

# GitLab CI: the runner makes one bash script of the job's lines, `set -eo pipefail` first.
gl_job() { # workspace: run the test job's script lines as the runner would; status of the job
        python3 - $agents/ci/gitlab-ci.yml >/run/gl.sh <<'EOF'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["test"]
print("set -eo pipefail")
for line in job["script"]:
    print(line)
EOF
        chmod 0644 /run/gl.sh
        as_ann "$1" bash /run/gl.sh
}
gl=/home/ann/gl
mkdir -p $gl/.git
cp /run/git-config.orig $gl/.git/config
cat >$gl/Makefile <<'EOF'
all:
	printenv BULWARK_SANDBOX >built
test:
	test -s built
install:
	mkdir -p $(PREFIX)/bin && cp built $(PREFIX)/bin/
EOF
printf '#!/bin/sh\necho "PREFIX=${1#--prefix=}" >config.mk\n' >$gl/configure
sed -i '1i -include config.mk' $gl/Makefile
chmod +x $gl/configure
chown -R ann:ann $gl
gl_job $gl >/run/gl.out 2>&1
check "[gitlab] the job's lines run in the sandbox: make, make test, a multi-line step" sh -c \
        "[ $? -eq 0 ] && grep -qx offline $gl/built && [ -s $gl/out/bin/built ]"
cat >$gl/Makefile <<'EOF'
all:
	true
test:
	echo x >>.git/config
EOF
chown ann:ann $gl/Makefile
gl_job $gl >/run/gl.out 2>&1
check "[gitlab] a job line writing .git fails the job, .git untouched" sh -c \
        "[ $? -ne 0 ] && cmp -s $gl/.git/config /run/git-config.orig"

[ "$skipped" -eq 0 ] || echo "$skipped skipped (agent CLIs not installed here; see the skip lines)"
finish
