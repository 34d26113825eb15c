# shellcheck shell=bash
# nics: two NICs on one QEMU hub; the guest sends raw frames both ways.
kind_qemu=(-netdev hubport,id=nic0,hubid=0 -device "virtio-net-$bus,netdev=nic0,mac=52:54:00:00:00:01$props"
	-netdev hubport,id=nic1,hubid=0 -device "virtio-net-$bus,netdev=nic1,mac=52:54:00:00:00:02$props")
kind_devices=2
kind_checks="net-eth0-to-eth1-raw net-eth1-to-eth0-raw net-eth0-to-eth1-restored-raw
	net-eth1-to-eth0-restored-raw net-eth0-to-eth1-rebound-raw net-eth1-to-eth0-rebound-raw"
kind_append=
