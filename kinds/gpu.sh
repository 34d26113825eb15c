# shellcheck shell=bash
# gpu: a virtio-gpu with one 256x256 output.  The guest puts a frame of
# the pattern on it (guest/check-gpu.c) and says so; the host then takes
# a screendump, which judge.sh compares with the pattern.
kind_qemu=(-device "virtio-gpu-$bus,xres=256,yres=256$props")
kind_devices=1
kind_checks=gpu-scanout
kind_append=
gpu_shot=0
gpu_poll() {
	[ $gpu_shot = 0 ] && grep -aq '^harness: gpu-scanout' "$run/console.log" 2>/dev/null || return 0
	echo "screendump $run/gpu.ppm" >&"$monitor"
	gpu_shot=1
}
