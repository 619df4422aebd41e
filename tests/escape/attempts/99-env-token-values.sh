# SPDX-License-Identifier: MIT
# Credentials under names no pattern knows, or under password names the list missed: a GitHub
# token in MY_GH, GitLab's in DEPLOY_CFG, Slack's bot token, an Anthropic key, an AWS key id, a
# JSON Web Token, a PEM key, and SMTP_PASS, DB_PWD, BASIC_AUTH, SESSION_JWT, SLACK_WEBHOOK_URL.
# The runner drops each unless the policy passes its name (by the default list, or by the shape
# of the value); ordinary values, and prose that mentions a prefix, stay.
tok_env="MY_GH=ghp_EscTok0123456789abcdefghijklmnopqrstuv DEPLOY_CFG=glpat-EscTok0123456789abcdef
CI_SLACK=xoxb-1234-EscTok-abcdef CLAUDE_CFG=sk-ant-api03-EscTok0123456789abcdefghij
CLOUD_ID=AKIAESCTOK0123456789 SOME_HEADER=Bearer.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlc2MifQ.EscTok
TOK_LINE=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlc2MifQ.EscTok0123 PEM_BLOB=-----BEGIN_PRIVATE_KEY-----EscTok
SMTP_PASS=EscTok-smtp DB_PWD=EscTok-db BASIC_AUTH=EscTok-basic SESSION_JWT=EscTok-jwt
SLACK_WEBHOOK_URL=https://hooks.slack.example/EscTok"
tok_keep="NOTE=use_sk-for_keys SHORT_HF=hf_x LOCAL_URL=http://localhost:8080/ TOK_PLAIN=EscKeep"
# shellcheck disable=SC2086
proof env-token-values env $tok_env sh -c 'test "$(env | grep -ci EscTok)" -eq 13'
tok_saved_env=$session_env
session_env="$session_env $(echo $tok_env) $tok_keep"
blocked env-token-values 'tokens: none' sh -c 'env | grep -i EscTok || { echo "tokens: none"; exit 1; }'
allowed env-token-values-kept 'values of no credential shape are kept' sh -c \
        'test "$NOTE" = use_sk-for_keys && test "$SHORT_HF" = hf_x && test "$LOCAL_URL" = http://localhost:8080/ && test "$TOK_PLAIN" = EscKeep'
session_env=$tok_saved_env
