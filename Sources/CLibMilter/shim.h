/* Debian's libmilter-dev: the sendmail milter API. */
#include <libmilter/mfapi.h>
