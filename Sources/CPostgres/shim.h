/* Debian's libpq-dev: the rights registry shared by several MTAs. */
#include <postgresql/libpq-fe.h>
