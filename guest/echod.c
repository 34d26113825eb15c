// SPDX-License-Identifier: GPL-2.0
/*
 * Host echo service for the guests' network checks.
 *
 *   echod PORTFILE
 *
 * Binds UDP and TCP on 127.0.0.1 only (QEMU user networking maps the
 * guest's 10.0.2.2 to it), writes the chosen port to PORTFILE and echoes
 * every datagram and every TCP byte back until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONN 8

static int bind_loopback(int type, unsigned short port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (type == SOCK_STREAM && listen(fd, MAX_CONN))) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned short local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/* Writes all of @buf; the peer is a single slow guest, so blocking is fine. */
static int write_all(int fd, const char *buf, ssize_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[2 + MAX_CONN];
	static char buf[65536];
	int udp, tcp, i, attempt, nconn = 0;
	unsigned short port = 0;
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: echod PORTFILE\n");
		return 2;
	}
	/* The same port for UDP and TCP: pick it with TCP, then take it for UDP. */
	for (attempt = 0; attempt < 20; attempt++) {
		tcp = bind_loopback(SOCK_STREAM, 0);
		if (tcp < 0)
			break;
		port = local_port(tcp);
		udp = bind_loopback(SOCK_DGRAM, port);
		if (udp >= 0)
			break;
		close(tcp);
		tcp = -1;
	}
	if (tcp < 0 || udp < 0) {
		perror("echod: bind 127.0.0.1");
		return 1;
	}
	out = fopen(argv[1], "w");
	if (!out || fprintf(out, "%u\n", port) < 0 || fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	pfd[0] = (struct pollfd){ .fd = udp, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tcp, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2 + nconn, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("echod: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_in peer;
			socklen_t plen = sizeof(peer);
			ssize_t n = recvfrom(udp, buf, sizeof(buf), 0,
					     (struct sockaddr *)&peer, &plen);

			if (n >= 0)
				sendto(udp, buf, n, 0, (struct sockaddr *)&peer,
				       plen);
		}
		if ((pfd[1].revents & POLLIN) && nconn < MAX_CONN) {
			int fd = accept4(tcp, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0)
				pfd[2 + nconn++] = (struct pollfd){
					.fd = fd, .events = POLLIN };
		}
		for (i = 2; i < 2 + nconn; i++) {
			ssize_t n;

			if (!pfd[i].revents)
				continue;
			n = read(pfd[i].fd, buf, sizeof(buf));
			if (n > 0 && !write_all(pfd[i].fd, buf, n))
				continue;
			if (n < 0 && errno == EINTR)
				continue;
			close(pfd[i].fd);
			pfd[i--] = pfd[1 + nconn--];
		}
	}
}
