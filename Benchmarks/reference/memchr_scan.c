/*
 * memchr_scan.c - the speed ceiling for a MIME boundary scanner.
 *
 *   memchr_scan [--iterations N] FILE...
 *
 * For N iterations over all files: open + mmap the file, then find every
 * boundary candidate "\n--" by jumping from '\n' to '\n' with memchr(3) and
 * checking the next two bytes.  No header parsing, no decoding: any real MIME
 * parser has to look at least at every line start, so this bounds it from
 * above.  Prints one line:
 *   memchr_scan mode=scan bytes=B seconds=S mbps=M candidates=C files=F iterations=N
 * bytes = input bytes (file sizes x iterations); mbps = bytes / 1e6 / seconds.
 * The candidate count is printed so the compiler cannot drop the scan.
 *
 * Build: gcc -O2 -o memchr_scan memchr_scan.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Number of "\n--" occurrences in buf[0..len). A "--" at offset 0 also counts
 * (a body may start with a delimiter line). */
static unsigned long long scan(const char *buf, size_t len)
{
	unsigned long long n = 0;
	if (len >= 2 && buf[0] == '-' && buf[1] == '-')
		n++;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		if (nl == NULL)
			break;
		if (end - nl >= 3 && nl[1] == '-' && nl[2] == '-')
			n++;
		p = nl + 1;
	}
	return n;
}

int main(int argc, char **argv)
{
	int iterations = 1, first = 1;
	if (argc >= 3 && strcmp(argv[1], "--iterations") == 0) {
		iterations = atoi(argv[2]);
		first = 3;
	}
	if (iterations < 1 || first >= argc) {
		fprintf(stderr, "usage: memchr_scan [--iterations N] FILE...\n");
		return 2;
	}
	unsigned long long bytes = 0, candidates = 0;
	int failures = 0;
	double t0 = now_seconds();
	for (int it = 0; it < iterations; it++) {
		for (int i = first; i < argc; i++) {
			int fd = open(argv[i], O_RDONLY);
			struct stat st;
			if (fd < 0 || fstat(fd, &st) != 0) {
				fprintf(stderr, "memchr_scan: %s: %s\n", argv[i], strerror(errno));
				if (fd >= 0)
					close(fd);
				failures++;
				continue;
			}
			if (st.st_size > 0) {
				void *map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
				if (map == MAP_FAILED) {
					fprintf(stderr, "memchr_scan: %s: mmap: %s\n", argv[i], strerror(errno));
					close(fd);
					failures++;
					continue;
				}
				candidates += scan(map, (size_t) st.st_size);
				munmap(map, (size_t) st.st_size);
			}
			bytes += (unsigned long long) st.st_size;
			close(fd);
		}
	}
	double secs = now_seconds() - t0;
	printf("memchr_scan mode=scan bytes=%llu seconds=%.6f mbps=%.2f candidates=%llu files=%d iterations=%d\n",
	       bytes, secs, secs > 0 ? (double) bytes / 1e6 / secs : 0.0, candidates, argc - first, iterations);
	return failures ? 1 : 0;
}
