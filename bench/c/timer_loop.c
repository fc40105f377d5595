/* The floor for the probe scheduling benchmark: what plain C timer threads see on this machine.
 * Two threads, each pinned to a CPU of its own and blocked on its own CLOCK_MONOTONIC timerfd,
 * wait for the same absolute deadlines, one every millisecond for the given seconds; prints
 * how late each thread woke (p50, p99, max, in ms) and how late the earlier of the two did:
 * "cpu0 p50 p99 max cpu1 p50 p99 max earlier p50 p99 max".
 * usage: timer_loop SECONDS CPU0 CPU1 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int ticks;
static struct timespec start;
static double *late[2];
static int cpus[2];

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void *wait_loop(void *arg)
{
	long k = (long)arg;
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(cpus[k], &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
		perror("pthread_setaffinity_np");
		exit(1);
	}
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0) {
		perror("timerfd_create");
		exit(1);
	}
	for (int i = 0; i < ticks; i++) {
		long ns = start.tv_nsec + (long)(i + 1) * 1000000L;
		struct itimerspec due = { .it_value = { start.tv_sec + ns / 1000000000L, ns % 1000000000L } };
		struct timespec now;
		uint64_t expirations;

		if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &due, NULL) < 0 ||
		    read(fd, &expirations, sizeof expirations) != sizeof expirations) {
			perror("timerfd");
			exit(1);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		late[k][i] = ((now.tv_sec - due.it_value.tv_sec) * 1e9 + (now.tv_nsec - due.it_value.tv_nsec)) / 1e6;
	}
	close(fd);
	return NULL;
}

static void print(const char *name, double *v)
{
	qsort(v, ticks, sizeof *v, by_value);
	printf("%s %.3f %.3f %.3f ", name, v[ticks / 2], v[(int)(ticks * 0.99)], v[ticks - 1]);
}

int main(int argc, char **argv)
{
	pthread_t threads[2];
	double *earlier;

	if (argc != 4) {
		fprintf(stderr, "usage: timer_loop SECONDS CPU0 CPU1\n");
		return 2;
	}
	ticks = atoi(argv[1]) * 1000;
	cpus[0] = atoi(argv[2]);
	cpus[1] = atoi(argv[3]);
	late[0] = malloc(ticks * sizeof(double));
	late[1] = malloc(ticks * sizeof(double));
	earlier = malloc(ticks * sizeof(double));
	if (ticks <= 0 || !late[0] || !late[1] || !earlier)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long k = 0; k < 2; k++)
		pthread_create(&threads[k], NULL, wait_loop, (void *)k);
	for (int k = 0; k < 2; k++)
		pthread_join(threads[k], NULL);
	for (int i = 0; i < ticks; i++)
		earlier[i] = late[0][i] < late[1][i] ? late[0][i] : late[1][i];
	print("cpu0", late[0]);
	print("cpu1", late[1]);
	print("earlier", earlier);
	printf("\n");
	return 0;
}
