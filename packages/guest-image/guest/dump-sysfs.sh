#!/bin/sh
# Prints the mock-accel part of a sysfs tree as sorted text lines, so two trees compare with
# diff: the guest's real /sys, and the fake tree createFakeSysfs writes (this same file runs
# on the host with busybox sh). Usage: dump-sysfs.sh CLASS [ROOT]   (CLASS: the spec's
# sysfs.class; ROOT default /sys)
CLASS=${1:?usage: dump-sysfs.sh CLASS [ROOT]}
R=${2:-/sys}
R=$(cd "$R" && pwd -P)
for c in "$R"/class/"$CLASS"/*; do
  [ -e "$c" ] || continue
  n=${c##*/}
  echo "class $n -> $(readlink "$c")"
  d=$(cd "$c" && pwd -P)
  echo "path $n ${d#$R/}"
  for f in $(ls "$d" | sort); do
    p=$d/$f
    if [ -L "$p" ]; then
      echo "link $n/$f -> $(readlink "$p")"
    elif [ -d "$p" ]; then
      echo "dir $n/$f"
    else
      m=$(stat -c %a "$p")
      case $m in
        *4*) echo "file $n/$f $m $(cat "$p" 2>&1 | tr '\n' '|')" ;;
        *) echo "file $n/$f $m" ;;
      esac
    fi
  done
  pci=$(cd "$d/device" && pwd -P)
  for f in vendor device class subsystem_vendor subsystem_device revision numa_node; do
    echo "pci $n/$f $(cat "$pci/$f")"
  done
  echo "pci $n/driver -> $(basename "$(readlink "$pci/driver")")"
done
