/* Debian's libsqlite3-dev: the rights registry's default store. */
#include <sqlite3.h>
