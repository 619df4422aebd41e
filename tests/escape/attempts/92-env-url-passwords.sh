# SPDX-License-Identifier: MIT
# Passwords inside URLs: DATABASE_URL, REDIS_URL, MONGODB_URI and the like match no credential
# name (DATABASE_URL is usually harmless), but a value of the form scheme://user:password@host
# carries the password. The runner drops any variable the policy does not pass whose value holds
# such a URL; one without a password (postgres://localhost/app) stays.
url_env="DATABASE_URL=postgres://ann:esc-db-pw@db/app REDIS_URL=redis://:esc-redis-pw@cache:6379/0 SENTRY_DSN=https://esc-key@sentry.example/1 LOCAL_DB_URL=postgres://localhost/app"
# shellcheck disable=SC2086
proof env-url-passwords env $url_env sh -c 'test "$(env | grep -c esc-)" -eq 3'
url_saved_env=$session_env
session_env="$session_env $url_env"
blocked env-url-passwords 'url passwords: none' sh -c \
        'env | grep esc- || { echo "url passwords: none"; exit 1; }'
allowed env-url-without-password 'a URL without a password is kept' sh -c \
        'test "$LOCAL_DB_URL" = postgres://localhost/app'
session_env=$url_saved_env
