#!/bin/sh
# SPDX-License-Identifier: MIT
# The Windows build, cross-compiled on Debian with mingw-w64, and its tests under Wine.
#
#   scripts/windows.sh build   dependencies (once, cached), then bulwark's Windows programs (bulwarkc.exe,
#                              bulwark.exe: the engine over bw_backend_windows, bulwark-runner.exe) and
#                              tests into build-windows/ (warnings as errors), and a Linux bulwarkc
#                              in build-windows/native for the plan-identity test
#   scripts/windows.sh test    build, then ctest under Wine (a private WINEPREFIX in build-windows/)
#   scripts/windows.sh deps    only the dependencies
#   (compare-plans and check-pe are the bodies of two ctest tests)
#
# The third-party libraries (libyaml, pcre2, jansson, libsodium, cmocka) are Debian's own source
# packages, fetched with `apt-get source` through a private sources list and apt state directory
# (build-windows/deps/apt: /etc/apt and the host's package lists are never touched), of the same
# version as the host's -dev package when the archive still has it, built statically with
# cmake/mingw-w64-x86_64.cmake and installed in build-windows/deps/prefix. A package is built once:
# build-windows/deps/stamp/NAME records what was built (source version and recipe revision), and
# a later run needs neither the network nor a rebuild. Delete build-windows/deps to start over.
#
# Exit status: 0 done; 77 cannot run here (no cross compiler or Wine, or the sources cannot be
# fetched and nothing is cached), with a line saying why; anything else is a failure.
#
# For enforcer/windows/CMakeLists.txt (added by the top-level CMakeLists.txt when cross-compiling
# to Windows), the top-level Windows branch provides:
#   bw_win_yaml, bw_win_pcre2, bw_win_jansson, bw_win_sodium, bw_win_cmocka
#       imported static libraries with their include directories and the definitions a static
#       link needs (YAML_DECLARE_STATIC, PCRE2_STATIC, SODIUM_STATIC); the same libraries are also
#       reachable under the Linux names PkgConfig::YAML, ::PCRE2, ::JANSSON, ::SODIUM, ::CMOCKA
#   bw_build_flags      the project's warnings (-Werror in this build) and the PE hardening flags
#   bw_win_unicode      link it into an executable whose entry point is wmain (-municode)
#   bulwark_common, bulwark_plan_reader, bulwarkc_lib   libbulwark and the compiler, as on Linux
#                       (without safe_open.c); a file that includes libbulwark's util.h gets
#                       libbulwark/compat.h's POSIX names on Windows: open/fopen in binary mode
#                       with delete sharing, rename that replaces, a stable qsort, mkdtemp, nftw...
#   BW_WIN_TEST_ENV     the ENVIRONMENT property list every Windows test should set
#                       (CMOCKA_MESSAGE_OUTPUT=stdout, WINEDEBUG=-all, WINEPREFIX=the build's)
#   BULWARK_WINDOWS_BACKEND   option, ON: whether enforcer/windows is added at all
# Tests are ordinary add_test(); ctest runs them through Wine (CMAKE_CROSSCOMPILING_EMULATOR), and
# exit code 77 is a skip where SKIP_RETURN_CODE 77 is set.
#
# Environment: BULWARK_WINDOWS_BUILD (default build-windows), BULWARK_TEST_JOBS (parallelism),
# BULWARK_DEBIAN_MIRROR (default http://deb.debian.org), BULWARK_WINDOWS_BACKEND=OFF (leave
# enforcer/windows out: bulwarkc.exe and the portable tests only).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${BULWARK_WINDOWS_BUILD:-$root/build-windows}
deps=$out/deps
prefix=$deps/prefix
jobs=${BULWARK_TEST_JOBS:-$(nproc)}
toolchain=$root/cmake/mingw-w64-x86_64.cmake
triplet=x86_64-w64-mingw32
# Bump when a recipe below changes: every package is rebuilt (from the sources already fetched).
recipe_rev=2

# Wine, whoever starts it here (ctest's tests too): quiet, no Mono or Gecko downloads, no menu
# entries or MIME types written into $HOME by winemenubuilder.
export WINEDEBUG="${WINEDEBUG:--all}" WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winemenubuilder.exe=d}"

say() { echo "windows: $*" >&2; }
skip() {
        echo "SKIP windows: $*"
        exit 77
}

need_tools() {
        command -v "$triplet-gcc" >/dev/null ||
                skip "no mingw-w64 cross compiler ($triplet-gcc; scripts/install-deps.sh installs gcc-mingw-w64-x86-64 as root)"
        for t in cmake make dpkg-source; do
                command -v "$t" >/dev/null || skip "$t is missing (scripts/install-deps.sh installs it as root)"
        done
}

# --- fetching Debian's source packages --------------------------------------------------------

apt_dir=$deps/apt
apt_opts() {
        echo "-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=$apt_dir/sources.list.d
              -o Dir::Etc::PreferencesParts=$apt_dir/preferences.d -o Dir::State=$apt_dir/state
              -o Dir::Cache=$apt_dir/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=$(id -un)"
}

apt_ready=0
apt_setup() {
        [ "$apt_ready" = 1 ] && return 0
        codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
        [ -n "$codename" ] || { say "cannot tell the Debian release from /etc/os-release"; return 1; }
        mirror=${BULWARK_DEBIAN_MIRROR:-http://deb.debian.org}
        keyring=/usr/share/keyrings/debian-archive-keyring.gpg
        [ -r "$keyring" ] || { say "no $keyring (package debian-archive-keyring)"; return 1; }
        mkdir -p "$apt_dir/sources.list.d" "$apt_dir/preferences.d" "$apt_dir/state/lists/partial" \
                "$apt_dir/cache/archives/partial"
        cat >"$apt_dir/sources.list" <<EOF
deb-src [signed-by=$keyring] $mirror/debian $codename main
deb-src [signed-by=$keyring] $mirror/debian $codename-updates main
deb-src [signed-by=$keyring] $mirror/debian-security $codename-security main
EOF
        say "fetching the source package index of $codename"
        # shellcheck disable=SC2046 # the options are words
        apt-get $(apt_opts) -qq update >"$deps/apt-update.log" 2>&1 || {
                cat "$deps/apt-update.log" >&2
                return 1
        }
        apt_ready=1
}

# The versions to try for a source package, best first: the host's own -dev package's source
# version (the Linux build links that one), then the archive's, newest first.
candidate_versions() { # source-package host-binary-package
        host=$(dpkg-query -W -f='${source:Version}' "$2" 2>/dev/null || true)
        # shellcheck disable=SC2046
        all=$(apt-cache $(apt_opts) showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
        sorted=""
        for v in $all; do # insertion sort with dpkg's ordering, newest first
                rest="" placed=0
                for s in $sorted; do
                        if [ "$placed" = 0 ] && dpkg --compare-versions "$v" gt "$s"; then
                                rest="$rest $v"
                                placed=1
                        fi
                        rest="$rest $s"
                done
                [ "$placed" = 0 ] && rest="$rest $v"
                sorted=$rest
        done
        [ -n "$host" ] && echo "$sorted" | tr ' ' '\n' | grep -qxF "$host" && echo "$host"
        for v in $sorted; do [ "$v" != "$host" ] && echo "$v"; done
        return 0
}

# Downloads source package $1 (host binary package $2) into $deps/src unless an earlier download
# is there: a later run needs no network.
download_source() { # source-package host-binary-package
        src=$deps/src
        mkdir -p "$src"
        ls "$src/$1"_*.dsc >/dev/null 2>&1 && return 0
        apt_setup || return 1
        for v in $(candidate_versions "$1" "$2"); do
                # shellcheck disable=SC2046
                if (cd "$src" && apt-get $(apt_opts) -qq source --download-only "$1=$v" \
                        >"$deps/fetch-$1.log" 2>&1); then
                        return 0
                fi
                say "$1 $v could not be fetched ($(grep -m1 '^E:' "$deps/fetch-$1.log" || true)); trying an older version"
                rm -f "$src/$1"_*
        done
        say "no version of the source package $1 could be fetched"
        return 1
}

# Unpacks the downloaded source package $1 into $deps/src/$1, Debian's patches applied (security
# fixes among them; apt checked the files against the archive's signed index).
unpack_source() { # source-package
        rm -rf "${deps:?}/src/$1"
        dpkg-source --no-check -x "$(ls "$deps/src/$1"_*.dsc | head -1)" "$deps/src/$1" \
                >"$deps/unpack-$1.log" 2>&1 || { cat "$deps/unpack-$1.log" >&2; return 1; }
}

# --- building them ----------------------------------------------------------------------------

cmake_dep() { # name cmake-args...
        name=$1
        shift
        cmake -S "$deps/src/$name" -B "$deps/build/$name" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
                -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
                -DBUILD_SHARED_LIBS=OFF "$@" &&
                cmake --build "$deps/build/$name" -j "$jobs" &&
                cmake --install "$deps/build/$name"
}

build_libyaml() { cmake_dep libyaml -DBUILD_TESTING=OFF -DINSTALL_CMAKE_DIR=lib/cmake/yaml; }
# PCRE2's autotools static cross build fails; its CMake one works. No JIT: bulwark does not use it.
build_pcre2() {
        cmake_dep pcre2 -DPCRE2_BUILD_PCRE2_8=ON -DPCRE2_BUILD_PCRE2_16=OFF -DPCRE2_BUILD_PCRE2_32=OFF \
                -DPCRE2_SUPPORT_JIT=OFF -DPCRE2_BUILD_PCRE2GREP=OFF -DPCRE2_BUILD_TESTS=OFF
}
build_jansson() {
        cmake_dep jansson -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF -DJANSSON_WITHOUT_TESTS=ON \
                -DJANSSON_EXAMPLES=OFF
}
# mingw's C99 printf for cmocka's messages too (%zu in a test's print_message: cmake/mingw-cmocka.h)
build_cmocka() {
        cmake_dep cmocka -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF \
                -DCMAKE_C_FLAGS=-D__USE_MINGW_ANSI_STDIO=1
}
# libsodium's Debian source is a git snapshot without configure: autotools make it.
build_libsodium() {
        s=$deps/src/libsodium
        b=$deps/build/libsodium
        for t in autoreconf aclocal libtoolize; do
                command -v "$t" >/dev/null ||
                        { say "$t is missing (autoconf automake libtool; scripts/install-deps.sh)"; return 1; }
        done
        (cd "$s" && autoreconf -fi) >"$deps/autogen-libsodium.log" 2>&1 ||
                { cat "$deps/autogen-libsodium.log" >&2; return 1; }
        rm -rf "$b"
        mkdir -p "$b"
        (cd "$b" && "$s/configure" --host=$triplet --prefix="$prefix" --libdir="$prefix/lib" \
                --disable-shared --enable-static --disable-dependency-tracking CFLAGS=-O2) \
                >"$deps/configure-libsodium.log" 2>&1 || { tail -30 "$deps/configure-libsodium.log" >&2; return 1; }
        make -C "$b" -j "$jobs" >"$deps/make-libsodium.log" 2>&1 &&
                make -C "$b" install >>"$deps/make-libsodium.log" 2>&1 ||
                { tail -30 "$deps/make-libsodium.log" >&2; return 1; }
}

# source package : the host's binary package of it
dep_list="libyaml:libyaml-dev pcre2:libpcre2-dev jansson:libjansson-dev libsodium:libsodium-dev cmocka:libcmocka-dev"

build_deps() {
        mkdir -p "$deps/stamp" "$prefix"
        tc_sum=$(sha256sum "$toolchain" | cut -c1-16)
        for entry in $dep_list; do
                name=${entry%%:*} hostpkg=${entry#*:}
                stamp=$deps/stamp/$name
                if [ -f "$stamp" ] && grep -qx "recipe $recipe_rev toolchain $tc_sum" "$stamp"; then
                        continue
                fi
                t0=$(date +%s)
                download_source "$name" "$hostpkg" ||
                        skip "the source package $name cannot be fetched (no network?) and no download is cached in $deps/src"
                unpack_source "$name" || return 1
                version=$(sed -n 's/^Version: //p' "$(ls "$deps/src/$name"_*.dsc | head -1)")
                say "building $name $version"
                "build_$name" >"$deps/build-$name.log" 2>&1 || {
                        tail -40 "$deps/build-$name.log" >&2
                        say "building $name failed (log: $deps/build-$name.log)"
                        return 1
                }
                printf '%s\nrecipe %s toolchain %s\n' "$version" "$recipe_rev" "$tc_sum" >"$stamp"
                say "$name $version built in $(($(date +%s) - t0)) s"
        done
}

# --- bulwark ----------------------------------------------------------------------------------

build_bulwark() {
        cmake -S "$root" -B "$out" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DBW_MINGW_DEPS_PREFIX="$prefix" \
                -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBULWARK_WERROR=ON -DBULWARK_BUILD_TESTS=ON \
                -DBULWARK_WINDOWS_BACKEND="${BULWARK_WINDOWS_BACKEND:-ON}" \
                -DBW_NATIVE_BULWARKC="$out/native/compiler/bulwarkc" >"$out/configure.log" 2>&1 ||
                { cat "$out/configure.log" >&2; return 1; }
        rc=0
        cmake --build "$out" -j "$jobs" >"$out/build.log" 2>&1 || rc=$?
        grep -Ev '^(\[ *[0-9]+%\]|Consolidate|Scanning|Built target|gmake)' "$out/build.log" || true
        return $rc
}

do_build() {
        need_tools
        mkdir -p "$out"
        build_deps
        build_bulwark
        build_native_bulwarkc
}

# The Linux bulwarkc of the same tree, for the plan-identity test (only the compiler is built).
build_native_bulwarkc() {
        cmake -S "$root" -B "$out/native" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBULWARK_BUILD_TESTS=OFF \
                >"$out/native-configure.log" 2>&1 || { cat "$out/native-configure.log" >&2; return 1; }
        cmake --build "$out/native" -j "$jobs" --target bulwarkc >"$out/native-build.log" 2>&1 ||
                { cat "$out/native-build.log" >&2; return 1; }
}

# ctest's windows/plan-identity: bulwarkc.exe under Wine and the Linux bulwarkc, given the same
# policies and arguments, must write byte-identical plans, the same diagnostics and --explain
# output (line ends aside: the Windows console's are CR LF) and exit with the same status.
compare_plans() { # linux-bulwarkc windows-bulwarkc.exe work-dir
        native=$1 exe=$2 work=$3
        command -v wine >/dev/null || skip "wine is not installed"
        rm -rf "$work"
        for side in linux windows; do
                mkdir -p "$work/$side"
                cp "$root"/policies/examples/*.yaml "$work/$side/"
                # errors and warnings of several kinds, to compare diagnostics
                printf '%s\n' 'bulwark: 1' 'name: bad' 'extends: [workspace-write]' 'filesystem:' \
                        '  writable: [relative/path, "${nope}/x", /srv/ok]' '  readable: [/srv/ok]' \
                        '  colour: blue' 'network: maybe' >"$work/$side/bad.yaml"
                # admin constraints only the caller may write (POSIX modes; under Wine, the DACL
                # Wine derives from them)
                mkdir -p "$work/$side/adm"
                cp "$root/policies/examples/admin-constraints.yaml" "$work/$side/adm/10-fleet.yaml"
                chmod 755 "$work/$side/adm"
                chmod 644 "$work/$side/adm/10-fleet.yaml"
        done
        bind="-D workspace=/srv/w -D home=/home/ann -D user=ann -D tmpdir=/tmp"
        bind_fleet="-D workspace=/srv/work/app -D home=/home/ann -D user=ann -D tmpdir=/tmp" # within the fleet's roots
        fails=0 n=0
        while IFS='|' read -r name args; do
                [ -n "$name" ] || continue
                n=$((n + 1))
                for side in linux windows; do
                        (
                                cd "$work/$side"
                                rc=0
                                # shellcheck disable=SC2086 # args are words
                                if [ $side = linux ]; then
                                        "$native" --admin-dir /nonexistent/bulwark-admin $args >stdout 2>stderr || rc=$?
                                else
                                        wine "$exe" --admin-dir /nonexistent/bulwark-admin $args >stdout 2>stderr || rc=$?
                                fi
                                echo $rc >status
                        )
                done
                bad=""
                for f in status stdout stderr; do
                        # line ends, and the default admin directory, are the system's
                        tr -d '\r' <"$work/windows/$f" |
                                sed 's|C:\\ProgramData\\bulwark\\admin\.d (writable by administrators only)|/etc/bulwark/admin.d (root-owned)|' \
                                        >"$work/windows/$f.lf"
                        cmp -s "$work/linux/$f" "$work/windows/$f.lf" || bad="$bad $f"
                done
                if [ -f "$work/linux/plan" ] || [ -f "$work/windows/plan" ]; then
                        cmp -s "$work/linux/plan" "$work/windows/plan" 2>/dev/null || bad="$bad plan"
                fi
                if [ -n "$bad" ]; then
                        echo "FAIL $name: differs in$bad"
                        for f in status stdout stderr; do
                                diff -u "$work/linux/$f" "$work/windows/$f.lf" | head -20
                        done
                        fails=$((fails + 1))
                else
                        echo "ok   $name (exit $(cat "$work/linux/status")$([ -f "$work/linux/plan" ] &&
                                echo ", plan of $(wc -c <"$work/linux/plan") bytes"))"
                fi
                rm -f "$work/linux/plan" "$work/windows/plan"
        done <<CASES
read-only|builtin:read-only -o plan
workspace-write|builtin:workspace-write -o plan
workspace-write-online, no provenance|builtin:workspace-write-online -o plan --no-provenance
repository policy (extends, globs, regex)|repository-policy.yaml -o plan
repository policy, variables bound|repository-policy.yaml -o plan $bind
explain|repository-policy.yaml --explain /srv/w/deploy/app.yaml $bind
explain --json|repository-policy.yaml --explain /srv/w/secrets/k.pem --json $bind
constraints document, --check|admin-constraints.yaml --check
constraints document compiled (refused)|admin-constraints.yaml -o plan
admin constraints, variables unbound (refused)|builtin:workspace-write -o plan --admin-dir adm
admin constraints applied|builtin:workspace-write -o plan --admin-dir adm $bind_fleet
admin constraints and a policy|repository-policy.yaml -o plan --admin-dir adm $bind_fleet
errors and warnings|bad.yaml -o plan
errors and warnings, --json|bad.yaml --check --json
missing policy|absent.yaml -o plan
usage error|repository-policy.yaml -o plan -D nope=1
CASES
        echo "plan identity: $((n - fails)) of $n cases identical"
        # --sign: a plan signed by bulwarkc.exe verifies with minisign on Linux (the signature
        # carries a timestamp, so it is checked rather than compared)
        if command -v minisign >/dev/null; then
                (
                        cd "$work/windows"
                        minisign -G -W -p key.pub -s key.sec >/dev/null 2>&1 &&
                                wine "$exe" --admin-dir /nonexistent/bulwark-admin builtin:workspace-write -o signed.plan \
                                        --sign key.sec >sign.out 2>&1 &&
                                minisign -V -q -p key.pub -m signed.plan
                ) && echo "ok   --sign: the signature bulwarkc.exe wrote verifies with minisign" ||
                        { echo "FAIL --sign: bulwarkc.exe's signature does not verify"; fails=$((fails + 1)); }
        else
                echo "SKIP --sign: minisign is not installed"
        fi
        [ "$fails" -eq 0 ]
}

# ctest's windows/pe-hardening: each program is marked for ASLR with a 64-bit base and for DEP
# (DllCharacteristics DYNAMIC_BASE 0x40, HIGH_ENTROPY_VA 0x20, NX_COMPAT 0x100), and needs no DLL
# but Windows' own (libgcc, libssp, libwinpthread and the dependencies are linked in).
check_pe() { # program.exe...
        objdump=$triplet-objdump
        command -v "$objdump" >/dev/null || skip "$objdump is missing (binutils-mingw-w64-x86-64)"
        bad=0
        for exe in "$@"; do
                flags=$("$objdump" -p "$exe" | sed -n 's/^DllCharacteristics[[:space:]]*//p')
                if [ $((0x$flags & 0x160)) -ne $((0x160)) ]; then
                        echo "FAIL $exe: DllCharacteristics 0x$flags lacks DYNAMIC_BASE, HIGH_ENTROPY_VA or NX_COMPAT"
                        bad=1
                fi
                dlls=$("$objdump" -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | paste -sd' ')
                foreign=$(echo "$dlls" | tr ' ' '\n' | grep -iE '^(lib|cmocka|yaml|pcre|jansson|sodium)' || true)
                if [ -n "$foreign" ]; then
                        echo "FAIL $exe: needs DLLs that are not Windows' own: $foreign"
                        bad=1
                fi
                [ "$bad" = 0 ] && echo "ok   $(basename "$exe"): DllCharacteristics 0x$flags; imports $dlls"
        done
        return $bad
}

wineserver_started=0
stop_wine() {
        [ "$wineserver_started" = 1 ] && WINEPREFIX=$WINEPREFIX wineserver -k >/dev/null 2>&1
        return 0
}

do_test() {
        command -v wine >/dev/null || skip "wine is not installed (scripts/install-deps.sh installs wine wine64 as root)"
        do_build
        export WINEPREFIX="$out/wineprefix"
        if [ ! -f "$WINEPREFIX/system.reg" ]; then
                say "making the Wine prefix $WINEPREFIX (once)"
                wineboot -i >"$out/wineboot.log" 2>&1 || { cat "$out/wineboot.log" >&2; return 1; }
        fi
        # A persistent server, and the prefix's services (services.exe, winedevice.exe, rpcss...)
        # started now, their stdio away from ctest's pipes: started by a test, they would inherit
        # its output pipe and keep it open, and ctest would wait for its end forever (or until
        # the server idles out, 3 s per test, without -p).
        wineserver -p </dev/null >/dev/null 2>&1 || true # (fails if one is running already: fine)
        wineserver_started=1
        trap stop_wine EXIT
        wine cmd.exe /c exit 0 </dev/null >/dev/null 2>&1 || true
        (cd "$out" && ctest --output-on-failure --timeout 300 -j "$jobs" "$@")
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case $cmd in
build) do_build ;;
test) do_test "$@" ;;
compare-plans) compare_plans "$@" ;;
check-pe) check_pe "$@" ;;
deps)
        need_tools
        mkdir -p "$out"
        build_deps
        ;;
*)
        echo "usage: scripts/windows.sh build|test [ctest args]|deps|compare-plans LINUX-BULWARKC BULWARKC.EXE DIR" >&2
        exit 64
        ;;
esac
