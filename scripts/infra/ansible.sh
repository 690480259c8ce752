#!/usr/bin/env bash
#
# Ansible (Debian's ansible-core package) for installing Tandem nodes with ansible/ and for the tests
# that run those playbooks against the local machine.
#
#   scripts/infra/ansible.sh install               install ansible-core when ansible-playbook is missing
#   scripts/infra/ansible.sh playbook ARGS...      install if missing, then run ansible-playbook ARGS with
#                                                  ansible/ansible.cfg and a UTF-8 locale (Ansible refuses
#                                                  to run without one)
#
# Only ansible-core is installed (no recommended packages): the playbooks use ansible.builtin modules
# only, so the ~250 MB of community collections in Debian's `ansible` package are not needed.
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cmd=${1:-}

install() {
  command -v ansible-playbook >/dev/null 2>&1 && return 0
  echo "[ansible] installing Debian's ansible-core package" >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends ansible-core >/dev/null
  command -v ansible-playbook >/dev/null 2>&1 || { echo "[ansible] ansible-playbook not found after installation" >&2; exit 1; }
}

case "$cmd" in
  install) install ;;
  playbook)
    shift
    install
    export LC_ALL=C.UTF-8 LANG=C.UTF-8
    export ANSIBLE_CONFIG="$REPO/ansible/ansible.cfg"
    exec ansible-playbook "$@"
    ;;
  *) sed -n '3,12p' "$0" >&2; exit 2 ;;
esac
