/* ps_socket_in_netns: a socket that lives in a pod's network namespace.
 *
 * setns(CLONE_NEWNET) is per thread, and a socket keeps the namespace it was made in, so the
 * calling thread hops in, makes the socket and hops back; the socket is then used from
 * managed code like any other (probes reach the pod's 127.0.0.1 this way).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "podshim.h"

PS_EXPORT int ps_socket_in_netns(int pidfd, int domain, int type, int protocol)
{
	int self, fd, err;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(pidfd, CLONE_NEWNET) < 0) {
		err = errno;
		close(self);
		return -err;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	err = errno;
	/* A thread left in the pod's namespace would silently talk to the wrong network. */
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	close(self);
	return fd < 0 ? -err : fd;
}
