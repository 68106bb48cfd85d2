#!/usr/bin/env bash
# Installs and uninstalls aws-elevate under $DESTDIR$PREFIX; run by `make install` / `make uninstall`.
#   install.sh install BINARY GENERATE_MANUAL   the release binary and the manual generator of swift-argument-parser
#   install.sh uninstall
# install writes a manifest of the files it put down and the folders it created
# ($DESTDIR$PREFIX/share/aws-elevate/install-manifest); uninstall removes exactly those, folders only when empty.
# With MANIFEST=no (a package's staging tree, where the package manager keeps the list) no manifest is written.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
write_manifest=${MANIFEST:-yes}
zsh_completion_dir=${ZSH_COMPLETION_DIR:-$prefix/share/zsh/site-functions}

case $prefix in
/*) ;;
*) echo "install.sh: PREFIX '$prefix' is not an absolute path — give e.g. PREFIX=/usr/local" >&2; exit 2 ;;
esac
if [[ $prefix$destdir == *$'\n'* ]]; then
    echo "install.sh: PREFIX or DESTDIR holds a newline — give plain paths" >&2
    exit 2
fi

root=$destdir$prefix
manifest_path=$prefix/share/aws-elevate/install-manifest
manifest=$destdir$manifest_path

# Lines of the manifest: "d PATH" for a folder install created, "f PATH" for a file; PATH without DESTDIR.
created_dirs=()
files=()

make_dir() {  # creates $destdir$1 and its missing parents, remembering those it created
    local dir=$1 missing=()
    while [[ $dir != / && ! -d $destdir$dir ]]; do
        missing=("$dir" "${missing[@]}")
        dir=$(dirname "$dir")
    done
    for dir in "${missing[@]}"; do
        mkdir -m 0755 "$destdir$dir"
        created_dirs+=("$dir")
    done
}

put() {  # put MODE SOURCE TARGET (TARGET without DESTDIR)
    make_dir "$(dirname "$3")"
    install -m "$1" "$2" "$destdir$3"
    files+=("$3")
}

do_install() {
    local binary=$1 generate_manual=$2
    [[ -z $destdir ]] || mkdir -p -- "$destdir"
    [[ -x $binary ]] || { echo "install.sh: '$binary' is not an executable — run make build-release" >&2; exit 2; }
    [[ -x $generate_manual ]] || { echo "install.sh: manual generator '$generate_manual' is missing" >&2; exit 2; }
    work=$(mktemp -d)  # global: the EXIT trap runs after this function returns
    trap 'rm -rf "$work"' EXIT

    # Generated from the binary being installed, so they describe exactly its commands.
    # bash-completion sources the file: the generator's "#!/bin/bash" line means nothing there.
    "$binary" completion bash | sed '1{/^#!/d}' >"$work/bash-completion"
    "$binary" completion zsh >"$work/zsh-completion"
    # The page's date is that of the commit (or SOURCE_DATE_EPOCH) so that two builds give the same page.
    local date
    if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
        date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
    else
        date=$(git -C "$repo_root" log -1 --format=%cs 2>/dev/null || date -u +%F)
    fi
    "$generate_manual" "$binary" --date "$date" --section 1 --output-directory "$work" >/dev/null
    [[ -s $work/aws-elevate.1 ]] || { echo "install.sh: the manual generator wrote no aws-elevate.1" >&2; exit 1; }

    # A reinstall keeps the folders the first install created, so that uninstall still removes them.
    if [[ -f $manifest ]]; then
        local kind path
        while IFS=' ' read -r kind path; do
            [[ $kind == d ]] && created_dirs+=("$path")
        done <"$manifest"
    fi

    put 0755 "$binary" "$prefix/bin/aws-elevate"
    put 0644 "$repo_root/shell/aws-elevate.sh" "$prefix/share/aws-elevate/aws-elevate.sh"
    put 0644 "$work/bash-completion" "$prefix/share/bash-completion/completions/aws-elevate"
    put 0644 "$work/zsh-completion" "$zsh_completion_dir/_aws-elevate"
    put 0644 "$work/aws-elevate.1" "$prefix/share/man/man1/aws-elevate.1"
    put 0644 "$repo_root/README.md" "$prefix/share/doc/aws-elevate/README.md"
    local doc
    for doc in "$repo_root"/docs/*; do
        [[ -f $doc ]] && put 0644 "$doc" "$prefix/share/doc/aws-elevate/docs/$(basename "$doc")"
    done

    if [[ $write_manifest == yes ]]; then
        {
            local entry
            for entry in "${created_dirs[@]}"; do printf 'd %s\n' "$entry"; done
            for entry in "${files[@]}" "$manifest_path"; do printf 'f %s\n' "$entry"; done
        } >"$manifest.new"
        chmod 0644 "$manifest.new"
        mv "$manifest.new" "$manifest"
    fi

    echo "aws-elevate installed under $root."
    echo "Add this line to ~/.bashrc (in ~/.zshrc: shell-init zsh):"
    echo '  eval "$(aws-elevate shell-init bash)"'
}

do_uninstall() {
    if [[ ! -f $manifest ]]; then
        echo "install.sh: no install manifest at '$manifest' — nothing was installed under $root by make install" >&2
        exit 1
    fi
    local kind path dirs=()
    while IFS=' ' read -r kind path; do
        case $kind in
        f) rm -f -- "$destdir$path" ;;
        d) dirs=("$path" "${dirs[@]}") ;;
        esac
    done <"$manifest"
    # Deepest first (the reverse of creation); a folder holding anything else stays.
    for path in "${dirs[@]}"; do
        rmdir -- "$destdir$path" 2>/dev/null || true
    done
    echo "aws-elevate removed from $root."
}

case ${1:-} in
install) do_install "${2:?binary}" "${3:?manual generator}" ;;
uninstall) do_uninstall ;;
*) echo "usage: install.sh install BINARY GENERATE_MANUAL | install.sh uninstall" >&2; exit 64 ;;
esac
