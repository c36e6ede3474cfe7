#include "sealmilter.h"
#include <stdio.h>
int main(void) { printf("%s\n", sealmilter_version()); return 0; }
