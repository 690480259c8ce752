#!/usr/bin/env bash
#
# Installs what the build, the demo and the tests need on a fresh Debian machine, when missing:
# a JDK 17, Maven, curl, ps, python3 (the LMTP interoperability test uses its smtplib), OpenSSH's client
# (bin/tandem logs in with it and a key; without it bin/tandem falls back to Karaf's slower client). Idempotent; uses apt-get only when something is missing.
#
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 && java -version 2>&1 | grep -q 'version "17' || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v ps >/dev/null 2>&1 || missing+=(procps)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
{ command -v ssh && command -v ssh-keygen; } >/dev/null 2>&1 || missing+=(openssh-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
