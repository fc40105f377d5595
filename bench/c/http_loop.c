/* Loopback HTTP probe baseline for bench/PodShim.Bench (mode http), built at run time with gcc.
 *
 *   http_loop server CPU SECONDS   keep-nothing HTTP server on 127.0.0.1:0, pinned to CPU (-1: not pinned);
 *                                  prints its port, then answers every connection: read the request head, write a
 *                                  canned 200, close. Exits after SECONDS (alarm) at the latest.
 *   http_loop client CPU PORT N [K] N times: socket, SO_LINGER 0, connect, write a probe-like request, read the
 *                                  response, close; pinned to CPU; prints N, wall seconds, CPU seconds, failures.
 *                                  With K > 1: K processes, all pinned to CPU, share the N iterations (what one core
 *                                  does while each connection waits for the server); CPU is the children's total.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";

static void pin(int cpu)
{
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int serve(int seconds)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0 };
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 4096) < 0) { perror("listen"); return 1; }
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    alarm(seconds);
    char buf[4096];
    for (;;) {
        int c = accept(listener, NULL, NULL);
        if (c < 0) continue;
        size_t got = 0;
        for (;;) { /* read the request head */
            ssize_t n = recv(c, buf + got, sizeof buf - 1 - got, 0);
            if (n <= 0) break;
            got += n;
            buf[got] = 0;
            if (strstr(buf, "\r\n\r\n") || got >= sizeof buf - 1) break;
        }
        send(c, response, sizeof response - 1, MSG_NOSIGNAL);
        close(c);
    }
}

static int client(int port, long n, int quiet)
{
    char request[512];
    int rlen = snprintf(request, sizeof request,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: kube-probe/1.33\r\nConnection: close\r\nAccept: */*\r\n\r\n", port);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port) };
    struct linger lg = { 1, 0 };
    char buf[4096];
    long failures = 0;
    double wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0 || send(s, request, rlen, MSG_NOSIGNAL) != rlen) {
            failures++;
            close(s);
            continue;
        }
        size_t got = 0;
        for (;;) {
            ssize_t r = recv(s, buf + got, sizeof buf - got, 0);
            if (r <= 0) break;
            got += r;
            if (got >= sizeof response - 1) break;
        }
        if (got < sizeof response - 1 || memcmp(buf + 9, "200", 3) != 0) failures++;
        close(s);
    }
    double wall = now(CLOCK_MONOTONIC) - wall0, cpu = now(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    if (!quiet) printf("%ld %.6f %.6f %ld\n", n, wall, cpu, failures);
    return failures > 255 ? 255 : (int)failures;
}

/* K clients at once on one core; the exit statuses carry each child's failures. */
static int clients(int port, long n, int k)
{
    double wall0 = now(CLOCK_MONOTONIC);
    for (int i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) _exit(client(port, n / k + (i < n % k), 1));
    }
    long failures = 0;
    for (int status; wait(&status) > 0;)
        failures += WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    double wall = now(CLOCK_MONOTONIC) - wall0;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("%ld %.6f %.6f %ld\n", n, wall, cpu, failures);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 4 && strcmp(argv[1], "server") == 0) { pin(atoi(argv[2])); return serve(atoi(argv[3])); }
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "client") == 0) {
        pin(atoi(argv[2]));
        int k = argc == 6 ? atoi(argv[5]) : 1;
        return k > 1 ? clients(atoi(argv[3]), atol(argv[4]), k) : (client(atoi(argv[3]), atol(argv[4]), 0), 0);
    }
    fprintf(stderr, "usage: http_loop server CPU SECONDS | client CPU PORT N [K]\n");
    return 2;
}
