/*
 * sealctl — the command-line tool. Its code lives in libsealmilter (the same
 * engine the daemon uses, one copy in the package); this program is a C host of
 * the library, like the daemon.
 */
#include <sealmilter.h>

int main(int argc, char **argv)
{
    return sealmilter_ctl_main(argc, argv);
}
