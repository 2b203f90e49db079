/*
 * main.c: the program's entry point; everything else is in the library
 * (cli.c parses the command line and wires the modules together).
 */
#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
