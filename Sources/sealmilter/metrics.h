/* metrics.h — the daemon's Prometheus endpoint (metrics.c). */
#ifndef SEALMILTER_METRICS_H
#define SEALMILTER_METRICS_H
#include <stddef.h>
/* Listens on HOST:PORT (loopback only) and serves GET /metrics from a thread.
 * Returns 0, or -1 with a message in err. */
int metrics_start(const char *spec, char *err, size_t errlen);
#endif
