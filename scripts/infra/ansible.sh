#!/usr/bin/env bash
#
# Ansible (Debian's ansible-core package) for installing Tandem nodes with ansible/ and for the tests
# that run those playbooks against the local machine.
#
#   scripts/infra/ansible.sh install               install ansible-core when ansible-playbook is missing
#   scripts/infra/ansible.sh playbook ARGS...      install if missing, then run ansible-playbook ARGS with
#                                                  ansible/ansible.cfg and a UTF-8 locale (Ansible refuses
#                                                  to run without one)
#   scripts/infra/ansible.sh lint                  ansible-lint (Debian's package, installed if missing,
#                                                  ~5 MB) on ansible/site.yml and ansible/upgrade.yml,
#                                                  offline, production profile
#
# Only ansible-core is installed (no recommended packages): the playbooks use ansible.builtin modules
# only, so the ~250 MB of community collections in Debian's `ansible` package are not needed.
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cmd=${1:-}

# install COMMAND PACKAGE: install Debian's PACKAGE when COMMAND is missing
install() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "[ansible] installing Debian's $2 package" >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || { echo "[ansible] $1 not found after installing $2" >&2; exit 1; }
}

export LC_ALL=C.UTF-8 LANG=C.UTF-8
export ANSIBLE_CONFIG="$REPO/ansible/ansible.cfg"

case "$cmd" in
  install) install ansible-playbook ansible-core ;;
  playbook)
    shift
    install ansible-playbook ansible-core
    exec ansible-playbook "$@"
    ;;
  lint)
    install ansible-playbook ansible-core
    install ansible-lint ansible-lint
    cd "$REPO/ansible"
    exec ansible-lint --offline --nocolor --profile production site.yml upgrade.yml
    ;;
  *) sed -n '3,15p' "$0" >&2; exit 2 ;;
esac
