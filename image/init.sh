#!/bin/sh
# /init of the spod enclave image (docs/image.md): PID 1, busybox sh, in the image's first
# (init) ramdisk. Mounts the kernel file systems, loads the vsock modules that sit next to
# it in that ramdisk, and starts
#
#   spod-enclave --listen vsock://any:5005 --nsm sim [--image /spod/image.eif]
#
# from the application ramdisk. On a Nitro Enclave the mode is --nsm nitro (the real
# /dev/nsm); this image is built for the QEMU test, which has no NSM, so it uses the
# simulated one. The simulator measures the EIF at /spod/image.eif when whoever boots the
# image provides it there (the QEMU test does, in its own extra archive), else its own
# executable.
#
# Test hook: when /test-init exists (only the QEMU test's extra archive adds it; it is in
# neither of the image's ramdisks, so an image that has one has other PCRs), /init
# exports SPOD_IMAGE_INIT=1 and SPOD_ENCLAVE_ARGS (the arguments above) and execs it after
# the mounts and modules, instead of starting spod-enclave itself.
export PATH=/bin:/spod/bin
export SPOD_DATA_DIR=/tmp/spod
umask 022

/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
exec </dev/console >/dev/console 2>&1
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mkdir -p /tmp/spod && chmod 700 /tmp/spod

for m in vsock vmw_vsock_virtio_transport_common vsock_loopback; do
	insmod /lib/modules/$m.ko || echo "spod-init: insmod $m failed"
done

SPOD_ENCLAVE_ARGS="--listen vsock://any:5005 --nsm sim"
[ -r /spod/image.eif ] && SPOD_ENCLAVE_ARGS="$SPOD_ENCLAVE_ARGS --image /spod/image.eif"
export SPOD_ENCLAVE_ARGS

if [ -x /test-init ]; then
	export SPOD_IMAGE_INIT=1
	exec /test-init
fi

# shellcheck disable=SC2086 # split on purpose
spod-enclave $SPOD_ENCLAVE_ARGS
echo "spod-init: spod-enclave exited with status $?"
poweroff -f
