#!/bin/sh
#
# Carries a node's configuration over to a new release (the way dpkg treats configuration files).
#
#   merge-etc.sh NODE_ETC OLD_SHIPPED NEW_SHIPPED NEW_VERSION
#
# NODE_ETC is the node's etc/, OLD_SHIPPED and NEW_SHIPPED the etc/ the old and the new release
# shipped (their etc.dist). For every file:
#   - shipped by the new release, absent from the node           -> the new release's file
#   - left as the old release shipped it (or shipped identically) -> the new release's file
#   - changed by the node (or the installer) and changed by the new release
#                                                                 -> the node's file is kept; the new
#                                                                    release's one is written beside it
#                                                                    as <file>.dist-NEW_VERSION
#   - shipped by the old release only, left unchanged             -> removed
#   - anything else (the node's own files: users, host key, credentials, license) -> kept
# Then keys that Karaf renamed in its own files are renamed in the node's files that were kept (a
# file the node changed would otherwise stop the new release's component from reading it).
# Prints one line per file it touches (nothing when nothing changes); stops at the first error.
#
set -eu
node=${1:?node etc}; old=${2:?old shipped etc}; new=${3:?new shipped etc}; version=${4:?new version}
for d in "$node" "$old" "$new"; do
  [ -d "$d" ] || { echo "merge-etc: '$d' is not a directory" >&2; exit 2; }
done

same() { [ -f "$1" ] && [ -f "$2" ] && cmp -s "$1" "$2"; }

(cd "$new" && find . -type f | sort) | while read -r f; do
  f=${f#./}
  if [ ! -e "$node/$f" ]; then
    mkdir -p "$(dirname "$node/$f")"
    cp -p "$new/$f" "$node/$f"
    echo "added   $f"
  elif same "$node/$f" "$new/$f"; then
    :
  elif same "$node/$f" "$old/$f"; then
    cp -p "$new/$f" "$node/$f"
    echo "updated $f"
  elif same "$old/$f" "$new/$f"; then
    :
  else
    cp -p "$new/$f" "$node/$f.dist-$version"
    echo "kept    $f (changed on this node; the new release's version is $f.dist-$version)"
  fi
done

(cd "$old" && find . -type f | sort) | while read -r f; do
  f=${f#./}
  if [ ! -e "$new/$f" ] && same "$node/$f" "$old/$f"; then
    rm -f "$node/$f"
    echo "removed $f (no longer shipped)"
  fi
done

# rename_key FILE OLD NEW WHY: OLD and NEW are plain key names (dots are matched literally)
rename_key() {
  f="$node/$1"
  old_re=$(printf '%s' "$2" | sed 's/\./\\./g')
  if [ -f "$f" ] && grep -q "$old_re" "$f"; then
    sed -i "s/$old_re/$3/g" "$f"
    echo "renamed $1: key $2 is now $3 ($4)"
  fi
}
# Karaf 4.4.10 (Log4j 2.25 reads "log4j2.out.pattern" as a component "out" and the whole logging
# configuration is refused: nothing would be logged)
rename_key org.ops4j.pax.logging.cfg log4j2.out.pattern log4j2.outpattern "Karaf 4.4.10"
