# SPDX-License-Identifier: MIT
# Password managers' CLI sessions in the caller's environment: Bitwarden's BW_SESSION and
# 1Password's OP_SESSION_<account> unlock the whole vault for as long as they live, and match none
# of the credential patterns (*_TOKEN, *_KEY, ...): the runner drops them by name.
vault_names='BW_SESSION|OP_SESSION_[a-z0-9_]+'
vault_env="BW_SESSION=esc-bw-session OP_SESSION_acme=esc-op-session OP_SESSION_my_team=esc-op-team"
# shellcheck disable=SC2086
proof env-vault-sessions env $vault_env sh -c 'test "$(env | grep -cE "^('"$vault_names"')=")" -eq 3'
vault_saved_env=$session_env
session_env="$session_env $vault_env"
blocked env-vault-sessions 'vault sessions: none' sh -c \
        'env | grep -E "^('"$vault_names"')=" || { echo "vault sessions: none"; exit 1; }'
session_env=$vault_saved_env
