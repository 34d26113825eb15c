# shellcheck shell=bash
# hotplug: a disk and a NIC on PCIe root ports; the guest has the host
# device_del both while it does I/O on them, then device_add them back
# (HOTPLUG_CYCLES times; make soak: harness.hotplug=20).  A -blockdev
# node outlives device_del (a -drive would go with the device), and so
# does the NIC's hub port.
HOTPLUG_CYCLES=2
hotplug_disk="virtio-blk-pci,id=hotplug-disk,drive=hotplug0,bus=hotplug-port0,serial=hotplug$props"
hotplug_nic="virtio-net-pci,id=hotplug-nic,netdev=nic2,bus=hotplug-port1,mac=52:54:00:00:00:03$props"
kind_qemu=(-device pcie-root-port,id=hotplug-port0,chassis=1,slot=1
	-device pcie-root-port,id=hotplug-port1,chassis=2,slot=2
	-blockdev "driver=raw,node-name=hotplug0,file.driver=file,file.filename=$run/hotplug.img,cache.direct=off"
	-device "$hotplug_disk"
	-netdev hubport,id=nic2,hubid=0 -device "$hotplug_nic")
kind_devices=2
kind_checks=hotplug
kind_append="harness.hotplug=$HOTPLUG_CYCLES"
kind_needs=root_ports
hotplug_unplugged=0 hotplug_replugged=0
hotplug_setup() { "$WORK/guest/mkpattern" disk "$run/hotplug.img" 32; }
# device_add, again while it fails: the guest sees the unplugged device
# gone before QEMU has finished removing it ("Duplicate device ID") and
# released its disk ("Permission conflict").
hotplug_add() {
	local device=$1 before
	for _ in $(seq 30); do
		before=$(grep -ac '^Error' "$run/monitor.log" || true)
		echo "device_add $device" >&"$monitor"
		sleep 1
		[ "$(grep -ac '^Error' "$run/monitor.log" || true)" -gt "$before" ] || return 0
	done
}
hotplug_poll() {
	local n
	n=$(grep -c '^harness: hotplug-del' "$run/console.log" 2>/dev/null || true)
	if [ "${n:-0}" -gt $hotplug_unplugged ]; then
		printf '%s\n' "device_del hotplug-disk" "device_del hotplug-nic" >&"$monitor"
		hotplug_unplugged=$n
	fi
	n=$(grep -c '^harness: hotplug-add' "$run/console.log" 2>/dev/null || true)
	if [ "${n:-0}" -gt $hotplug_replugged ]; then
		hotplug_add "$hotplug_disk"
		hotplug_add "$hotplug_nic"
		hotplug_replugged=$n
	fi
}
