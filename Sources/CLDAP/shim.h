/* Debian's libldap-dev (OpenLDAP client library), for S/MIME recipient look-ups. */
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <lber.h>
