# SPDX-License-Identifier: MIT
# Credentials that developer tools keep in plain text in the home directory, beyond the default
# profile's first list (~/.ssh, ~/.aws, ~/.netrc, ...): git's credential store, npm's and PyPI's
# upload tokens, cargo's and RubyGems' API keys, PostgreSQL's and MySQL's passwords, a Vault token,
# the gcloud and Azure CLIs' tokens, Terraform Cloud's. These are exactly what supply-chain worms
# harvest from a developer's machine. Unelevated the sandbox is ann, so 0600 does not keep them;
# elevated, the ones their tools write 0644 (.npmrc, .pypirc, .my.cnf) are readable through the
# traverse entry apply gives ann's home. Each must be unreadable in both modes (the tool's own
# mode kept: 0600 where the tool makes it so, 0644 where it commonly is).
cred_files="
600 .git-credentials https://ann:ghp_ann-test@github.com
600 .config/git/credentials https://ann:glpat-ann-test@gitlab.com
644 .npmrc //registry.npmjs.org/:_authToken=npm_ann-test
644 .pypirc [pypi]\\npassword = pypi-ann-test
600 .cargo/credentials.toml [registry]\\ntoken = \"cio-ann-test\"
600 .gem/credentials ---\\n:rubygems_api_key: rubygems_ann-test
600 .pgpass db:5432:*:ann:pg-ann-test
644 .my.cnf [client]\\npassword=mysql-ann-test
600 .vault-token hvs.ann-test
600 .config/gcloud/credentials.db gcloud-ann-test
600 .azure/msal_token_cache.json azure-ann-test
600 .terraform.d/credentials.tfrc.json {\"credentials\": {\"app.terraform.io\": {\"token\": \"tf-ann-test\"}}}"
if [ "$mode" = control ]; then
        printf '%s\n' "$cred_files" | while read -r m f v; do
                [ -n "$f" ] || continue
                as_user ann sh -c 'mkdir -p "$(dirname "$HOME/$2")" && printf "%b\n" "$3" >"$HOME/$2" && chmod "$1" "$HOME/$2"' sh "$m" "$f" "$v"
        done
fi
printf '%s\n' "$cred_files" | while read -r m f v; do
        [ -n "$f" ] || continue
        blocked -c "cred-store:$f" 'Permission denied|No such file or directory' cat "/home/ann/$f"
done
