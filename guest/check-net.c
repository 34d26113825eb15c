// SPDX-License-Identifier: GPL-2.0
/*
 * Network checks: raw Ethernet frames both ways between the first two
 * virtio NICs (packet sockets, every byte verified), and with
 * harness.echo_port= UDP datagrams and a TCP stream through the host's
 * echo service.  The NIC helpers are shared with restore and hot-unplug.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib.h"
#include "checks.h"
#include "pattern.h"

#define RAW_FRAMES 64
#define GUEST_ADDR "10.0.2.15"
#define GUEST_NETMASK "255.255.255.0"
#define ECHO_HOST "10.0.2.2"
#define UDP_DATAGRAMS 32
#define TCP_ECHO_LEN (1 * MiB)
#define TCP_CHUNK (16 * KiB)

struct echo_arg {
	int addr_ok;
};

static const size_t raw_payload_sizes[] = { 46, 60, 64, 200, 1000, 1486 };

static int nic_ioctl(const char *name, unsigned long request,
		     struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret, err;

	if (fd < 0)
		return -1;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	ret = ioctl(fd, request, ifr);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

int nic_up(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (nic_ioctl(name, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return nic_ioctl(name, SIOCSIFFLAGS, &ifr);
}

static int nic_set_ipv4(const char *name, unsigned long request,
			const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	inet_pton(AF_INET, addr, &sin.sin_addr);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return nic_ioctl(name, request, &ifr);
}

int nic_query(struct nic *nic)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (nic_ioctl(nic->name, SIOCGIFINDEX, &ifr))
		return -1;
	nic->index = ifr.ifr_ifindex;
	if (nic_ioctl(nic->name, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(nic->mac, ifr.ifr_hwaddr.sa_data, ETH_ADDR_LEN);
	return 0;
}

int find_virtio_nics(struct nic *nics, int max)
{
	struct name_list ifs;
	char path[PATH_MAX], driver[NAME_LEN];
	int i, n = 0;

	list_dir("/sys/class/net", "", &ifs);
	for (i = 0; i < ifs.count && n < max; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver",
			 ifs.names[i]);
		if (readlink_base(path, driver, sizeof(driver)) ||
		    strcmp(driver, "virtio_net") ||
		    strlen(ifs.names[i]) >= IFNAMSIZ)
			continue;
		memset(&nics[n], 0, sizeof(nics[n]));
		memcpy(nics[n].name, ifs.names[i], strlen(ifs.names[i]) + 1);
		n++;
	}
	free(ifs.names);
	return n;
}

int nic_carrier(const char *name)
{
	char path[PATH_MAX];
	unsigned long long carrier;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", name);
	return !read_ull(path, &carrier) && carrier == 1;
}

/* Brings lo and the NICs up and waits up to 5 s for all carriers. */
void nics_up(struct nic *nics, int n)
{
	long long deadline = now_ms() + 5000;
	int i, all;

	if (nic_up("lo"))
		printf("# net lo: up failed: %s\n", strerror(errno));
	for (i = 0; i < n; i++) {
		if (nic_up(nics[i].name))
			printf("# net %s: up failed: %s\n", nics[i].name,
			       strerror(errno));
		if (nic_query(&nics[i]))
			printf("# net %s: no index or MAC: %s\n",
			       nics[i].name, strerror(errno));
	}
	do {
		for (i = 0, all = 1; i < n; i++)
			all &= nic_carrier(nics[i].name);
		if (!all)
			sleep_ms(100);
	} while (!all && ms_left(deadline));
	for (i = 0; i < n; i++) {
		const unsigned char *m = nics[i].mac;

		printf("# net %s: ifindex=%d mac=%02x:%02x:%02x:%02x:%02x:%02x carrier=%d\n",
		       nics[i].name, nics[i].index, m[0], m[1], m[2], m[3],
		       m[4], m[5], nic_carrier(nics[i].name));
	}
}

int packet_socket(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(HARNESS_ETHERTYPE),
		.sll_ifindex = ifindex,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
			htons(HARNESS_ETHERTYPE));

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Frame @seq: header, 4 byte sequence number, then pattern bytes. */
static size_t raw_build_frame(unsigned char *frame, const struct raw_arg *raw,
			      uint32_t seq)
{
	size_t payload = raw_payload_sizes[seq % (sizeof(raw_payload_sizes) /
						  sizeof(raw_payload_sizes[0]))];

	memcpy(frame, raw->to->mac, ETH_ADDR_LEN);
	memcpy(frame + ETH_ADDR_LEN, raw->from->mac, ETH_ADDR_LEN);
	frame[12] = HARNESS_ETHERTYPE >> 8;
	frame[13] = HARNESS_ETHERTYPE & 0xff;
	put_be32(frame + ETH_HDR_LEN, seq);
	pattern_fill(frame + ETH_HDR_LEN + 4, payload - 4, raw->seed + seq);
	return ETH_HDR_LEN + payload;
}

/* Frames that are ours: inbound, our ethertype, from the sending NIC. */
static int raw_is_ours(const unsigned char *buf, ssize_t n,
		       const struct sockaddr_ll *sll, const struct raw_arg *raw)
{
	return n >= ETH_HDR_LEN + 4 && sll->sll_pkttype != PACKET_OUTGOING &&
	       !memcmp(buf + ETH_ADDR_LEN, raw->from->mac, ETH_ADDR_LEN) &&
	       buf[12] == HARNESS_ETHERTYPE >> 8 &&
	       buf[13] == (HARNESS_ETHERTYPE & 0xff);
}

/* Waits up to 2 s for frame @seq on @fd and checks every byte. */
static int raw_receive(int fd, const unsigned char *want, size_t len,
		       uint32_t seq, const struct raw_arg *raw)
{
	long long deadline = now_ms() + 2000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char buf[2048];
	struct sockaddr_ll sll;
	socklen_t sll_len;
	ssize_t n;

	while (ms_left(deadline)) {
		if (poll(&pfd, 1, ms_left(deadline)) <= 0)
			continue;
		sll_len = sizeof(sll);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll,
			     &sll_len);
		if (!raw_is_ours(buf, n, &sll, raw))
			continue;
		if (get_be32(buf + ETH_HDR_LEN) != seq) {
			printf("# frame %u: ignored stale frame %u\n", seq,
			       get_be32(buf + ETH_HDR_LEN));
			continue;
		}
		if ((size_t)n != len) {
			printf("# frame %u: %zd bytes, expected %zu\n", seq, n,
			       len);
			return 0;
		}
		if (!verify_bytes(buf, want, len, "frame", VERIFIED_NET)) {
			printf("# frame %u: %s\n", seq, fail_reason);
			return 0;
		}
		return 1;
	}
	printf("# frame %u: not received within 2 s\n", seq);
	return 0;
}

int check_net_raw(const void *arg)
{
	const struct raw_arg *raw = arg;
	int tx = packet_socket(raw->from->index);
	int rx = packet_socket(raw->to->index);
	unsigned char frame[ETH_HDR_LEN + 1500];
	int verified = 0;
	uint32_t seq;
	size_t len;

	if (tx < 0 || rx < 0)
		return fail("packet socket: %s", strerror(errno));
	for (seq = 0; seq < RAW_FRAMES; seq++) {
		len = raw_build_frame(frame, raw, seq);
		if (send(tx, frame, len, MSG_NOSIGNAL) != (ssize_t)len) {
			printf("# frame %u: send failed: %s\n", seq,
			       strerror(errno));
			continue;
		}
		verified += raw_receive(rx, frame, len, seq, raw);
	}
	printf("# net %s->%s: %d of %d frames verified\n", raw->from->name,
	       raw->to->name, verified, RAW_FRAMES);
	close(tx);
	close(rx);
	if (verified != RAW_FRAMES)
		return fail("%d of %d frames verified", verified, RAW_FRAMES);
	return 1;
}

/* Connected socket to the host echo service; non-blocking for TCP. */
static int echo_socket(int type)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(cfg.echo_port),
	};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, ECHO_HOST, &sin.sin_addr);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 if the echo of @buf came back, 0 if not, -1 if it came back wrong. */
static int udp_echo_once(int fd, const unsigned char *buf, size_t len,
			 unsigned char *rbuf)
{
	long long deadline = now_ms() + 2000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return 0;
	while (ms_left(deadline)) {
		if (poll(&pfd, 1, ms_left(deadline)) <= 0)
			continue;
		n = recv(fd, rbuf, 2048, MSG_DONTWAIT);
		/* sizes are unique, so another length is a late echo */
		if (n != (ssize_t)len)
			continue;
		return verify_bytes(rbuf, buf, len, "echo", VERIFIED_NET) ? 1 : -1;
	}
	return 0;
}

static int check_net_echo_udp(const void *arg)
{
	const struct echo_arg *echo = arg;
	unsigned char buf[1400], rbuf[2048];
	int fd, i, try, ret = 0;
	size_t len;

	if (!echo->addr_ok)
		return fail("address setup failed");
	fd = echo_socket(SOCK_DGRAM);
	if (fd < 0)
		return fail("udp socket: %s", strerror(errno));
	for (i = 0; i < UDP_DATAGRAMS; i++) {
		len = 1 + (size_t)i * 1399 / (UDP_DATAGRAMS - 1);
		pattern_fill(buf, len, 0xEC40000ULL + i);
		/* slirp may drop a datagram while it resolves our MAC */
		for (try = 0, ret = 0; try < 3 && !ret; try++)
			ret = udp_echo_once(fd, buf, len, rbuf);
		if (ret != 1)
			break;
	}
	close(fd);
	if (ret == 0)
		return fail("datagram %d (%zu bytes): no echo after 3 tries",
			    i, len);
	if (ret < 0)
		return fail("datagram %d: %s", i, fail_reason);
	printf("# net echo udp: %d datagrams of 1..1400 bytes verified\n",
	       UDP_DATAGRAMS);
	return 1;
}

static int tcp_wait_connected(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&pfd, 1, 5000) <= 0)
		return fail("connect: no answer within 5 s");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		return fail("connect: %s", strerror(err));
	return 1;
}

/* Sends all of @tx while reading the echo into @rx; 20 s bound. */
static int tcp_echo_stream(int fd, const unsigned char *tx, unsigned char *rx)
{
	long long deadline = now_ms() + 20000;
	struct pollfd pfd = { .fd = fd };
	size_t sent = 0, got = 0, chunk;
	ssize_t n;

	while (got < TCP_ECHO_LEN) {
		pfd.events = POLLIN | (sent < TCP_ECHO_LEN ? POLLOUT : 0);
		if (!ms_left(deadline) || poll(&pfd, 1, ms_left(deadline)) == 0)
			return fail("timed out: sent %zu, received %zu", sent,
				    got);
		chunk = TCP_ECHO_LEN - sent < TCP_CHUNK ? TCP_ECHO_LEN - sent :
							  TCP_CHUNK;
		if (pfd.revents & POLLOUT) {
			n = send(fd, tx + sent, chunk, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail("send: %s", strerror(errno));
			sent += n > 0 ? n : 0;
		}
		n = recv(fd, rx + got, TCP_ECHO_LEN - got, MSG_DONTWAIT);
		if (n == 0)
			return fail("peer closed after %zu bytes", got);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail("recv: %s", strerror(errno));
		got += n > 0 ? n : 0;
	}
	return 1;
}

static int check_net_echo_tcp(const void *arg)
{
	const struct echo_arg *echo = arg;
	unsigned char *tx = malloc(TCP_ECHO_LEN), *rx = malloc(TCP_ECHO_LEN);
	int fd, ok;

	if (!echo->addr_ok)
		return fail("address setup failed");
	if (!tx || !rx)
		return fail("out of memory");
	fd = echo_socket(SOCK_STREAM | SOCK_NONBLOCK);
	if (fd < 0)
		return fail("tcp socket: %s", strerror(errno));
	pattern_fill(tx, TCP_ECHO_LEN, 0x7C9EC40ULL);
	ok = tcp_wait_connected(fd) && tcp_echo_stream(fd, tx, rx) &&
	     verify_bytes(rx, tx, TCP_ECHO_LEN, "echo", VERIFIED_NET);
	if (ok)
		printf("# net echo tcp: %llu bytes verified\n", TCP_ECHO_LEN);
	close(fd);
	free(tx);
	free(rx);
	return ok;
}

static void run_net_echo_checks(const struct nic *nic)
{
	struct echo_arg echo = { .addr_ok = 1 };

	if (nic_set_ipv4(nic->name, SIOCSIFADDR, GUEST_ADDR) ||
	    nic_set_ipv4(nic->name, SIOCSIFNETMASK, GUEST_NETMASK)) {
		printf("# net %s: address setup failed: %s\n", nic->name,
		       strerror(errno));
		echo.addr_ok = 0;
	} else {
		printf("# net %s: address " GUEST_ADDR "/24, echo at " ECHO_HOST ":%u\n",
		       nic->name, cfg.echo_port);
	}
	run_check("net-echo-udp", 40, check_net_echo_udp, &echo);
	run_check("net-echo-tcp", 30, check_net_echo_tcp, &echo);
}

/* Raw frames both ways between the first two NICs; @tag names the round. */
void run_net_raw_checks(const struct nic *nics, int n, const char *tag,
			       uint64_t seed)
{
	char name[2 * IFNAMSIZ + 32];
	struct raw_arg raw;
	int dir;

	for (dir = 0; n >= 2 && dir < 2; dir++) {
		raw.from = &nics[dir];
		raw.to = &nics[1 - dir];
		raw.seed = seed + ((uint64_t)dir << 16);
		snprintf(name, sizeof(name), "net-%.15s-to-%.15s-%sraw",
			 raw.from->name, raw.to->name, tag);
		run_check(name, 5 + RAW_FRAMES * 3, check_net_raw, &raw);
	}
}

void run_net_checks(void)
{
	struct nic nics[MAX_NICS];
	int n = find_virtio_nics(nics, MAX_NICS);

	if (!n)
		return;
	nics_up(nics, n);
	run_net_raw_checks(nics, n, "", 0x88B50000ULL);
	if (cfg.echo_port)
		run_net_echo_checks(&nics[0]);
}
