// Hyperscan (Debian: libhyperscan-dev; pkg-config libhs adds -I/usr/include/hs).
#ifndef SEALMILTER_CHYPERSCAN_SHIM_H
#define SEALMILTER_CHYPERSCAN_SHIM_H
#include <hs.h>
#endif
