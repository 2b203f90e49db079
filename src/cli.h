/*
 * cli.h: the commands (serve, receivers, check, get, deliveries, sign),
 * their flags, the environment variables they read and their output.
 */
#ifndef CLI_H
#define CLI_H

/* Runs the command line; returns the process exit status. */
int cli_main(int argc, char **argv);

#endif
