#!/bin/sh
# DKMS POST_INSTALL: install the firmware wordlist next to the module DKMS just installed.
set -e
here="$(cd "$(dirname "$0")/.." && pwd)"
install -D -m 0644 "$here/firmware/mock-accel-wordlist.txt" /lib/firmware/mock-accel-wordlist.txt
