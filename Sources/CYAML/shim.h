/* Debian's libyaml-dev (pkg-config yaml-0.1): the YAML 1.1 parser whose event
 * API SealYAML reads policy files with. */
#include <yaml.h>
